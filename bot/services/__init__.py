"""Business services the actions, gateway and admin call. They know nothing about Rasa."""

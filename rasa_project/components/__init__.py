"""Custom Rasa NLU components of the shop assistant (loaded by Rasa from rasa_project/)."""

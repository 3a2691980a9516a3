"""Rasa custom actions (rasa-sdk), registered by importing this package.

Run with ``python -m rasa_sdk --actions bot.actions``. Actions are thin: they read slots and
the latest message, call ``bot.services``, and turn the result into messages and events.
"""

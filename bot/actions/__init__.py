"""Rasa custom actions (rasa-sdk), registered by importing this package.

Run with ``python -m bot.actions.server`` (rasa-sdk's server plus ``GET /metrics`` and the
shop's log format; ``python -m rasa_sdk --actions bot.actions`` works too). Actions are thin:
they read slots and the latest message, call ``bot.services``, and turn the result into
messages and events.
"""

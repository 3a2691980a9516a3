"""Personal data out of a customer's message before it is kept (the review queue, feedback):
:func:`redact` of :mod:`bot.entities.redact`, where it lives so that the log format (a layer
below the services) uses the same code."""

from bot.entities.redact import ADDRESS, CARD, EMAIL, ID_NUMBER, MARKERS, NAME, PHONE, redact

__all__ = ["ADDRESS", "CARD", "EMAIL", "ID_NUMBER", "MARKERS", "NAME", "PHONE", "redact"]

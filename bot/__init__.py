"""Bilingual customer-service assistant for online shops, built on Rasa."""

__version__ = "0.1.0"

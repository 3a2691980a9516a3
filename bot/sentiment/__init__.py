"""Sentiment model: features, network, training data, training and evaluation.

Scoring at run time goes through :mod:`bot.sentiment.scoring` (``SentimentModel``).
"""

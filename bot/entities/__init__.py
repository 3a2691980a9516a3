"""Entities in customer messages (order numbers, phones, e-mails, addresses, recipients, dates,
money, quantities, sizes, products), in Chinese and English, with spaCy blank pipelines and rule
finders; :mod:`bot.entities.redact` takes personal data out of text with the same finders.

    from bot.entities import EntityExtractor
    EntityExtractor(phrases).extract("上周二买的耳机，两百以内", today=date(2026, 3, 18))
"""

from bot.entities.catalog import ProductPhrase, product_phrases
from bot.entities.pipeline import EntityExtractor, extract_rules, language_of
from bot.entities.types import TYPES, Entity

__all__ = [
    "TYPES",
    "Entity",
    "EntityExtractor",
    "ProductPhrase",
    "extract_rules",
    "language_of",
    "product_phrases",
]

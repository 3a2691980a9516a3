"""Regex and lookup-table entity extraction that respects Latin word boundaries.

Rasa's RegexEntityExtractor must run without word boundaries here, because Python's `\\b` sees no
boundary between Han characters and Latin letters ("我的iPhone壳", "买电饭煲"). Without them,
short English catalog names match inside other words ("tee" in "guarantee", "dress" in
"address"). This extractor keeps boundary-free matching for Han text and drops a match whose
Latin or digit edge continues into a neighbouring Latin letter or digit, then keeps the longest
of overlapping matches of the same entity.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.nlu.training_data.message import Message

from components.spans import cuts_latin_word, keep_longest


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ShopEntityExtractor(RegexEntityExtractor):
    """RegexEntityExtractor with Latin-word-aware boundaries for mixed zh/en text."""

    def _extract_entities(self, message: Message) -> list[dict[str, Any]]:
        text = message.get("text") or ""
        found = [
            ent
            for ent in super()._extract_entities(message)
            if not cuts_latin_word(text, ent["start"], ent["end"])
        ]
        return keep_longest(found)

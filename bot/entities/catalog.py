"""Product names and short names as phrases for the PhraseMatcher, each with its value.

A phrase that names exactly one product (its full name) has that product's id ("P0005"); a
short name shared by products has the catalogue's product type key(s) ("power_bank",
"headphones|wireless_earbuds" for 耳机); other shared phrases the sorted product ids joined by
"|". English phrases also match their plural ("mugs", "T-shirts", "dresses") and long plural
short names their singular ("headphone").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductPhrase:
    text: str
    value: str


def phrase_key(text: str) -> str:
    """How phrases are compared: case-folded, spaces removed."""
    return "".join(text.casefold().split())


def plurals(text: str) -> list[str]:
    """English plural forms of a phrase's last word (none for Chinese or odd endings)."""
    if not text.isascii() or not text[-1:].isalpha():
        return []
    lowered = text.lower()
    if lowered.endswith(("s", "x", "ch", "sh")):
        return [text + "es"]
    if re.search(r"[^aeiou]y$", lowered):
        return [text[:-1] + "ies"]
    return [text + "s"]


def singulars(text: str) -> list[str]:
    """The singular of a phrase whose last word is a long English plural ("headphones" ->
    "headphone"); none for short words ("boots", "jeans") or -ss/-us/-ies/-ves endings."""
    last = text.rsplit(" ", 1)[-1]
    if not text.isascii() or len(last) < 7 or not last.isalpha():
        return []
    if not last.lower().endswith("s") or last.lower().endswith(("ss", "us", "ies", "ves")):
        return []
    return [text[:-1]]


def product_phrases(
    products: Iterable[Mapping[str, Any]], alias_types: Mapping[str, Iterable[str]] = {}
) -> list[ProductPhrase]:
    """Phrases from product rows (``id``, ``name_en``, ``name_zh``, ``aliases``) and, for short
    names, the product type keys they belong to (``alias_types``: phrase -> keys)."""
    ids: dict[str, set[str]] = {}
    shown: dict[str, str] = {}
    for row in products:
        names = [row.get("name_en") or "", row.get("name_zh") or ""]
        aliases = row.get("aliases") or []
        for text in [*names, *(str(a) for a in aliases)]:
            text = " ".join(str(text).split())
            if len(text) < 2:
                continue
            key = phrase_key(text)
            ids.setdefault(key, set()).add(str(row["id"]))
            shown.setdefault(key, text)
    types = {phrase_key(k): set(v) for k, v in alias_types.items()}
    phrases: list[ProductPhrase] = []
    for key, found in ids.items():
        if len(found) == 1:
            value = next(iter(found))
        elif types.get(key):
            value = "|".join(sorted(types[key]))
        else:
            value = "|".join(sorted(found))
        text = shown[key]
        phrases.append(ProductPhrase(text, value))
        phrases += [
            ProductPhrase(p, value)
            for p in (*plurals(text), *singulars(text))
            if phrase_key(p) not in ids
        ]
    return phrases

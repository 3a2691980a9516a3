"""Language of a customer message: Chinese or English."""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from typing import Literal

Lang = Literal["zh", "en"]

# Han ideographs only: full-width punctuation ("？？") says nothing about the language.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def known_language(value: object) -> Lang | None:
    """``value`` as a language when it is one ("zh" or "en"), else None."""
    if value == "zh":
        return "zh"
    if value == "en":
        return "en"
    return None


def detect_language(text: str, previous: Lang | None = None) -> Lang:
    """Guess zh or en from the script of ``text``.

    Any Han character makes a message Chinese unless Latin letters clearly dominate
    ("我的iPhone壳" is Chinese; "my order 订单" is still mostly English words, but a
    customer who mixes in Chinese reads Chinese, so Han wins ties). Messages without
    letters (order numbers, phone numbers, emoji, button payloads) keep ``previous``.
    """
    if text.startswith("/"):
        # A button clicked before anything was typed: its values ("/product_inquiry{"product":
        # "电饭煲"}") are the only hint.
        return previous or ("zh" if _HAN.search(text) else "en")
    normalised = unicodedata.normalize("NFKC", text)  # full-width letters are Latin too
    han = len(_HAN.findall(normalised))
    latin = len(_LATIN.findall(normalised))
    if han == 0 and latin == 0:
        return previous or "en"
    if han == 0:
        return "en"
    # One Han character weighs about as much as a short English word.
    return "zh" if han * 3 >= latin else "en"


class LanguageMemory:
    """The latest language of recently active conversations (bounded, least recent dropped)."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[str, Lang] = OrderedDict()

    def get(self, conversation_id: str) -> Lang | None:
        lang = self._items.get(conversation_id)
        if lang is not None:
            self._items.move_to_end(conversation_id)
        return lang

    def remember(self, conversation_id: str, lang: Lang) -> None:
        self._items[conversation_id] = lang
        self._items.move_to_end(conversation_id)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

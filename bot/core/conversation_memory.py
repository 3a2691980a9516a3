"""What the pipeline remembers of recently active conversations, in process (bounded)."""

from __future__ import annotations

from collections import OrderedDict

from bot.i18n import Lang


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

"""What the pipeline remembers of recently active conversations, in process (bounded), and
the language each message is answered in."""

from __future__ import annotations

from collections import OrderedDict

from bot.core import store
from bot.core.conversations import ConversationStore
from bot.core.message import IncomingMessage
from bot.i18n import Lang, detect_language, known_language
from bot.services.types import Customer


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


# The language of a first message without text (a WeChat follow event, a /start button) on
# channels whose customers mostly write Chinese.
CHANNEL_LANGUAGE: dict[str, Lang] = {"wechat": "zh"}


async def message_language(
    message: IncomingMessage,
    customer: Customer | None,
    memory: LanguageMemory,
    conversations: ConversationStore,
) -> Lang:
    """The language of this message; payloads and digits-only texts keep the previous one:
    remembered here, else the conversation's record, else the customer's, else the
    platform's idea of the customer's language (Telegram's app language)."""
    previous = (
        memory.get(message.conversation_id)
        or await recorded_language(conversations, message.conversation_id)
        or (known_language(customer.language) if customer is not None else None)
        or known_language(message.metadata.get("language_hint"))
    )
    if message.text is not None:
        return detect_language(message.text, previous)
    return previous or CHANNEL_LANGUAGE.get(message.channel, "en")


async def recorded_language(conversations: ConversationStore, conversation_id: str) -> Lang | None:
    """The language of the conversation's previous message: its record's, or for a
    conversation from before the record existed, its latest logged message's."""
    record = await conversations.get(conversation_id)
    if record is not None and record.language is not None:
        return record.language
    return await store.last_inbound_language(conversations.engine, conversation_id)

"""The channel-agnostic core of the gateway: one call per customer message.

Adapters build an :class:`~bot.core.message.IncomingMessage` and call
:meth:`Dispatcher.handle`; it resolves the customer, picks the reply language, stores the
message, forwards it to Rasa with channel and customer metadata, stores the replies and returns
them. Messages of one conversation are handled one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.language import Lang, detect_language
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.rasa_client import RasaBadResponse, RasaClient, RasaClientError, RasaMetadata
from bot.gateway import store
from bot.services.customers import resolve_customer
from bot.services.types import Customer

logger = logging.getLogger(__name__)

# Sent instead of an answer when Rasa cannot be reached, in the customer's language.
HOLDING_TEXT: dict[Lang, str] = {
    "zh": "抱歉，智能客服暂时无法回复，请稍后再试。",
    "en": "Sorry, our assistant can't reply right now. Please try again in a moment.",
}
UNAVAILABLE_ERROR = "the assistant is not answering right now (Rasa is unavailable); retry shortly"
BAD_RESPONSE_ERROR = "the assistant gave an unusable answer (bad response from Rasa)"


@dataclass(frozen=True)
class Reply:
    """What the bot answered to one message. ``error`` is set when Rasa could not answer;
    ``messages`` then holds the holding text."""

    conversation_id: str
    language: Lang
    messages: tuple[OutgoingMessage, ...]
    customer_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class KeyedLocks:
    """One FIFO :class:`asyncio.Lock` per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                del self._locks[key]


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


def _customer_language(customer: Customer | None) -> Lang | None:
    if customer is None:
        return None
    if customer.language == "zh":
        return "zh"
    if customer.language == "en":
        return "en"
    return None


class Dispatcher:
    """Handles customer messages from every channel the same way."""

    def __init__(
        self, engine: AsyncEngine, rasa: RasaClient, *, languages: LanguageMemory | None = None
    ) -> None:
        self.engine = engine
        self.rasa = rasa
        self.languages = languages or LanguageMemory()
        self.locks = KeyedLocks()

    async def handle(self, message: IncomingMessage) -> Reply:
        conversation_id = message.conversation_id
        # Taking the lock is the first await, so messages queue in the order they arrived.
        async with self.locks.hold(conversation_id):
            started = time.perf_counter()
            customer = await resolve_customer(self.engine, message.channel, message.external_id)
            language = await self._language_of(message, customer)
            await store.save_incoming(self.engine, message, language)
            self.languages.remember(conversation_id, language)
            metadata: RasaMetadata = {
                "channel": message.channel,
                "external_id": message.external_id,
                "customer_id": customer.id if customer else None,
                "language": language,
            }
            error: str | None = None
            try:
                replies = tuple(await self.rasa.send(conversation_id, message.content, metadata))
            except RasaClientError as exc:
                logger.warning("no answer for %s: %s", conversation_id, exc)
                error = (
                    BAD_RESPONSE_ERROR if isinstance(exc, RasaBadResponse) else UNAVAILABLE_ERROR
                )
                replies = (OutgoingMessage(text=HOLDING_TEXT[language]),)
            await store.save_outgoing(
                self.engine,
                conversation_id=conversation_id,
                channel=message.channel,
                replies=replies,
                language=language,
            )
            logger.info(
                "%s lang=%s customer=%s replies=%d %.0f ms%s",
                conversation_id,
                language,
                metadata["customer_id"],
                len(replies),
                (time.perf_counter() - started) * 1000,
                " (holding reply)" if error else "",
            )
            return Reply(
                conversation_id=conversation_id,
                language=language,
                messages=replies,
                customer_id=metadata["customer_id"],
                error=error,
            )

    async def _language_of(self, message: IncomingMessage, customer: Customer | None) -> Lang:
        """The language of this message; payloads and digits-only texts keep the previous one."""
        previous = (
            self.languages.get(message.conversation_id)
            or await store.last_inbound_language(self.engine, message.conversation_id)
            or _customer_language(customer)
        )
        if message.text is not None:
            return detect_language(message.text, previous)
        return previous or "en"

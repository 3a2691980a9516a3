"""Delivering outbox messages to Telegram: :class:`TelegramSender` is the channel's outbox
``Sender``. It sends the parts a message renders to, resumes a half-delivered message where it
stopped, and turns Telegram's refusals into :class:`~bot.core.outbox.DeliveryError` (wait,
retry or give up); at shutdown it refuses new sends and lets those under way finish."""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from adapters.telegram.callbacks import CallbackCodec
from adapters.telegram.client import BotClient
from adapters.telegram.inbound import is_int
from adapters.telegram.render import (
    CHOOSE_TEXT,
    Part,
    TextPart,
    keyboard,
    photo_input,
    plan_parts,
)
from adapters.telegram.settings import CHANNEL, TelegramSettings
from bot.core.channels import ChannelServices
from bot.core.outbox import DeliveryError, OutboxItem
from bot.i18n import Lang

logger = logging.getLogger(__name__)

MAX_PROGRESS = 1000  # half-delivered messages remembered (the rest were given up)


class TelegramSender:
    """The ``telegram`` outbox Sender: Bot API calls for each outbox message."""

    channel = CHANNEL

    def __init__(self, settings: TelegramSettings, client: BotClient) -> None:
        self.settings = settings
        self.client = client
        self._services: ChannelServices | None = None  # given when the gateway starts
        self._closed = False
        self._sending: set[asyncio.Task[Any]] = set()  # outbox sends in progress
        self._codec: CallbackCodec | None = None
        # Outbox id -> Telegram messages of it already delivered, so a retry after a failure
        # halfway through a split text or a list of cards does not repeat the first ones.
        self._progress: dict[int, int] = {}

    def callbacks(self) -> CallbackCodec:
        """The button payload codec (over the button store the gateway gave at start)."""
        if self._codec is None:
            self._codec = CallbackCodec(self._started().buttons)
        return self._codec

    def _started(self) -> ChannelServices:
        if self._services is None:
            raise RuntimeError("the Telegram sender is not started (no services)")
        return self._services

    # --- life cycle ---------------------------------------------------------------------------
    def open(self, services: ChannelServices) -> None:
        """Take messages again (the gateway starts), with the gateway's services."""
        if services is not self._services:
            self._services = services
            self._codec = None
        self._closed = False

    def close(self) -> None:
        """Refuse new messages: they are sent after the restart."""
        self._closed = True

    async def drain(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for the sends under way: a message cut off mid-request may
        have reached the customer and would be sent again after the restart."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout_s)

    # --- sending ------------------------------------------------------------------------------
    async def send(self, item: OutboxItem) -> None:
        """Deliver one outbox message; Telegram's refusals become :class:`DeliveryError`."""
        if self._closed:
            raise DeliveryError("the Telegram channel is stopping; sent after the restart")
        task = asyncio.current_task()
        if task is not None:
            self._sending.add(task)
        try:
            await self._deliver(item)
        finally:
            if task is not None:
                self._sending.discard(task)

    async def _deliver(self, item: OutboxItem) -> None:
        chat_id = chat_id_of(item)
        parts = plan_parts(item.message, item.lang, self.settings.max_text_chars)
        start = self._progress.get(item.id, 0)
        bot = await self.client.get()
        for index in range(start, len(parts)):
            try:
                await self._send_part(bot, chat_id, parts[index], item.lang)
            except TelegramError as exc:
                error = delivery_error(exc)
                self._note_failure(item.id, index, permanent=error.permanent)
                raise error from exc
        self._progress.pop(item.id, None)

    def _note_failure(self, item_id: int, index: int, *, permanent: bool) -> None:
        """Remember where a retry resumes; a message given up needs no resuming."""
        if permanent:
            self._progress.pop(item_id, None)
            return
        if len(self._progress) > MAX_PROGRESS:  # rows given up by the pipeline
            self._progress.pop(next(iter(self._progress)))
        self._progress[item_id] = index

    async def _send_part(self, bot: Bot, chat_id: int, part: Part, lang: Lang) -> None:
        markup = await keyboard(part.buttons, self.callbacks())
        if isinstance(part, TextPart):
            await bot.send_message(chat_id, part.text, reply_markup=markup)
            return
        photo = await self._photo(part.image)
        if photo is not None:
            try:
                await bot.send_photo(chat_id, photo, caption=part.caption, reply_markup=markup)
                return
            except BadRequest as exc:
                # Telegram could not use the picture (a URL it cannot fetch, a format it does
                # not take); the caption and buttons still matter. A bad chat fails below too.
                logger.warning("Telegram refused photo %s: %s; sending text", part.image, exc)
        else:
            logger.warning("image %r cannot be sent to Telegram; sending text", part.image)
        text = part.caption or (CHOOSE_TEXT[lang] if markup is not None else None)
        if text:
            await bot.send_message(chat_id, text, reply_markup=markup)

    async def _photo(self, image: str) -> str | InputFile | None:
        services = self._started()
        return await photo_input(image, self.settings.public_url, services.images, services.media)


def chat_id_of(item: OutboxItem) -> int:
    """The chat to send to: the address's ``chat_id``, else the customer's user id (a private
    chat's id is the user's id)."""
    chat_id = item.address.get("chat_id")
    if is_int(chat_id):
        return chat_id
    if not item.external_id.isdigit():
        raise DeliveryError(
            f"no Telegram chat_id in the address {dict(item.address)!r}", permanent=True
        )
    return int(item.external_id)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Telegram's refusal as the outbox understands it: wait, retry, or give up."""
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"Telegram rate limit: {exc}", retry_after=_retry_after_s(exc))
    if isinstance(exc, Forbidden):
        return DeliveryError(
            f"Telegram refused (the customer blocked the bot?): {exc}", permanent=True
        )
    if isinstance(exc, ChatMigrated | BadRequest):
        # The same request cannot succeed later (chat not found, message malformed).
        return DeliveryError(f"Telegram rejected the message: {exc}", permanent=True)
    return DeliveryError(f"Telegram API error ({type(exc).__name__}): {exc}")


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 returns an int unless PTB_TIMEDELTA is set, and warns about that; both work.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

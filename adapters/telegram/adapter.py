"""Telegram channel: python-telegram-bot 22 against the Bot API (or a local Bot API server).

Updates come in by webhook (``POST /webhooks/telegram``, verified by the secret token Telegram
sends in ``X-Telegram-Bot-Api-Secret-Token``) or by long polling (``getUpdates``) for shops
without a public URL. Each update is stored once (dedupe key ``update:<update_id>``) and answered
through the outbox: texts split at Telegram's limit, buttons as an inline keyboard whose presses
come back as payloads, images and product cards as photos.

This module owns :class:`TelegramAdapter`: its route, its life cycle (the Bot API client,
webhook registration or polling, shutdown) and what each kind of update turns into. Parsing
lives in :mod:`.inbound`, replies in :mod:`.render` and :mod:`.sender`, button tokens in
:mod:`.callbacks`, polling in :mod:`.polling`, /help and
``/start <token>`` (linking the account to a customer) in :mod:`.commands`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Literal

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from adapters.telegram.callbacks import EXPIRED_BUTTON_TEXT
from adapters.telegram.client import BotClient
from adapters.telegram.commands import Linker, help_text, start_parameter
from adapters.telegram.inbound import (
    Inbound,
    MalformedUpdate,
    MediaUnavailable,
    download_photo,
    incoming,
    language_hint,
    parse_update,
    read_update,
)
from adapters.telegram.polling import POLL_LOCK, POLL_TIMEOUT_S, LongPoller, register_webhook
from adapters.telegram.sender import TelegramSender
from adapters.telegram.settings import CHANNEL, SECRET_HEADER, WEBHOOK_PATH, TelegramSettings
from bot.config import Config, ConfigError
from bot.core.channels import ChannelServices
from bot.core.http import error_response, json_response, read_json_object
from bot.core.message import Attachment, IncomingMessage, OutgoingMessage
from bot.core.pipeline import Pipeline, Reply
from bot.core.shared import run_alone
from bot.services.linking import looks_like_token

logger = logging.getLogger(__name__)

Outcome = Literal["queued", "duplicate", "answered", "ignored"]

MAX_UPDATE_BYTES = 1_000_000
SEND_DRAIN_S = 5.0  # at shutdown, how long messages being sent may take to finish


class TelegramAdapter:
    """Webhook or long polling in, Bot API out; its :class:`TelegramSender` (``sender``) is the
    ``telegram`` Sender."""

    channel = CHANNEL

    def __init__(self, cfg: Config, *, poll_timeout_s: int = POLL_TIMEOUT_S) -> None:
        self.settings = TelegramSettings.from_config(cfg)
        self.shop_name = cfg.shop.name
        self.shop_name_zh = cfg.shop.name_zh
        self.poll_timeout_s = poll_timeout_s
        self.client = BotClient(self.settings)
        self.sender = TelegramSender(self.settings, self.client)
        self.linker = Linker.from_config(cfg)
        self._services: ChannelServices | None = None  # given when the gateway starts
        self._tasks: set[asyncio.Task[None]] = set()

    def setup(self, app: web.Application) -> None:
        if self.settings.mode == "webhook":
            app.router.add_post(WEBHOOK_PATH, self.webhook)

    def _started(self) -> ChannelServices:
        if self._services is None:
            raise RuntimeError("the Telegram channel is not running (no services)")
        return self._services

    def _pipeline(self) -> Pipeline:
        return self._started().pipeline

    # --- life cycle ---------------------------------------------------------------------------
    @asynccontextmanager
    async def running(self, services: ChannelServices) -> AsyncIterator[None]:
        """The Bot API client, polling or webhook registration, while the gateway runs."""
        self._services = services
        self.sender.open(services)
        bot = await self.client.get()
        if self.client.token_rejected is not None:
            await self.client.close(bot)
            raise ConfigError(
                "Telegram rejected `TELEGRAM_BOT_TOKEN` (getMe failed: "
                f"{self.client.token_rejected}); copy the token from @BotFather again"
            )
        if self.settings.mode == "polling":
            poller = LongPoller(bot, self.handle_update, self.settings, self.poll_timeout_s)
            # Telegram serves getUpdates to one client at a time: one replica polls.
            self._spawn(run_alone(services.pipeline.engine, POLL_LOCK, poller.run))
        elif self.settings.public_url:
            self._spawn(register_webhook(bot, self.settings))
        else:
            logger.info(
                "Telegram webhook mode without channels.public_url: register %s on your public "
                "URL yourself (setWebhook with the secret token)",
                WEBHOOK_PATH,
            )
        try:
            yield
        finally:
            self.sender.close()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.sender.drain(SEND_DRAIN_S)
            await self.client.close(bot)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("Telegram background task failed", exc_info=exc)

    # --- incoming -----------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/telegram``: verify the secret token, store the update, ack."""
        secret = request.headers.get(SECRET_HEADER)
        if secret is None:
            return error_response(
                401,
                f"the {SECRET_HEADER} header is missing; Telegram sends it when the webhook "
                "was set with the secret token",
                SECRET_HEADER,
            )
        expected = (self.settings.secret_token or "").encode()
        if not hmac.compare_digest(secret.encode("utf-8", "replace"), expected):
            return error_response(
                403,
                f"the {SECRET_HEADER} header does not match TELEGRAM_SECRET_TOKEN",
                SECRET_HEADER,
            )
        body = await read_json_object(request, max_bytes=MAX_UPDATE_BYTES)
        try:
            outcome = await self.handle_update(parse_update(body, await self.client.get()))
        except MalformedUpdate as exc:
            return error_response(400, exc.error, exc.field)
        except MediaUnavailable as exc:
            # Not stored yet: Telegram delivers the update again after a 5xx.
            return error_response(503, str(exc))
        return json_response({"ok": True, "outcome": outcome})

    async def handle_update(self, update: Update) -> Outcome:
        """Store what a customer sent (once per update id) for the pipeline to answer."""
        inbound = read_update(update)
        if inbound is None:
            logger.debug("Telegram update %d ignored (not a customer message)", update.update_id)
            return "ignored"
        if inbound.callback_query_id is not None:
            return await self._button_press(inbound, inbound.callback_query_id)
        if inbound.command == "start":
            token = start_parameter(inbound.text)
            if token is not None and looks_like_token(token):
                # A shop's deep link (t.me/<bot>?start=<token>): link the account.
                return await self._link(inbound, token)
            # Telegram's Start button (other deep-link parameters are not used): the bot greets.
            return await self._submit(inbound, incoming(inbound, payload="/greet"))
        if inbound.command is not None:
            # /help, and commands we do not have, get the help text without a trip to Rasa.
            return await self._help(inbound)
        attachments: tuple[Attachment, ...] = ()
        if inbound.photo is not None:
            media = self._started().media
            attachment = await download_photo(self.client, media, inbound.photo)
            attachments = (attachment,) if attachment is not None else ()
        if inbound.text is None and not attachments:
            return "ignored"
        message = incoming(inbound, text=inbound.text, attachments=attachments)
        return await self._submit(inbound, message)

    async def _submit(self, inbound: Inbound, message: IncomingMessage) -> Outcome:
        reply = await self._store(inbound, message)
        return _queued(reply)

    async def _store(self, inbound: Inbound, message: IncomingMessage) -> Reply:
        return await self._pipeline().submit(
            message, address=_address(inbound), dedupe_key=_dedupe_key(inbound)
        )

    async def _button_press(self, inbound: Inbound, query_id: str) -> Outcome:
        """A pressed inline button: its payload (or text) goes to the pipeline; a button whose
        token is unknown is answered with a notice instead."""
        resolved = await self.sender.callbacks().decode(inbound.callback_data or "")
        if resolved is None:
            hint = language_hint(inbound.language_code)
            self._spawn(self._answer_callback(query_id, EXPIRED_BUTTON_TEXT[hint or "en"]))
            return "ignored"
        if resolved.startswith("/"):
            message = incoming(inbound, payload=resolved)
        else:
            message = incoming(inbound, text=resolved)
        reply = await self._store(inbound, message)
        if reply.outcome != "duplicate":
            self._spawn(self._answer_callback(query_id))
        return _queued(reply)

    async def _help(self, inbound: Inbound) -> Outcome:
        """The help text, stored as the answer to the command in the customer's language."""
        pipeline = self._pipeline()
        message = incoming(inbound, payload="/help")
        hint = language_hint(inbound.language_code)
        lang = pipeline.languages.get(message.conversation_id) or hint or "en"
        text = help_text(lang, self.shop_name, self.shop_name_zh)
        return await pipeline.submit_answered(
            message,
            [OutgoingMessage(text=text)],
            language=lang,
            address=_address(inbound),
            dedupe_key=_dedupe_key(inbound),
        )

    async def _link(self, inbound: Inbound, token: str) -> Outcome:
        """Link the account to the customer the token names, answered in their language.

        The token itself is not stored with the message (only "/start link")."""
        pipeline = self._pipeline()
        message = incoming(inbound, payload="/start link")
        conversation_id = message.conversation_id
        hint = language_hint(inbound.language_code)
        lang = pipeline.languages.get(conversation_id) or hint or "en"
        lang, text = await self.linker.answer(
            pipeline.engine, inbound.external_id, token, lang=lang, now=pipeline.clock()
        )
        pipeline.languages.remember(conversation_id, lang)
        return await pipeline.submit_answered(
            message,
            [OutgoingMessage(text=text)],
            language=lang,
            address=_address(inbound),
            dedupe_key=_dedupe_key(inbound),
        )

    async def _answer_callback(self, query_id: str, text: str | None = None) -> None:
        """Stop the button's spinner; failing here must not lose the press itself."""
        try:
            bot = await self.client.get()
            await bot.answer_callback_query(query_id, text=text)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery %s failed: %s", query_id, exc)


def _address(inbound: Inbound) -> dict[str, Any]:
    return {"chat_id": inbound.chat_id}


def _dedupe_key(inbound: Inbound) -> str:
    return f"update:{inbound.update_id}"


def _queued(reply: Reply) -> Outcome:
    return "duplicate" if reply.outcome == "duplicate" else "queued"

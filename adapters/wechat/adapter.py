"""WeChatAdapter: the channel's routes (``GET``/``POST /webhooks/wechat``), its lifecycle and
the passive-reply flow.

An answer ready within ``channels.wechat_passive_timeout_s`` goes back as one passive text
reply; what does not fit into ``channels.wechat_max_text_bytes`` is queued in the outbox for the
customer-service API (see :mod:`adapters.wechat.client`). A repeat of a message (same
``MsgId``, sent by WeChat when it got no answer within 5 s) is processed once; the repeat gets
whatever of the answer is still unsent, else ``success``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from adapters.wechat.client import API_TIMEOUT_S, WeChatApi, WeChatSender
from adapters.wechat.crypto import signature_matches
from adapters.wechat.inbound import (
    WeChatMessage,
    auth_params,
    fetch_picture,
    read_message,
    to_incoming,
)
from adapters.wechat.render import Composer, Numbering, passive_reply, ready_messages
from adapters.wechat.settings import Mode, load_settings
from bot.config import Config
from bot.core.channels import ChannelServices
from bot.core.http import RequestError
from bot.core.media import MediaStore
from bot.core.message import Attachment, IncomingMessage, OutgoingMessage
from bot.core.outbox import NewMessage
from bot.core.pipeline import Pipeline, Reply
from bot.core.render import OptionsMemory
from bot.core.shared import SharedToken, is_shared
from bot.i18n import Lang

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/wechat"
SUCCESS = "success"  # what WeChat expects when there is no passive reply
MIN_WAIT_S = 0.2  # less time than this left for a passive reply: answer "success" at once
MAX_ECHOSTR_LENGTH = 256


class WeChatAdapter:
    """WeChat official-account channel: webhook, passive replies and the outbox sender."""

    channel = "wechat"

    def __init__(self, cfg: Config, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = load_settings(cfg)
        self.clock = clock
        self.composer = Composer(
            public_url=self.settings.public_url, max_text_bytes=self.settings.max_text_bytes
        )
        self.sender = WeChatSender(self.composer)
        # Given when the gateway starts (:meth:`running`).
        self._session: aiohttp.ClientSession | None = None
        self._api: WeChatApi | None = None
        self._pipeline: Pipeline | None = None
        self._options: OptionsMemory | None = None
        self._media: MediaStore | None = None

    @property
    def mode(self) -> Mode:
        return self.settings.mode

    @property
    def credentials(self) -> tuple[str, str] | None:
        """The app id and secret for the customer-service API; None runs passive-only."""
        return self.settings.credentials

    def setup(self, app: web.Application) -> None:
        app.router.add_get(WEBHOOK_PATH, self.verify)
        app.router.add_post(WEBHOOK_PATH, self.receive)

    @asynccontextmanager
    async def running(self, services: ChannelServices) -> AsyncIterator[None]:
        """The API session and the outbox sender while the gateway runs."""
        self._pipeline = services.pipeline
        self._options = services.options
        self._media = services.media
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_S))
        self._session = session
        settings = self.settings
        if settings.credentials is not None:
            app_id, app_secret = settings.credentials
            engine = services.pipeline.engine
            # Replicas on PostgreSQL share one token: each fetch invalidates the one before.
            shared = SharedToken(engine, f"wechat:{app_id}") if is_shared(engine) else None
            self._api = WeChatApi(session, settings.api_base_url, app_id, app_secret, shared=shared)
        else:
            logger.warning(
                "WeChat: WECHAT_APP_ID and WECHAT_APP_SECRET are not both set, so only passive "
                "replies work: answers later than %.1f s, parts beyond %d bytes and staff "
                "messages cannot be delivered (they are marked failed in the outbox)",
                settings.passive_timeout_s,
                settings.max_text_bytes,
            )
        self.sender.start(self._api, self._pipeline.outbox, self._options)
        logger.info("WeChat channel on %s (%s mode)", WEBHOOK_PATH, self.mode)
        try:
            yield
        finally:
            self.sender.stop()
            self._api = None
            self._session = None
            await session.close()

    # --- webhook ----------------------------------------------------------------------------
    async def verify(self, request: web.Request) -> web.Response:
        """``GET``: WeChat's URL check; echo ``echostr`` when the signature is right."""
        signature, timestamp, nonce = auth_params(request.query, "signature")
        if not signature_matches(signature, self.settings.token, timestamp, nonce):
            logger.warning("WeChat URL check with a wrong signature (check WECHAT_TOKEN)")
            raise RequestError(
                403,
                "the signature does not match; check that WECHAT_TOKEN equals the "
                "Token on the WeChat admin page",
                "signature",
            )
        echostr = request.query.get("echostr", "")
        if not echostr or len(echostr) > MAX_ECHOSTR_LENGTH or not echostr.isprintable():
            raise RequestError(
                400, f"`echostr` must be 1-{MAX_ECHOSTR_LENGTH} printable characters", "echostr"
            )
        return web.Response(
            text=echostr, content_type="text/plain", headers={"X-Content-Type-Options": "nosniff"}
        )

    async def receive(self, request: web.Request) -> web.Response:
        """``POST``: one message or event; answers ``success`` or a passive reply."""
        started = time.monotonic()
        message = await read_message(
            request, token=self.settings.token, cipher=self.settings.cipher, clock=self.clock
        )
        content = await self._answer(message, started)
        if content is None:
            return web.Response(text=SUCCESS, content_type="text/plain")
        xml = passive_reply(
            openid=message.openid,
            account=message.account,
            content=content,
            token=self.settings.token,
            cipher=self.settings.cipher,
            clock=self.clock,
        )
        return web.Response(text=xml, content_type="application/xml", charset="utf-8")

    # --- the passive answer -----------------------------------------------------------------
    async def _picture(self, message: WeChatMessage) -> Attachment | None:
        return await fetch_picture(
            message,
            session=self._session,
            api=self._api,
            store=self._media,
            max_bytes=self.settings.max_media_bytes,
        )

    async def _answer(self, message: WeChatMessage, started: float) -> str | None:
        """Submit the message and return the passive reply's text, or None for ``success``."""
        translated = await to_incoming(
            message,
            channel=self.channel,
            max_text_length=self.settings.max_text_length,
            options=self._require_options(),
            picture=self._picture,
        )
        if translated is None:
            return None
        incoming, dedupe_key = translated
        pipeline = self._require_pipeline()
        remaining = self.settings.passive_timeout_s - (time.monotonic() - started)
        reply = await pipeline.submit(
            incoming,
            address={"openid": message.openid},
            dedupe_key=dedupe_key,
            wait_s=remaining if remaining >= MIN_WAIT_S else None,
        )
        ready = await self._ready(reply)
        if ready is None:
            return None
        messages, lang, numbering, update_options = ready
        parts = await self.composer.compose(
            self._require_options(),
            incoming.conversation_id,
            messages,
            lang,
            numbering,
            remember=update_options,
        )
        if not parts:
            return None
        if len(parts) > 1:
            await self._queue_rest(incoming, message.openid, lang, reply.inbox_id, parts[1:])
        return parts[0]

    async def _ready(
        self, reply: Reply
    ) -> tuple[Sequence[OutgoingMessage], Lang, Numbering, bool] | None:
        """The messages to answer passively with, their language and numbering, and whether
        their options replace the remembered ones; None when there are none."""
        if reply.outcome != "duplicate":
            messages = ready_messages(reply)
            lang: Lang = reply.language or "zh"  # only unset when nothing was processed
            # A holding text replaces no options.
            return (messages, lang, Numbering(), reply.outcome != "held") if messages else None
        # WeChat retries only when it did not get the first answer in time: hand out what is
        # still unsent (now, not again later); what went out already is not repeated.
        outbox = self._require_pipeline().outbox
        items = await outbox.claim_inline(reply.inbox_id)
        if not items:
            return None
        numbering = await self.composer.numbering(outbox, items[0])
        update_options = any(i.kind == "reply" for i in items)
        return [i.message for i in items], items[0].lang, numbering, update_options

    async def _queue_rest(
        self,
        incoming: IncomingMessage,
        openid: str,
        lang: Lang,
        inbox_id: int,
        parts: Sequence[str],
    ) -> None:
        """The parts after the passive reply go out through the customer-service API."""
        pipeline = self._require_pipeline()
        await pipeline.outbox.add(
            [
                NewMessage(
                    incoming.conversation_id,
                    self.channel,
                    openid,
                    OutgoingMessage(text=part),
                    "reply",
                    {"openid": openid, "lang": lang},
                    inbox_id=inbox_id,
                )
                for part in parts
            ]
        )
        pipeline.wake()

    # --- helpers ----------------------------------------------------------------------------
    def _require_pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("the WeChat adapter is not started (no pipeline)")
        return self._pipeline

    def _require_options(self) -> OptionsMemory:
        if self._options is None:
            raise RuntimeError("the WeChat adapter is not started (no options memory)")
        return self._options

"""Web chat channel: ``POST /api/chat`` JSON <-> internal messages, the chat page at ``/``, and
a server-sent-events push channel (``GET /api/chat/events``) for messages that come later
(an answer delayed by a Rasa outage, staff replies, ticket updates). The embeddable widget
(``GET /widget.js``, :mod:`adapters.web.widget`), the conversation's history
(``GET /api/chat/history``, :mod:`adapters.web.history`) and photos (``POST /api/chat/photo``,
:mod:`adapters.web.photo`) are served here too, with CORS for the shop's pages
(:mod:`adapters.web.cors`).

Nobody is believed on their word: every request carries its sender id's ``identity_hash``
(HMAC-SHA256 with ``WEB_IDENTITY_SECRET``, :mod:`bot.services.web_identity`), signed by the
shop's backend for its logged-in customers or issued with a random guest id by
``POST /api/chat/guest``. ``GET /api/chat/demo-identities`` signs the demo customers' ids for
the page's picker when ``web.demo_picker`` is on. Messages are rate limited per sender and per
client address, push streams are capped per sender and in total (:mod:`adapters.web.limits`).

On PostgreSQL, gateway replicas act as one: a message sent by any replica wakes the streams of
its conversation on every replica (LISTEN/NOTIFY on :data:`~bot.core.shared.OUTBOX_CHANNEL`),
and the rate limits count in the database (``web.shared_limits``).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Config, ConfigError
from bot.core.channels import ChannelServices
from bot.core.http import (
    RequestError,
    error_response,
    json_response,
    optional_string,
    read_json_object,
    write_now,
)
from bot.core.media import MediaStore
from bot.core.message import EXTERNAL_ID_RE, IncomingMessage
from bot.core.outbox import OutboxItem
from bot.core.pipeline import Pipeline
from bot.core.shared import OUTBOX_CHANNEL, PgListener, is_shared, notify
from bot.i18n import t, web_labels
from bot.services.web_identity import MIN_SECRET_LENGTH, new_guest_id, sign, verify

from .cors import Cors
from .history import history_page, parse_cursor, parse_limit
from .limits import SharedBuckets, TokenBuckets, retry_after_header
from .photo import read_photo_form, store_photo
from .push import PushHub
from .widget import HEADERS as WIDGET_HEADERS
from .widget import build_widget

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAYLOAD_RE = re.compile(r"/[^\s/][^\r\n]*")
SENDER_HINT = "1-128 letters, digits or ._:@- characters"
MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
AFTER_RE = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "²"
# The demo customers of the README's table: the only ids the demo picker signs.
DEMO_SENDERS = ("demo-liwei", "demo-emma")
STREAM_RETRY_S = 10  # Retry-After when the push stream cap is reached
KEEPALIVE_S = 15.0  # an SSE comment this often keeps proxies from closing an idle stream
# The page may be embedded in a shop's iframe, so no frame-ancestors restriction.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store"}
IDENTITY_HINT = (
    "hex HMAC-SHA256 of sender_id keyed with WEB_IDENTITY_SECRET, from the shop's backend "
    "or POST /api/chat/guest"
)


def parse_message_id(body: dict[str, Any]) -> str | None:
    """The optional client-chosen ``message_id``: a retried request with the same id is
    answered from the first one instead of being processed twice."""
    return optional_string(
        body,
        "message_id",
        max_length=100,
        pattern=MESSAGE_ID_RE,
        expected="1-100 letters, digits or ._:- characters",
    )


def parse_chat_request(body: dict[str, Any], *, max_text_length: int) -> IncomingMessage:
    """Validate a ``/api/chat`` body; a :class:`RequestError` names the field that is wrong."""
    sender_id = optional_string(
        body, "sender_id", max_length=128, pattern=EXTERNAL_ID_RE, expected=SENDER_HINT
    )
    if sender_id is None:
        raise RequestError(400, f"`sender_id` is required: a string of {SENDER_HINT}", "sender_id")
    text = optional_string(body, "text", max_length=max_text_length)
    payload = optional_string(
        body,
        "payload",
        max_length=max_text_length,
        pattern=PAYLOAD_RE,
        expected="a button payload starting with '/', e.g. /greet",
    )
    if text is not None and payload is not None:
        raise RequestError(400, "send either `text` or a button `payload`, not both", "payload")
    if text is None and payload is None:
        raise RequestError(400, "`text` is required (or `payload` for a button)", "text")
    if text is not None:
        text = text.strip()
        if not text:
            raise RequestError(400, "`text` must contain more than whitespace", "text")
        if "\x00" in text:
            raise RequestError(400, "`text` must not contain NUL characters", "text")
    return IncomingMessage(channel="web", external_id=sender_id, text=text, payload=payload)


def required_sender(value: str | None) -> str:
    """A form's or query's ``sender_id``, or a 400 naming it."""
    if value is None or not EXTERNAL_ID_RE.fullmatch(value):
        raise RequestError(400, f"`sender_id` is required: a string of {SENDER_HINT}", "sender_id")
    return value


def render_index(cfg: Config) -> bytes:
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    values = {
        "{{shop_name}}": cfg.shop.name,
        "{{shop_name_zh}}": cfg.shop.name_zh,
        "{{max_text_length}}": str(cfg.gateway.max_text_length),
        "{{labels}}": json.dumps(web_labels(), ensure_ascii=False, separators=(",", ":")),
        "{{noscript_zh}}": t("web.noscript", "zh"),
        "{{noscript_en}}": t("web.noscript", "en"),
        "{{demo_picker}}": "true" if cfg.web.demo_picker else "false",
        "{{max_photo_bytes}}": str(cfg.channels.max_media_bytes),
    }
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value, quote=True))
    return page.encode("utf-8")


def identity_secret(cfg: Config) -> str:
    """``WEB_IDENTITY_SECRET``; without it a random one for this process (guests and the demo
    picker work until a restart, ids signed by the shop's backend are refused)."""
    secret = cfg.secrets.web_identity_secret
    if secret is None:
        logger.warning(
            "WEB_IDENTITY_SECRET is not set: the web chat signs identities with a random key "
            "for this process only (`make run` writes one to .env); identities signed by the "
            "shop's backend will be refused and guests start over after a restart"
        )
        return secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"WEB_IDENTITY_SECRET must be at least {MIN_SECRET_LENGTH} characters long "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return secret


def single_query_value(request: web.Request, name: str) -> str | None:
    """The query parameter ``name`` given at most once; a repeated one is a 400."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise RequestError(400, f"`{name}` is given {len(values)} times; give it once", name)
    return values[0] if values else None


def rate_limited(error: str, wait_s: float) -> web.Response:
    retry = retry_after_header(wait_s)
    response = error_response(429, error, retry_after_s=int(retry))
    response.headers["Retry-After"] = retry
    return response


Buckets = TokenBuckets | SharedBuckets


async def take(buckets: Buckets, key: str) -> float:
    """Spend a token of ``key``'s bucket: 0.0, or the seconds to wait (429). When the shared
    buckets cannot be reached the request is let through (and logged): a limit is not worth
    an outage of the chat."""
    if isinstance(buckets, SharedBuckets):
        try:
            return await buckets.take(key)
        except (OSError, SQLAlchemyError) as exc:
            logger.warning("rate limit %s not checked: the database failed (%s)", buckets.name, exc)
            return 0.0
    return buckets.take(key)


class WebAdapter:
    channel = "web"

    def __init__(self, cfg: Config, *, poll_s: float = 2.0) -> None:
        self.max_text_length = cfg.gateway.max_text_length
        self.index_html = render_index(cfg)
        self.widget_js = build_widget(cfg, max_photo_bytes=cfg.channels.max_media_bytes)
        self.secret = identity_secret(cfg)
        self.limits = cfg.web
        self.cors = Cors(cfg.web.allowed_origins)
        if cfg.web.shared_limits not in ("auto", "on", "off"):
            raise ConfigError(
                f"web.shared_limits must be auto, on or off, got {cfg.web.shared_limits!r}"
            )
        self.sender_buckets: Buckets = TokenBuckets(cfg.web.messages_per_minute_per_sender)
        self.ip_buckets: Buckets = TokenBuckets(cfg.web.messages_per_minute_per_ip)
        self.guest_buckets: Buckets = TokenBuckets(cfg.web.guests_per_minute_per_ip)
        self.hub = PushHub()
        self.poll_s = poll_s  # streams also look for new rows this often (a missed wake-up)
        self.closing = False
        self._pipeline: Pipeline | None = None  # given when the gateway starts
        self._media: MediaStore | None = None  # customers' photos, given when it starts
        self.listener: PgListener | None = None  # on PostgreSQL: wake-ups from other replicas

    @property
    def sender(self) -> WebAdapter:
        """The ``web`` Sender is the adapter itself: sending wakes the page's event stream."""
        return self

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_post("/api/chat/guest", self.guest)
        app.router.add_get("/api/chat/demo-identities", self.demo_identities)
        app.router.add_get("/api/chat/events", self.events)
        app.router.add_get("/api/chat/history", self.history)
        app.router.add_post("/api/chat/photo", self.photo)
        app.router.add_get("/widget.js", self.widget)
        app.router.add_static("/static/", STATIC_DIR, append_version=False)
        public = ("/api/chat", "/api/chat/guest", "/api/chat/photo", "/api/chat/history")
        self.cors.setup(app, [*public, "/api/chat/events"])
        app.on_shutdown.append(self._end_streams)

    @asynccontextmanager
    async def running(self, services: ChannelServices) -> AsyncIterator[None]:
        pipeline = services.pipeline
        self._pipeline = pipeline
        self._media = services.media
        shared = is_shared(pipeline.engine)
        mode = self.limits.shared_limits
        if mode == "on" and not shared:
            raise ConfigError(
                "web.shared_limits is on but the database is not PostgreSQL; use a "
                "postgresql+asyncpg:// SHOP_DATABASE_URL or set it to auto"
            )
        if shared and mode != "off":
            limits, engine = self.limits, pipeline.engine
            self.sender_buckets = SharedBuckets(
                engine, "web-sender", limits.messages_per_minute_per_sender
            )
            self.ip_buckets = SharedBuckets(engine, "web-ip", limits.messages_per_minute_per_ip)
            self.guest_buckets = SharedBuckets(engine, "web-guest", limits.guests_per_minute_per_ip)
        pipeline.on_sent(self._sent)
        if shared:
            self.listener = PgListener(
                pipeline.engine,
                OUTBOX_CHANNEL,
                self._notified,
                on_reconnect=self.hub.publish_all,  # re-read what was missed meanwhile
            )
            self.listener.start()
        try:
            yield
        finally:
            if self.listener is not None:
                await self.listener.close()
                self.listener = None

    def _notified(self, conversation_id: str) -> None:
        if conversation_id.startswith("web:"):
            self.hub.publish(conversation_id)

    async def _sent(self, item: OutboxItem) -> None:
        """After a web message is recorded as sent: wake the streams of its conversation here
        and, through NOTIFY, on the other replicas (a failed NOTIFY leaves them to polling)."""
        if item.channel != self.channel:
            return
        self.hub.publish(item.conversation_id)
        engine = self.pipeline().engine
        if is_shared(engine):
            try:
                await notify(engine, OUTBOX_CHANNEL, item.conversation_id)
            except (OSError, SQLAlchemyError) as exc:
                logger.warning("NOTIFY %s failed (%s); other replicas poll", OUTBOX_CHANNEL, exc)

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("the web chat is not running (no pipeline)")
        return self._pipeline

    def media(self) -> MediaStore:
        if self._media is None:
            raise RuntimeError("the web chat is not running (no media store)")
        return self._media

    async def _end_streams(self, app: web.Application) -> None:
        """Open streams would hold up a graceful shutdown; browsers reconnect by themselves."""
        self.closing = True
        self.hub.publish_all()

    async def send(self, item: OutboxItem) -> None:
        """The page fetches messages from the outbox; sending only wakes its stream."""
        self.hub.publish(item.conversation_id)

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.index_html, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
        )

    async def widget(self, request: web.Request) -> web.Response:
        """``GET /widget.js``: the chat widget a shop embeds with one script tag."""
        return web.Response(
            body=self.widget_js,
            content_type="application/javascript",
            charset="utf-8",
            headers=WIDGET_HEADERS,
        )

    def client_ip(self, request: web.Request) -> str:
        """The client's address: the TCP peer, or behind a reverse proxy the last address in
        ``web.client_ip_header`` (the one the nearest proxy wrote)."""
        header = self.limits.client_ip_header
        if header:
            value = request.headers.get(header, "").rsplit(",", 1)[-1].strip()
            if value:
                return value[:64]
        return request.remote or "unknown"

    def check_identity(self, sender_id: str, identity_hash: str | None) -> None:
        """A :class:`RequestError` 401 unless ``identity_hash`` signs ``sender_id``."""
        if identity_hash is None:
            raise RequestError(
                401,
                f"`identity_hash` is required with `sender_id`: the {IDENTITY_HINT}",
                "identity_hash",
            )
        if not verify(self.secret, sender_id, identity_hash):
            raise RequestError(
                401,
                f"`identity_hash` does not match `sender_id`; expected the {IDENTITY_HINT}",
                "identity_hash",
            )

    async def _ip_limited(self, request: web.Request) -> web.Response | None:
        """A 429 when this client address has sent too many messages, else None."""
        wait = await take(self.ip_buckets, self.client_ip(request))
        if not wait:
            return None
        return rate_limited(
            f"too many messages from this address (web.messages_per_minute_per_ip = "
            f"{self.limits.messages_per_minute_per_ip}); retry after the Retry-After seconds",
            wait,
        )

    async def _sender_limited(self, sender_id: str) -> web.Response | None:
        wait = await take(self.sender_buckets, sender_id)
        if not wait:
            return None
        return rate_limited(
            f"too many messages from this sender (web.messages_per_minute_per_sender = "
            f"{self.limits.messages_per_minute_per_sender}); retry after the Retry-After seconds",
            wait,
        )

    async def chat(self, request: web.Request) -> web.Response:
        if limited := await self._ip_limited(request):
            return limited
        body = await read_json_object(request)
        message = parse_chat_request(body, max_text_length=self.max_text_length)
        message_id = parse_message_id(body)
        self.check_identity(
            message.external_id, optional_string(body, "identity_hash", max_length=128)
        )
        if limited := await self._sender_limited(message.external_id):
            return limited
        return await self._answer(request, message, message_id)

    async def photo(self, request: web.Request) -> web.Response:
        """``POST /api/chat/photo`` (multipart: ``sender_id``, ``identity_hash``, ``file``,
        optional ``message_id``): the photo is kept in the media store and goes through the
        pipeline as the customer's message, answered like ``POST /api/chat``."""
        if limited := await self._ip_limited(request):
            return limited
        media = self.media()
        form = await read_photo_form(request, max_bytes=media.max_bytes)
        sender_id = required_sender(form.fields.get("sender_id"))
        message_id = parse_message_id(form.fields)
        self.check_identity(sender_id, form.fields.get("identity_hash"))
        if limited := await self._sender_limited(sender_id):
            return limited
        attachment = await store_photo(media, form.data)
        message = IncomingMessage(channel="web", external_id=sender_id, attachments=(attachment,))
        return await self._answer(request, message, message_id)

    async def history(self, request: web.Request) -> web.Response:
        """``GET /api/chat/history?sender_id=&identity_hash=&before=&limit=``: the verified
        sender's conversation, a page at a time (:mod:`adapters.web.history`)."""
        sender_id = required_sender(single_query_value(request, "sender_id"))
        before = parse_cursor(single_query_value(request, "before"))
        limit = parse_limit(single_query_value(request, "limit"))
        self.check_identity(sender_id, single_query_value(request, "identity_hash"))
        page = await history_page(
            self.pipeline().engine, f"web:{sender_id}", before=before, limit=limit
        )
        response = json_response(page)
        response.headers.update(NO_STORE)
        return response

    async def _answer(
        self, request: web.Request, message: IncomingMessage, message_id: str | None
    ) -> web.Response:
        """Submit a verified message and answer with the replies (503 with the error and
        whatever replies there are when the assistant is unavailable)."""
        pipeline = self.pipeline()
        reply = await pipeline.submit(
            message, dedupe_key=message_id, wait_s=pipeline.lease_s, hold_inline=True
        )
        data: dict[str, Any] = {"messages": [m.to_json() for m in reply.messages]}
        if reply.error is not None:
            response = json_response({"error": reply.error, **data}, status=503)
        else:
            response = json_response(data)
        # The answer counts as delivered once written; if the page went away it goes to the
        # push stream (and a retry with the same message_id gets what is still undelivered).
        failure = await write_now(request, response)
        if failure is None:
            await pipeline.inline_written(reply)
        else:
            await pipeline.inline_lost(reply, failure)
        return response

    async def guest(self, request: web.Request) -> web.Response:
        """``POST /api/chat/guest``: a new random guest sender id and its ``identity_hash``.
        Guests can ask anything; their id never belongs to a customer."""
        wait = await take(self.guest_buckets, self.client_ip(request))
        if wait:
            return rate_limited(
                f"too many new guests from this address (web.guests_per_minute_per_ip = "
                f"{self.limits.guests_per_minute_per_ip}); keep the identity you were given",
                wait,
            )
        sender_id = new_guest_id()
        response = json_response(
            {"sender_id": sender_id, "identity_hash": sign(self.secret, sender_id)}
        )
        response.headers.update(NO_STORE)
        return response

    async def demo_identities(self, request: web.Request) -> web.Response:
        """``GET /api/chat/demo-identities``: the demo customers' signed ids for the page's
        picker; 404 unless ``web.demo_picker`` is on."""
        if not self.limits.demo_picker:
            return error_response(
                404, "the demo customer picker is off (web.demo_picker in config.yml)"
            )
        identities = [
            {
                "sender_id": sender_id,
                "identity_hash": sign(self.secret, sender_id),
                "name": t(f"web.customer.{sender_id}", "en"),
                "name_zh": t(f"web.customer.{sender_id}", "zh"),
            }
            for sender_id in DEMO_SENDERS
        ]
        response = json_response({"identities": identities})
        response.headers.update(NO_STORE)
        return response

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/chat/events?sender_id=...&identity_hash=...``: server-sent events, one
        per bot message sent after the reply to a request (``id`` = outbox id; a reconnect with
        ``Last-Event-ID`` or ``?after=`` resumes after it)."""
        sender_id = single_query_value(request, "sender_id")
        if sender_id is None or not EXTERNAL_ID_RE.fullmatch(sender_id):
            return error_response(
                400, f"`sender_id` is required: a string of {SENDER_HINT}", "sender_id"
            )
        identity_hash = single_query_value(request, "identity_hash")
        header_after = request.headers.get("Last-Event-ID")
        raw_after, after_field = (
            (header_after, "Last-Event-ID")
            if header_after
            else (single_query_value(request, "after"), "after")
        )
        after: int | None = None
        if raw_after is not None:
            if not AFTER_RE.fullmatch(raw_after):
                return error_response(
                    400,
                    f"`{after_field}` must be a message id (1-18 digits 0-9), got {raw_after!r}",
                    after_field,
                )
            after = int(raw_after)
        self.check_identity(sender_id, identity_hash)
        conversation_id = f"web:{sender_id}"
        per_sender, total = self.limits.streams_per_sender, self.limits.streams_total
        if per_sender and self.hub.count(conversation_id) >= per_sender:
            return rate_limited(
                f"this sender already has {per_sender} open push streams "
                "(web.streams_per_sender); close one first",
                STREAM_RETRY_S,
            )
        if total and len(self.hub) >= total:
            return rate_limited(
                f"the gateway serves its maximum of {total} push streams (web.streams_total)",
                STREAM_RETRY_S,
            )
        # Subscribed before the first await, so concurrent requests cannot pass the caps.
        wake = self.hub.subscribe(conversation_id)
        try:
            return await self._stream(request, conversation_id, after, wake)
        finally:
            self.hub.unsubscribe(conversation_id, wake)

    async def _stream(
        self,
        request: web.Request,
        conversation_id: str,
        after: int | None,
        wake: asyncio.Event,
    ) -> web.StreamResponse:
        pipeline = self.pipeline()
        if after is None:
            after = await pipeline.outbox.last_id(conversation_id)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        try:
            await response.write(b": connected\n\n")
            idle = 0.0
            while not self.closing:
                for item in await pipeline.outbox.history(conversation_id, after_id=after):
                    sender = "staff" if item.kind == "staff" else "bot"
                    data = json.dumps(
                        {**item.message.to_json(), "from": sender}, ensure_ascii=False
                    )
                    await response.write(f"id: {item.id}\ndata: {data}\n\n".encode())
                    after = item.id
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll_s)
                    idle = -self.poll_s
                wake.clear()
                if request.transport is None or request.transport.is_closing():
                    break  # the page went away: free its place under the stream caps
                idle += self.poll_s
                if idle >= KEEPALIVE_S:
                    await response.write(b": keep-alive\n\n")
                    idle = 0.0
        except ConnectionResetError:
            pass  # the page went away
        return response

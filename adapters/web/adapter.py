"""Web chat channel: ``POST /api/chat`` JSON <-> internal messages, the chat page at ``/``, and
a server-sent-events push channel (``GET /api/chat/events``) for messages that come later
(an answer delayed by a Rasa outage, staff replies, ticket updates)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Config
from bot.core.channels import ChannelServices
from bot.core.http import (
    RequestError,
    error_response,
    json_response,
    optional_string,
    read_json_object,
    write_now,
)
from bot.core.message import EXTERNAL_ID_RE, IncomingMessage
from bot.core.outbox import OutboxItem
from bot.core.pipeline import Pipeline
from bot.i18n import t, web_labels

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAYLOAD_RE = re.compile(r"/[^\s/][^\r\n]*")
SENDER_HINT = "1-128 letters, digits or ._:@- characters"
MESSAGE_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
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


def render_index(cfg: Config) -> bytes:
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    values = {
        "{{shop_name}}": cfg.shop.name,
        "{{shop_name_zh}}": cfg.shop.name_zh,
        "{{max_text_length}}": str(cfg.gateway.max_text_length),
        "{{labels}}": json.dumps(web_labels(), ensure_ascii=False, separators=(",", ":")),
        "{{noscript_zh}}": t("web.noscript", "zh"),
        "{{noscript_en}}": t("web.noscript", "en"),
    }
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value, quote=True))
    return page.encode("utf-8")


class PushHub:
    """Wakes the open event streams of a conversation when a message for it was sent.

    The streams read the messages from the outbox, so a page served by another gateway
    replica, or one that reconnects, still gets everything after its last event id.
    """

    def __init__(self) -> None:
        self._events: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, conversation_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._events[conversation_id].add(event)
        return event

    def unsubscribe(self, conversation_id: str, event: asyncio.Event) -> None:
        events = self._events.get(conversation_id)
        if events is not None:
            events.discard(event)
            if not events:
                del self._events[conversation_id]

    def publish(self, conversation_id: str) -> None:
        for event in self._events.get(conversation_id, ()):
            event.set()

    def publish_all(self) -> None:
        for events in self._events.values():
            for event in events:
                event.set()

    def __len__(self) -> int:
        return sum(len(v) for v in self._events.values())


class WebAdapter:
    channel = "web"

    def __init__(self, cfg: Config, *, poll_s: float = 2.0) -> None:
        self.max_text_length = cfg.gateway.max_text_length
        self.index_html = render_index(cfg)
        self.hub = PushHub()
        self.poll_s = poll_s  # streams also look for new rows this often (other replicas)
        self.closing = False
        self._pipeline: Pipeline | None = None  # given when the gateway starts

    @property
    def sender(self) -> WebAdapter:
        """The ``web`` Sender is the adapter itself: sending wakes the page's event stream."""
        return self

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_get("/api/chat/events", self.events)
        app.router.add_static("/static/", STATIC_DIR, append_version=False)
        app.on_shutdown.append(self._end_streams)

    @asynccontextmanager
    async def running(self, services: ChannelServices) -> AsyncIterator[None]:
        self._pipeline = services.pipeline
        yield

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("the web chat is not running (no pipeline)")
        return self._pipeline

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

    async def chat(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        message = parse_chat_request(body, max_text_length=self.max_text_length)
        message_id = parse_message_id(body)
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

    async def events(self, request: web.Request) -> web.StreamResponse:
        """``GET /api/chat/events?sender_id=...``: server-sent events, one per bot message
        sent after the reply to a request (``id`` = outbox id; a reconnect with
        ``Last-Event-ID`` or ``?after=`` resumes after it)."""
        sender_id = request.query.get("sender_id", "")
        if not EXTERNAL_ID_RE.fullmatch(sender_id):
            return error_response(
                400, f"`sender_id` is required: a string of {SENDER_HINT}", "sender_id"
            )
        raw_after = request.headers.get("Last-Event-ID") or request.query.get("after")
        pipeline = self.pipeline()
        conversation_id = f"web:{sender_id}"
        if raw_after is None:
            after = await pipeline.outbox.last_id(conversation_id)
        elif raw_after.isdigit() and len(raw_after) < 19:
            after = int(raw_after)
        else:
            return error_response(
                400, f"`after` must be a message id (digits), got {raw_after!r}", "after"
            )
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        wake = self.hub.subscribe(conversation_id)
        try:
            await response.write(b": connected\n\n")
            idle = 0.0
            while not self.closing:
                for item in await pipeline.outbox.history(conversation_id, after_id=after):
                    data = json.dumps(item.message.to_json(), ensure_ascii=False)
                    await response.write(f"id: {item.id}\ndata: {data}\n\n".encode())
                    after = item.id
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll_s)
                    idle = -self.poll_s
                wake.clear()
                idle += self.poll_s
                if idle >= KEEPALIVE_S:
                    await response.write(b": keep-alive\n\n")
                    idle = 0.0
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.hub.unsubscribe(conversation_id, wake)
        return response

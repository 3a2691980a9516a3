"""Web chat channel: ``POST /api/chat`` JSON <-> internal messages, and the chat page at ``/``."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Config
from bot.core.message import EXTERNAL_ID_RE, IncomingMessage
from bot.gateway.context import DISPATCHER_KEY
from bot.gateway.http import RequestError, json_response, optional_string, read_json_object

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAYLOAD_RE = re.compile(r"/[^\s/][^\r\n]*")
SENDER_HINT = "1-128 letters, digits or ._:@- characters"
# The page may be embedded in a shop's iframe, so no frame-ancestors restriction.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


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
    }
    for placeholder, value in values.items():
        page = page.replace(placeholder, html.escape(value, quote=True))
    return page.encode("utf-8")


class WebAdapter:
    channel = "web"

    def __init__(self, cfg: Config) -> None:
        self.max_text_length = cfg.gateway.max_text_length
        self.index_html = render_index(cfg)

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/", self.index)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_static("/static/", STATIC_DIR, append_version=False)

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(
            body=self.index_html, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
        )

    async def chat(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        message = parse_chat_request(body, max_text_length=self.max_text_length)
        reply = await request.app[DISPATCHER_KEY].handle(message)
        data: dict[str, Any] = {"messages": [m.to_json() for m in reply.messages]}
        if reply.error is not None:
            return json_response({"error": reply.error, **data}, status=503)
        return json_response(data)

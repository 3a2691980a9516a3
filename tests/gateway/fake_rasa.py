"""A stand-in for the Rasa server's REST channel and the action server, on loopback.

It records every webhook request, answers with a scripted reply, and can be slowed down, made
to fail or stopped, so the gateway's handling of each case is tested over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

Reply = Callable[[dict[str, Any]], Any]

ORDER_BUTTON = {"title": "260315004217", "payload": '/inform{"order_id":"260315004217"}'}
PRODUCT_CARDS = {
    "type": "product_cards",
    "products": [
        {
            "id": "P0001",
            "name": "SoundPods Pro wireless earbuds",
            "price": 399.0,
            "currency": "CNY",
            "image": "/products/P0001.svg",
            "rating": 4.7,
            "stock": 35,
            "payload": '/product_inquiry{"product":"P0001"}',
        }
    ],
}


def scripted_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer like a small bot: payloads are confirmed, texts get a question with buttons."""
    message = str(body.get("message", ""))
    sender = str(body.get("sender", ""))
    lang = body.get("metadata", {}).get("language", "en")
    if message.startswith("/"):
        text = f"已收到：{message}" if lang == "zh" else f"You picked {message}"
        return [{"recipient_id": sender, "text": text}]
    if "card" in message or "推荐" in message:
        return [
            {"recipient_id": sender, "text": "Here you go" if lang == "en" else "为您推荐"},
            {"recipient_id": sender, "custom": PRODUCT_CARDS},
        ]
    text = f"Which order? ({message})" if lang == "en" else f"请问是哪个订单？（{message}）"
    return [
        {"recipient_id": sender, "text": text, "buttons": [ORDER_BUTTON]},
        {"recipient_id": sender, "image": "/products/P0001.svg"},
    ]


@dataclass
class FakeRasa:
    """Rasa's ``GET /`` and ``POST /webhooks/rest/webhook``, recording the requests."""

    reply: Reply = scripted_reply
    delay_s: float = 0.0
    status: int = 200
    raw_body: bytes | None = None  # answer these bytes instead of the reply's JSON
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight_per_sender: int = 0
    max_in_flight: int = 0
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._hello)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        return app

    async def start(self) -> str:
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self.url

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("FakeRasa is not started")
        return str(self.server.make_url("")).rstrip("/")

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text="Hello from Rasa: 3.6.21")

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        sender = body.get("sender", "")
        self.in_flight[sender] = self.in_flight.get(sender, 0) + 1
        self.max_in_flight_per_sender = max(self.max_in_flight_per_sender, self.in_flight[sender])
        self.max_in_flight = max(self.max_in_flight, sum(self.in_flight.values()))
        self.requests.append(dict(body, received_at=time.monotonic()))
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.raw_body is not None:
                return web.Response(body=self.raw_body, status=self.status)
            return web.Response(
                text=json.dumps(self.reply(body), ensure_ascii=False),
                status=self.status,
                content_type="application/json",
            )
        finally:
            self.in_flight[sender] -= 1

    def messages(self) -> list[str]:
        return [str(r["message"]) for r in self.requests]


@dataclass
class FakeActionServer:
    """The rasa-sdk action server's ``GET /health``."""

    server: TestServer | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/health", self._health)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

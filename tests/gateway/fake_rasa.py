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


# Texts the scripted bot reads as intent request_human (answered with a handoff request).
HUMAN_REQUESTS = ("request_human", "real person", "人工客服", "转人工")
HANDOFF_REQUEST = {"type": "handoff", "reason": "customer_request"}


def scripted_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer like a small bot: payloads are confirmed, texts get a question with buttons;
    asking for a person gets the handoff request action_request_human sends."""
    message = str(body.get("message", ""))
    sender = str(body.get("sender", ""))
    lang = body.get("metadata", {}).get("language", "en")
    if any(words in message for words in HUMAN_REQUESTS):
        return [{"recipient_id": sender, "custom": dict(HANDOFF_REQUEST)}]
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
    # While set to an unset event, every webhook call waits for it (Rasa "still thinking").
    hold: asyncio.Event | None = None
    status: int = 200
    raw_body: bytes | None = None  # answer these bytes instead of the reply's JSON
    requests: list[dict[str, Any]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight_per_sender: int = 0
    max_in_flight: int = 0
    server: TestServer | None = None
    # The intent the tracker shows for a message text (its user event's parse_data).
    intents: dict[str, str] = field(default_factory=dict)
    # Per sender, the events Rasa's tracker would hold (user events keep their metadata).
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Senders whose conversation is paused (Rasa logs their messages but does not answer).
    paused: set[str] = field(default_factory=set)
    appended: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # tracker events
    parsed: list[str] = field(default_factory=list)  # texts of POST /model/parse
    # Answer with the project's channel's X-Shop-Intent header (for texts in ``intents``).
    intent_header: bool = False
    tracker_reads: int = 0  # GET .../tracker calls

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._hello)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", self._append_event)
        app.router.add_post("/model/parse", self._parse)
        return app

    async def _parse(self, request: web.Request) -> web.Response:
        """Rasa's ``POST /model/parse``: every text reads as greet (the admin NLU preview)."""
        if self.status >= 500:
            return web.Response(status=self.status)
        text = (await request.json())["text"]
        self.parsed.append(text)
        ranking = [("greet", 0.9), ("goodbye", 0.06), ("affirm", 0.03), ("deny", 0.01)]
        return web.json_response(
            {
                "text": text,
                "intent": {"name": "greet", "confidence": 0.9},
                "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
                "entities": [],
            }
        )

    async def _append_event(self, request: web.Request) -> web.Response:
        """Rasa's ``POST .../tracker/events``: pause and resume change what is answered."""
        if self.status >= 500:
            return web.Response(status=self.status)
        sender = request.match_info["sender"]
        event = await request.json()
        self.appended.append((sender, event))
        self.trackers.setdefault(sender, []).append(event)
        if event.get("event") == "pause":
            self.paused.add(sender)
        elif event.get("event") == "resume":
            self.paused.discard(sender)
        return web.json_response({"sender_id": sender, "paused": sender in self.paused})

    def events_for(self, sender: str) -> list[str]:
        """The names of the events appended to ``sender``'s tracker, in order."""
        return [str(e.get("event")) for s, e in self.appended if s == sender]

    async def _tracker(self, request: web.Request) -> web.Response:
        if self.status >= 500:
            return web.Response(status=self.status)
        sender = request.match_info["sender"]
        self.tracker_reads += 1
        return web.json_response({"sender_id": sender, "events": self.trackers.get(sender, [])})

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
            if self.hold is not None:
                await self.hold.wait()
            if self.raw_body is not None:
                return web.Response(body=self.raw_body, status=self.status)
            answer = self.reply(body)
            if sender in self.paused and body.get("message") != "/restart":
                answer = []  # a paused conversation logs the message and predicts nothing
            if self.status == 200:
                events = self.trackers.setdefault(sender, [])
                user: dict[str, Any] = {
                    "event": "user",
                    "text": body.get("message"),
                    "metadata": body.get("metadata"),
                }
                if body.get("message") in self.intents:
                    user["parse_data"] = {"intent": {"name": self.intents[body["message"]]}}
                events.append(user)
                for m in answer if isinstance(answer, list) else []:
                    data = {k: v for k, v in m.items() if k not in ("text", "recipient_id")}
                    events.append({"event": "bot", "text": m.get("text"), "data": data})
            intent = self.intents.get(body.get("message")) if self.intent_header else None
            return web.Response(
                text=json.dumps(answer, ensure_ascii=False),
                status=self.status,
                content_type="application/json",
                headers={"X-Shop-Intent": intent} if intent else None,
            )
        finally:
            self.in_flight[sender] -= 1

    def messages(self) -> list[str]:
        return [str(r["message"]) for r in self.requests]

    def handled(self) -> list[str]:
        """The messages Rasa processed (answered 200), as its tracker would show them."""
        return [
            str(e["text"])
            for events in self.trackers.values()
            for e in events
            if e["event"] == "user"
        ]


@dataclass
class FakeActionServer:
    """The rasa-sdk action server's ``GET /health``; ``up = False`` makes it answer 503."""

    server: TestServer | None = None
    up: bool = True
    checks: int = 0  # health checks answered

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
        self.checks += 1
        if not self.up:
            return web.json_response({"status": "down"}, status=503)
        return web.json_response({"status": "ok"})

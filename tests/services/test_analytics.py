"""Conversation analytics from Rasa's events: parsing a broker message, recording it once
(redeliveries counted once), the report and the admin route, on SQLite and, with
SHOP_TEST_POSTGRES_URL, on a scratch PostgreSQL database."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import analytics_routes
from bot.admin import routes as admin_routes
from bot.core.http import ENGINE_KEY, error_middleware
from bot.services.analytics import BadEvent, parse_event, record, report
from bot.services.analytics_consumer import handle
from bot.storage.analytics_schema import analytics_conversations, analytics_events
from bot.storage.db import create_engine, create_schema
from tests.postgres import schema_engine

TOKEN = "analytics-test-token-0123456789"
T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC).timestamp()


def rasa_event(kind: str, sender: str = "web:u1", offset: float = 0.0, **extra: Any) -> bytes:
    """A broker message as Rasa's PikaEventBroker publishes it."""
    return json.dumps(
        {"sender_id": sender, "event": kind, "timestamp": T0 + offset, **extra}
    ).encode()


def user(intent: str, confidence: float, offset: float, sender: str = "web:u1") -> bytes:
    parse = {"intent": {"name": intent, "confidence": confidence}, "entities": []}
    return rasa_event("user", sender, offset, text="hi", parse_data=parse, input_channel="rest")


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with schema_engine(request.param, str(tmp_path / "shop.db"), "shop_analytics") as db:
        yield db


def test_a_user_event_gives_its_intent_confidence_and_day() -> None:
    event = parse_event(user("greet", 0.93, 5))
    assert event is not None
    assert (event.kind, event.name, event.confidence, event.fallback) == (
        "user",
        "greet",
        0.93,
        False,
    )
    assert event.conversation_id == "web:u1" and event.day == "2026-12-05"
    assert parse_event(user("greet", 0.93, 5)) == event  # the same message: the same key
    fallback = parse_event(user("nlu_fallback", 0.2, 6))
    assert fallback is not None and fallback.fallback and fallback.event_key != event.event_key


def test_actions_bot_messages_and_pauses_count_and_others_do_not() -> None:
    action = parse_event(rasa_event("action", name="action_order_status", policy="RulePolicy"))
    assert action is not None and (action.kind, action.name, action.fallback) == (
        "action",
        "action_order_status",
        False,
    )
    fallback = parse_event(rasa_event("action", name="action_default_fallback"))
    assert fallback is not None and fallback.fallback
    bot = parse_event(rasa_event("bot", text="Hello"))
    assert bot is not None and bot.kind == "bot"
    pause = parse_event(rasa_event("pause"))
    assert pause is not None and pause.kind == "handoff"
    assert parse_event(rasa_event("action", name="action_listen")) is None
    assert parse_event(rasa_event("slot", name="order_id", value="1")) is None
    assert parse_event(rasa_event("session_started")) is None


@pytest.mark.parametrize(
    ("body", "word"),
    [
        (b"not json", "JSON"),
        (b"[1, 2]", "object"),
        (json.dumps({"event": "user", "timestamp": T0}).encode(), "sender_id"),
        (json.dumps({"sender_id": "a", "timestamp": T0}).encode(), "event"),
        (json.dumps({"sender_id": "a", "event": "user", "timestamp": "x"}).encode(), "timestamp"),
        (json.dumps({"sender_id": "a", "event": "user", "timestamp": 1e300}).encode(), "range"),
    ],
)
def test_a_message_that_is_not_a_rasa_event_is_refused(body: bytes, word: str) -> None:
    with pytest.raises(BadEvent, match=word):
        parse_event(body)


async def test_events_are_recorded_once_and_summed_per_conversation(engine: AsyncEngine) -> None:
    stream = [
        user("greet", 0.9, 0),
        rasa_event("action", offset=0.1, name="utter_greet"),
        rasa_event("bot", offset=0.2, text="Hello"),
        rasa_event("action", offset=0.3, name="action_listen"),
        user("nlu_fallback", 0.3, 10),
        rasa_event("action", offset=10.1, name="action_default_fallback"),
        rasa_event("pause", offset=11),
        user("order_status", 0.8, 0, sender="web:u2"),
        b"garbage",
    ]
    outcomes = [await handle(engine, body) for body in stream]
    assert outcomes == ["recorded"] * 3 + ["skipped"] + ["recorded"] * 4 + ["dropped"]
    # RabbitMQ redelivers what was not acknowledged: nothing is counted twice.
    assert [await handle(engine, body) for body in stream[:3]] == ["repeated"] * 3
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(analytics_events)) == 7
        row = (
            await conn.execute(
                select(analytics_conversations).where(
                    analytics_conversations.c.conversation_id == "web:u1"
                )
            )
        ).one()
    assert (row.turns, row.bot_messages, row.actions, row.fallbacks, row.handoffs) == (
        2,
        1,
        2,
        2,
        1,
    )
    day = date(2026, 12, 5)
    body = await report(engine, since=day, until=day)
    assert body["days"] == [
        {
            "day": "2026-12-05",
            "conversations": 2,
            "turns": 3,
            "bot_messages": 1,
            "actions": 2,
            "fallbacks": 2,
            "handoffs": 1,
        }
    ]
    assert body["intents"][0]["count"] == 1
    assert {i["intent"]: i["mean_confidence"] for i in body["intents"]} == {
        "greet": 0.9,
        "nlu_fallback": 0.3,
        "order_status": 0.8,
    }
    assert [c["conversation_id"] for c in body["conversations"]] == ["web:u1", "web:u2"]
    only = await report(engine, since=day, until=day, conversation_id="web:u2")
    assert only["days"][0]["turns"] == 1 and len(only["conversations"]) == 1
    assert (await report(engine, since=date(2026, 12, 6), until=date(2026, 12, 7)))["days"] == []


async def test_recording_one_event_twice_at_once_counts_it_once(engine: AsyncEngine) -> None:
    import asyncio

    event = parse_event(user("greet", 0.9, 0))
    assert event is not None
    results = await asyncio.gather(*(record(engine, event) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await create_schema(db)
    await handle(db, user("greet", 0.9, 0))
    app = web.Application(middlewares=[error_middleware])
    app[ENGINE_KEY] = db
    admin_routes.setup(app, admin_token=TOKEN)
    analytics_routes.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    await db.dispose()


async def test_the_admin_route_serves_the_report(client: TestClient[Any, Any]) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    resp = await client.get("/api/admin/analytics?from=2026-12-01&to=2026-12-05", headers=auth)
    assert resp.status == 200
    body = await resp.json()
    assert body["from"] == "2026-12-01" and body["days"][0]["turns"] == 1
    assert (await client.get("/api/admin/analytics")).status == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-12-05&to=2026-12-01", "from"),
        ("from=2020-01-01&to=2026-12-01", "from"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("conversation_id=%01", "conversation_id"),
        ("since=2026-12-01", "since"),
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it(
    client: TestClient[Any, Any], query: str, field: str
) -> None:
    resp = await client.get(
        f"/api/admin/analytics?{query}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert resp.status == 400
    body = await resp.json()
    assert body["field"] == field and body["error"]


RABBITMQ_URL = os.environ.get("SHOP_TEST_RABBITMQ_URL")


@pytest.mark.skipif(not RABBITMQ_URL, reason="set SHOP_TEST_RABBITMQ_URL to run the RabbitMQ check")
async def test_the_consumer_records_a_queue_once_and_acknowledges_it(tmp_path: Path) -> None:
    """Real RabbitMQ, a queue of its own: a redelivered event (published twice) is counted
    once, a message that is not an event is dropped, and everything is acknowledged."""
    import asyncio

    import aio_pika

    from bot.services.analytics_consumer import consume

    assert RABBITMQ_URL is not None
    queue_name = f"analytics_test_{uuid.uuid4().hex[:10]}"
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await create_schema(db)
    connection = await aio_pika.connect(RABBITMQ_URL)
    try:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)
        for body in (user("greet", 0.9, 0), user("greet", 0.9, 0), b"garbage", user("bye", 0.7, 1)):
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=queue_name)
        seen: list[str] = []
        stop = asyncio.Event()

        def on_message(outcome: str) -> None:
            seen.append(outcome)
            if len(seen) == 4:
                stop.set()

        await asyncio.wait_for(
            consume(db, RABBITMQ_URL, queue_name, stop=stop, on_message=on_message), 30
        )
        assert seen == ["recorded", "repeated", "dropped", "recorded"]
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        assert queue.declaration_result.message_count == 0
        async with db.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(analytics_events)) == 2
    finally:
        await channel.queue_delete(queue_name)
        await connection.close()
        await db.dispose()

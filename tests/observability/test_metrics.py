"""GET /metrics: the counters and histograms after real pipeline runs, the database gauges, the
model and build info, and the optional bearer token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_config
from bot.core.inbox import Inbox
from bot.core.message import IncomingMessage
from bot.core.outbox import DeliveryError, utcnow
from bot.gateway.__main__ import build_app
from bot.observability import metrics
from bot.observability.scrape import ScrapeGauges
from bot.storage.schema import handoffs, inbox
from tests.core.test_pipeline import RecordingSender, eventually, tg
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import Client, MakeClient, closed_url
from tests.observability.conftest import (
    MODEL_FILE,
    MODEL_ID,
    PipelineFactory,
    Samples,
    parse,
    scrape,
    value,
)

RASA = "shop_rasa_request_duration_seconds"


def delta(after: Samples, before: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def current() -> Samples:
    return parse(metrics.exposition(metrics.GATEWAY).decode())


async def counted(before: Samples, name: str, expected: float, **labels: str) -> None:
    """Wait until ``name`` grew by ``expected`` (a sender's call returns before the delivery
    that counts it has recorded the message as sent)."""

    async def reached() -> bool:
        return delta(current(), before, name, **labels) >= expected

    await eventually(reached)


async def test_a_message_through_the_pipeline_shows_in_the_metrics(
    make_pipeline: PipelineFactory, make_client: MakeClient
) -> None:
    client = await make_client()
    before = await scrape(client)
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    await pipeline.submit(tg("where is my parcel", user="metrics-1"))

    async def sent() -> bool:
        return len(sender.sent) == 2  # the scripted answer: a text and an image

    await eventually(sent)
    await counted(before, "shop_messages_sent_total", 2, channel="telegram")
    after = await scrape(client)
    assert delta(after, before, "shop_messages_received_total", channel="telegram") == 1
    assert delta(after, before, "shop_messages_sent_total", channel="telegram") == 2
    assert delta(after, before, f"{RASA}_count", outcome="ok") == 1
    assert delta(after, before, f"{RASA}_bucket", outcome="ok", le="+Inf") == 1
    assert delta(after, before, f"{RASA}_sum", outcome="ok") > 0
    # Nothing failed on the way.
    for outcome in ("timeout", "unavailable", "bad_response", "error"):
        assert delta(after, before, f"{RASA}_count", outcome=outcome) == 0
    assert delta(after, before, "shop_outbox_retries_total", channel="telegram") == 0
    # A repeated delivery of the same update is not a second message received.
    message = tg("again", user="metrics-1")
    await pipeline.submit(message, dedupe_key="update-7")
    await pipeline.submit(message, dedupe_key="update-7")

    async def four_sent() -> bool:
        return len(sender.sent) == 4

    await eventually(four_sent)
    await counted(after, "shop_messages_sent_total", 2, channel="telegram")
    again = await scrape(client)
    assert delta(again, after, "shop_messages_received_total", channel="telegram") == 1


async def test_web_chat_answers_in_the_response_count_as_sent(make_client: MakeClient) -> None:
    client = await make_client()
    before = await scrape(client)
    resp = await client.post("/api/chat", json={"sender_id": "demo-emma", "text": "hello"})
    assert resp.status == 200
    answered = len((await resp.json())["messages"])
    assert answered == 2
    await counted(before, "shop_messages_sent_total", answered, channel="web")
    after = await scrape(client)
    assert delta(after, before, "shop_messages_received_total", channel="web") == 1
    assert delta(after, before, "shop_messages_sent_total", channel="web") == answered
    assert delta(after, before, f"{RASA}_count", outcome="ok") == 1


async def test_rasa_failures_are_timed_by_outcome(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa
) -> None:
    before = parse(metrics.exposition(metrics.GATEWAY).decode())
    down = await make_pipeline(rasa_url=closed_url())
    await down.submit(tg("anyone?", user="metrics-down"), wait_s=2)
    fake_rasa.status = 404  # Rasa answers, but not its REST channel's list
    refused = await make_pipeline()
    await refused.submit(tg("hello", user="metrics-404"), wait_s=2)
    fake_rasa.status = 200
    fake_rasa.delay_s = 1.0
    slow = await make_pipeline(timeout_s=0.2)
    await slow.submit(tg("hello", user="metrics-slow"), wait_s=0.5)
    after = parse(metrics.exposition(metrics.GATEWAY).decode())
    assert delta(after, before, f"{RASA}_count", outcome="unavailable") >= 1
    assert delta(after, before, f"{RASA}_count", outcome="bad_response") >= 1
    assert delta(after, before, f"{RASA}_count", outcome="timeout") >= 1
    # A timeout is observed at about the client's timeout, not at the fake's delay.
    assert delta(after, before, f"{RASA}_bucket", outcome="timeout", le="0.5") >= 1


async def test_outbox_retries_and_dead_letters_per_channel(
    make_pipeline: PipelineFactory, make_client: MakeClient
) -> None:
    client = await make_client()
    before = await scrape(client)
    sender = RecordingSender("slack")
    sender.failures = [
        DeliveryError("HTTP 502"),
        DeliveryError("channel_not_found", permanent=True),
    ]
    pipeline = await make_pipeline(sender)
    slack = IncomingMessage(channel="slack", external_id="U123", text="hi")
    await pipeline.submit(slack)

    async def done() -> bool:
        return len(sender.sent) == 1  # the text retried then dead, the image sent

    await eventually(done)
    await counted(before, "shop_messages_sent_total", 1, channel="slack")
    after = await scrape(client)
    assert delta(after, before, "shop_outbox_retries_total", channel="slack") == 1
    assert delta(after, before, "shop_outbox_dead_letters_total", channel="slack") == 1
    assert delta(after, before, "shop_messages_sent_total", channel="slack") == 1
    assert delta(after, before, "shop_outbox_retries_total", channel="telegram") == 0


async def test_backlog_and_handoff_gauges_read_the_database(
    engine: AsyncEngine, make_client: MakeClient
) -> None:
    box = Inbox(engine)
    for n in range(3):
        await box.accept(tg(f"waiting {n}", user=f"backlog-{n}"))
    now = utcnow()
    async with engine.begin() as conn:
        await conn.execute(
            update(inbox)
            .where(inbox.c.external_id == "backlog-0")
            .values(received_at=now - timedelta(seconds=600))
        )
        await conn.execute(
            update(inbox).where(inbox.c.external_id == "backlog-2").values(status="done")
        )
        for n, status in enumerate(("waiting", "waiting", "active", "resolved")):
            await conn.execute(insert(handoffs).values(**_handoff(n, status, now)))
    client = await make_client()  # its pipeline is not started before the scrape below
    samples = await scrape(client)
    assert value(samples, "shop_inbox_pending") == 2
    assert 600 <= value(samples, "shop_inbox_oldest_pending_age_seconds") < 660
    assert value(samples, "shop_handoffs_waiting") == 2


def _handoff(n: int, status: str, now: Any) -> dict[str, Any]:
    return {
        "conversation_id": f"telegram:handoff-{n}",
        "channel": "telegram",
        "external_id": f"handoff-{n}",
        "language": "en",
        "reason": "customer_request",
        "status": status,
        "rasa_state": "paused",
        "created_at": now,
        "updated_at": now,
    }


async def test_the_gauges_are_cached_between_close_scrapes(engine: AsyncEngine) -> None:
    box = Inbox(engine)
    await box.accept(tg("one", user="cache-1"))
    cached = ScrapeGauges(cache_s=60)
    await cached.refresh(engine)
    assert metrics.INBOX_PENDING._value.get() == 1
    await box.accept(tg("two", user="cache-2"))
    await cached.refresh(engine)
    assert metrics.INBOX_PENDING._value.get() == 1  # read less than cache_s ago
    fresh = ScrapeGauges(cache_s=0)
    await fresh.refresh(engine)
    assert metrics.INBOX_PENDING._value.get() == 2
    await asyncio.sleep(0)
    async with engine.begin() as conn:
        await conn.execute(update(inbox).values(status="done"))
    await fresh.refresh(engine)
    assert metrics.INBOX_PENDING._value.get() == 0
    assert metrics.INBOX_OLDEST_AGE._value.get() == 0


async def test_model_and_build_info(make_client: MakeClient) -> None:
    samples = await scrape(await make_client())
    assert value(samples, "shop_model_info", model_id=MODEL_ID, model_file=MODEL_FILE) == 1
    build = [labels for (name, labels) in samples if name == "shop_gateway_build_info"]
    assert len(build) == 1
    labels = dict(build[0])
    assert labels["version"] == metrics.build_version() != ""
    assert labels["python"].startswith("3.")
    # The standard process metrics come along.
    assert value(samples, "process_cpu_seconds_total") > 0


TOKEN = "metrics-token-0123456789"


@pytest.fixture
async def token_client(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[Client]:
    """A gateway with METRICS_TOKEN set in its environment."""
    cfg = load_config(
        path=tmp_path / "no-config.yml",
        env={"METRICS_TOKEN": TOKEN},
        overrides={"rasa": {"url": fake_rasa.url}, "actions": {"url": actions_url}},
    )
    assert cfg.secrets.metrics_token == TOKEN
    async with TestClient(TestServer(build_app(cfg, engine=engine))) as client:
        yield client


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`"),
        ({"Authorization": "Bearer "}, "send the metrics token"),
        ({"Authorization": f"Basic {TOKEN}"}, "send the metrics token"),
        ({"Authorization": "Bearer wrong-token"}, "the metrics token is wrong"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "the metrics token is wrong"),
    ],
)
async def test_metrics_with_a_token_answer_401_without_it(
    token_client: Client, headers: dict[str, str], error: str
) -> None:
    resp = await token_client.get("/metrics", headers=headers)
    assert resp.status == 401
    body = await resp.json()
    assert body["field"] == "Authorization"
    assert error in body["error"]
    assert TOKEN not in await resp.text()


async def test_metrics_with_a_token_answer_with_it(token_client: Client) -> None:
    samples = await scrape(token_client, Authorization=f"Bearer {TOKEN}")
    assert ("shop_inbox_pending", ()) in samples

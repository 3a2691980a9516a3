"""The web chat's push channel (server-sent events) and repeated requests with a message_id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from bot.core.pipeline import HOLDING_TEXT
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import Client, MakeClient

FAST = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}


async def read_events(resp: aiohttp.ClientResponse, count: int) -> list[tuple[int, Any]]:
    """The first ``count`` events of an SSE stream as (id, data)."""
    events: list[tuple[int, Any]] = []
    event_id, data = None, None
    async with asyncio.timeout(10):
        while len(events) < count:
            line = (await resp.content.readline()).decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                assert event_id is not None
                events.append((event_id, data))
                event_id, data = None, None
    return events


async def test_a_repeated_request_is_answered_from_the_first(
    client: Client, fake_rasa: FakeRasa
) -> None:
    body = {"sender_id": "u1", "text": "where is my order", "message_id": "m-1"}
    first = await client.post("/api/chat", json=body)
    again = await client.post("/api/chat", json=body)
    assert first.status == again.status == 200
    assert (await first.json()) == (await again.json())
    assert fake_rasa.messages() == ["where is my order"]


@pytest.mark.parametrize("message_id", ["", "has space", "x" * 101, 5])
async def test_bad_message_id_is_400(client: Client, message_id: Any) -> None:
    resp = await client.post(
        "/api/chat", json={"sender_id": "u1", "text": "hi", "message_id": message_id}
    )
    assert resp.status == 400
    assert (await resp.json())["field"] == "message_id"


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "sender_id"), ("?sender_id=bad%20id", "sender_id"), ("?sender_id=u&after=x", "after")],
)
async def test_bad_stream_requests_are_400(client: Client, query: str, field: str) -> None:
    resp = await client.get("/api/chat/events" + query)
    assert resp.status == 400
    assert (await resp.json())["field"] == field


@pytest.mark.parametrize(("text", "lang"), [("我的订单到哪了", "zh"), ("where is my order", "en")])
async def test_an_answer_delayed_by_an_outage_arrives_on_the_stream(
    make_client: MakeClient, fake_rasa: FakeRasa, text: str, lang: str
) -> None:
    client = await make_client(delivery=FAST)
    stream = await client.get("/api/chat/events?sender_id=u2")
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    fake_rasa.status = 503
    resp = await client.post("/api/chat", json={"sender_id": "u2", "text": text})
    assert resp.status == 503
    assert (await resp.json())["messages"] == [{"text": HOLDING_TEXT[lang]}]  # type: ignore[index]
    fake_rasa.status = 200
    events = await read_events(stream, 2)
    assert events[0][1]["text"].endswith(f"{text}）" if lang == "zh" else f"({text})")
    assert events[1][1] == {"image": "/products/P0001.svg", "from": "bot"}
    assert fake_rasa.handled() == [text]  # processed once, after the outage
    stream.close()


async def test_a_reconnecting_page_resumes_after_its_last_event(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    client = await make_client(delivery=FAST)
    fake_rasa.status = 503
    await client.post("/api/chat", json={"sender_id": "u3", "text": "hello"})
    fake_rasa.status = 200
    first = await client.get("/api/chat/events?sender_id=u3&after=0")
    events = await read_events(first, 2)
    first.close()
    resumed = await client.get(
        "/api/chat/events?sender_id=u3", headers={"Last-Event-ID": str(events[0][0])}
    )
    again = await read_events(resumed, 1)
    assert again == [events[1]]
    resumed.close()

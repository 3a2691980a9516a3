"""POST /api/chat end to end over HTTP: validation, Rasa round trip, language, storage, outages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import pipeline as pipeline_module
from bot.core.pipeline import HOLDING_TEXT
from tests.gateway.fake_rasa import ORDER_BUTTON, PRODUCT_CARDS, FakeRasa
from tests.gateway.helpers import Client, MakeClient, closed_url, identity_hash, stored_messages
from tests.gateway.seed import EMMA, LIWEI

JSON_HEADERS = {"Content-Type": "application/json"}


async def post_raw(client: Client, data: Any, headers: dict[str, str] | None = None) -> Any:
    resp = await client.post(
        "/api/chat", data=data, headers=JSON_HEADERS if headers is None else headers
    )
    return resp.status, await resp.json()


# --- malformed requests: 400 naming the field, never a 500, nothing sent to Rasa -------------

LONG = "长" * 2001
MALFORMED_BODIES: list[tuple[str, Any, str]] = [
    ("empty object", {}, "sender_id"),
    ("sender missing", {"text": "hi"}, "sender_id"),
    ("sender null", {"sender_id": None, "text": "hi"}, "sender_id"),
    ("sender number", {"sender_id": 42, "text": "hi"}, "sender_id"),
    ("sender list", {"sender_id": ["a"], "text": "hi"}, "sender_id"),
    ("sender empty", {"sender_id": "", "text": "hi"}, "sender_id"),
    ("sender too long", {"sender_id": "a" * 129, "text": "hi"}, "sender_id"),
    ("sender with space", {"sender_id": "bad id", "text": "hi"}, "sender_id"),
    ("sender with slash", {"sender_id": "../etc", "text": "hi"}, "sender_id"),
    ("sender non-ascii", {"sender_id": "李伟", "text": "hi"}, "sender_id"),
    ("sender trailing newline", {"sender_id": "abc\n", "text": "hi"}, "sender_id"),
    ("neither text nor payload", {"sender_id": "u1"}, "text"),
    ("text null", {"sender_id": "u1", "text": None}, "text"),
    ("text empty", {"sender_id": "u1", "text": ""}, "text"),
    ("text whitespace", {"sender_id": "u1", "text": "  \n\t "}, "text"),
    ("text number", {"sender_id": "u1", "text": 12}, "text"),
    ("text object", {"sender_id": "u1", "text": {"a": 1}}, "text"),
    ("text bool", {"sender_id": "u1", "text": True}, "text"),
    ("text too long", {"sender_id": "u1", "text": LONG}, "text"),
    ("text with NUL", {"sender_id": "u1", "text": "a\x00b"}, "text"),
    ("both text and payload", {"sender_id": "u1", "text": "hi", "payload": "/greet"}, "payload"),
    ("payload without slash", {"sender_id": "u1", "payload": "greet"}, "payload"),
    ("payload empty", {"sender_id": "u1", "payload": ""}, "payload"),
    ("payload only slash", {"sender_id": "u1", "payload": "/"}, "payload"),
    ("payload with newline", {"sender_id": "u1", "payload": "/greet\n/bye"}, "payload"),
    ("payload number", {"sender_id": "u1", "payload": 3}, "payload"),
    ("text lone surrogate", {"sender_id": "u1", "text": "hi \ud800"}, "text"),
    ("payload lone surrogate", {"sender_id": "u1", "payload": "/greet\udfff"}, "payload"),
]


@pytest.mark.parametrize(
    ("body", "field"),
    [(b, f) for _, b, f in MALFORMED_BODIES],
    ids=[n for n, _, _ in MALFORMED_BODIES],
)
async def test_malformed_fields_get_400_naming_the_field(
    client: Client, fake_rasa: FakeRasa, body: Any, field: str
) -> None:
    status, data = await post_raw(client, json.dumps(body))
    assert status == 400, data
    assert data["field"] == field
    assert isinstance(data["error"], str) and field in data["error"]
    assert fake_rasa.requests == []


MALFORMED_RAW: list[tuple[str, bytes | str, dict[str, str], int, str]] = [
    ("no body", b"", JSON_HEADERS, 400, "body"),
    ("not json", b"hello", JSON_HEADERS, 400, "body"),
    ("truncated json", b'{"sender_id": "u1", "text": "hi"', JSON_HEADERS, 400, "body"),
    ("json array", b'[{"sender_id": "u1", "text": "hi"}]', JSON_HEADERS, 400, "body"),
    ("json string", b'"hello"', JSON_HEADERS, 400, "body"),
    ("json null", b"null", JSON_HEADERS, 400, "body"),
    ("json number", b"42", JSON_HEADERS, 400, "body"),
    ("invalid utf-8", b'{"sender_id": "u1", "text": "\xff\xfe"}', JSON_HEADERS, 400, "body"),
    ("deeply nested", b"[" * 60000, JSON_HEADERS, 400, "body"),
    ("huge integer", b'{"sender_id": ' + b"9" * 5000 + b"}", JSON_HEADERS, 400, "body"),
    (
        "text/plain",
        b'{"sender_id": "u1", "text": "hi"}',
        {"Content-Type": "text/plain"},
        400,
        "Content-Type",
    ),
    (
        "form encoded",
        b"sender_id=u1&text=hi",
        {"Content-Type": "application/x-www-form-urlencoded"},
        400,
        "Content-Type",
    ),
    ("no content type", b'{"sender_id": "u1", "text": "hi"}', {}, 400, "Content-Type"),
    (
        "over 64 KiB",
        json.dumps({"sender_id": "u1", "text": "a" * 70_000}).encode(),
        JSON_HEADERS,
        413,
        "body",
    ),
]


@pytest.mark.parametrize(
    ("raw", "headers", "status", "field"),
    [(r, h, s, f) for _, r, h, s, f in MALFORMED_RAW],
    ids=[n for n, *_ in MALFORMED_RAW],
)
async def test_malformed_bodies_get_json_errors(
    client: Client,
    fake_rasa: FakeRasa,
    raw: bytes,
    headers: dict[str, str],
    status: int,
    field: str,
) -> None:
    got_status, data = await post_raw(client, raw, headers)
    assert got_status == status, data
    assert data["field"] == field
    assert data["error"]
    assert fake_rasa.requests == []


async def test_chunked_body_over_limit_is_413(client: Client, fake_rasa: FakeRasa) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"sender_id": "u1", "text": "'
        for _ in range(20):
            yield b"a" * 8192
        yield b'"}'

    status, data = await post_raw(client, chunks())
    assert status == 413
    assert data["field"] == "body"
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/chat", 405),
        ("PUT", "/api/chat", 405),
        ("GET", "/api/nothing-here", 404),
        ("POST", "/healthz", 405),
    ],
)
async def test_wrong_routes_answer_json(
    client: Client, method: str, path: str, status: int
) -> None:
    resp = await client.request(method, path)
    assert resp.status == status
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"]


async def test_unexpected_error_is_json_500_and_logged(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_args: Any) -> None:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(pipeline_module, "resolve_customer", broken)
    resp = await client.post("/api/chat", json={"sender_id": "u1", "text": "hi"})
    assert resp.status == 500
    body = await resp.json()
    assert "exploded" not in body["error"]  # internals stay in the log
    assert "database exploded" in caplog.text


# --- the happy path --------------------------------------------------------------------------


async def test_reply_maps_text_buttons_images_and_custom(client: Client) -> None:
    resp = await client.post(
        "/api/chat", json={"sender_id": "demo-emma", "text": "where is my order"}
    )
    assert resp.status == 200
    assert await resp.json() == {
        "messages": [
            {"text": "Which order? (where is my order)", "buttons": [ORDER_BUTTON]},
            {"image": "/products/P0001.svg"},
        ]
    }
    resp = await client.post("/api/chat", json={"sender_id": "demo-emma", "text": "show me a card"})
    assert await resp.json() == {"messages": [{"text": "Here you go"}, {"custom": PRODUCT_CARDS}]}


async def test_rasa_gets_conversation_id_and_metadata(client: Client, fake_rasa: FakeRasa) -> None:
    await client.post("/api/chat", json={"sender_id": "demo-liwei", "text": "  我的订单到哪了  "})
    await client.post("/api/chat", json={"sender_id": "web-1234-abcd", "payload": "/greet"})
    assert [(r["sender"], r["message"], r["metadata"]) for r in fake_rasa.requests] == [
        (
            "web:demo-liwei",
            "我的订单到哪了",
            {
                "channel": "web",
                "external_id": "demo-liwei",
                "customer_id": LIWEI,
                "language": "zh",
                "inbox_id": 1,
            },
        ),
        (
            "web:web-1234-abcd",
            "/greet",
            {
                "channel": "web",
                "external_id": "web-1234-abcd",
                "customer_id": None,
                "language": "en",
                "inbox_id": 2,
            },
        ),
    ]


# --- language ---------------------------------------------------------------------------------

LANGUAGE_TURNS: list[tuple[str, list[dict[str, str]], list[str]]] = [
    ("chinese", [{"text": "我的订单到哪了"}], ["zh"]),
    ("english", [{"text": "where is my order"}], ["en"]),
    ("mixed chinese", [{"text": "我的iPhone壳坏了"}], ["zh"]),
    ("payload keeps zh", [{"text": "我要退货"}, {"payload": "/affirm"}], ["zh", "zh"]),
    ("payload keeps en", [{"text": "I want a refund"}, {"payload": "/affirm"}], ["en", "en"]),
    ("digits keep zh", [{"text": "查订单"}, {"text": "260315004217"}], ["zh", "zh"]),
    (
        "switch languages",
        [{"text": "hello"}, {"text": "你好"}, {"payload": "/deny"}],
        ["en", "zh", "zh"],
    ),
]


@pytest.mark.parametrize(
    ("turns", "expected"),
    [(t, e) for _, t, e in LANGUAGE_TURNS],
    ids=[n for n, _, _ in LANGUAGE_TURNS],
)
async def test_language_per_message(
    client: Client, fake_rasa: FakeRasa, turns: list[dict[str, str]], expected: list[str]
) -> None:
    for turn in turns:
        resp = await client.post("/api/chat", json={"sender_id": "guest-lang", **turn})
        assert resp.status == 200
    assert [r["metadata"]["language"] for r in fake_rasa.requests] == expected


async def test_payload_language_survives_a_gateway_restart(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    first = await make_client()
    await first.post("/api/chat", json={"sender_id": "guest-restart", "text": "我想换货"})
    await first.close()
    second = await make_client()  # new app: empty memory, language comes from the messages table
    resp = await second.post("/api/chat", json={"sender_id": "guest-restart", "payload": "/affirm"})
    assert resp.status == 200
    assert [r["metadata"]["language"] for r in fake_rasa.requests] == ["zh", "zh"]
    assert (await resp.json())["messages"][0]["text"] == "已收到：/affirm"


@pytest.mark.parametrize(("sender", "language"), [("demo-liwei", "zh"), ("demo-emma", "en")])
async def test_first_payload_uses_customer_profile_language(
    client: Client, fake_rasa: FakeRasa, sender: str, language: str
) -> None:
    await client.post("/api/chat", json={"sender_id": sender, "payload": "/greet"})
    assert fake_rasa.requests[0]["metadata"]["language"] == language


# --- storage ----------------------------------------------------------------------------------


async def test_messages_are_stored_in_and_out(client: Client, engine: AsyncEngine) -> None:
    await client.post("/api/chat", json={"sender_id": "demo-emma", "text": "where is my order"})
    await client.post(
        "/api/chat", json={"sender_id": "demo-emma", "payload": ORDER_BUTTON["payload"]}
    )
    rows = await stored_messages(engine, "web:demo-emma")
    assert [(r["direction"], r["channel"], r["language"]) for r in rows] == [
        ("in", "web", "en"),
        ("out", "web", "en"),
        ("out", "web", "en"),
        ("in", "web", "en"),
        ("out", "web", "en"),
    ]
    assert rows[0]["text"] == "where is my order" and rows[0]["payload"] is None
    assert rows[1]["text"] == "Which order? (where is my order)"
    assert rows[1]["payload"] == {"buttons": [ORDER_BUTTON]}
    assert rows[2]["text"] is None and rows[2]["payload"] == {"image": "/products/P0001.svg"}
    assert rows[3]["text"] is None and rows[3]["payload"] == {"payload": ORDER_BUTTON["payload"]}
    assert all(r["created_at"] is not None for r in rows)


# --- Rasa outages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"), [("我的订单到哪了", "zh"), ("where is my order", "en")]
)
async def test_rasa_down_gives_503_with_holding_text(
    make_client: MakeClient, engine: AsyncEngine, text: str, language: str
) -> None:
    client = await make_client(rasa_url=closed_url())
    resp = await client.post("/api/chat", json={"sender_id": "guest-down", "text": text})
    assert resp.status == 503
    body = await resp.json()
    assert body["error"]
    assert body["messages"] == [{"text": HOLDING_TEXT[language]}]
    rows = await stored_messages(engine, "web:guest-down")
    assert [(r["direction"], r["text"]) for r in rows] == [
        ("in", text),
        ("out", HOLDING_TEXT[language]),
    ]


@pytest.mark.parametrize(
    ("setup", "name"),
    [
        ({"delay_s": 2.0}, "timeout"),
        ({"status": 500, "raw_body": b"Internal Server Error"}, "server error"),
        ({"status": 200, "raw_body": b"<html>not json</html>"}, "not json"),
        ({"status": 200, "raw_body": b'{"text": "an object, not a list"}'}, "not a list"),
        ({"status": 404, "raw_body": b"no REST channel"}, "channel missing"),
    ],
    ids=["timeout", "server-error", "not-json", "not-a-list", "channel-missing"],
)
async def test_rasa_failures_give_503_not_500(
    make_client: MakeClient, fake_rasa: FakeRasa, setup: dict[str, Any], name: str
) -> None:
    for key, value in setup.items():
        setattr(fake_rasa, key, value)
    client = await make_client(rasa={"timeout_s": 0.5})
    resp = await client.post("/api/chat", json={"sender_id": "guest-x", "text": "hello"})
    assert resp.status == 503, name
    body = await resp.json()
    assert body["messages"] == [{"text": HOLDING_TEXT["en"]}]
    assert body["error"]


# --- ordering ---------------------------------------------------------------------------------


async def test_one_sender_is_processed_in_order_others_in_parallel(
    client: Client, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.delay_s = 0.05
    texts = [f"message {i}" for i in range(8)]

    async def say(sender: str, text: str) -> dict[str, Any]:
        resp = await client.post("/api/chat", json={"sender_id": sender, "text": text})
        assert resp.status == 200
        return dict(await resp.json())

    answers = await asyncio.gather(
        *(say("demo-emma", t) for t in texts), *(say(f"guest-{i}", "hi") for i in range(4))
    )
    # Each HTTP answer belongs to its own question.
    for text, answer in zip(texts, answers[: len(texts)], strict=True):
        assert answer["messages"][0]["text"] == f"Which order? ({text})"
    assert fake_rasa.max_in_flight_per_sender == 1
    assert fake_rasa.max_in_flight > 1  # different customers are not serialised
    # Rasa saw the messages in the order they were stored, each answered before the next.
    rows = await stored_messages(engine, "web:demo-emma")
    assert [r["direction"] for r in rows] == ["in", "out", "out"] * len(texts)
    stored_in = [r["text"] for r in rows if r["direction"] == "in"]
    sent = [r["message"] for r in fake_rasa.requests if r["sender"] == "web:demo-emma"]
    assert sorted(stored_in) == sorted(texts)
    assert sent == stored_in


async def test_customer_ids_for_demo_customers(client: Client, fake_rasa: FakeRasa) -> None:
    for sender in ("demo-liwei", "demo-emma", "web-unknown"):
        await client.post("/api/chat", json={"sender_id": sender, "text": "hi"})
    assert [r["metadata"]["customer_id"] for r in fake_rasa.requests] == [LIWEI, EMMA, None]


async def test_an_answer_whose_response_was_not_written_goes_to_the_push_stream(
    client: Client, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    from sqlalchemy import select

    from bot.storage.schema import outbox

    fake_rasa.delay_s = 0.3
    fake_rasa.reply = lambda body: [{"text": "answer for the stream"}]
    assert client.server.port is not None
    body = json.dumps(
        {
            "sender_id": "dropper",
            "identity_hash": identity_hash("dropper"),
            "text": "hello",
            "message_id": "d-1",
        }
    ).encode()
    _reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(
        b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    for _ in range(100):  # the message is taken and being answered...
        if fake_rasa.messages():
            break
        await asyncio.sleep(0.02)
    writer.close()  # ...when the page goes away, before the answer is ready

    async def rows() -> list[Any]:
        async with engine.connect() as conn:
            return list(await conn.execute(select(outbox)))

    for _ in range(100):
        found = await rows()
        if found and found[0].status == "sent":
            break
        await asyncio.sleep(0.05)
    [row] = await rows()
    # Sent by the worker (the push stream), not counted as handed back in the response.
    assert (row.status, row.delivered_inline) == ("sent", False)
    # The page posts again with the same message_id: no second run, nothing handed twice.
    again = await client.post(
        "/api/chat", json={"sender_id": "dropper", "text": "hello", "message_id": "d-1"}
    )
    assert again.status == 200 and (await again.json())["messages"] == []
    assert fake_rasa.messages() == ["hello"]


async def test_a_written_answer_is_not_pushed_again(
    client: Client, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    from sqlalchemy import select

    from bot.storage.schema import outbox

    fake_rasa.reply = lambda body: [{"text": "inline answer"}]
    resp = await client.post(
        "/api/chat", json={"sender_id": "stayer", "text": "hello", "message_id": "s-1"}
    )
    assert [m["text"] for m in (await resp.json())["messages"]] == ["inline answer"]
    async with engine.connect() as conn:
        [row] = list(await conn.execute(select(outbox)))
    assert (row.status, row.delivered_inline) == ("sent", True)
    # A repeat (the page never saw the response) gets the same answer back.
    again = await client.post(
        "/api/chat", json={"sender_id": "stayer", "text": "hello", "message_id": "s-1"}
    )
    assert [m["text"] for m in (await again.json())["messages"]] == ["inline answer"]
    assert fake_rasa.messages() == ["hello"]

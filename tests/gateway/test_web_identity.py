"""Signed web chat identities, guests, the demo picker, rate limits and stream caps, over HTTP.

Every attack here is refused before the pipeline runs: Rasa sees nothing and no message of the
impersonated customer leaves the gateway.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError
from bot.services.web_identity import GUEST_ID_RE, sign, verify
from bot.storage.schema import identities
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import (
    WEB_SECRET,
    Client,
    MakeClient,
    identity_hash,
    make_config,
    stored_messages,
)
from tests.gateway.seed import EMMA, LIWEI

JSON_HEADERS = {"Content-Type": "application/json"}
WRONG_SECRET = "another-shop-s-web-identity-secret"


async def post_chat(client: Client, body: dict[str, Any]) -> tuple[int, Any, Any]:
    """POST exactly ``body`` (no signing by the test client)."""
    resp = await client.post("/api/chat", data=json.dumps(body), headers=JSON_HEADERS)
    return resp.status, await resp.json(), resp.headers


async def new_guest(client: Client) -> dict[str, str]:
    resp = await client.post("/api/chat/guest")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    return dict(await resp.json())


def customer_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A bot that, like the order actions, answers with what it knows of the customer."""
    customer = body.get("metadata", {}).get("customer_id")
    text = f"orders of {customer}" if customer else "which order number?"
    return [{"recipient_id": body["sender"], "text": text}]


# --- spoofed identities on POST /api/chat: 401, nothing reaches Rasa --------------------------

SPOOFS: list[tuple[str, dict[str, Any]]] = [
    ("missing hash (the old ?sender= way)", {"sender_id": "demo-liwei"}),
    ("null hash", {"sender_id": "demo-liwei", "identity_hash": None}),
    ("right sender, wrong hash", {"sender_id": "demo-liwei", "identity_hash": "0" * 64}),
    (
        "hash of another sender",
        {"sender_id": "demo-liwei", "identity_hash": identity_hash("demo-emma")},
    ),
    (
        "hash made with another secret",
        {"sender_id": "demo-liwei", "identity_hash": sign(WRONG_SECRET, "demo-liwei")},
    ),
    (
        "truncated hash",
        {"sender_id": "demo-liwei", "identity_hash": identity_hash("demo-liwei")[:32]},
    ),
    ("hash not hex", {"sender_id": "demo-liwei", "identity_hash": "z" * 64}),
    ("non-ascii hash", {"sender_id": "demo-liwei", "identity_hash": "é" * 64}),
    (
        "sender with a suffix",
        {"sender_id": "demo-liwei2", "identity_hash": identity_hash("demo-liwei")},
    ),
]


@pytest.mark.parametrize("identity", [body for _, body in SPOOFS], ids=[name for name, _ in SPOOFS])
async def test_spoofed_identity_is_401_and_leaks_nothing(
    client: Client, fake_rasa: FakeRasa, engine: AsyncEngine, identity: dict[str, Any]
) -> None:
    status, data, _ = await post_chat(client, {**identity, "text": "where is my order"})
    assert status == 401, data
    assert data["field"] == "identity_hash"
    assert "identity_hash" in data["error"]
    assert "messages" not in data
    assert fake_rasa.requests == []
    assert await stored_messages(engine, f"web:{identity['sender_id']}") == []


async def test_a_guest_hash_replayed_for_a_customer_is_401(
    client: Client, fake_rasa: FakeRasa
) -> None:
    guest = await new_guest(client)
    for victim in ("demo-liwei", "demo-emma", guest["sender_id"] + "x"):
        status, data, _ = await post_chat(
            client, {"sender_id": victim, "identity_hash": guest["identity_hash"], "text": "hi"}
        )
        assert (status, data["field"]) == (401, "identity_hash")
    assert fake_rasa.requests == []


async def test_a_customer_hash_replayed_for_another_customer_is_401(
    client: Client, fake_rasa: FakeRasa
) -> None:
    emma = identity_hash("demo-emma")
    status, _, _ = await post_chat(
        client, {"sender_id": "demo-emma", "identity_hash": emma, "text": "hi"}
    )
    assert status == 200
    status, data, _ = await post_chat(
        client, {"sender_id": "demo-liwei", "identity_hash": emma, "text": "cancel 260420000009"}
    )
    assert (status, data["field"]) == (401, "identity_hash")
    assert [r["sender"] for r in fake_rasa.requests] == ["web:demo-emma"]


async def test_the_right_hash_is_accepted_in_either_case(client: Client) -> None:
    good = identity_hash("demo-liwei")
    for value in (good, good.upper()):
        status, data, _ = await post_chat(
            client, {"sender_id": "demo-liwei", "identity_hash": value, "text": "hi"}
        )
        assert status == 200, data


@pytest.mark.parametrize("value", [5, ["a"], "", "a" * 129])
async def test_a_malformed_hash_is_400(client: Client, value: Any) -> None:
    status, data, _ = await post_chat(
        client, {"sender_id": "demo-liwei", "identity_hash": value, "text": "hi"}
    )
    assert (status, data["field"]) == (400, "identity_hash")


def test_verify_never_raises_on_odd_input() -> None:
    good = sign(WEB_SECRET, "u1")
    assert verify(WEB_SECRET, "u1", good)
    for bad in ("", "é", "\x00" * 64, good + "0", good[:-1], " " + good):
        assert not verify(WEB_SECRET, "u1", bad)


# --- guests --------------------------------------------------------------------------------


async def test_guest_ids_are_random_signed_and_work(client: Client, fake_rasa: FakeRasa) -> None:
    first, second = await new_guest(client), await new_guest(client)
    assert first["sender_id"] != second["sender_id"]
    for guest in (first, second):
        assert GUEST_ID_RE.fullmatch(guest["sender_id"])
        assert guest["identity_hash"] == identity_hash(guest["sender_id"])
    status, data, _ = await post_chat(client, {**first, "text": "what is your return policy"})
    assert status == 200, data
    assert fake_rasa.requests[0]["metadata"]["customer_id"] is None


async def test_a_guest_sees_no_customer_data_even_with_a_colliding_identity_row(
    client: Client, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.reply = customer_reply
    guest = await new_guest(client)
    # Even a row linking this guest id to Li Wei (an import refuses it) gives no customer.
    async with engine.begin() as conn:
        await conn.execute(
            insert(identities).values(
                channel="web", external_id=guest["sender_id"], customer_id=LIWEI
            )
        )
    status, data, _ = await post_chat(client, {**guest, "text": "where is my order"})
    assert status == 200
    assert data["messages"] == [{"text": "which order number?"}]
    assert fake_rasa.requests[-1]["metadata"]["customer_id"] is None
    # Li Wei, signed, is recognised through the same pipeline.
    status, data, _ = await post_chat(
        client,
        {
            "sender_id": "demo-liwei",
            "identity_hash": identity_hash("demo-liwei"),
            "text": "where is my order",
        },
    )
    assert data["messages"] == [{"text": f"orders of {LIWEI}"}]


async def test_guest_issuing_is_rate_limited_per_address(make_client: MakeClient) -> None:
    client = await make_client(web={"guests_per_minute_per_ip": 2})
    await new_guest(client)
    await new_guest(client)
    resp = await client.post("/api/chat/guest")
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert "guests_per_minute_per_ip" in (await resp.json())["error"]


# --- the demo picker -------------------------------------------------------------------------


async def test_demo_identities_are_404_when_the_picker_is_off(client: Client) -> None:
    resp = await client.get("/api/chat/demo-identities")
    assert resp.status == 404
    assert "web.demo_picker" in (await resp.json())["error"]
    page = await (await client.get("/")).text()
    assert 'data-demo-picker="false"' in page


async def test_demo_identities_sign_only_the_demo_customers(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    client = await make_client(web={"demo_picker": True})
    resp = await client.get("/api/chat/demo-identities")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    listed = (await resp.json())["identities"]
    assert [(i["sender_id"], i["name"]) for i in listed] == [
        ("demo-liwei", "Li Wei (demo)"),
        ("demo-emma", "Emma Clark (demo)"),
    ]
    for item in listed:
        assert item["identity_hash"] == identity_hash(item["sender_id"])
        status, _, _ = await post_chat(
            client,
            {"sender_id": item["sender_id"], "identity_hash": item["identity_hash"], "text": "hi"},
        )
        assert status == 200
    assert [r["metadata"]["customer_id"] for r in fake_rasa.requests] == [LIWEI, EMMA]
    assert 'data-demo-picker="true"' in await (await client.get("/")).text()


# --- rate limits on POST /api/chat ------------------------------------------------------------


async def test_a_burst_from_one_sender_gets_429_with_retry_after(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    client = await make_client(web={"messages_per_minute_per_sender": 3})
    for i in range(3):
        resp = await client.post("/api/chat", json={"sender_id": "demo-emma", "text": f"m{i}"})
        assert resp.status == 200
    resp = await client.post("/api/chat", json={"sender_id": "demo-emma", "text": "one more"})
    assert resp.status == 429
    retry = int(resp.headers["Retry-After"])
    assert 1 <= retry <= 20  # one message every 20 s at 3 a minute
    data = await resp.json()
    assert data["retry_after_s"] == retry
    assert "messages_per_minute_per_sender" in data["error"]
    assert fake_rasa.messages() == ["m0", "m1", "m2"]
    # Another sender is not held back by Emma's bucket.
    resp = await client.post("/api/chat", json={"sender_id": "demo-liwei", "text": "hi"})
    assert resp.status == 200


async def test_a_burst_from_one_address_gets_429_across_senders(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    client = await make_client(web={"messages_per_minute_per_ip": 4})
    for i in range(4):
        resp = await client.post("/api/chat", json={"sender_id": f"u{i}", "text": "hi"})
        assert resp.status == 200
    resp = await client.post("/api/chat", json={"sender_id": "u9", "text": "hi"})
    assert resp.status == 429
    assert resp.headers["Retry-After"]
    assert "messages_per_minute_per_ip" in (await resp.json())["error"]
    assert len(fake_rasa.requests) == 4


async def test_unsigned_requests_count_against_the_address(make_client: MakeClient) -> None:
    client = await make_client(web={"messages_per_minute_per_ip": 3})
    for _ in range(3):
        status, _, _ = await post_chat(client, {"sender_id": "demo-liwei", "text": "hi"})
        assert status == 401
    status, _, headers = await post_chat(client, {"sender_id": "demo-liwei", "text": "hi"})
    assert status == 429 and headers["Retry-After"]


async def test_behind_a_proxy_the_configured_header_names_the_client(
    make_client: MakeClient,
) -> None:
    client = await make_client(
        web={"messages_per_minute_per_ip": 1, "client_ip_header": "X-Real-IP"}
    )

    async def from_address(address: str, sender: str) -> int:
        resp = await client.post(
            "/api/chat",
            json={"sender_id": sender, "text": "hi"},
            headers={"X-Real-IP": address},
        )
        return resp.status

    assert await from_address("203.0.113.1", "a1") == 200
    assert await from_address("203.0.113.2", "a2") == 200
    assert await from_address("203.0.113.1", "a3") == 429


# --- the push stream: identity, caps, query parameters --------------------------------------


async def test_replaying_another_customers_stream_is_401(client: Client) -> None:
    resp = await client.post("/api/chat", json={"sender_id": "demo-liwei", "text": "我的订单"})
    assert resp.status == 200  # Li Wei has messages in the outbox now
    attempts = [
        "sender_id=demo-liwei&after=0",
        f"sender_id=demo-liwei&after=0&identity_hash={'0' * 64}",
        f"sender_id=demo-liwei&after=0&identity_hash={identity_hash('demo-emma')}",
        f"sender_id=demo-liwei&after=0&identity_hash={sign(WRONG_SECRET, 'demo-liwei')}",
    ]
    for query in attempts:
        # Past the test client's signing: exactly this URL.
        resp = await client.session.get(client.make_url(f"/api/chat/events?{query}"))
        body = await resp.text()
        assert resp.status == 401, (query, body)
        assert json.loads(body)["field"] == "identity_hash"
        assert "data:" not in body and "我的订单" not in body


async def open_stream(client: Client, sender: str) -> Any:
    return await client.get(f"/api/chat/events?sender_id={sender}")


async def test_open_streams_are_capped_per_sender(make_client: MakeClient) -> None:
    client = await make_client(web={"streams_per_sender": 2})
    first = await open_stream(client, "demo-emma")
    second = await open_stream(client, "demo-emma")
    assert first.status == second.status == 200
    refused = await open_stream(client, "demo-emma")
    assert refused.status == 429
    assert refused.headers["Retry-After"]
    assert "streams_per_sender" in (await refused.json())["error"]
    other = await open_stream(client, "demo-liwei")
    assert other.status == 200
    # A closed stream gives its place back.
    first.close()
    for _ in range(50):  # the gateway notices within its poll interval (2 s)
        again = await open_stream(client, "demo-emma")
        if again.status == 200:
            break
        await asyncio.sleep(0.2)
    assert again.status == 200
    for resp in (second, other, again):
        resp.close()


async def test_open_streams_are_capped_in_total(make_client: MakeClient) -> None:
    client = await make_client(web={"streams_total": 2})
    streams = [await open_stream(client, s) for s in ("u1", "u2")]
    assert [s.status for s in streams] == [200, 200]
    refused = await open_stream(client, "u3")
    assert refused.status == 429
    assert "streams_total" in (await refused.json())["error"]
    for resp in streams:
        resp.close()


BAD_QUERIES: list[tuple[str, str, dict[str, str], str]] = [
    ("no sender", "", {}, "sender_id"),
    ("empty sender", "sender_id=", {}, "sender_id"),
    ("sender twice", "sender_id=u1&sender_id=u2", {}, "sender_id"),
    ("sender too long", "sender_id=" + "a" * 129, {}, "sender_id"),
    ("superscript two", "sender_id=u1&after=%C2%B2", {}, "after"),
    ("arabic-indic digit", "sender_id=u1&after=%D9%A1", {}, "after"),
    ("full-width digit", "sender_id=u1&after=%EF%BC%91", {}, "after"),
    ("negative", "sender_id=u1&after=-1", {}, "after"),
    ("plus sign", "sender_id=u1&after=%2B1", {}, "after"),
    ("huge", "sender_id=u1&after=" + "9" * 19, {}, "after"),
    ("very huge", "sender_id=u1&after=" + "9" * 5000, {}, "after"),
    ("exponent", "sender_id=u1&after=1e5", {}, "after"),
    ("hex", "sender_id=u1&after=0x10", {}, "after"),
    ("decimal", "sender_id=u1&after=1.5", {}, "after"),
    ("padded", "sender_id=u1&after=%201", {}, "after"),
    ("empty after", "sender_id=u1&after=", {}, "after"),
    ("after twice", "sender_id=u1&after=1&after=2", {}, "after"),
    ("bad Last-Event-ID", "sender_id=u1", {"Last-Event-ID": "²"}, "Last-Event-ID"),
    ("negative Last-Event-ID", "sender_id=u1", {"Last-Event-ID": "-5"}, "Last-Event-ID"),
]


@pytest.mark.parametrize(
    ("query", "headers", "field"),
    [(q, h, f) for _, q, h, f in BAD_QUERIES],
    ids=[n for n, *_ in BAD_QUERIES],
)
async def test_bad_stream_parameters_are_400_naming_the_field(
    client: Client, query: str, headers: dict[str, str], field: str
) -> None:
    resp = await client.get(f"/api/chat/events?{query}", headers=headers)
    assert resp.status == 400, await resp.text()
    data = await resp.json()
    assert data["field"] == field
    assert field in data["error"]


async def test_identity_hash_twice_is_400(client: Client) -> None:
    good = identity_hash("u1")
    resp = await client.get(
        f"/api/chat/events?sender_id=u1&identity_hash={good}&identity_hash={good}"
    )
    assert resp.status == 400
    assert (await resp.json())["field"] == "identity_hash"


async def test_the_largest_allowed_after_streams(client: Client) -> None:
    resp = await client.get("/api/chat/events?sender_id=u1&after=" + "9" * 18)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    resp.close()


# --- the secret --------------------------------------------------------------------------------


def test_a_short_secret_stops_start_up(tmp_path: Any) -> None:
    from adapters.web.adapter import WebAdapter
    from bot.config import load_config

    cfg = load_config(path=tmp_path / "none.yml", env={"WEB_IDENTITY_SECRET": "short"})
    with pytest.raises(ConfigError, match="WEB_IDENTITY_SECRET"):
        WebAdapter(cfg)


def test_without_a_secret_a_random_one_is_used_and_logged(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.web.adapter import WebAdapter
    from bot.config import load_config

    cfg = load_config(path=tmp_path / "none.yml", env={})
    first, second = WebAdapter(cfg), WebAdapter(cfg)
    assert first.secret != second.secret and len(first.secret) >= 32
    assert "WEB_IDENTITY_SECRET is not set" in caplog.text


def test_test_config_carries_the_secret(tmp_path: Any) -> None:
    cfg = make_config(tmp_path, rasa_url="http://x", actions_url="http://y")
    assert cfg.secrets.web_identity_secret == WEB_SECRET
    assert re.fullmatch(r"[0-9a-f]{64}", identity_hash("demo-liwei"))

"""The embeddable widget's HTTP side: /widget.js, GET /api/chat/history and CORS for a shop's
own pages (web.allowed_origins)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.web.cors import parse_origins
from bot.config import ConfigError
from bot.core.message import OutgoingMessage
from bot.core.outbox import NewMessage, Outbox, utcnow
from bot.storage.schema import inbox, outbox
from tests.gateway.fake_rasa import ORDER_BUTTON, FakeRasa
from tests.gateway.helpers import Client, MakeClient, identity_hash

SHOP_ORIGIN = "https://shop.example"


def history_url(sender: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/chat/history?sender_id={sender}&identity_hash={identity_hash(sender)}" + (
        f"&{query}" if query else ""
    )


async def history(client: Client, sender: str, **params: str) -> dict[str, Any]:
    resp = await client.get(history_url(sender, **params))
    assert resp.status == 200, await resp.text()
    assert resp.headers["Cache-Control"] == "no-store"
    return dict(await resp.json())


async def say(client: Client, sender: str, text: str) -> None:
    resp = await client.post("/api/chat", json={"sender_id": sender, "text": text})
    assert resp.status == 200, await resp.text()


# --- /widget.js ------------------------------------------------------------------------------


async def test_widget_js_is_one_script_with_both_languages_and_no_external_resources(
    client: Client,
) -> None:
    resp = await client.get("/widget.js")
    assert resp.status == 200
    assert resp.content_type == "application/javascript"
    assert resp.charset == "utf-8"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    body = await resp.text()
    assert body.startswith("/*") and body.rstrip().endswith("})();")
    # The shared rendering and the widget, inside one function: no globals but the element.
    assert "var ShopChatRender" in body and "attachShadow" in body
    assert "api/chat/history" in body and "api/chat/photo" in body
    assert "Chat with us" in body and "在线客服" in body  # the labels in zh and en
    assert ":host" in body and ":root" not in body  # the page's styles, for a shadow root
    without_svg_namespace = body.replace('"http://www.w3.org/2000/svg"', "")
    assert "http://" not in without_svg_namespace and "https://" not in without_svg_namespace
    assert "@import" not in body and "url(" not in body


# --- history -------------------------------------------------------------------------------


async def test_history_pages_back_through_the_whole_conversation(
    client: Client, fake_rasa: FakeRasa
) -> None:
    sender = "web-history-1"
    for text in ("first question", "second question"):
        await say(client, sender, text)
    resp = await client.post(
        "/api/chat", json={"sender_id": sender, "payload": ORDER_BUTTON["payload"]}
    )
    assert resp.status == 200
    # 3 customer messages; the scripted bot answers a text with 2 messages, the button with 1.
    first = await history(client, sender, limit="4")
    assert [m["from"] for m in first["messages"]] == ["bot", "bot", "customer", "bot"]
    assert first["messages"][0]["text"] == "Which order? (second question)"
    # The pressed button shows as its title, as it did on the page.
    assert first["messages"][-2] == {
        "id": first["messages"][-2]["id"],
        "from": "customer",
        "text": ORDER_BUTTON["title"],
        "at": first["messages"][-2]["at"],
    }
    assert first["messages"][-1]["text"].startswith("You picked /inform")
    assert first["next_before"] == first["messages"][0]["id"]

    second = await history(client, sender, limit="4", before=first["next_before"])
    assert [m["from"] for m in second["messages"]] == ["customer", "bot", "bot", "customer"]
    assert second["messages"][0]["text"] == "first question"
    assert second["messages"][1]["buttons"] == [ORDER_BUTTON]
    assert second["messages"][2]["image"] == "/products/P0001.svg"
    assert second["messages"][3]["text"] == "second question"
    assert second["next_before"] is None

    everything = await history(client, sender, limit="100")
    assert everything["messages"] == second["messages"] + first["messages"]
    assert everything["next_before"] is None
    ats = [m["at"] for m in everything["messages"]]
    assert ats == sorted(ats)
    assert len({m["id"] for m in everything["messages"]}) == 8


async def test_history_orders_by_time_across_inbox_and_outbox(
    client: Client, engine: AsyncEngine
) -> None:
    """A reply written later than the next customer message (an answer delayed by an outage)
    comes after that message, whatever the row ids say."""
    sender = "web-history-order"
    await say(client, sender, "one")
    await say(client, sender, "two")
    first_answers = (await history(client, sender))["messages"][1:3]
    async with engine.begin() as conn:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id == int(first_answers[0]["id"][1:]))
            .values(created_at=utcnow() + timedelta(hours=1))
        )
    page = await history(client, sender)
    assert page["messages"][-1]["id"] == first_answers[0]["id"]
    texts = [m.get("text") for m in page["messages"]]
    assert texts.index("two") < texts.index(first_answers[0]["text"])
    # Paging by one still visits every message once, in the same order.
    seen: list[str] = []
    before: str | None = None
    while True:
        params = {"limit": "1", **({"before": before} if before else {})}
        one = await history(client, sender, **params)
        seen = [m["id"] for m in one["messages"]] + seen
        before = one["next_before"]
        if before is None:
            break
    assert seen == [m["id"] for m in page["messages"]]


async def test_history_shows_staff_replies_and_only_sent_messages(
    client: Client, engine: AsyncEngine
) -> None:
    sender = "web-history-staff"
    await say(client, sender, "I want a person")
    box = Outbox(engine)
    conversation = f"web:{sender}"
    staff_id, pending_id = await box.add(
        [
            NewMessage(conversation, "web", sender, OutgoingMessage(text="Anna: hello"), "staff"),
            NewMessage(conversation, "web", sender, OutgoingMessage(text="not sent yet")),
        ]
    )
    await box.mark_sent(staff_id)
    messages = (await history(client, sender))["messages"]
    assert messages[-1] == {
        "id": f"b{staff_id}",
        "from": "staff",
        "text": "Anna: hello",
        "at": messages[-1]["at"],
    }
    assert f"b{pending_id}" not in [m["id"] for m in messages]


async def test_history_is_only_the_verified_senders_own(client: Client) -> None:
    await say(client, "web-history-a", "my secret order")
    await say(client, "web-history-b", "hello")
    other = await history(client, "web-history-b")
    assert "my secret order" not in str(other)
    a_page = await history(client, "web-history-a")
    # A cursor of another conversation is not a way in.
    resp = await client.get(history_url("web-history-b", before=a_page["messages"][0]["id"]))
    assert resp.status == 400
    assert (await resp.json())["field"] == "before"


@pytest.mark.parametrize(
    "query",
    [
        "sender_id=web-history-a",
        "sender_id=web-history-a&identity_hash=" + "0" * 64,
        "sender_id=web-history-a&identity_hash=" + identity_hash("web-history-b"),
    ],
    ids=["no hash", "wrong hash", "another sender's hash"],
)
async def test_history_without_the_senders_identity_is_401(client: Client, query: str) -> None:
    await say(client, "web-history-a", "my secret order")
    resp = await client.get(f"/api/chat/history?{query}")
    assert resp.status == 401
    data = await resp.json()
    assert data["field"] == "identity_hash"
    assert "my secret order" not in str(data)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("identity_hash=x", "sender_id"),
        ("sender_id=bad%20id", "sender_id"),
        ("sender_id=a&sender_id=b", "sender_id"),
        ("sender_id=u1&limit=0", "limit"),
        ("sender_id=u1&limit=101", "limit"),
        ("sender_id=u1&limit=ten", "limit"),
        ("sender_id=u1&limit=-1", "limit"),
        ("sender_id=u1&limit=1&limit=2", "limit"),
        ("sender_id=u1&before=12", "before"),
        ("sender_id=u1&before=x12", "before"),
        ("sender_id=u1&before=c", "before"),
        ("sender_id=u1&before=c99999999", "before"),
    ],
)
async def test_history_bad_params_are_400_naming_the_field(
    client: Client, query: str, field: str
) -> None:
    signed = f"&identity_hash={identity_hash('u1')}" if "identity_hash" not in query else ""
    resp = await client.get(f"/api/chat/history?{query}{signed}")
    assert resp.status == 400, await resp.text()
    data = await resp.json()
    assert data["field"] == field
    assert field in data["error"]


async def test_history_of_a_new_visitor_is_empty(client: Client) -> None:
    assert await history(client, "web-history-new") == {"messages": [], "next_before": None}


async def test_history_shows_the_customers_photo(client: Client, engine: AsyncEngine) -> None:
    sender = "web-history-photo"
    await say(client, sender, "hello")
    async with engine.begin() as conn:
        await conn.execute(
            update(inbox)
            .where(inbox.c.conversation_id == f"web:{sender}")
            .values(attachments=[{"kind": "image", "url": "/media/abc.jpg", "mime_type": None}])
        )
    customer = (await history(client, sender))["messages"][0]
    assert customer["image"] == "/media/abc.jpg" and customer["text"] == "hello"


# --- CORS ------------------------------------------------------------------------------------


async def test_any_origin_may_call_the_chat_by_default(client: Client) -> None:
    headers = {"Origin": SHOP_ORIGIN}
    resp = await client.options(
        "/api/chat",
        headers={**headers, "Access-Control-Request-Method": "POST"},
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in resp.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in resp.headers

    resp = await client.post(
        "/api/chat", json={"sender_id": "web-cors", "text": "hi"}, headers=headers
    )
    assert resp.status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    for path in ("/api/chat/guest",):
        resp = await client.post(path, headers=headers)
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = await client.get(history_url("web-cors"), headers=headers)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    async with client.get(
        "/api/chat/events?sender_id=web-cors", headers=headers, timeout=aiohttp.ClientTimeout(5)
    ) as stream:
        assert stream.status == 200
        assert stream.headers["Access-Control-Allow-Origin"] == "*"
    # Errors carry it too, so the widget can read them.
    resp = await client.get("/api/chat/history?sender_id=web-cors", headers=headers)
    assert resp.status == 401
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    # Not the admin API or the page.
    for path in ("/api/admin/outbox", "/"):
        resp = await client.get(path, headers=headers)
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_allowed_origins_limit_who_may_call(make_client: MakeClient) -> None:
    client = await make_client(web={"allowed_origins": [SHOP_ORIGIN, "http://localhost:3000"]})
    resp = await client.get(history_url("web-cors"), headers={"Origin": SHOP_ORIGIN})
    assert resp.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "Origin" in resp.headers.getall("Vary")
    resp = await client.get(history_url("web-cors"), headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    resp = await client.options(
        "/api/chat/photo",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status == 403
    assert (await resp.json())["field"] == "Origin"
    resp = await client.options(
        "/api/chat/photo",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


@pytest.mark.parametrize(
    "origin", ["shop.example", "https://shop.example/", "https://shop.example/path", "ftp://x"]
)
def test_an_allowed_origin_that_is_not_an_origin_is_a_config_error(origin: str) -> None:
    with pytest.raises(ConfigError, match="allowed_origins"):
        parse_origins([origin])


def test_the_shipped_config_allows_any_origin(tmp_path: Path) -> None:
    from bot.config import DEFAULT_CONFIG_PATH, load_config

    cfg = load_config(path=DEFAULT_CONFIG_PATH, env={})
    assert cfg.web.allowed_origins == ("*",)

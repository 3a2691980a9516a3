"""Recommendation conversations through /api/chat against the real stack, both languages:
explained cards with buttons, price/type/gift constraints, "more like this", "not interested"
and "buy" (the stack's bandit state lives in its temporary folder)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import db_rows, has_han

pytestmark = pytest.mark.integration


def cards(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [
        m["custom"]
        for m in messages
        if isinstance(m.get("custom"), dict) and m["custom"].get("type") == "product_cards"
    ]
    assert found, f"no product cards in {messages}"
    return list(found[0]["products"])


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text") or "") for m in messages)


@pytest.mark.parametrize(
    ("text", "zh"),
    [("what would you recommend for me?", False), ("有什么推荐给我的吗", True)],
)
def test_a_known_customer_gets_explained_cards_with_buttons(
    stack, new_chat, text: str, zh: bool
) -> None:
    messages = new_chat("demo-liwei").send(text=text)
    shown = cards(messages)
    assert 3 <= len(shown) <= 5
    assert has_han(texts(messages)) is zh
    for card in shown:
        assert card["stock"] > 0
        assert card["image"].endswith(f"/products/{card['id']}.svg")
        assert card["reason"] and card["reason"] in texts(messages)
        payloads = [b["payload"] for b in card["buttons"]]
        assert len(payloads) == 3
        assert all(p.startswith("/recommend_products{") for p in payloads)
    # Li Wei bought earbuds, a T-shirt, a kettle and a rice cooker: no durable comes back.
    bought = {
        row[0]
        for row in db_rows(
            stack,
            "SELECT oi.product_id FROM order_items oi JOIN orders o ON o.id = oi.order_id "
            "JOIN products p ON p.id = oi.product_id "
            "WHERE o.customer_id = 'C0001' AND p.consumable = 0",
        )
    }
    assert not bought & {card["id"] for card in shown}


@pytest.mark.parametrize(
    ("text", "limit", "scope"),
    [
        ("推荐500元以内的耳机", 500, "¥500.00以内"),
        ("any earbuds under 500 yuan?", 500, "under ¥500.00"),
    ],
)
def test_price_and_type_constraints(new_chat, text: str, limit: int, scope: str) -> None:
    messages = new_chat().send(text=text)
    shown = cards(messages)
    assert all(card["price"] <= limit for card in shown)
    assert scope in texts(messages)


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("I need a present for my mom under 300 yuan", "Gift ideas for your mom"),
        ("想给爸爸买个礼物", "送给爸爸"),
    ],
)
def test_gift_requests(new_chat, text: str, header: str) -> None:
    messages = new_chat().send(text=text)
    assert header in texts(messages)
    assert cards(messages)


def test_not_interested_removes_the_product_and_more_like_this_stays_close(stack, new_chat) -> None:
    chat = new_chat("demo-emma")
    first = cards(chat.send(text="recommend something"))[0]
    by_title = {b["title"]: b["payload"] for b in first["buttons"]}

    more = chat.send(payload=by_title["More like this"])
    assert f"More like {first['name']}" in texts(more)
    assert first["id"] not in {c["id"] for c in cards(more)}

    skipped = chat.send(payload=by_title["Not interested"])
    assert first["name"] in texts(skipped)
    assert first["id"] not in {c["id"] for c in cards(skipped)}
    again = cards(chat.send(text="recommend something"))
    assert first["id"] not in {c["id"] for c in again}

    kinds = {
        row[0]
        for row in db_rows(
            stack,
            "SELECT kind FROM interactions WHERE customer_id = 'C0002' AND product_id = ?",
            (first["id"],),
        )
    }
    assert {"rec_click", "rec_skip"} <= kinds


def test_buy_button_answers_in_chinese(new_chat) -> None:
    chat = new_chat()
    first = cards(chat.send(text="有什么推荐的吗"))[0]
    buy = next(b["payload"] for b in first["buttons"] if b["title"] == "购买")
    reply = texts(chat.send(payload=buy))
    assert first["name"] in reply and has_han(reply)

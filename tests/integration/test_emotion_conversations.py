"""Emotion-aware replies through /api/chat against the real stack (Rasa, actions, gateway, the
trained sentiment model), both languages: an angry customer asking where their order is gets
an apology first, the status, and a "talk to a person" button, and no recommendations; a calm
one asking the same gets the status alone. Every test makes its customer and order."""

from __future__ import annotations

from typing import Any

import pytest

from bot.services.emotion import is_apology
from tests.factory import ShopFactory
from tests.integration.helpers import buttons, has_han, render

pytestmark = pytest.mark.integration

ANGRY = {
    "en": "WHERE IS MY ORDER {id}?! This is the third time I ask, terrible service",
    "zh": "我的订单{id}到底在哪？！第三次问了，气死我了",
}
CALM = {"en": "hi, where is my order {id}?", "zh": "你好，我的订单{id}到哪了"}
FOLLOW_UP = {"en": "still nothing, this is useless", "zh": "还是没到，太差了"}


def recommendations(messages: list[dict[str, Any]]) -> list[Any]:
    cards = [
        m for m in messages if isinstance(m.get("custom"), dict) and m["custom"].get("products")
    ]
    pushed = [b for b in buttons(messages) if b["payload"].startswith("/recommend_products")]
    return cards + pushed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_angry_customer_gets_an_apology_the_status_and_a_person(
    new_chat: Any, shop: ShopFactory, lang: str
) -> None:
    customer = shop.customer(lang)
    order = shop.order(customer, status="in_transit", days_ago=1)
    chat = new_chat(customer.sender)
    messages = chat.send(text=ANGRY[lang].format(id=order.id))
    shown = render(messages)
    assert is_apology(messages[0].get("text")), shown
    assert has_han(messages[0]["text"]) is (lang == "zh")
    assert order.id in shown, shown  # the status itself
    assert any(b["payload"] == "/request_human" for b in buttons(messages)), shown
    assert recommendations(messages) == []
    # Still upset on the next message: no second apology in a row, the offer stays.
    again = chat.send(text=FOLLOW_UP[lang])
    assert not any(is_apology(m.get("text")) for m in again), render(again)
    assert any(b["payload"] == "/request_human" for b in buttons(again)), render(again)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_calm_customer_gets_the_status_alone(new_chat: Any, shop: ShopFactory, lang: str) -> None:
    customer = shop.customer(lang)
    order = shop.order(customer, status="in_transit", days_ago=1)
    messages = new_chat(customer.sender).send(text=CALM[lang].format(id=order.id))
    shown = render(messages)
    assert order.id in shown, shown
    assert not any(is_apology(m.get("text")) for m in messages), shown
    assert not any(b["payload"] == "/request_human" for b in buttons(messages)), shown

"""Two requests in one message through /api/chat against the real stack (Rasa, actions,
gateway): both are answered, in the order the customer wrote them, in one reply; a message that
is one request (or not a request) is left whole. Each test makes the orders it needs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.launcher import Stack
from tests.factory import ShopFactory
from tests.integration.helpers import (
    admin_tickets,
    buttons,
    db_rows,
    has_han,
    http_json,
    render,
)

pytestmark = pytest.mark.integration

TWO_REQUESTS = {
    "en": "please cancel order {a} and where is my order {b}",
    "zh": "帮我取消订单{a}，另外订单{b}到哪了",
}


def _user_turns(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """The user events of the web chat ``sender``'s conversation in Rasa's tracker."""
    url = f"{stack.rasa_url}/conversations/web:{sender}/tracker"
    result = http_json("GET", f"{url}?token={stack.rasa_auth_token}&include_events=ALL")
    assert result.status == 200, result.body
    return [e for e in result.body["events"] if e.get("event") == "user"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cancel_and_where_is_are_answered_in_order_in_one_reply(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str
) -> None:
    customer = shop.customer(lang)
    to_cancel = shop.order(customer, status="paid", days_ago=0.5)
    parcel = shop.order(customer, status="in_transit", days_ago=1)
    assert parcel.tracking_number
    chat = new_chat(customer.sender)
    messages = chat.send(text=TWO_REQUESTS[lang].format(a=to_cancel.id, b=parcel.id))
    said = render(messages)
    # The cancellation's question first, then the parcel's status with its tracking number.
    assert to_cancel.id in said and parcel.tracking_number in said, said
    assert said.index(to_cancel.id) < said.index(parcel.tracking_number), said
    assert "/affirm" in [b["payload"] for b in buttons(messages)], said
    assert has_han(said) == (lang == "zh")
    # Rasa saw two user turns for the one inbox message, numbered in order.
    turns = [t for t in _user_turns(stack, customer.sender) if "parts" in (t.get("metadata") or {})]
    assert [(t["metadata"]["part"], t["metadata"]["parts"]) for t in turns] == [(0, 2), (1, 2)]
    assert len({t["metadata"]["inbox_id"] for t in turns}) == 1
    # Nothing was cancelled without the customer's yes.
    assert db_rows(stack, "SELECT status FROM orders WHERE id = ?", (to_cancel.id,)) == [("paid",)]
    assert admin_tickets(stack, order_id=to_cancel.id) == []


@pytest.mark.parametrize("text", ["yes and thanks", "hello there and where is my order"])
def test_a_single_request_or_small_talk_is_not_split(
    stack: Stack, new_chat: Any, shop: ShopFactory, text: str
) -> None:
    customer = shop.customer("en")
    shop.order(customer, status="in_transit", days_ago=1)
    chat = new_chat(customer.sender)
    chat.send(text=text)
    turns = _user_turns(stack, customer.sender)
    assert [t["text"] for t in turns if t["text"] == text] == [text]
    assert not any("parts" in (t.get("metadata") or {}) for t in turns)

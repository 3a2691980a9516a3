"""Topic switches through /api/chat against the real stack (Rasa, actions, gateway).

A message with its own intent and order is handled on its own terms, then the interrupted form
resumes with its own order or is dropped; a product named in a request picks the order. Every
test makes the customer and orders it needs with the shop factory and checks the tickets
through the admin API.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.launcher import Stack
from tests.factory import Customer, Order, ShopFactory
from tests.integration.helpers import Chat, admin_tickets, buttons, render

pytestmark = pytest.mark.integration

RESUME = {"en": "back to your return", "zh": "继续刚才的退货"}


def _return_and_parcel(shop: ShopFactory, lang: str) -> tuple[Customer, Order, Order]:
    """A customer with a delivered order (to return) and another order on its way."""
    customer = shop.customer(lang)
    returned = shop.order(customer, status="delivered", days_ago=2)
    parcel = shop.order(customer, status="in_transit", days_ago=1)
    return customer, returned, parcel


def _click(chat: Chat, messages: list[dict[str, Any]], contains: str) -> list[dict[str, Any]]:
    payloads = [b["payload"] for b in buttons(messages)]
    chosen = next((p for p in payloads if contains in p), None)
    assert chosen is not None, f"no button with {contains!r} in {render(messages)}"
    return chat.send(payload=chosen)


def _finish_return(chat: Chat, asked: list[dict[str, Any]]) -> str:
    """Answer the return's reason (changed my mind) and confirm; what the bot said last."""
    summary = _click(chat, asked, '"aftersales_reason":"no_reason"')
    return render(_click(chat, summary, "/affirm"))


def _tickets(stack: Stack, order_id: str, kind: str) -> list[dict[str, Any]]:
    return [t for t in admin_tickets(stack, order_id=order_id) if t["kind"] == kind]


@pytest.mark.parametrize(
    ("lang", "start", "complaint"),
    [
        (
            "en",
            "I'd like to return order {y}",
            "I want to complain, the courier of order {x} was rude",
        ),
        ("zh", "订单{y}我要退货", "我要投诉，订单{x}的快递员态度很差，还骂人"),
    ],
)
def test_a_complaint_naming_another_order_is_recorded_on_it_and_the_return_resumes(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str, start: str, complaint: str
) -> None:
    customer, returned, parcel = _return_and_parcel(shop, lang)
    chat = new_chat(customer.sender)
    asked = chat.send(text=start.format(y=returned.id))
    assert "aftersales_reason" in render(asked)
    middle = chat.send(text=complaint.format(x=parcel.id))
    said = render(middle)
    found = _tickets(stack, parcel.id, "complaint")
    assert len(found) == 1, said
    [ticket] = found
    assert ticket["category"] == "courier_conduct"
    assert ticket["id"] in said and RESUME[lang] in said
    assert "aftersales_reason" in said  # the return asks its question again
    done = _finish_return(chat, middle)
    [returned_ticket] = _tickets(stack, returned.id, "return")
    assert returned_ticket["id"] in done
    assert _tickets(stack, returned.id, "complaint") == []  # never the pending return's order
    assert _tickets(stack, parcel.id, "return") == []


@pytest.mark.parametrize(
    ("lang", "complaint"),
    [
        ("en", "I want to make a complaint about your delivery people"),
        ("zh", "说实话你们的快递员太差劲了"),
    ],
)
def test_a_complaint_naming_no_order_asks_which_one(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str, complaint: str
) -> None:
    customer, returned, parcel = _return_and_parcel(shop, lang)
    chat = new_chat(customer.sender)
    asked = chat.send(text=f"return {returned.id}" if lang == "en" else f"{returned.id}退货")
    assert "aftersales_reason" in render(asked)
    which = chat.send(text=complaint)
    assert "complaint_order" in render(which) and "aftersales_reason" in render(which)
    assert admin_tickets(stack, customer_id=customer.id, kind="complaint") == []
    picked = _click(chat, which, f'"complaint_order":"{parcel.id}"')
    [ticket] = _tickets(stack, parcel.id, "complaint")
    assert ticket["payload"]["text"] == complaint and ticket["id"] in render(picked)
    assert "aftersales_reason" in render(picked)  # and the return goes on
    _finish_return(chat, picked)
    assert len(_tickets(stack, returned.id, "return")) == 1
    assert _tickets(stack, returned.id, "complaint") == []


@pytest.mark.parametrize(
    ("lang", "start", "stop", "dropped"),
    [
        ("en", "I want to return order {y}", "never mind", "stopped the return for order {y}"),
        ("zh", "订单{y}想退货", "算了", "已为您取消订单 {y} 的退货申请"),
        ("en", "can I exchange order {y} for another size", "forget it", "the exchange for order"),
    ],
)
def test_never_mind_drops_the_form_and_says_what_was_dropped(
    stack: Stack,
    new_chat: Any,
    shop: ShopFactory,
    lang: str,
    start: str,
    stop: str,
    dropped: str,
) -> None:
    customer, returned, _ = _return_and_parcel(shop, lang)
    chat = new_chat(customer.sender)
    asked = chat.send(text=start.format(y=returned.id))
    assert "aftersales_reason" in render(asked)
    said = chat.say(stop)
    assert dropped.format(y=returned.id) in said
    assert admin_tickets(stack, order_id=returned.id) == []
    # Nothing of the dropped request carries over: a new one asks its questions again.
    again = chat.send(text=start.format(y=returned.id))
    assert "aftersales_reason" in render(again)


@pytest.mark.parametrize(
    ("lang", "said"), [("en", "I want to return the T-shirt"), ("zh", "那件T恤我想退掉")]
)
def test_the_product_named_picks_the_only_order_with_it(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str, said: str
) -> None:
    customer = shop.customer(lang)
    shirt = shop.order(customer, products_=[shop.product("clothing", named="T-Shirt")])
    earbuds = shop.order(customer, products_=[shop.product("electronics", named="Earbuds")])
    chat = new_chat(customer.sender)
    asked = chat.send(text=said)
    shown = render(asked)
    assert "aftersales_reason" in shown, shown  # straight to the reason: no "which order?"
    assert '"order_id"' not in shown and earbuds.id not in shown
    done = _finish_return(chat, asked)
    [ticket] = _tickets(stack, shirt.id, "return")
    assert ticket["id"] in done
    assert _tickets(stack, earbuds.id, "return") == []


def test_several_orders_with_the_product_are_the_only_choices(
    stack: Stack, new_chat: Any, shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    shirts = [
        shop.order(customer, products_=[shop.product("clothing", named="T-Shirt")])
        for _ in range(2)
    ]
    earbuds = shop.order(customer, products_=[shop.product("electronics", named="Earbuds")])
    chat = new_chat(customer.sender)
    asked = chat.send(text="I'd like to return my T-shirt")
    offered = {b["payload"] for b in buttons(asked)}
    assert offered == {f'/inform{{"order_id":"{o.id}"}}' for o in shirts}, render(asked)
    assert earbuds.id not in render(asked)
    chosen = _click(chat, asked, shirts[1].id)
    _finish_return(chat, chosen)
    assert len(_tickets(stack, shirts[1].id, "return")) == 1
    assert _tickets(stack, shirts[0].id, "return") == []


@pytest.mark.parametrize(
    ("lang", "start", "switch", "dropped"),
    [
        ("en", "I'd like to return order {y}", "actually, cancel order {x}", "the return for"),
        ("zh", "订单{y}我要退货", "先不退了，帮我取消订单{x}", "的退货申请"),
    ],
)
def test_another_request_drops_the_return_and_goes_on_with_its_own_order(
    stack: Stack,
    new_chat: Any,
    shop: ShopFactory,
    lang: str,
    start: str,
    switch: str,
    dropped: str,
) -> None:
    customer, returned, _ = _return_and_parcel(shop, lang)
    unshipped = shop.order(customer, status="paid", days_ago=1)
    chat = new_chat(customer.sender)
    assert "aftersales_reason" in render(chat.send(text=start.format(y=returned.id)))
    moved = chat.send(text=switch.format(x=unshipped.id))
    said = render(moved)
    assert dropped in said and returned.id in said
    assert unshipped.id in said and "/affirm" in said, said  # the cancellation's confirmation
    done = render(_click(chat, moved, "/affirm"))
    [ticket] = _tickets(stack, unshipped.id, "cancellation")
    assert ticket["id"] in done
    assert admin_tickets(stack, order_id=returned.id) == []


@pytest.mark.parametrize(
    ("lang", "start", "again"),
    [
        ("en", "I'd like to return order {y}", "ok continue with the return"),
        ("zh", "订单{y}我要退货", "对 退货"),
    ],
)
def test_the_request_said_again_at_its_confirmation_confirms_it(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str, start: str, again: str
) -> None:
    customer, returned, _ = _return_and_parcel(shop, lang)
    chat = new_chat(customer.sender)
    asked = chat.send(text=start.format(y=returned.id))
    confirm = _click(chat, asked, '"aftersales_reason":"no_reason"')
    assert "/affirm" in render(confirm)
    done = render(chat.send(text=again))
    [ticket] = _tickets(stack, returned.id, "return")
    assert ticket["id"] in done


@pytest.mark.parametrize(
    ("lang", "ask", "follow_up"),
    [
        ("en", "where is order {x}", "when will it arrive"),
        ("zh", "订单{x}到哪了", "那它什么时候能到"),
    ],
)
def test_a_question_about_it_is_about_the_order_just_answered(
    stack: Stack, new_chat: Any, shop: ShopFactory, lang: str, ask: str, follow_up: str
) -> None:
    customer, _, parcel = _return_and_parcel(shop, lang)
    chat = new_chat(customer.sender)
    assert parcel.tracking_number is not None
    assert parcel.tracking_number in render(chat.send(text=ask.format(x=parcel.id)))
    again = render(chat.send(text=follow_up))
    assert parcel.tracking_number in again, again  # no "which order?"
    assert '"order_id"' not in again

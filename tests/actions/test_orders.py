"""Order forms and actions against the seeded demo shop (the README demo records)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.order_access import phone_retries
from bot.actions.order_asks import AskConfirm, AskNewAddress, AskOrderId, AskPhone
from bot.actions.order_forms import (
    ValidateCancelOrderForm,
    ValidateChangeAddressForm,
    ValidateOrderStatusForm,
    find_order_id,
    strip_address_lead_in,
)
from bot.actions.orders import CancelOrder, ChangeAddress, OrderStatus
from bot.i18n import t
from bot.services import orders, tickets
from bot.storage import schema

from .helpers import make_tracker, slot_events, texts

IN_TRANSIT = "260315004217"  # Li Wei, SF Express, in transit, wireless earbuds
TSHIRT = "260402118830"  # Li Wei, delivered 3 days ago
PAID = "260420000009"  # Li Wei, paid, not shipped, rice cooker
KETTLE = "260101000001"  # Li Wei, delivered 40 days ago, electric kettle
EMMA = "260411555501"  # Emma Clark, delivered 2 days ago, running shoes
LIWEI = "web:demo-liwei"
EMMA_SENDER = "web:demo-emma"
GUEST = "web:guest-4711"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("260315004217", "260315004217"),
        ("我的订单号是260315004217谢谢", "260315004217"),
        ("order #260420000009 please", "260420000009"),
        ("12345", None),
        ("2603150042171", None),  # 13 digits is not an order number
        ("", None),
        ("2603 1500 4217", "260315004217"),  # copied with spaces or dashes
        ("where is 2603-1500-4217?", "260315004217"),
        ("我的订单 2604.2000.0009 到哪了", "260420000009"),
        ("2603 1500 42171", None),
        ("call 138 1234 5678", None),  # 11 digits: a phone, not an order
    ],
)
def test_find_order_id(text: str, expected: str | None) -> None:
    assert find_order_id(text, "[0-9]{12}") == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "in transit",
                "SF Express",
                "SF1428850311796",
                "Arrived at Shanghai sorting centre",
                "Expected delivery",
            ],
        ),
        ("zh", ["运输中", "顺丰速运", "SF1428850311796", "快件已到达上海转运中心", "预计送达"]),
    ],
)
async def test_order_status_of_own_order_in_the_customers_language(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: list[str]
) -> None:
    tracker = make_tracker(sender_id=LIWEI, slots={"order_id": IN_TRANSIT, "language": lang})
    events = await OrderStatus().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    for part in expected:
        assert part in said
    # The flow is over: the next question starts from scratch.
    assert slot_events(events)["order_id"] is None


@pytest.mark.parametrize(
    ("order_id", "lang", "expected"),
    [
        (PAID, "en", "paid, waiting to be shipped"),
        (PAID, "zh", "已付款，待发货"),
        (TSHIRT, "en", "It was delivered on"),
        (TSHIRT, "zh", "签收"),
    ],
)
async def test_order_status_of_unshipped_and_delivered_orders(
    deps: Deps, dispatcher: CollectingDispatcher, order_id: str, lang: str, expected: str
) -> None:
    tracker = make_tracker(sender_id=LIWEI, slots={"order_id": order_id, "language": lang})
    await OrderStatus().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert expected in said
    if order_id == PAID:
        assert ("leave our warehouse" in said) or ("仓库发出" in said)


async def test_metadata_customer_id_identifies_the_owner(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(
        sender_id="telegram:99",
        slots={"order_id": EMMA},
        metadata={"channel": "telegram", "external_id": "99", "customer_id": "C0002"},
    )
    await OrderStatus().run(dispatcher, tracker, {})
    assert "YT6612093847715" in texts(dispatcher)


async def validate(
    action: Any, domain: dict[str, Any], form: str, **kwargs: Any
) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(active_loop=form, **kwargs)
    events = await action.run(dispatcher, tracker, domain)
    return slot_events(events), dispatcher


async def test_someone_elses_order_asks_for_the_phone(deps: Deps, domain: dict[str, Any]) -> None:
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=LIWEI,
        text=EMMA,
        intent="inform",
        slot_candidates={"order_id": EMMA},
    )
    assert slots == {"order_id": EMMA, "requested_slot": "phone"}

    dispatcher = CollectingDispatcher()
    await AskPhone().run(dispatcher, make_tracker(slots={"order_id": EMMA}), domain)
    said = texts(dispatcher)
    assert "phone number" in said and EMMA in said
    assert "running" not in said.lower()  # nothing about the order itself


async def test_own_order_needs_no_phone(deps: Deps, domain: dict[str, Any]) -> None:
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=LIWEI,
        slot_candidates={"order_id": IN_TRANSIT},
    )
    assert slots == {"order_id": IN_TRANSIT, "requested_slot": None}


@pytest.mark.parametrize(
    ("given", "expected_text"),
    [
        ("12345", "12 digits"),
        ("where is my parcel", "12 digits"),
        ("999999999999", "couldn't find an order"),
    ],
)
async def test_bad_or_unknown_order_number_is_asked_again(
    deps: Deps, domain: dict[str, Any], given: str, expected_text: str
) -> None:
    slots, dispatcher = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        text=given,
        intent="inform",
        slot_candidates={"order_id": given},
    )
    assert slots == {"order_id": None, "requested_slot": "order_id"}
    assert expected_text in texts(dispatcher)


@pytest.mark.parametrize(
    "phone",
    [
        "+44 7700 900123",
        "07700 900123",
        "447700900123",
        # The entity finders take the number out of a longer answer (the order number's digits
        # are not read as part of it).
        f"it's +44 7700 900123, for order {EMMA}",
    ],
)
async def test_right_phone_shows_someone_elses_order(
    deps: Deps, domain: dict[str, Any], phone: str
) -> None:
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        slots={"order_id": EMMA},
        slot_candidates={"phone": phone},
    )
    assert slots["requested_slot"] is None
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id=GUEST, slots={"order_id": EMMA, "phone": slots["phone"]})
    await OrderStatus().run(dispatcher, tracker, {})
    assert "delivered" in texts(dispatcher)


def _said(text: str) -> dict[str, Any]:
    return {"event": "bot", "text": text}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_wrong_phone_is_asked_again_then_a_right_one_is_taken(
    deps: Deps, domain: dict[str, Any], lang: str
) -> None:
    slots, dispatcher = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        slots={"order_id": EMMA, "language": lang},
        slot_candidates={"phone": "13900001111"},
    )
    assert slots == {"phone": None, "requested_slot": "phone"}
    said = texts(dispatcher)
    assert said == t("order.phone_retry", lang)
    for secret in ("YT6612093847715", "delivered", "签收", "YTO", "圆通"):
        assert secret not in said
    retried = [_said(t("order.ask_phone", lang, order_id=EMMA)), _said(said)]
    tracker = make_tracker(slots={"order_id": EMMA, "language": lang}, events_before=retried)
    assert phone_retries(tracker) == 1
    dispatcher = CollectingDispatcher()
    await AskPhone().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == t("order.ask_phone_again", lang, order_id=EMMA)
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        slots={"order_id": EMMA, "language": lang},
        events_before=retried,
        slot_candidates={"phone": "+44 7700 900123"},
    )
    assert slots == {"phone": "447700900123", "requested_slot": None}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_wrong_phone_is_refused_without_leaking_anything(
    deps: Deps, domain: dict[str, Any], lang: str
) -> None:
    # After MAX_PHONE_TRIES wrong numbers the form takes the phone and ends; the action
    # then refuses.
    retry = _said(t("order.phone_retry", lang))
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        slots={"order_id": EMMA, "language": lang},
        events_before=[retry, retry],
        slot_candidates={"phone": "13900001111"},
    )
    assert slots == {"phone": "13900001111", "requested_slot": None}
    for action in (OrderStatus(), CancelOrder(), ChangeAddress()):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            sender_id=GUEST,
            slots={"order_id": EMMA, "phone": "13900001111", "language": lang, "confirm": True},
        )
        await action.run(dispatcher, tracker, {})
        said = texts(dispatcher)
        assert ("doesn't match" in said) or ("不符" in said)
        for secret in ("YT6612093847715", "delivered", "签收", "Century Avenue", "YTO", "圆通"):
            assert secret not in said
    order = await orders.get_order(deps.engine, EMMA)
    assert order is not None and order.status == "delivered"


async def test_malformed_phone_is_asked_again(deps: Deps, domain: dict[str, Any]) -> None:
    slots, dispatcher = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        slots={"order_id": EMMA},
        slot_candidates={"phone": "no idea"},
    )
    assert slots == {"phone": None, "requested_slot": "phone"}
    assert "phone number" in texts(dispatcher)


async def test_known_customer_gets_recent_orders_as_buttons(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    await AskOrderId().run(dispatcher, make_tracker(sender_id=LIWEI, slots={"language": "zh"}), {})
    [message] = dispatcher.messages
    payloads = [button["payload"] for button in message["buttons"]]
    assert f'/inform{{"order_id":"{IN_TRANSIT}"}}' in payloads
    assert len(payloads) <= 5
    assert "最近的订单" in message["text"]


def _button_orders(dispatcher: CollectingDispatcher) -> set[str]:
    [message] = dispatcher.messages
    return {
        button["payload"].split('"order_id":"')[1].split('"')[0] for button in message["buttons"]
    }


@pytest.mark.parametrize(
    ("form", "offered", "left_out"),
    [
        # Order status lists every recent order.
        ("order_status_form", {IN_TRANSIT, TSHIRT, PAID, KETTLE}, set()),
        (None, {IN_TRANSIT, TSHIRT, PAID, KETTLE}, set()),
        # Cancelling and a new address only before shipping.
        ("cancel_order_form", {PAID}, {IN_TRANSIT, TSHIRT, KETTLE}),
        ("change_address_form", {PAID}, {IN_TRANSIT, TSHIRT, KETTLE}),
        # Returns inside the 7-day window, or intercepting a parcel on its way.
        ("return_request_form", {TSHIRT, IN_TRANSIT}, {PAID, KETTLE}),
        # Exchanges only inside the 7-day window.
        ("exchange_request_form", {TSHIRT}, {IN_TRANSIT, PAID, KETTLE}),
    ],
)
async def test_order_buttons_offer_only_orders_the_request_applies_to(
    deps: Deps,
    dispatcher: CollectingDispatcher,
    form: str | None,
    offered: set[str],
    left_out: set[str],
) -> None:
    tracker = make_tracker(sender_id=LIWEI, active_loop=form)
    await AskOrderId().run(dispatcher, tracker, {})
    shown = _button_orders(dispatcher)
    assert offered <= shown
    assert not left_out & shown


async def test_cancelled_orders_are_not_offered_for_a_return(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    async with deps.engine.begin() as conn:
        await conn.execute(
            schema.orders.update().where(schema.orders.c.id == TSHIRT).values(status="cancelled")
        )
    tracker = make_tracker(sender_id=LIWEI, active_loop="return_request_form")
    await AskOrderId().run(dispatcher, tracker, {})
    assert _button_orders(dispatcher) == {IN_TRANSIT}


@pytest.mark.parametrize("form", ["cancel_order_form", "change_address_form"])
async def test_recent_orders_are_offered_when_none_fits(
    deps: Deps, dispatcher: CollectingDispatcher, form: str
) -> None:
    # Emma's only order is delivered: nothing to cancel, so her recent orders are shown.
    tracker = make_tracker(sender_id=EMMA_SENDER, active_loop=form)
    await AskOrderId().run(dispatcher, tracker, {})
    assert EMMA in _button_orders(dispatcher)


@pytest.mark.parametrize(
    ("text", "intent", "narrowed"),
    [
        ("I want to return the earbuds", "return_request", True),
        ("do you have any cheap headphones?", "recommend_products", False),
    ],
)
async def test_a_product_narrows_the_order_buttons_only_in_a_request_or_an_answer(
    deps: Deps, dispatcher: CollectingDispatcher, text: str, intent: str, narrowed: bool
) -> None:
    """Back from a question asked in between, the form asks as before: the headphones of a
    product question are not the order's product ("None of your orders ... has ...")."""
    tracker = make_tracker(
        sender_id=LIWEI, text=text, intent=intent, active_loop="return_request_form"
    )
    await AskOrderId().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    if narrowed:
        assert "earbuds" in message["text"].lower() and IN_TRANSIT in _button_orders(dispatcher)
    else:
        assert message["text"] == t("order.ask_id_choose", "en")


async def test_guest_is_asked_to_type_the_order_number(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    await AskOrderId().run(dispatcher, make_tracker(sender_id=GUEST), {})
    [message] = dispatcher.messages
    assert not message["buttons"]
    assert "12 digits" in message["text"]


async def test_cancel_form_asks_confirmation_only_before_shipping(
    deps: Deps, domain: dict[str, Any]
) -> None:
    unshipped, _ = await validate(
        ValidateCancelOrderForm(), domain, "cancel_order_form", slot_candidates={"order_id": PAID}
    )
    assert unshipped["requested_slot"] == "confirm"
    shipped, _ = await validate(
        ValidateCancelOrderForm(),
        domain,
        "cancel_order_form",
        slot_candidates={"order_id": IN_TRANSIT},
    )
    assert shipped["requested_slot"] is None

    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_id": PAID}, active_loop="cancel_order_form")
    await AskConfirm().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert "hasn't shipped yet" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_cancel_before_shipping_cancels_and_records_a_ticket(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str
) -> None:
    tracker = make_tracker(slots={"order_id": PAID, "confirm": True, "language": lang})
    await CancelOrder().run(dispatcher, tracker, {})
    order = await orders.get_order(deps.engine, PAID)
    assert order is not None and order.status == "cancelled"
    [ticket] = await tickets.list_tickets(deps.engine, order_id=PAID, kind="cancellation")
    said = texts(dispatcher)
    assert ticket.id in said
    assert "¥" in said
    assert ("WeChat Pay" in said) if lang == "en" else ("微信支付" in said)


async def test_cancel_declined_keeps_the_order(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(slots={"order_id": PAID, "confirm": False})
    await CancelOrder().run(dispatcher, tracker, {})
    order = await orders.get_order(deps.engine, PAID)
    assert order is not None and order.status == "paid"
    assert "haven't cancelled" in texts(dispatcher)


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "return window ended"), ("zh", "退货期也已于")]
)
async def test_cancel_long_after_delivery_offers_no_return(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: str
) -> None:
    tracker = make_tracker(slots={"order_id": KETTLE, "language": lang})
    events = await CancelOrder().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert expected in message["text"]
    assert not message.get("buttons")
    assert slot_events(events)["order_id"] is None
    assert "offered" not in slot_events(events)


@pytest.mark.parametrize(
    ("order_id", "lang", "expected"),
    [
        (IN_TRANSIT, "en", "already shipped"),
        (IN_TRANSIT, "zh", "已经发货"),
        (TSHIRT, "en", "already delivered"),
    ],
)
async def test_cancel_after_shipping_explains_and_offers_a_return(
    deps: Deps, dispatcher: CollectingDispatcher, order_id: str, lang: str, expected: str
) -> None:
    tracker = make_tracker(slots={"order_id": order_id, "language": lang})
    events = await CancelOrder().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert expected in message["text"]
    assert message["buttons"] == [
        {
            "title": "Start a return" if lang == "en" else "申请退货",
            "payload": f'/return_request{{"order_id":"{order_id}"}}',
        }
    ]
    slots = slot_events(events)
    assert slots["offered"] == "return"
    assert "order_id" not in slots  # kept for a plain "yes"
    order = await orders.get_order(deps.engine, order_id)
    assert order is not None and order.status != "cancelled"


@pytest.mark.parametrize(
    ("address", "problem_text"),
    [
        ("北京", "地址太短"),
        ("浙江省杭州市西湖区", "地址不够详细"),
        ("home", "too short"),
        ("Somewhere near the big park in London", "more detailed address"),
        ("路" * 250, "地址太长"),
    ],
)
async def test_bad_new_address_gets_a_specific_re_ask(
    deps: Deps, domain: dict[str, Any], address: str, problem_text: str
) -> None:
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in address) else "en"
    slots, dispatcher = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        text=address,
        slots={"order_id": PAID, "language": lang},
        slot_candidates={"new_address": address},
    )
    assert slots == {"new_address": None, "requested_slot": "new_address"}
    assert problem_text in texts(dispatcher)


async def test_address_form_asks_new_address_then_confirmation(
    deps: Deps, domain: dict[str, Any]
) -> None:
    first, _ = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        slot_candidates={"order_id": PAID},
    )
    assert first["requested_slot"] == "new_address"
    dispatcher = CollectingDispatcher()
    await AskNewAddress().run(dispatcher, make_tracker(slots={"order_id": PAID}), domain)
    assert "张江路" in texts(dispatcher)  # shows the current address to its owner

    good = "北京市朝阳区建国路93号万达广场B座1502"
    second, _ = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        slots={"order_id": PAID},
        slot_candidates={"new_address": good},
    )
    assert second == {"new_address": good, "requested_slot": "confirm"}

    shipped, _ = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        slot_candidates={"order_id": IN_TRANSIT},
    )
    assert shipped["requested_slot"] is None


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("problem", ["too_short", "no_detail", "too_long", "invalid"])
async def test_after_an_address_problem_only_a_short_re_ask_follows(
    deps: Deps, domain: dict[str, Any], lang: str, problem: str
) -> None:
    tracker = make_tracker(
        text="home", slots={"order_id": PAID, "language": lang}, active_loop="change_address_form"
    )
    # The form's validation said what is wrong in this turn, just before asking again.
    tracker.events.append({"event": "bot", "text": t(f"address.{problem}", lang)})
    dispatcher = CollectingDispatcher()
    await AskNewAddress().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == t("address.ask_again", lang, order_id=PAID)
    assert "张江路" not in message["text"]


async def test_a_problem_in_an_earlier_turn_gets_the_full_question(
    deps: Deps, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="change the address",
        slots={"order_id": PAID},
        events_before=[{"event": "bot", "text": t("address.too_short", "en")}],
    )
    dispatcher = CollectingDispatcher()
    await AskNewAddress().run(dispatcher, tracker, domain)
    said = texts(dispatcher)
    assert "张江路" in said and "What's the new address?" in said


async def test_address_change_before_shipping_updates_the_order(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    new = "Flat 12, 88 Jianguo Road, Chaoyang District, Beijing"
    tracker = make_tracker(slots={"order_id": PAID, "new_address": new, "confirm": True})
    await ChangeAddress().run(dispatcher, tracker, {})
    order = await orders.get_order(deps.engine, PAID)
    assert order is not None and order.shipping_address == new
    [ticket] = await tickets.list_tickets(deps.engine, order_id=PAID, kind="address_change")
    assert ticket.id in texts(dispatcher)


@pytest.mark.parametrize(("lang", "expected"), [("en", "SF Express"), ("zh", "顺丰速运")])
async def test_address_change_after_shipping_is_explained(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: str
) -> None:
    tracker = make_tracker(
        slots={"order_id": IN_TRANSIT, "new_address": "x", "confirm": True, "language": lang}
    )
    await ChangeAddress().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert expected in said and "SF1428850311796" in said
    assert await tickets.list_tickets(deps.engine, order_id=IN_TRANSIT) == []


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        # An address is an address, whatever the intent classifier made of it.
        (
            "please send it to Room 804, 18 Xinhua Road, Changning District, Shanghai",
            "exchange_request",
            "Room 804, 18 Xinhua Road, Changning District, Shanghai",
        ),
        ("新地址是杭州市西湖区文三路478号", "change_address", "杭州市西湖区文三路478号"),
        # The entity finders keep the address and drop what is around it.
        (
            "地址改成上海市浦东新区张江路100号阳光花园3栋502室，谢谢，电话13812345678",
            "change_address",
            "上海市浦东新区张江路100号阳光花园3栋502室",
        ),
        # A question interrupts the form (nothing extracted, so Rasa lets the FAQ rule answer).
        ("is shipping free over 99?", "faq", None),
        ("no, leave it", "deny", None),
    ],
)
async def test_new_address_is_taken_from_the_answer_unless_it_interrupts(
    deps: Deps, domain: dict[str, Any], text: str, intent: str, expected: str | None
) -> None:
    slots, _ = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        text=text,
        intent=intent,
        slots={"order_id": PAID, "requested_slot": "new_address"},
    )
    assert slots.get("new_address") == expected
    assert slots["requested_slot"] == ("confirm" if expected else "new_address")


async def test_a_short_answer_is_asked_again_with_the_problem(
    deps: Deps, domain: dict[str, Any]
) -> None:
    slots, dispatcher = await validate(
        ValidateChangeAddressForm(),
        domain,
        "change_address_form",
        text="改到杭州",
        intent="nlu_fallback",
        slots={"order_id": PAID, "requested_slot": "new_address", "language": "zh"},
    )
    assert slots == {"new_address": None, "requested_slot": "new_address"}
    assert "地址太短" in texts(dispatcher)


@pytest.mark.parametrize(
    ("slot", "text", "intent", "expected", "said"),
    [
        # Digits answer the question even when the classifier heard small talk.
        ("order_id", "12345", "goodbye", None, "12 digits"),
        ("order_id", "it's 260315004217", "inform", IN_TRANSIT, ""),
        ("order_id", "no idea, sorry", "inform", None, "12 digits"),
        ("order_id", "2603 1500 4217", "inform", IN_TRANSIT, ""),
        ("phone", "07700 900123", "goodbye", "07700900123", ""),
    ],
)
async def test_plain_answers_fill_the_requested_slot(
    deps: Deps,
    domain: dict[str, Any],
    slot: str,
    text: str,
    intent: str,
    expected: str | None,
    said: str,
) -> None:
    slots, dispatcher = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=GUEST,
        text=text,
        intent=intent,
        slots={"requested_slot": slot, **({"order_id": EMMA} if slot == "phone" else {})},
    )
    assert slot in slots
    assert slots[slot] == expected
    assert said in texts(dispatcher)


@pytest.mark.parametrize(
    ("text", "intent"),
    [("where is 2603-1500-4217", "order_status"), ("查订单 2603 1500 4217", "inform")],
)
async def test_a_grouped_order_number_in_the_first_request_is_taken(
    deps: Deps, domain: dict[str, Any], text: str, intent: str
) -> None:
    slots, _ = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        sender_id=LIWEI,
        text=text,
        intent=intent,
    )
    assert slots == {"order_id": IN_TRANSIT, "requested_slot": None}


@pytest.mark.parametrize(("text", "intent"), [("how much is shipping?", "faq"), ("no", "deny")])
async def test_other_requests_interrupt_instead_of_answering(
    deps: Deps, domain: dict[str, Any], text: str, intent: str
) -> None:
    slots, dispatcher = await validate(
        ValidateOrderStatusForm(),
        domain,
        "order_status_form",
        text=text,
        intent=intent,
        slots={"requested_slot": "order_id"},
    )
    assert "order_id" not in slots  # nothing extracted: Rasa lets the rules handle it
    assert not dispatcher.messages


def test_form_slots_take_answers_only_while_their_form_asks(domain: dict[str, Any]) -> None:
    forms = {
        name for name in domain["forms"] if "order_id" in domain["forms"][name]["required_slots"]
    }
    for slot in ("order_id", "phone"):
        [custom] = [m for m in domain["slots"][slot]["mappings"] if m["type"] == "custom"]
        assert {c["active_loop"] for c in custom["conditions"]} == forms
        assert {c["requested_slot"] for c in custom["conditions"]} == {slot}


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("send it to 18 Xinhua Road, Shanghai", "18 Xinhua Road, Shanghai"),
        ("New address: Flat 3, 42 Queen's Road", "Flat 3, 42 Queen's Road"),
        ("it should go to Room 804, 18 Xinhua Road", "Room 804, 18 Xinhua Road"),
        ("新地址是杭州市西湖区文三路478号", "杭州市西湖区文三路478号"),
        ("改到：北京市海淀区学院路37号", "北京市海淀区学院路37号"),
        ("上海市浦东新区张江路88号", "上海市浦东新区张江路88号"),
        ("Addressee: 5 Main St", "Addressee: 5 Main St"),
        ("改成", "改成"),
    ],
)
def test_strip_address_lead_in(text: str, address: str) -> None:
    assert strip_address_lead_in(text) == address


@pytest.mark.parametrize(
    ("text", "intent", "form", "carried"),
    [
        ("when will it arrive", "order_status", "order_status_form", True),
        ("can i change the address for it", "change_address", "change_address_form", True),
        ("那我不要了 取消吧", "cancel_order", "cancel_order_form", True),
        ("where is my order", "order_status", "order_status_form", False),
    ],
)
async def test_a_request_about_it_is_about_the_order_just_talked_about(
    deps: Deps, domain: dict[str, Any], text: str, intent: str, form: str, carried: bool
) -> None:
    """After the earbuds' status, "when will it arrive?" is about the earbuds; a request
    that does not point back is asked which order."""
    earlier = [
        {"event": "session_started"},
        {"event": "user", "text": "the earbuds one", "parse_data": {}},
        {"event": "slot", "name": "order_id", "value": IN_TRANSIT},
        {"event": "bot", "text": "Order ... in transit"},
        {"event": "slot", "name": "order_id", "value": None},
    ]
    tracker = make_tracker(
        sender_id=LIWEI, text=text, intent=intent, active_loop=form, events_before=earlier
    )
    validation = {
        "order_status_form": ValidateOrderStatusForm,
        "change_address_form": ValidateChangeAddressForm,
        "cancel_order_form": ValidateCancelOrderForm,
    }[form]()
    got = await validation.extract_order_id(CollectingDispatcher(), tracker, domain)
    assert got == ({"order_id": IN_TRANSIT} if carried else {})


async def test_a_guest_who_proved_the_phone_is_not_asked_again_about_it(
    deps: Deps, domain: dict[str, Any]
) -> None:
    earlier = [
        {"event": "session_started"},
        {"event": "user", "text": f"where is my order {EMMA}", "parse_data": {}},
        {"event": "slot", "name": "order_id", "value": EMMA},
        {"event": "user", "text": "+44 7700 900123", "parse_data": {}},
        {"event": "slot", "name": "phone", "value": "447700900123"},
        {"event": "bot", "text": "Order ... delivered"},
        {"event": "slot", "name": "order_id", "value": None},
        {"event": "slot", "name": "phone", "value": None},
    ]
    tracker = make_tracker(
        sender_id=GUEST, text="when will it arrive", intent="order_status",
        active_loop="order_status_form", events_before=earlier,
    )  # fmt: skip
    got = await ValidateOrderStatusForm().extract_order_id(CollectingDispatcher(), tracker, domain)
    assert got == {"order_id": EMMA, "phone": "447700900123"}


@pytest.mark.parametrize(
    ("sender", "text", "chosen"),
    [
        (EMMA_SENDER, "size 39 same colour", True),  # her only order
        (LIWEI, "yes", False),  # several offered: a yes is no choice
    ],
)
async def test_a_reply_without_a_number_takes_the_only_order_offered(
    deps: Deps, domain: dict[str, Any], sender: str, text: str, chosen: bool
) -> None:
    tracker = make_tracker(
        sender_id=sender, text=text, intent="inform",
        slots={"requested_slot": "order_id", "language": "en"},
        active_loop="return_request_form",
    )  # fmt: skip
    dispatcher = CollectingDispatcher()
    got = await ValidateOrderStatusForm().validate_order_id(text, dispatcher, tracker, domain)
    assert (got == {"order_id": EMMA}) is chosen
    assert ("doesn't look like an order number" in texts(dispatcher)) is not chosen

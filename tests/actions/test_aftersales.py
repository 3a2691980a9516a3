"""Returns, exchanges, refund status and complaints against the seeded demo shop, with the
orders a test needs beyond the README demo records made by the shop factory."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.aftersales import complaints
from bot.actions.aftersales.aside import OrderStatusAside
from bot.actions.aftersales.complaints import Complaint
from bot.actions.aftersales.forms import (
    ValidateExchangeRequestForm,
    ValidateReturnRequestForm,
)
from bot.actions.aftersales.questions import (
    AskAftersalesConfirm,
    AskAftersalesLine,
    AskExchangeVariant,
)
from bot.actions.aftersales.requests import ExchangeRequest, RefundStatus, ReturnRequest
from bot.actions.order_forms import ValidateCancelOrderForm
from bot.actions.orders import CancelOrder
from bot.services import catalog, orders, tickets
from bot.services.aftersales_answers import (
    line_from_text,
    quantity_from_text,
    reason_from_text,
    variant_from_text,
)
from tests.factory import ShopFactory

from .helpers import make_tracker, new_tickets, slot_events, texts

IN_TRANSIT = "260315004217"
TSHIRT = "260402118830"  # delivered 3 days before the shop's seeding day
KETTLE = "260101000001"  # delivered 40 days before
PAID = "260420000009"
EMMA = "260411555501"  # running shoes, size 39 white, delivered 2 days before

RETURN_FORM = "return_request_form"
EXCHANGE_FORM = "exchange_request_form"


def _order(shop: ShopFactory, *categories: str, **kwargs: Any) -> tuple[str, str]:
    """(order id, sender id) of a new customer's order delivered 2 days before the pinned
    clock, with one line of a fresh product per category."""
    order = shop.order(products_=[shop.product(c) for c in categories], **kwargs)
    return order.id, f"web:{order.customer.sender}"


# Reading answers ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "reason"),
    [
        ("用了两天鞋底就开胶了", "quality_problem"),
        ("it stopped working after a day", "quality_problem"),
        ("快递压坏了，盒子都扁了", "damaged_in_transit"),
        ("the mug arrived broken, box was smashed", "damaged_in_transit"),
        ("你们发错货了，颜色不对", "wrong_item"),
        ("this is not what I ordered", "wrong_item"),
        ("尺码偏小，穿不上", "size_or_fit"),
        ("way too small for me", "size_or_fit"),
        ("实物和图片不一样，色差很大", "not_as_described"),
        ("不想要了", "no_reason"),
        ("I changed my mind", "no_reason"),
        ("", None),
    ],
)
def test_reasons_are_read_from_the_customers_words(said: str, reason: str | None) -> None:
    assert reason_from_text(said) == reason


async def test_items_and_variants_are_read_from_replies(deps: Deps, shop: ShopFactory) -> None:
    order_id, _ = _order(shop, "clothing", "home")
    order = await orders.get_order(deps.engine, order_id)
    assert order is not None
    assert line_from_text(order, "2") == 1
    assert line_from_text(order, "第1件") == 0
    assert line_from_text(order, order.items[1].name_en[:14]) == 1
    assert line_from_text(order, "99") is None
    shoes = await catalog.get_product(deps.engine, "P0023")
    assert shoes is not None
    chosen = variant_from_text(shoes, "42 white please")
    assert chosen is not None and chosen.sku == "P0023-42-WHITE"
    chosen = variant_from_text(shoes, "换成43码蓝色的")
    assert chosen is not None and chosen.sku == "P0023-43-BLUE"
    assert variant_from_text(shoes, "something nice") is None


# What the forms ask ------------------------------------------------------------------------
async def _required(form: Any, tracker: Any, domain: dict[str, Any]) -> list[str]:
    return list(await form.required_slots([], CollectingDispatcher(), tracker, domain))


async def test_a_multi_item_order_asks_for_the_item_first(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    order_id, sender = _order(shop, "clothing", "home")
    tracker = make_tracker(sender_id=sender, slots={"order_id": order_id}, active_loop=RETURN_FORM)
    assert await _required(ValidateReturnRequestForm(), tracker, domain) == [
        "order_id",
        "aftersales_line",
    ]
    dispatcher = CollectingDispatcher()
    await AskAftersalesLine().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[:2] == [
        f'/inform{{"aftersales_line":"{order_id}#0"}}',
        f'/inform{{"aftersales_line":"{order_id}#1"}}',
    ]


@pytest.mark.parametrize(
    ("form", "slots", "expected"),
    [
        # One item: straight to the reason.
        (ValidateReturnRequestForm(), {"order_id": TSHIRT}, ["order_id", "aftersales_reason"]),
        (
            ValidateReturnRequestForm(),
            {"order_id": TSHIRT, "aftersales_reason": "size_or_fit"},
            ["order_id", "aftersales_reason", "aftersales_confirm"],
        ),
        # Refused (window passed): the form ends, the submit action explains.
        (
            ValidateReturnRequestForm(),
            {"order_id": KETTLE, "aftersales_reason": "no_reason"},
            ["order_id", "aftersales_reason"],
        ),
        # Not delivered: nothing more to ask.
        (ValidateReturnRequestForm(), {"order_id": IN_TRANSIT}, ["order_id"]),
        (
            ValidateExchangeRequestForm(),
            {"order_id": TSHIRT, "aftersales_reason": "size_or_fit"},
            ["order_id", "aftersales_reason", "exchange_variant", "aftersales_confirm"],
        ),
    ],
)
async def test_the_forms_ask_what_the_request_still_needs(
    deps: Deps, domain: dict[str, Any], form: Any, slots: dict[str, Any], expected: list[str]
) -> None:
    tracker = make_tracker(slots=slots)
    assert await _required(form, tracker, domain) == expected


async def test_opened_digital_goods_are_asked_about_and_refused(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    order_id, sender = _order(shop, "beauty")
    slots: dict[str, Any] = {"order_id": order_id, "aftersales_reason": "no_reason"}
    tracker = make_tracker(sender_id=sender, slots=slots)
    required = await _required(ValidateReturnRequestForm(), tracker, domain)
    assert required[-1] == "aftersales_opened"
    opened = make_tracker(sender_id=sender, slots={**slots, "aftersales_opened": "opened"})
    assert "aftersales_confirm" not in await _required(ValidateReturnRequestForm(), opened, domain)
    dispatcher = CollectingDispatcher()
    await ReturnRequest().run(dispatcher, opened, domain)
    assert "opened" in texts(dispatcher)
    assert await tickets.list_tickets(deps.engine, order_id=order_id) == []


async def test_photos_are_asked_for_quality_problems_on_channels_that_carry_them(
    deps: Deps, domain: dict[str, Any]
) -> None:
    slots = {"order_id": TSHIRT, "aftersales_reason": "quality_problem"}
    slack = make_tracker(
        slots=slots, metadata={"channel": "slack", "external_id": "U1", "customer_id": "C0001"}
    )
    assert "aftersales_photo" not in await _required(ValidateReturnRequestForm(), slack, domain)
    web = make_tracker(slots=slots)  # the web chat's photo button (POST /api/chat/photo)
    required = await _required(ValidateReturnRequestForm(), web, domain)
    assert required[-2:] == ["aftersales_photo", "aftersales_confirm"]
    telegram = make_tracker(
        slots=slots, metadata={"channel": "telegram", "external_id": "1", "customer_id": "C0001"}
    )
    required = await _required(ValidateReturnRequestForm(), telegram, domain)
    assert required[-2:] == ["aftersales_photo", "aftersales_confirm"]
    photo = make_tracker(
        text="/inform",
        intent="inform",
        slots={**slots, "requested_slot": "aftersales_photo"},
        metadata={
            "channel": "telegram",
            "external_id": "1",
            "customer_id": "C0001",
            "attachments": [{"kind": "image", "url": "/media/abc.jpg"}],
        },
        active_loop=RETURN_FORM,
    )
    extracted = await ValidateReturnRequestForm().extract_aftersales_photo(
        CollectingDispatcher(), photo, domain
    )
    assert extracted == {"aftersales_photo": "/media/abc.jpg"}


# Returns ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "Return number (RMA)"), ("zh", "退货单号（RMA）")]
)
async def test_an_approved_return_has_an_rma_and_instructions(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: str
) -> None:
    tracker = make_tracker(
        text="yes",
        slots={
            "order_id": TSHIRT,
            "language": lang,
            "offered": "return",
            "aftersales_reason": "size_or_fit",
            "aftersales_confirm": True,
        },
    )
    events = await ReturnRequest().run(dispatcher, tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=TSHIRT, kind="return")
    assert ticket.status == "approved"
    assert ticket.customer_id == "C0001"
    assert ticket.payload["refund"]["total_cents"] == 19900
    said = texts(dispatcher)
    assert expected in said and ticket.id in said and ticket.payload["rma"] in said
    assert slot_events(events)["offered"] is None
    assert slot_events(events)["aftersales_reason"] is None
    # Asking twice does not open a second return.
    await ReturnRequest().run(CollectingDispatcher(), tracker, {})
    assert len(await tickets.list_tickets(deps.engine, order_id=TSHIRT, kind="return")) == 1


async def test_a_return_that_is_not_confirmed_records_nothing(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(slots={"order_id": TSHIRT, "aftersales_reason": "no_reason"})
    await ReturnRequest().run(dispatcher, tracker, {})
    assert "stopped" in texts(dispatcher)
    assert await tickets.list_tickets(deps.engine, order_id=TSHIRT) == []


@pytest.mark.parametrize(
    ("order_id", "reason", "expected", "button"),
    [
        (KETTLE, "no_reason", "repair it free of charge", "/request_human"),
        (KETTLE, "quality_problem", "under warranty", "/request_human"),
        (PAID, None, "cancel it before it ships", '/cancel_order{"order_id":"260420000009"}'),
    ],
)
async def test_a_refused_return_gives_the_reason_and_the_alternative(
    deps: Deps,
    dispatcher: CollectingDispatcher,
    order_id: str,
    reason: str | None,
    expected: str,
    button: str,
) -> None:
    slots = {"order_id": order_id, "aftersales_reason": reason, "aftersales_confirm": True}
    await ReturnRequest().run(dispatcher, make_tracker(slots=slots), {})
    assert expected in texts(dispatcher)
    assert button in [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert await tickets.list_tickets(deps.engine, order_id=order_id) == []


async def test_underwear_is_not_returnable_without_a_fault(
    deps: Deps, dispatcher: CollectingDispatcher, shop: ShopFactory
) -> None:
    order_id, sender = _order(shop, "underwear")
    slots = {"order_id": order_id, "aftersales_reason": "size_or_fit", "language": "zh"}
    await ReturnRequest().run(dispatcher, make_tracker(sender_id=sender, slots=slots), {})
    assert "内衣" in texts(dispatcher)
    assert await tickets.list_tickets(deps.engine, order_id=order_id) == []


async def test_a_partial_return_refunds_the_share_of_the_discount(
    deps: Deps, dispatcher: CollectingDispatcher, shop: ShopFactory
) -> None:
    order_id, sender = _order(shop, "clothing", "home", discount_cents=1500)
    order = await orders.get_order(deps.engine, order_id)
    assert order is not None
    slots = {
        "order_id": order_id,
        "aftersales_line": f"{order_id}#0",
        "aftersales_reason": "quality_problem",
        "aftersales_confirm": True,
    }
    await ReturnRequest().run(dispatcher, make_tracker(sender_id=sender, slots=slots), {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=order_id, kind="return")
    refund = ticket.payload["refund"]["total_cents"]
    item = order.items[0]
    assert 0 < refund < item.unit_price_cents * item.quantity
    assert f"{refund / 100:,.2f}" in texts(dispatcher)


@pytest.mark.parametrize(("lang", "expected"), [("en", "SF Express"), ("zh", "顺丰速运")])
async def test_return_of_a_parcel_on_its_way_asks_the_carrier_to_send_it_back(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: str
) -> None:
    tracker = make_tracker(slots={"order_id": IN_TRANSIT, "language": lang})
    await ReturnRequest().run(dispatcher, tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=IN_TRANSIT, kind="return")
    assert ticket.category == "intercept_in_transit"
    said = texts(dispatcher)
    assert expected in said and ticket.id in said and "¥" in said


async def test_return_of_someone_elses_order_needs_the_right_phone(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(slots={"order_id": EMMA, "phone": "13800000000"})
    await ReturnRequest().run(dispatcher, tracker, {})
    assert "doesn't match" in texts(dispatcher)
    assert await tickets.list_tickets(deps.engine, order_id=EMMA) == []


# Exchanges ----------------------------------------------------------------------------------
async def test_an_exchange_goes_to_a_size_in_stock(
    deps: Deps, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    base = {"order_id": EMMA, "aftersales_reason": "size_or_fit", "language": "zh"}
    asking = {**base, "requested_slot": "exchange_variant"}
    sold_out = make_tracker(sender_id="web:demo-emma", slots=asking, active_loop=EXCHANGE_FORM)
    result = await ValidateExchangeRequestForm().validate_exchange_variant(
        "P0023-45-BLUE", dispatcher, sold_out, domain
    )
    assert result == {"exchange_variant": None}
    assert "缺货" in texts(dispatcher)
    ask = CollectingDispatcher()
    await AskExchangeVariant().run(ask, sold_out, domain)
    offered = [b["payload"] for b in ask.messages[0]["buttons"]]
    assert not any("P0023-45-BLUE" in p or "P0023-39-WHITE" in p for p in offered)

    chosen = {**base, "exchange_variant": "P0023-42-WHITE"}
    confirm = CollectingDispatcher()
    tracker = make_tracker(sender_id="web:demo-emma", slots=chosen, active_loop=EXCHANGE_FORM)
    await AskAftersalesConfirm().run(confirm, tracker, domain)
    assert "白色 42" in texts(confirm)
    done = make_tracker(sender_id="web:demo-emma", slots={**chosen, "aftersales_confirm": True})
    await ExchangeRequest().run(CollectingDispatcher(), done, {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=EMMA, kind="exchange")
    assert ticket.status == "approved"
    assert ticket.payload["items"][0]["replacement"]["sku"] == "P0023-42-WHITE"


async def test_an_exchange_past_its_window_is_refused(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    slots = {"order_id": KETTLE, "aftersales_reason": "size_or_fit", "aftersales_confirm": True}
    await ExchangeRequest().run(dispatcher, make_tracker(slots=slots), {})
    assert "exchange" in texts(dispatcher).lower()
    assert await tickets.list_tickets(deps.engine, order_id=KETTLE) == []


# Refund status ------------------------------------------------------------------------------
async def test_refund_status_lists_the_cancellation(deps: Deps) -> None:
    nothing = CollectingDispatcher()
    await RefundStatus().run(nothing, make_tracker(slots={"order_id": PAID}), {})
    assert "no refund" in texts(nothing)

    await CancelOrder().run(
        CollectingDispatcher(), make_tracker(slots={"order_id": PAID, "confirm": True}), {}
    )
    status = CollectingDispatcher()
    await RefundStatus().run(status, make_tracker(slots={"order_id": PAID, "language": "zh"}), {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=PAID)
    said = texts(status)
    assert ticket.id in said and "取消订单" in said and "原路退回" in said


async def test_refund_status_tells_the_amount_of_a_return(deps: Deps) -> None:
    slots = {"order_id": TSHIRT, "aftersales_reason": "no_reason", "aftersales_confirm": True}
    await ReturnRequest().run(CollectingDispatcher(), make_tracker(slots=slots), {})
    status = CollectingDispatcher()
    await RefundStatus().run(status, make_tracker(slots={"order_id": TSHIRT}), {})
    assert "refund ¥199.00" in texts(status)


# Complaints ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sender", "entities", "linked"),
    [
        ("web:demo-liwei", [{"entity": "order_id", "value": IN_TRANSIT}], IN_TRANSIT),
        # Someone else's order number is not linked to the complaint.
        ("web:demo-emma", [{"entity": "order_id", "value": IN_TRANSIT}], None),
        ("web:guest-1", [], None),
    ],
)
async def test_complaint_is_recorded_with_type_and_deadline(
    deps: Deps,
    dispatcher: CollectingDispatcher,
    sender: str,
    entities: list[dict[str, Any]],
    linked: str | None,
) -> None:
    said_text = "the courier was rude and the box was crushed"
    tracker = make_tracker(sender_id=sender, text=said_text, intent="complaint", entities=entities)
    await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == linked
    assert ticket.payload["text"] == said_text
    assert ticket.severity in ("low", "medium", "high", "critical")
    assert ticket.sla_due_at is not None
    said = texts(dispatcher)
    assert "registered your complaint" in said and ticket.id in said


@pytest.mark.parametrize(
    ("said", "lang", "level"),
    [
        ("退款两周了还没到账，再不处理我就打12315投诉你们", "zh", "high"),
        ("the heater started smoking and burned my hand", "en", "critical"),
    ],
)
async def test_a_severe_complaint_goes_to_a_person(
    deps: Deps, dispatcher: CollectingDispatcher, said: str, lang: str, level: str
) -> None:
    tracker = make_tracker(text=said, intent="complaint", slots={"language": lang})
    await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.severity == level and ticket.payload["needs_human"] is True
    custom = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert custom == [
        {"type": "handoff", "reason": "severe_complaint", "severity": level, "ticket_id": ticket.id}
    ]


async def test_a_calm_delivery_complaint_stays_with_the_bot(
    deps: Deps, dispatcher: CollectingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = "the delivery is two days later than promised, please have a look"
    # The model reads calm complaints as very negative too (its exact score moves with its
    # training data): without words of frustration the score adds nothing to the severity.
    monkeypatch.setattr(complaints, "sentiment_of", lambda text: -0.95)
    guest = make_tracker(sender_id="web:guest-calm", text=said, intent="complaint")
    await Complaint().run(dispatcher, guest, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.category == "delivery_delay" and ticket.severity == "low"
    assert not any(m.get("custom") for m in dispatcher.messages)


async def test_a_complaint_picked_from_the_fallbacks_suggestions_keeps_the_customers_words(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    said = "包裹比说好的晚了好几天，能不能帮忙看看"
    unclear = {
        "event": "user",
        "text": said,
        "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": []},
        "metadata": {"inbox_id": 4711},
    }
    suggested = {"event": "bot", "text": "您是想：投诉 / 查询订单？"}
    # The press as Rasa's two-stage fallback logs it: the press, reverted, then its copy.
    press = {"event": "user", "text": "/complaint", "parse_data": {"intent": {"name": "complaint"}}}
    reverted = {"event": "rewind"}
    tracker = make_tracker(
        sender_id="web:guest-picked",
        text="/complaint",
        intent="complaint",
        slots={"language": "zh"},
        events_before=[unclear, suggested, press, reverted],
    )
    await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.payload["text"] == said and ticket.category == "delivery_delay"
    assert ticket.id in texts(dispatcher)


async def test_a_complaint_answering_the_reason_question_fills_the_reason(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(
        text="用了两天鞋底就开胶了，质量太差",
        intent="complaint",
        slots={"order_id": EMMA, "requested_slot": "aftersales_reason"},
        active_loop=RETURN_FORM,
    )
    events = await Complaint().run(dispatcher, tracker, {})
    assert slot_events(events) == {"aftersales_reason": "quality_problem"}
    assert await new_tickets(deps.engine, "complaint") == []


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("我的投诉处理得怎么样了", "zh", "处理中"),
        ("any update on my complaint?", "en", "being handled"),
    ],
)
async def test_the_customer_can_ask_how_their_complaint_is_going(
    deps: Deps, question: str, lang: str, expected: str
) -> None:
    none = CollectingDispatcher()
    ask = make_tracker(text=question, intent="complaint", slots={"language": lang})
    await Complaint().run(none, ask, {})
    assert await new_tickets(deps.engine, "complaint") == []
    complaint = make_tracker(text="the courier threw my parcel over the fence", intent="complaint")
    await Complaint().run(CollectingDispatcher(), complaint, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    await tickets.transition_ticket(deps.engine, ticket.id, "in_progress", actor="staff:ann")
    status = CollectingDispatcher()
    await Complaint().run(status, ask, {})
    said = texts(status)
    assert ticket.id in said and expected in said


async def test_a_faulty_item_can_be_exchanged_for_the_same_size(
    deps: Deps, domain: dict[str, Any]
) -> None:
    slots = {
        "order_id": EMMA,
        "aftersales_reason": "quality_problem",
        "requested_slot": "exchange_variant",
    }
    tracker = make_tracker(sender_id="web:demo-emma", slots=slots, active_loop=EXCHANGE_FORM)
    ask = CollectingDispatcher()
    await AskExchangeVariant().run(ask, tracker, domain)
    assert any("P0023-39-WHITE" in b["payload"] for b in ask.messages[0]["buttons"])
    result = await ValidateExchangeRequestForm().validate_exchange_variant(
        "P0023-39-WHITE", CollectingDispatcher(), tracker, domain
    )
    assert result == {"exchange_variant": "P0023-39-WHITE"}


async def test_answers_that_switch_requests_or_name_another_order_are_not_taken(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    switch = make_tracker(
        text="actually can I exchange it for another size instead",
        intent="exchange_request",
        slots={"order_id": TSHIRT, "requested_slot": "aftersales_reason"},
        active_loop=RETURN_FORM,
    )
    form = ValidateReturnRequestForm()
    assert await form.extract_aftersales_reason(CollectingDispatcher(), switch, domain) == {}
    order_id, sender = _order(shop, "clothing", "home")
    stale = make_tracker(
        sender_id=sender,
        slots={"order_id": order_id, "aftersales_line": "260402118830#1"},
    )
    assert await _required(form, stale, domain) == ["order_id", "aftersales_line"]


async def test_an_order_status_question_during_a_return_keeps_the_returns_order(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(
        text=f"by the way, where is my other order {IN_TRANSIT}?",
        intent="order_status",
        entities=[{"entity": "order_id", "value": IN_TRANSIT}],
        events_before=[{"event": "slot", "name": "order_id", "value": TSHIRT}],
        slots={"order_id": IN_TRANSIT, "requested_slot": "aftersales_reason"},
        active_loop=RETURN_FORM,
    )
    events = await OrderStatusAside().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "SF Express" in said and "back to your return" in said
    assert slot_events(events) == {"order_id": TSHIRT}


@pytest.mark.parametrize(
    "text", ["actually wait, where is my earbuds order?", "我的耳机到哪了", "where is my order"]
)
async def test_an_order_status_question_naming_a_product_asks_about_that_order(
    deps: Deps, dispatcher: CollectingDispatcher, text: str
) -> None:
    """No number: the product named picks the customer's order that has it; a question that
    names none is about the return's own order."""
    tracker = make_tracker(
        text=text,
        intent="order_status",
        events_before=[{"event": "slot", "name": "order_id", "value": TSHIRT}],
        slots={"order_id": TSHIRT, "requested_slot": "aftersales_confirm"},
        active_loop=RETURN_FORM,
    )
    events = await OrderStatusAside().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    names_product = text != "where is my order"
    assert (IN_TRANSIT in said) is names_product and (TSHIRT in said) is not names_product
    assert slot_events(events) == ({"order_id": TSHIRT} if names_product else {})


async def test_an_order_status_question_for_someone_elses_order_reveals_nothing(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(
        sender_id="web:demo-emma",
        text=f"where is {IN_TRANSIT}",
        intent="order_status",
        entities=[{"entity": "order_id", "value": IN_TRANSIT}],
        events_before=[{"event": "slot", "name": "order_id", "value": EMMA}],
        slots={"order_id": IN_TRANSIT, "requested_slot": "aftersales_confirm"},
        active_loop=EXCHANGE_FORM,
    )
    events = await OrderStatusAside().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert "SF Express" not in said and "back to your exchange" in said
    assert slot_events(events) == {"order_id": EMMA}


async def test_photos_sent_as_evidence_are_kept_on_the_ticket(deps: Deps) -> None:
    slots = {
        "order_id": TSHIRT,
        "aftersales_reason": "quality_problem",
        "aftersales_photo": "/media/a.jpg /media/b.jpg",
        "aftersales_confirm": True,
    }
    metadata = {"channel": "telegram", "external_id": "42", "customer_id": "C0001"}
    confirm = CollectingDispatcher()
    asking = make_tracker(slots={**slots, "aftersales_confirm": None}, metadata=metadata)
    await AskAftersalesConfirm().run(confirm, asking, {})
    assert "2 photo(s)" in texts(confirm)
    tracker = make_tracker(slots=slots, metadata=metadata)
    await ReturnRequest().run(CollectingDispatcher(), tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=TSHIRT, kind="return")
    assert ticket.payload["photos"] == ["/media/a.jpg", "/media/b.jpg"]
    assert ticket.channel == "telegram"


async def test_another_order_mentioned_mid_form_does_not_replace_the_forms_order(
    deps: Deps, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text=f"oh and my other order {IN_TRANSIT}, where is it",
        intent="inform",
        entities=[{"entity": "order_id", "value": IN_TRANSIT}],
        events_before=[{"event": "slot", "name": "order_id", "value": TSHIRT}],
        slots={"requested_slot": "aftersales_reason"},
        slot_candidates={"order_id": IN_TRANSIT},
        active_loop=RETURN_FORM,
    )
    form = ValidateReturnRequestForm()
    result = await form.validate_order_id(IN_TRANSIT, dispatcher, tracker, domain)
    assert result == {"order_id": TSHIRT}
    assert "SF Express" in texts(dispatcher)
    assert await form.extract_aftersales_reason(CollectingDispatcher(), tracker, domain) == {}


@pytest.mark.parametrize(
    ("said", "value"),
    [("2", "2"), ("两件", "2"), ("just one", "1"), ("all of them", "all"), ("hmm", None)],
)
def test_quantities_are_read_from_replies(said: str, value: str | None) -> None:
    assert quantity_from_text(said) == value


async def test_part_of_a_line_with_several_units_can_be_returned(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    order_id, sender = _order(shop, "home", quantity=3)
    order = await orders.get_order(deps.engine, order_id)
    assert order is not None
    units = order.items[0].quantity
    slots: dict[str, Any] = {"order_id": order_id}
    tracker = make_tracker(sender_id=sender, slots=slots, active_loop=RETURN_FORM)
    assert await _required(ValidateReturnRequestForm(), tracker, domain) == [
        "order_id",
        "aftersales_quantity",
    ]
    form = ValidateReturnRequestForm()
    too_many = CollectingDispatcher()
    result = await form.validate_aftersales_quantity(str(units + 1), too_many, tracker, domain)
    assert result == {"aftersales_quantity": None} and str(units) in texts(too_many)
    assert await form.validate_aftersales_quantity("all", too_many, tracker, domain) == {
        "aftersales_quantity": str(units)
    }
    done = {
        **slots,
        "aftersales_quantity": "1",
        "aftersales_reason": "quality_problem",
        "aftersales_confirm": True,
    }
    await ReturnRequest().run(
        CollectingDispatcher(), make_tracker(sender_id=sender, slots=done), {}
    )
    [ticket] = await tickets.list_tickets(deps.engine, order_id=order_id, kind="return")
    assert ticket.payload["items"][0]["quantity"] == 1
    assert ticket.payload["refund"]["items_cents"] < order.items[0].unit_price_cents * units


# The form's own request said again ---------------------------------------------------------
def _at(question: str, text: str, intent: str = "return_request", **extra: Any) -> Any:
    """Li Wei's return of the T-shirt, the form asking ``question``; the customer says
    ``text`` (read as ``intent``)."""
    slots = {
        "order_id": TSHIRT,
        "aftersales_reason": "size_or_fit",
        "requested_slot": question,
        "language": "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en",
        **extra,
    }
    return make_tracker(
        text=text,
        intent=intent,
        events_before=[{"event": "slot", "name": "order_id", "value": TSHIRT}],
        slots=slots,
        active_loop=RETURN_FORM,
    )


@pytest.mark.parametrize("text", ["ok continue with the return", "yes please return it", "对 退货"])
async def test_the_request_said_again_with_a_yes_confirms_it(
    deps: Deps, domain: dict[str, Any], text: str
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(
        dispatcher, _at("aftersales_confirm", text), domain
    )
    assert slot_events(events) == {"aftersales_confirm": True, "requested_slot": None}


@pytest.mark.parametrize("text", ["I want to return it", "wait, the return, not yet"])
async def test_the_request_said_again_without_a_yes_asks_the_question_again(
    deps: Deps, domain: dict[str, Any], text: str
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(
        dispatcher, _at("aftersales_confirm", text), domain
    )
    assert slot_events(events) == {"order_id": TSHIRT, "requested_slot": "aftersales_confirm"}
    events = await ValidateReturnRequestForm().run(
        dispatcher, _at("aftersales_reason", text, aftersales_reason=None), domain
    )
    assert slot_events(events) == {"order_id": TSHIRT, "requested_slot": "aftersales_reason"}


@pytest.mark.parametrize("text", ["我想退掉那个电饭煲", "actually I want to return the kettle"])
async def test_a_return_of_another_orders_product_starts_the_request_over_for_it(
    deps: Deps, domain: dict[str, Any], text: str
) -> None:
    """The rice cooker (not delivered yet) or the kettle (delivered 40 days ago) is only in
    one of Li Wei's orders: the return is now about that order and nothing of the T-shirt's is
    kept (the rice cooker's form ends: the submit action says it is not delivered; the
    kettle's asks its reason, and the submit action then weighs the return window)."""
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(
        dispatcher, _at("aftersales_confirm", text), domain
    )
    slots = slot_events(events)
    assert slots["order_id"] == (PAID if "电饭煲" in text else KETTLE)
    assert slots["aftersales_reason"] is None
    assert slots["requested_slot"] == (None if "电饭煲" in text else "aftersales_reason")


async def test_yes_to_the_cancellation_in_the_words_of_the_request_cancels(
    deps: Deps, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="yes cancel it",
        intent="cancel_order",
        events_before=[{"event": "slot", "name": "order_id", "value": PAID}],
        slots={"order_id": PAID, "requested_slot": "confirm", "language": "en"},
        active_loop="cancel_order_form",
    )
    events = await ValidateCancelOrderForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events) == {"confirm": True, "requested_slot": None}
    tracker = make_tracker(
        text="no don't cancel it",
        intent="cancel_order",
        events_before=[{"event": "slot", "name": "order_id", "value": PAID}],
        slots={"order_id": PAID, "requested_slot": "confirm", "language": "en"},
        active_loop="cancel_order_form",
    )
    events = await ValidateCancelOrderForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events) == {"order_id": PAID, "requested_slot": "confirm"}


def _asked_which(text: str, intent: str) -> Any:
    """Li Wei asked which order his return is about; he says ``text`` (read as ``intent``)."""
    return make_tracker(
        text=text,
        intent=intent,
        slots={"requested_slot": "order_id", "language": "en"},
        active_loop=RETURN_FORM,
    )


async def test_asked_which_order_the_request_again_keeps_the_form_going(
    deps: Deps, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _asked_which("I want to return an item", "return_request")
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"order_id": None, "requested_slot": "order_id"}
    # With a product: the T-shirt is in one returnable order, which it picks.
    tracker = _asked_which("I want to return the t-shirt", "return_request")
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["order_id"] == TSHIRT


async def test_asked_which_order_another_request_drops_the_form(
    deps: Deps, domain: dict[str, Any]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = _asked_which("cancel the rice cooker then", "cancel_order")
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert {k: v for k, v in events[-1].items() if k in ("event", "name")} == {
        "event": "action_execution_rejected",
        "name": RETURN_FORM,
    }
    assert slot_events(events)["requested_slot"] is None
    assert "return" in texts(dispatcher)


async def test_a_size_said_in_the_words_of_the_request_answers_the_size_question(
    deps: Deps, domain: dict[str, Any]
) -> None:
    """ "i want the 42 instead" (read as an exchange request) while the exchange asks which
    size: the answer, not a request said again."""
    tracker = make_tracker(
        sender_id="web:demo-emma",
        text="i want the 42 instead",
        intent="exchange_request",
        events_before=[{"event": "slot", "name": "order_id", "value": EMMA}],
        slots={
            "order_id": EMMA,
            "aftersales_reason": "size_or_fit",
            "requested_slot": "exchange_variant",
            "language": "en",
        },
        active_loop=EXCHANGE_FORM,
    )
    events = await ValidateExchangeRequestForm().run(CollectingDispatcher(), tracker, domain)
    assert slot_events(events)["exchange_variant"] == "P0023-42-WHITE"


@pytest.mark.parametrize(("text", "switches"), [("尺码不合适", False), ("能换个尺码吗", True)])
async def test_the_other_kind_of_request_switches_only_when_named(
    deps: Deps, domain: dict[str, Any], text: str, switches: bool
) -> None:
    """Asked why he returns the T-shirt, "尺码不合适" (which the NLU may read as an
    exchange) is his reason; "能换个尺码吗" asks for an exchange instead."""
    tracker = _at("aftersales_reason", text, intent="exchange_request", aftersales_reason=None)
    form = ValidateReturnRequestForm()
    extracted = await form.extract_aftersales_reason(CollectingDispatcher(), tracker, domain)
    assert extracted == ({} if switches else {"aftersales_reason": "size_or_fit"})


@pytest.mark.parametrize(("text", "intent"), [("yes", "affirm"), ("是的", "affirm")])
async def test_a_yes_to_the_reason_question_is_asked_again(
    deps: Deps, domain: dict[str, Any], text: str, intent: str
) -> None:
    """Asked why she returns the T-shirt, "yes" names no reason: no reason is recorded (the
    complaint classifier read "yes" as a quality problem) and the question comes again."""
    tracker = _at("aftersales_reason", text, intent=intent, aftersales_reason=None)
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert slot_events(events).get("aftersales_reason") is None
    assert not any(e.get("name") == "aftersales_confirm" for e in events)

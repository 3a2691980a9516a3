"""Returns, exchanges, refund status and complaints against the seeded demo shop."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.aftersales import Complaint, ExchangeRequest, RefundStatus, ReturnRequest
from bot.actions.orders import CancelOrder
from bot.services import tickets

from .helpers import make_tracker, slot_events, texts

IN_TRANSIT = "260315004217"
TSHIRT = "260402118830"  # delivered 3 days before the shop's seeding day
KETTLE = "260101000001"  # delivered 40 days before
PAID = "260420000009"
EMMA = "260411555501"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "within the 7-day no-reason return window"), ("zh", "7 天无理由")]
)
async def test_return_inside_the_window_records_a_ticket(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, expected: str
) -> None:
    tracker = make_tracker(
        text="I want to return it",
        slots={"order_id": TSHIRT, "language": lang, "offered": "return"},
    )
    events = await ReturnRequest().run(dispatcher, tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, order_id=TSHIRT, kind="return")
    assert ticket.status == "requested"
    assert ticket.customer_id == "C0001"
    said = texts(dispatcher)
    assert expected in said and ticket.id in said
    assert slot_events(events)["offered"] is None
    # Asking twice does not open a second return.
    await ReturnRequest().run(CollectingDispatcher(), tracker, {})
    assert len(await tickets.list_tickets(deps.engine, order_id=TSHIRT, kind="return")) == 1


@pytest.mark.parametrize(
    ("order_id", "expected"),
    [
        (KETTLE, "window ended"),
        (PAID, "cancel it before it ships"),
    ],
)
async def test_return_outside_the_window_explains_and_records_nothing(
    deps: Deps, dispatcher: CollectingDispatcher, order_id: str, expected: str
) -> None:
    await ReturnRequest().run(dispatcher, make_tracker(slots={"order_id": order_id}), {})
    assert expected in texts(dispatcher)
    assert await tickets.list_tickets(deps.engine, order_id=order_id) == []


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


@pytest.mark.parametrize(("order_id", "expected"), [(EMMA, "exchange request"), (KETTLE, "ended")])
async def test_exchange_window(
    deps: Deps, dispatcher: CollectingDispatcher, order_id: str, expected: str
) -> None:
    sender = "web:demo-emma" if order_id == EMMA else "web:demo-liwei"
    tracker = make_tracker(sender_id=sender, slots={"order_id": order_id})
    await ExchangeRequest().run(dispatcher, tracker, {})
    assert expected in texts(dispatcher)
    found = await tickets.list_tickets(deps.engine, order_id=order_id, kind="exchange")
    assert len(found) == (1 if order_id == EMMA else 0)


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


@pytest.mark.parametrize(
    ("sender", "entities", "linked"),
    [
        ("web:demo-liwei", [{"entity": "order_id", "value": IN_TRANSIT}], IN_TRANSIT),
        # Someone else's order number is not linked to the complaint.
        ("web:demo-emma", [{"entity": "order_id", "value": IN_TRANSIT}], None),
        ("web:guest-1", [], None),
    ],
)
async def test_complaint_is_recorded_with_an_apology(
    deps: Deps,
    dispatcher: CollectingDispatcher,
    sender: str,
    entities: list[dict[str, Any]],
    linked: str | None,
) -> None:
    text = "the courier was rude and the box was crushed"
    tracker = make_tracker(sender_id=sender, text=text, intent="complaint", entities=entities)
    await Complaint().run(dispatcher, tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, kind="complaint")
    assert ticket.order_id == linked
    assert ticket.payload["text"] == text
    said = texts(dispatcher)
    assert "sorry" in said and ticket.id in said

"""Orders service: phones, access, look-up, cancellation, address changes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.orders import (
    Access,
    AddressCheck,
    Decision,
    OrderStateError,
    can_cancel,
    can_change_address,
    cancel_order,
    change_address,
    check_access,
    get_order,
    list_orders,
    normalise_phone,
    phones_match,
    validate_address,
)
from bot.services.tickets import list_tickets
from bot.services.types import Order

CANCELLABLE = ("pending_payment", "paid")


def make_order(
    status: str = "paid", customer_id: str = "C0001", phone: str = "13812345678"
) -> Order:
    now = datetime(2026, 4, 20, 12, tzinfo=UTC)
    return Order(
        id="260000000001",
        customer_id=customer_id,
        status=status,
        created_at=now,
        paid_at=now,
        shipped_at=None,
        delivered_at=None,
        cancelled_at=None,
        total_cents=19900,
        discount_cents=0,
        shipping_cents=0,
        payment_method="alipay",
        recipient="李伟",
        phone=phone,
        shipping_address="上海市浦东新区张江路88弄6号1202室",
        carrier=None,
        tracking_number=None,
        eta=None,
    )


# Phones -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from a Chinese keyboard
        ("+44 7700 900123", "447700900123"),
        ("07700 900123", "07700900123"),
        ("+1 (415) 555-0123", "14155550123"),
        ("我的手机号是13812345678", "13812345678"),
        ("", ""),
    ],
)
def test_normalise_phone(text: str, expected: str) -> None:
    assert normalise_phone(text) == expected


@pytest.mark.parametrize(
    ("given", "on_order", "match"),
    [
        ("13812345678", "13812345678", True),
        ("+86 138 1234 5678", "13812345678", True),
        ("13812345679", "13812345678", False),
        ("3812345678", "13812345678", False),  # a digit short is not the number
        ("12345678", "13812345678", False),
        ("+44 7700 900123", "+44 7700 900123", True),
        ("07700 900123", "+44 7700 900123", True),  # national format with trunk 0
        ("7700 900123", "+44 7700 900123", True),  # without the country code
        ("7700 900124", "+44 7700 900123", False),
        ("900123", "+44 7700 900123", False),  # too short to prove anything
        ("", "+44 7700 900123", False),
    ],
)
def test_phones_match(given: str, on_order: str, match: bool) -> None:
    assert phones_match(given, on_order) is match


# Access -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("customer_id", "phone", "expected"),
    [
        ("C0001", None, Access.OWNER),
        ("C0001", "00000000000", Access.OWNER),
        ("C0002", None, Access.NEEDS_PHONE),  # another customer's order
        ("C0002", "+44 7700 900123", Access.NEEDS_PHONE),  # their own phone proves nothing
        ("C0002", "138 1234 5678", Access.VERIFIED),  # the phone on the order
        (None, None, Access.NEEDS_PHONE),
        (None, "+86 13812345678", Access.VERIFIED),
        (None, "13812345670", Access.NEEDS_PHONE),
        ("", "", Access.NEEDS_PHONE),
    ],
)
def test_check_access(customer_id: str | None, phone: str | None, expected: Access) -> None:
    assert check_access(make_order(), customer_id, phone) is expected


def test_check_access_without_an_order() -> None:
    assert check_access(None, "C0001", "13812345678") is Access.NOT_FOUND


# Rules on status --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("pending_payment", Decision(True, "ok")),
        ("paid", Decision(True, "ok")),
        ("shipped", Decision(False, "already_shipped")),
        ("in_transit", Decision(False, "already_shipped")),
        ("delivered", Decision(False, "already_delivered")),
        ("cancelled", Decision(False, "already_cancelled")),
        ("returned", Decision(False, "already_returned")),
        ("on_hold", Decision(False, "not_allowed")),
    ],
)
def test_can_cancel(status: str, expected: Decision) -> None:
    assert can_cancel(make_order(status), CANCELLABLE) == expected


def test_cancellable_statuses_come_from_the_caller() -> None:
    assert can_cancel(make_order("paid"), ("pending_payment",)) == Decision(False, "not_allowed")
    assert can_cancel(make_order("pending_payment"), ("paid",)) == Decision(
        False, "awaiting_payment"
    )
    assert can_change_address(make_order("shipped"), ("paid", "shipped")).allowed


@pytest.mark.parametrize(
    ("status", "allowed", "reason"),
    [
        ("paid", True, "ok"),
        ("pending_payment", True, "ok"),
        ("in_transit", False, "already_shipped"),
        ("delivered", False, "already_delivered"),
        ("cancelled", False, "already_cancelled"),
    ],
)
def test_can_change_address(status: str, allowed: bool, reason: str) -> None:
    assert can_change_address(make_order(status), CANCELLABLE) == Decision(allowed, reason)


# Addresses --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上海市浦东新区世纪大道100号", AddressCheck(True, None)),
        ("北京市朝阳区建国路88号SOHO现代城5号楼2单元1803室", AddressCheck(True, None)),
        ("广东省深圳市南山区科苑路15号", AddressCheck(True, None)),
        ("浙江省杭州市西湖区文三路 478 号", AddressCheck(True, None)),
        ("北京市朝阳区望京SOHO T1", AddressCheck(True, None)),  # region plus a number
        ("上海浦东", AddressCheck(False, "too_short")),
        ("北京市朝阳区", AddressCheck(False, "too_short")),
        ("我家就在北京市朝阳区", AddressCheck(False, "no_detail")),
        ("随便写一个地址吧好吗", AddressCheck(False, "no_detail")),
        ("221B Baker Street, London NW1 6XE", AddressCheck(True, None)),
        ("Flat 2, 10 High St, Oxford", AddressCheck(True, None)),
        ("1000 Century Avenue, Pudong, Shanghai", AddressCheck(True, None)),
        ("Room 502, Building 3, Keyuan Rd 12", AddressCheck(True, None)),
        ("88 Zhangjiang, Shanghai", AddressCheck(True, None)),  # comma-separated parts
        ("12 Rose Ave", AddressCheck(True, None)),
        ("London", AddressCheck(False, "too_short")),
        ("Main St 5", AddressCheck(False, "too_short")),
        ("my new home address", AddressCheck(False, "no_detail")),
        ("somewhere, near the park", AddressCheck(False, "no_detail")),
        ("12345678901", AddressCheck(False, "no_detail")),
        ("1 Long Road " + "x" * 200, AddressCheck(False, "too_long")),
        ("上海市浦东新区" + "长" * 200 + "路1号", AddressCheck(False, "too_long")),
    ],
)
def test_validate_address(text: str, expected: AddressCheck) -> None:
    assert validate_address(text) == expected


# Reading ----------------------------------------------------------------------------------------
async def test_get_order_in_transit(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260315004217")
    assert order is not None
    assert order.status == "in_transit" and order.carrier == "SF Express"
    assert order.tracking_number and order.eta is not None and order.eta.tzinfo is UTC
    assert order.created_at.tzinfo is UTC
    assert [item.product_id for item in order.items] == ["P0001"]
    item = order.items[0]
    assert (item.name_en, item.category, item.quantity) == (
        "SoundPeak Air Pro Wireless Earbuds",
        "electronics",
        1,
    )
    assert (item.color_en, item.color_zh, item.size) == ("Black", "黑色", None)
    assert [e.ts for e in order.events] == sorted(e.ts for e in order.events)
    assert order.latest_event is order.events[-1]
    assert order.latest_event.status == "arrived"


async def test_get_order_with_size_and_colour(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, " 260402118830 ")
    assert order is not None and order.delivered_at is not None
    assert (order.items[0].size, order.items[0].color_zh) == ("L", "白色")


async def test_get_order_unknown(shop_engine: AsyncEngine) -> None:
    assert await get_order(shop_engine, "999999999999") is None


async def test_paid_order_has_no_shipment(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    assert order.events == () and order.latest_event is None and order.carrier is None


async def test_list_orders_newest_first(shop_engine: AsyncEngine) -> None:
    orders = await list_orders(shop_engine, "C0001")
    assert [o.id for o in orders] == [
        "260420000009",
        "260315004217",
        "260402118830",
        "260101000001",
    ]
    assert all(o.items for o in orders)
    assert [o.id for o in await list_orders(shop_engine, "C0001", limit=2)] == [
        "260420000009",
        "260315004217",
    ]
    assert await list_orders(shop_engine, "C9999") == []
    with pytest.raises(ValueError, match="limit"):
        await list_orders(shop_engine, "C0001", limit=0)


# Cancelling -------------------------------------------------------------------------------------
async def test_cancel_paid_order(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    ticket = await cancel_order(
        shop_engine, order, channel="web", sender_id="web:demo-liwei", reason="changed my mind"
    )
    assert ticket.kind == "cancellation" and ticket.status == "approved"
    assert ticket.order_id == order.id and ticket.customer_id == "C0001"
    assert ticket.id.startswith("TK-") and ticket.channel == "web"
    assert ticket.payload["reason"] == "changed my mind"
    assert ticket.payload["previous_status"] == "paid"
    assert ticket.payload["refund_cents"] == order.total_cents
    after = await get_order(shop_engine, order.id)
    assert after is not None and after.status == "cancelled" and after.cancelled_at is not None

    again = await cancel_order(shop_engine, order, channel="web", sender_id="x", reason=None)
    assert again == ticket
    assert len(await list_tickets(shop_engine, order_id=order.id)) == 1


@pytest.mark.parametrize(
    ("order_id", "reason"),
    [
        ("260315004217", "already_shipped"),
        ("260402118830", "already_delivered"),
    ],
)
async def test_cancel_refused_after_shipping(
    shop_engine: AsyncEngine, order_id: str, reason: str
) -> None:
    order = await get_order(shop_engine, order_id)
    assert order is not None
    with pytest.raises(OrderStateError) as info:
        await cancel_order(shop_engine, order, channel="web", sender_id="s", reason=None)
    assert info.value.reason == reason and info.value.order_id == order_id
    unchanged = await get_order(shop_engine, order_id)
    assert unchanged is not None and unchanged.status == order.status
    assert await list_tickets(shop_engine, order_id=order_id) == []


async def test_cancel_rechecks_the_status_in_the_database(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    stale = dataclasses.replace(order, status="paid")
    await cancel_order(shop_engine, order, channel="web", sender_id="s", reason=None)
    # A stale copy may not cancel twice with a different outcome: same ticket comes back.
    assert (await cancel_order(shop_engine, stale, channel="web", sender_id="s", reason=None)).kind
    shipped = await get_order(shop_engine, "260315004217")
    assert shipped is not None
    pretending = dataclasses.replace(shipped, status="paid")  # the caller's copy is out of date
    with pytest.raises(OrderStateError, match="already_shipped"):
        await cancel_order(shop_engine, pretending, channel="web", sender_id="s", reason=None)


async def test_concurrent_cancellations_make_one_ticket(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    tickets = await asyncio.gather(
        *(
            cancel_order(shop_engine, order, channel="web", sender_id=f"s{i}", reason=None)
            for i in range(4)
        )
    )
    assert len({t.id for t in tickets}) == 1
    assert len(await list_tickets(shop_engine, kind="cancellation")) == 1


# Changing the address ---------------------------------------------------------------------------
async def test_change_address_before_shipping(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    new = "北京市朝阳区建国路  88号 2单元 1803室"
    ticket = await change_address(shop_engine, order, new, channel="web", sender_id="s")
    assert ticket.kind == "address_change" and ticket.status == "approved"
    assert ticket.payload == {
        "old_address": order.shipping_address,
        "new_address": "北京市朝阳区建国路 88号 2单元 1803室",
    }
    after = await get_order(shop_engine, order.id)
    assert after is not None and after.shipping_address == ticket.payload["new_address"]

    same = await change_address(shop_engine, order, new, channel="web", sender_id="s")
    assert same == ticket  # idempotent per order and address

    other = await change_address(
        shop_engine, order, "上海市徐汇区淮海路 100 号", channel="web", sender_id="s"
    )
    assert other.id != ticket.id and other.payload["old_address"] == ticket.payload["new_address"]
    back = await change_address(shop_engine, order, new, channel="web", sender_id="s")
    assert back.id not in {ticket.id, other.id}  # changing back is a new change
    final = await get_order(shop_engine, order.id)
    assert final is not None and final.shipping_address == ticket.payload["new_address"]
    assert len(await list_tickets(shop_engine, order_id=order.id, kind="address_change")) == 3


async def test_change_address_refused_after_shipping(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260315004217")
    assert order is not None
    with pytest.raises(OrderStateError) as info:
        await change_address(
            shop_engine, order, "上海市徐汇区淮海路 100 号", channel="web", sender_id="s"
        )
    assert info.value.reason == "already_shipped"
    unchanged = await get_order(shop_engine, order.id)
    assert unchanged is not None and unchanged.shipping_address == order.shipping_address


async def test_change_address_rejects_an_unusable_address(shop_engine: AsyncEngine) -> None:
    order = await get_order(shop_engine, "260420000009")
    assert order is not None
    with pytest.raises(ValueError, match="too_short"):
        await change_address(shop_engine, order, "上海", channel="web", sender_id="s")
    assert await list_tickets(shop_engine, order_id=order.id) == []

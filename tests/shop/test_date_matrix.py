"""The demo shop seeded on awkward days still holds every record the README promises.

The demo shop's dates are relative to the day it is seeded, so a record that holds on one day
can fail on another (a month end, 29 February, the hour when the UTC date and the shop's date
differ). Each case moves the clock to one instant with time-machine, seeds the shop as
``python -m bot seed`` does (today = the shop's calendar day at that instant), and checks:

- Li Wei's four orders and Emma's order, with the states and day counts the README gives;
- what the conversation tests rely on at that instant: the after-sales policy approves the
  returns of the T-shirt and the shoes and refuses the kettle's, the in-transit parcel offers an
  interception, the paid order can be cancelled and its address changed, and the factory's
  orders (delivered 2 and 10 days ago) fall inside and outside the 7-day window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.config import Config
from bot.services import orders as order_service
from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_terms import ItemRequest
from bot.services.customers import resolve_customer
from bot.services.types import Order
from bot.shop.seed import seed_demo_shop, shop_today
from bot.storage.db import create_engine
from tests.conftest import sqlite_url
from tests.factory import ShopFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _shop_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# (label, instant in shop time). 00:30 shop time is the previous UTC day; 23:30 is the same.
INSTANTS = [
    ("month end, January", "2027-01-31 12:00"),
    ("29 February", "2028-02-29 10:00"),
    ("1 March after a leap day, 00:30", "2028-03-01 00:30"),
    ("1 March, no leap day, 00:10", "2027-03-01 00:10"),
    ("a Sunday", "2026-12-06 15:00"),
    ("Chinese New Year's Eve 2027", "2027-02-05 21:00"),
    ("Chinese New Year's day 2027", "2027-02-06 09:00"),
    ("Chinese New Year's week 2026", "2026-02-19 14:00"),
    ("New Year's Eve, 23:30", "2026-12-31 23:30"),
    ("New Year's day, 00:30", "2027-01-01 00:30"),
    ("month end, April, 23:30", "2026-04-30 23:30"),
    ("first of May, 00:30", "2026-05-01 00:30"),
    ("month end, June, 23:59", "2027-06-30 23:59"),
    ("a Monday morning", "2026-12-07 08:00"),
]

LI_WEI_ORDERS = {
    "260315004217": ("in_transit", None),
    "260402118830": ("delivered", 3),
    "260101000001": ("delivered", 40),
    "260420000009": ("paid", None),
}
EMMA_SHOES = "260411555501"


def _returnable(policy: AftersalesPolicy, order: Order, now: datetime, reason: str) -> bool:
    decision = policy.decide(
        order,
        ItemRequest(line=0),
        kind="return",
        reason=reason,
        now=now,  # type: ignore[arg-type]
    )
    return decision.allowed


@pytest.mark.parametrize(("label", "instant"), INSTANTS, ids=[label for label, _ in INSTANTS])
async def test_demo_records_hold_when_seeded_at(
    label: str, instant: str, cfg: Config, tmp_path: Path
) -> None:
    now = _shop_time(instant).astimezone(UTC)
    url = sqlite_url(tmp_path / "shop.db")
    engine = create_engine(url)
    policy = AftersalesPolicy.from_config(cfg)
    try:
        with time_machine.travel(now, tick=False):
            assert shop_today(cfg) == _shop_time(instant).date()
            await seed_demo_shop(engine, cfg)

        li = await resolve_customer(engine, "web", "demo-liwei")
        emma = await resolve_customer(engine, "web", "demo-emma")
        assert li is not None and li.id == "C0001" and li.phone == "13812345678"
        assert emma is not None and emma.id == "C0002" and emma.phone == "+44 7700 900123"

        li_orders = {o.id: o for o in await order_service.list_orders(engine, li.id, limit=20)}
        assert set(li_orders) == set(LI_WEI_ORDERS)
        for order_id, (status, days) in LI_WEI_ORDERS.items():
            order = li_orders[order_id]
            assert order.status == status, (label, order_id)
            assert policy.days_since_delivery(order, now) == days, (label, order_id)
            assert order.created_at <= now
            assert all(event.ts <= now for event in order.events), (label, order_id)

        [shoes] = await order_service.list_orders(engine, emma.id, limit=20)
        assert shoes.id == EMMA_SHOES and shoes.status == "delivered"
        assert policy.days_since_delivery(shoes, now) == 2

        # Products the README names.
        in_transit = li_orders["260315004217"]
        assert in_transit.carrier == "SF Express" and in_transit.eta is not None
        assert in_transit.eta > now, "the in-transit parcel's ETA must still be ahead"
        assert in_transit.items[0].category == "electronics"
        assert li_orders["260402118830"].items[0].size == "L"
        assert li_orders["260420000009"].items[0].category == "appliances"
        assert shoes.items[0].category == "shoes"

        # What the conversation tests rely on, decided by the services at that instant.
        assert _returnable(policy, li_orders["260402118830"], now, "no_reason")
        assert _returnable(policy, shoes, now, "size_or_fit")
        assert not _returnable(policy, li_orders["260101000001"], now, "no_reason")
        intercept = policy.decide(
            in_transit, ItemRequest(line=0), kind="return", reason="no_reason", now=now
        )
        assert [a.kind for a in intercept.alternatives] == ["intercept"]
        paid = li_orders["260420000009"]
        assert order_service.can_cancel(paid, cfg.orders.cancellable_statuses).allowed
        assert order_service.can_change_address(
            paid, cfg.orders.address_changeable_statuses
        ).allowed
        assert not order_service.can_cancel(in_transit, cfg.orders.cancellable_statuses).allowed

        # The factory's records made at that instant fall where the tests expect them.
        factory = ShopFactory(url, now=now)
        try:
            recent = factory.order(status="delivered", days_ago=2)
            late = factory.order(status="delivered", days_ago=10)
            on_its_way = factory.order(status="in_transit", days_ago=1)
        finally:
            factory.close()
        recent_order = await order_service.get_order(engine, recent.id)
        late_order = await order_service.get_order(engine, late.id)
        moving = await order_service.get_order(engine, on_its_way.id)
        assert recent_order is not None and late_order is not None and moving is not None
        assert _returnable(policy, recent_order, now, "no_reason")
        assert not _returnable(policy, late_order, now, "no_reason")
        exchange = policy.decide(
            late_order, ItemRequest(line=0), kind="exchange", reason="quality_problem", now=now
        )
        assert exchange.allowed
        assert moving.status == "in_transit" and moving.tracking_number
        assert all(event.ts <= now for event in moving.events)
    finally:
        await engine.dispose()


def test_the_matrix_covers_the_awkward_days() -> None:
    """At least 12 instants, with both sides of midnight and a leap day among them."""
    moments = [_shop_time(text) for _, text in INSTANTS]
    assert len(moments) >= 12
    assert any(m.date() == date(2028, 2, 29) for m in moments)
    assert any(m.weekday() == 6 for m in moments)
    assert any(m.astimezone(UTC).date() != m.date() for m in moments)  # 00:30 shop time
    assert any(m.hour == 23 and m.minute >= 30 for m in moments)

"""Return windows (the after-sales policy's one rule) and ship-by dates (bot/actions/policy.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.actions.policy import expected_ship_by
from bot.config import load_config
from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_terms import ItemRequest, ReturnWindow
from bot.services.types import Order, OrderItem

NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)  # noon in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = AftersalesPolicy.from_config(load_config(env={}))  # return_days: 7


def end_of(day: int) -> datetime:
    """The last moment of 2026-04-``day`` in the shop's timezone."""
    return datetime.combine(date(2026, 4, day), time.max, tzinfo=SHANGHAI)


BASE = Order(
    id="260000000001",
    customer_id="C0001",
    status="paid",
    created_at=NOW - timedelta(days=10),
    paid_at=NOW - timedelta(days=10),
    shipped_at=None,
    delivered_at=None,
    cancelled_at=None,
    total_cents=9900,
    discount_cents=0,
    shipping_cents=0,
    payment_method="alipay",
    recipient="Li Wei",
    phone="13812345678",
    shipping_address="上海市浦东新区张江路88弄6号1202室",
    carrier=None,
    tracking_number=None,
    eta=None,
)


def delivered(days_ago: float) -> Order:
    return replace(BASE, status="delivered", delivered_at=NOW - timedelta(days=days_ago))


def delivered_at_shop_time(text: str) -> Order:
    local = datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
    return replace(BASE, status="delivered", delivered_at=local.astimezone(UTC))


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (delivered(0), ReturnWindow("open", end_of(28))),
        (delivered(3), ReturnWindow("open", end_of(25))),
        (delivered(7), ReturnWindow("open", end_of(21))),  # the 7th day after delivery counts
        # Evening of day 7: still the 7th calendar day (7 x 24 h would have closed it).
        (delivered_at_shop_time("2026-04-14 09:00"), ReturnWindow("open", end_of(21))),
        (delivered_at_shop_time("2026-04-13 23:30"), ReturnWindow("expired", end_of(20))),
        (delivered(40), ReturnWindow("expired", end_of(21) - timedelta(days=33))),
        (replace(BASE, status="in_transit"), ReturnWindow("not_delivered", None)),
        (BASE, ReturnWindow("not_delivered", None)),
        (replace(BASE, status="cancelled"), ReturnWindow("closed", None)),
        (replace(delivered(1), status="returned"), ReturnWindow("closed", None)),
    ],
)
def test_return_window(order: Order, expected: ReturnWindow) -> None:
    assert POLICY.return_window(order, NOW) == expected


@pytest.mark.parametrize("hour", [0, 12, 23])
def test_the_window_and_the_return_decision_agree_at_any_hour(hour: int) -> None:
    """The forms' window and the policy's decision are one rule: they never disagree."""
    shirt = OrderItem("P0017", "T-shirt", "T恤", "clothing", None, "L", None, None, 1, 9900)
    for days in range(0, 12):
        order = replace(delivered(days), items=(shirt,))
        now = datetime.combine(date(2026, 4, 21), time(hour), tzinfo=SHANGHAI)
        decision = POLICY.decide(order, ItemRequest(0), kind="return", reason="no_reason", now=now)
        assert (POLICY.return_window(order, now).state == "open") == decision.allowed, days


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (replace(BASE, paid_at=NOW - timedelta(hours=1)), NOW + timedelta(hours=47)),
        (replace(BASE, paid_at=NOW - timedelta(days=3)), NOW - timedelta(days=1)),  # overdue
        (replace(BASE, status="pending_payment", paid_at=None), None),
        (replace(BASE, status="in_transit"), None),
    ],
)
def test_expected_ship_by(order: Order, expected: datetime | None) -> None:
    assert expected_ship_by(order, NOW) == expected


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        POLICY.return_window(BASE, datetime(2026, 4, 21))

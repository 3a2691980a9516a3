"""Return windows and ship-by dates (bot/actions/policy.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.actions.policy import ReturnWindow, expected_ship_by, return_window
from bot.services.types import Order

NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)
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


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (delivered(0), ReturnWindow("open", NOW + timedelta(days=7))),
        (delivered(3), ReturnWindow("open", NOW + timedelta(days=4))),
        (delivered(7), ReturnWindow("open", NOW)),  # the last moment still counts
        (delivered(7.01), ReturnWindow("expired", NOW - timedelta(days=0.01))),
        (delivered(40), ReturnWindow("expired", NOW - timedelta(days=33))),
        (replace(BASE, status="in_transit"), ReturnWindow("not_delivered", None)),
        (BASE, ReturnWindow("not_delivered", None)),
        (replace(BASE, status="cancelled"), ReturnWindow("closed", None)),
        (replace(delivered(1), status="returned"), ReturnWindow("closed", None)),
    ],
)
def test_return_window(order: Order, expected: ReturnWindow) -> None:
    assert return_window(order, NOW) == expected


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
        return_window(BASE, datetime(2026, 4, 21))

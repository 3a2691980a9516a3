"""After-sales rules the actions apply: return and exchange windows, expected ship dates.

Plain functions of an order and the current time, so they are tested alone (table-driven).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.services.types import Order

RETURN_WINDOW = timedelta(days=7)
# In-stock items leave the warehouse within 48 hours of payment.
DISPATCH_WITHIN = timedelta(hours=48)

WindowState = Literal["open", "expired", "not_delivered", "closed"]


@dataclass(frozen=True)
class ReturnWindow:
    state: WindowState
    deadline: datetime | None  # end of the window, when the order was delivered


def return_window(order: Order, now: datetime) -> ReturnWindow:
    """Whether ``order`` can still be returned or exchanged without a reason at ``now``.

    The 7-day window starts when the parcel is delivered. Cancelled and returned orders are
    closed; anything not yet delivered has no window yet.
    """
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    if order.status in {"cancelled", "returned"}:
        return ReturnWindow("closed", None)
    if order.status != "delivered" or order.delivered_at is None:
        return ReturnWindow("not_delivered", None)
    deadline = order.delivered_at + RETURN_WINDOW
    return ReturnWindow("open" if now <= deadline else "expired", deadline)


def expected_ship_by(order: Order, now: datetime) -> datetime | None:
    """When a paid, not yet shipped order should leave the warehouse; None if not applicable.

    A result earlier than ``now`` means the promise is due: the caller says "within 24 hours".
    """
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    if order.status != "paid" or order.paid_at is None:
        return None
    return order.paid_at + DISPATCH_WITHIN

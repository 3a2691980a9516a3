"""When a paid order should leave the warehouse (the actions' promise of a ship date).

Return and exchange windows are the after-sales policy's
(:meth:`bot.services.aftersales_policy.AftersalesPolicy.return_window`): one rule, in calendar
days of the shop's timezone, for the forms and the answers alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.types import Order

# In-stock items leave the warehouse within 48 hours of payment.
DISPATCH_WITHIN = timedelta(hours=48)


def expected_ship_by(order: Order, now: datetime) -> datetime | None:
    """When a paid, not yet shipped order should leave the warehouse; None if not applicable.

    A result earlier than ``now`` means the promise is due: the caller says "within 24 hours".
    """
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    if order.status != "paid" or order.paid_at is None:
        return None
    return order.paid_at + DISPATCH_WITHIN

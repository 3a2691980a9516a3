"""The shop's history as plain records, read once from the database, and its CSV exports.

The promise a customer was given is the order's ``eta``: the demo shop's seeder sets it at
purchase from the route and the carrier's norm (so parcels that stall arrive late). An order
without one (an imported shop that has no promised dates) is promised the purchase day (shop
time) plus ``promise_days`` calendar days.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.storage.db import create_engine
from bot.storage.schema import (
    customers,
    handoffs,
    identities,
    order_items,
    orders,
    products,
    shipment_events,
    tickets,
)
from bot.storage.times import as_utc_or_none

DEFAULT_PROMISE_DAYS = 3
TRANSACTION_COLUMNS = ("customer_id", "order_id", "order_date", "amount", "category")
OLIST_COLUMNS = (
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
)
# Olist's statuses for the shop's own ones.
_OLIST_STATUS = {
    "pending_payment": "created",
    "paid": "approved",
    "shipped": "shipped",
    "in_transit": "shipped",
    "delivered": "delivered",
    "returned": "delivered",
    "cancelled": "canceled",
}


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    total: float  # yuan
    carrier: str | None
    categories: tuple[str, ...]
    item_amounts: tuple[tuple[str, float], ...]  # (category, yuan) per item line
    exception: bool  # a carrier exception event (weather, ...)
    promised: datetime | None = None  # the delivery promised at purchase (orders.eta)


@dataclass(frozen=True)
class Ticket:
    id: str
    kind: str
    customer_id: str | None
    order_id: str | None
    created_at: datetime
    sentiment: float | None


@dataclass
class Snapshot:
    """Everything the insight models read, as of ``now`` (the last recorded instant)."""

    timezone: str
    customers: dict[str, datetime]  # id -> created_at
    orders: list[Order]
    tickets: list[Ticket]
    channels: dict[str, str] = field(default_factory=dict)  # customer -> main channel
    sentiment: dict[str, float] = field(default_factory=dict)  # customer -> mean handoff score

    @property
    def now(self) -> datetime:
        stamps = [o.created_at for o in self.orders] + [
            t for o in self.orders for t in (o.delivered_at, o.shipped_at) if t
        ]
        return max(stamps) if stamps else datetime.now(UTC)


def _must(value: datetime | None) -> datetime:
    stamp = as_utc_or_none(value)
    if stamp is None:
        raise ValueError("a required timestamp is missing")
    return stamp


async def load_snapshot(
    engine: AsyncEngine, timezone: str, customer_ids: Collection[str] | None = None
) -> Snapshot:
    """Read customers, orders (with item categories), exceptions, tickets and sentiment; of
    ``customer_ids`` only when given (scoring a few customers, e.g. the handoff queue)."""

    def only(column: Any) -> list[Any]:
        return [] if customer_ids is None else [column.in_(tuple(customer_ids))]

    mine = select(orders.c.id).where(*only(orders.c.customer_id))
    async with engine.connect() as conn:
        cust = (
            await conn.execute(
                select(customers.c.id, customers.c.created_at).where(*only(customers.c.id))
            )
        ).all()
        order_rows = (
            (await conn.execute(select(orders).where(*only(orders.c.customer_id)))).mappings().all()
        )
        items = (
            await conn.execute(
                select(
                    order_items.c.order_id,
                    order_items.c.quantity,
                    order_items.c.unit_price_cents,
                    products.c.category,
                )
                .join(products, products.c.id == order_items.c.product_id)
                .where(*([] if customer_ids is None else [order_items.c.order_id.in_(mine)]))
            )
        ).all()
        exceptions = {
            r[0]
            for r in (
                await conn.execute(
                    select(shipment_events.c.order_id).where(
                        shipment_events.c.status == "exception",
                        *([] if customer_ids is None else [shipment_events.c.order_id.in_(mine)]),
                    )
                )
            ).all()
        }
        ticket_rows = (
            (await conn.execute(select(tickets).where(*only(tickets.c.customer_id))))
            .mappings()
            .all()
        )
        ident = (
            await conn.execute(
                select(identities.c.customer_id, identities.c.channel).where(
                    *only(identities.c.customer_id)
                )
            )
        ).all()
        moods = (
            await conn.execute(
                select(handoffs.c.customer_id, handoffs.c.sentiment).where(
                    handoffs.c.sentiment.is_not(None),
                    handoffs.c.customer_id.is_not(None),
                    *only(handoffs.c.customer_id),
                )
            )
        ).all()
    lines: dict[str, list[tuple[str, float]]] = {}
    for order_id, quantity, cents, category in items:
        lines.setdefault(order_id, []).append((str(category), quantity * cents / 100.0))
    order_list = [_order(r, lines.get(str(r["id"]), []), exceptions) for r in order_rows]
    order_list.sort(key=lambda o: (o.created_at, o.id))
    return Snapshot(
        timezone=timezone,
        customers={str(cid): _must(created) for cid, created in cust},
        orders=order_list,
        tickets=sorted((_ticket(r) for r in ticket_rows), key=lambda t: t.created_at),
        channels=_main_channels(ident),
        sentiment=_mean_by_key(moods),
    )


def _order(row: Any, lines: list[tuple[str, float]], exceptions: set[str]) -> Order:
    return Order(
        id=str(row["id"]),
        customer_id=str(row["customer_id"]),
        status=str(row["status"]),
        created_at=_must(row["created_at"]),
        paid_at=as_utc_or_none(row["paid_at"]),
        shipped_at=as_utc_or_none(row["shipped_at"]),
        delivered_at=as_utc_or_none(row["delivered_at"]),
        total=int(row["total_cents"]) / 100.0,
        carrier=row["carrier"],
        categories=tuple(sorted({c for c, _ in lines})),
        item_amounts=tuple(lines),
        exception=str(row["id"]) in exceptions,
        promised=as_utc_or_none(row["eta"]),
    )


def _ticket(row: Any) -> Ticket:
    payload = row["payload"] if isinstance(row["payload"], dict) else {}
    mood = payload.get("sentiment")
    return Ticket(
        id=str(row["id"]),
        kind=str(row["kind"]),
        customer_id=row["customer_id"],
        order_id=row["order_id"],
        created_at=_must(row["created_at"]),
        sentiment=float(mood) if isinstance(mood, int | float) else None,
    )


def _main_channels(rows: Iterable[Any]) -> dict[str, str]:
    counts: dict[str, dict[str, int]] = {}
    for customer_id, channel in rows:
        per = counts.setdefault(str(customer_id), {})
        per[str(channel)] = per.get(str(channel), 0) + 1
    return {cid: max(sorted(per), key=lambda ch: per[ch]) for cid, per in counts.items()}


def _mean_by_key(rows: Iterable[Any]) -> dict[str, float]:
    sums: dict[str, list[float]] = {}
    for key, value in rows:
        sums.setdefault(str(key), []).append(float(value))
    return {k: sum(v) / len(v) for k, v in sums.items()}


def read_snapshot(cfg: Config) -> Snapshot:
    """:func:`load_snapshot` on the configured database, from synchronous code."""

    async def run() -> Snapshot:
        engine = create_engine(cfg.database.url)
        try:
            return await load_snapshot(engine, cfg.shop.timezone)
        finally:
            await engine.dispose()

    return asyncio.run(run())


# Promise --------------------------------------------------------------------------------------
def promised_date(purchased: datetime, timezone: str, promise_days: int) -> date:
    """The delivery date promised at purchase: the purchase day (shop time) plus N days."""
    return purchased.astimezone(ZoneInfo(timezone)).date() + timedelta(days=promise_days)


def promised_day(order: Order, timezone: str, promise_days: int) -> date:
    """The day the order was promised for: its ``eta``, else purchase day + ``promise_days``."""
    if order.promised is not None:
        return order.promised.astimezone(ZoneInfo(timezone)).date()
    return promised_date(order.created_at, timezone, promise_days)


def delivered_late(order: Order, timezone: str, promise_days: int) -> bool | None:
    """True if delivered after the promised day, None if not delivered."""
    if order.delivered_at is None:
        return None
    local = order.delivered_at.astimezone(ZoneInfo(timezone)).date()
    return local > promised_day(order, timezone, promise_days)


# Exports -----------------------------------------------------------------------------------------
def transaction_rows(snapshot: Snapshot) -> list[dict[str, str]]:
    """One row per order line (customer_id, order_id, order_date, amount, category).

    Cancelled and unpaid orders are left out: they are not purchases.
    """
    rows: list[dict[str, str]] = []
    for order in snapshot.orders:
        if order.status in ("cancelled", "pending_payment"):
            continue
        for category, amount in order.item_amounts or (("", order.total),):
            rows.append(
                {
                    "customer_id": order.customer_id,
                    "order_id": order.id,
                    "order_date": order.created_at.isoformat(),
                    "amount": f"{amount:.2f}",
                    "category": category,
                }
            )
    return rows


def olist_rows(
    snapshot: Snapshot, promise_days: int = DEFAULT_PROMISE_DAYS
) -> list[dict[str, str]]:
    """The orders in the public Olist orders schema, with the promise of :func:`promised_day`."""
    tz = ZoneInfo(snapshot.timezone)

    def stamp(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if value else ""

    rows: list[dict[str, str]] = []
    for order in snapshot.orders:
        promise = promised_day(order, snapshot.timezone, promise_days)
        rows.append(
            {
                "order_id": order.id,
                "customer_id": order.customer_id,
                "order_status": _OLIST_STATUS.get(order.status, order.status),
                "order_purchase_timestamp": stamp(order.created_at),
                "order_approved_at": stamp(order.paid_at),
                "order_delivered_carrier_date": stamp(order.shipped_at),
                "order_delivered_customer_date": stamp(order.delivered_at),
                "order_estimated_delivery_date": datetime.combine(promise, time()).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
            }
        )
    return rows


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict[str, str]]) -> int:
    """Write ``rows`` under a header of ``columns``; returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            count += 1
    return count

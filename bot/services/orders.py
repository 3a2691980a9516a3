"""Orders: look-up, who may see them, cancellation and address changes.

Business rules are plain functions (``check_access``, ``can_cancel``, ``validate_address``);
the async functions read and write the database and re-check the rules inside their
transaction, so a request that races a status change cannot cancel a shipped order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import OrdersConfig
from bot.services.tickets import (
    DEFAULT_TIMEZONE,
    find_ticket_by_key,
    insert_ticket,
    serialized_writes,
)
from bot.services.types import Order, OrderItem, ShipmentEvent, Ticket
from bot.storage.schema import order_items, orders, products, shipment_events, tickets
from bot.storage.times import as_utc, as_utc_or_none

DEFAULT_CANCELLABLE: tuple[str, ...] = OrdersConfig().cancellable_statuses
DEFAULT_ADDRESS_CHANGEABLE: tuple[str, ...] = OrdersConfig().address_changeable_statuses
_ATTEMPTS = 5


class Access(Enum):
    OWNER = "owner"  # the order belongs to the customer asking
    VERIFIED = "verified"  # someone else's order, but they gave the phone number on it
    NEEDS_PHONE = "needs_phone"  # exists, but nothing proves the asker may see it
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Machine key: "ok", "already_cancelled", "already_shipped", "already_delivered",
    # "already_returned", "awaiting_payment" or "not_allowed".
    reason: str


@dataclass(frozen=True)
class AddressCheck:
    ok: bool
    problem: str | None  # "too_short", "no_detail", "too_long"


class OrderStateError(Exception):
    """The order's status does not allow the change (it shipped, was cancelled, ...)."""

    def __init__(self, order_id: str, status: str | None, reason: str) -> None:
        super().__init__(f"order {order_id} in status {status!r} does not allow this: {reason}")
        self.order_id = order_id
        self.status = status
        self.reason = reason


class _ConcurrentChange(Exception):
    """Another transaction changed the order between our read and our write; try again."""


# Phones -----------------------------------------------------------------------------------------
_CN_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalise_phone(text: str) -> str:
    """Digits only, without a +86 / 0086 country code.

    "+86 138-1234-5678" -> "13812345678"; "+44 7700 900123" -> "447700900123".
    """
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13 and _CN_MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    return digits


def phones_match(given: str, on_order: str) -> bool:
    """Whether two phone numbers are the same line, with or without the country code.

    "07700 900123" and "7700900123" match "+44 7700 900123"; a Chinese mobile number must
    match in full. Fewer than 7 digits never match.
    """
    a, b = normalise_phone(given), normalise_phone(on_order)
    if len(a) < 7 or len(b) < 7:
        return False
    if a == b:
        return True
    if _CN_MOBILE.fullmatch(a) or _CN_MOBILE.fullmatch(b):
        return False
    # Drop a national trunk prefix ("0"), then allow a 1-3 digit country code on one side.
    short, long = sorted((a.lstrip("0"), b.lstrip("0")), key=len)
    extra = len(long) - len(short)
    return len(short) >= 9 and 0 <= extra <= 3 and long.endswith(short) and long[0] != "0"


def check_access(order: Order | None, customer_id: str | None, phone: str | None) -> Access:
    """May the person asking see ``order``? (owner, or verified by the phone on the order)."""
    if order is None:
        return Access.NOT_FOUND
    if customer_id and order.customer_id == customer_id:
        return Access.OWNER
    if phone and phones_match(phone, order.phone):
        return Access.VERIFIED
    return Access.NEEDS_PHONE


# Rules on status --------------------------------------------------------------------------------
_REFUSALS = {
    "cancelled": "already_cancelled",
    "shipped": "already_shipped",
    "in_transit": "already_shipped",
    "delivered": "already_delivered",
    "returned": "already_returned",
    "pending_payment": "awaiting_payment",
}


def _decide(status: str, allowed_statuses: Iterable[str]) -> Decision:
    if status in tuple(allowed_statuses):
        return Decision(True, "ok")
    return Decision(False, _REFUSALS.get(status, "not_allowed"))


def can_cancel(order: Order, cancellable_statuses: Sequence[str]) -> Decision:
    """Cancellation is allowed only in ``cancellable_statuses`` (before shipping)."""
    return _decide(order.status, cancellable_statuses)


def can_change_address(order: Order, changeable_statuses: Sequence[str]) -> Decision:
    """The address can change only in ``changeable_statuses`` (before shipping)."""
    return _decide(order.status, changeable_statuses)


# Addresses --------------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u9fff]")
_ZH_DETAIL = re.compile(r"路|街|道|号|弄|巷|村|栋|幢|室|楼|单元|小区|大厦|公寓|座|院")
_ZH_REGION = re.compile(r"省|市|区|县|镇|乡|州")
_EN_STREET = re.compile(
    r"\b(street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|"
    r"square|sq|highway|hwy|terrace|close|crescent|apartment|apt|suite|unit|floor|flat|"
    r"building|bldg|room|rm|block|district|village|no)\b\.?",
    re.IGNORECASE,
)
MAX_ADDRESS_LENGTH = 200


def validate_address(text: str) -> AddressCheck:
    """Is ``text`` plausibly a full delivery address (Chinese or English)?

    Chinese: at least 8 characters with a street-level part (路/街/号/栋/室 ...), or a region
    (省/市/区/县) plus a number. English: at least 10 characters, a number, and a street word
    or several comma-separated parts.
    """
    cleaned = " ".join(unicodedata.normalize("NFKC", text).split())
    if len(cleaned) > MAX_ADDRESS_LENGTH:
        return AddressCheck(False, "too_long")
    if _CJK.search(cleaned):
        if len(cleaned.replace(" ", "")) < 8:
            return AddressCheck(False, "too_short")
        has_digit = bool(re.search(r"[0-9一二三四五六七八九十]", cleaned))
        if _ZH_DETAIL.search(cleaned) or (_ZH_REGION.search(cleaned) and has_digit):
            return AddressCheck(True, None)
        return AddressCheck(False, "no_detail")
    if len(cleaned) < 10:
        return AddressCheck(False, "too_short")
    parts = [p for p in cleaned.split(",") if re.search(r"[A-Za-z]", p)]
    if re.search(r"[0-9]", cleaned) and (_EN_STREET.search(cleaned) or len(parts) >= 2):
        return AddressCheck(True, None)
    return AddressCheck(False, "no_detail")


def _clean_address(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


# Reading ----------------------------------------------------------------------------------------
def _variant_details(variants: Any, sku: str | None) -> tuple[str | None, str | None, str | None]:
    if sku and isinstance(variants, list):
        for v in variants:
            if isinstance(v, dict) and v.get("sku") == sku:
                return v.get("size"), v.get("color_en"), v.get("color_zh")
    return None, None, None


async def _load_orders(conn: AsyncConnection, rows: Sequence[Any]) -> list[Order]:
    ids = [row.id for row in rows]
    if not ids:
        return []
    item_rows = (
        await conn.execute(
            select(
                order_items.c.order_id,
                order_items.c.product_id,
                order_items.c.variant_sku,
                order_items.c.quantity,
                order_items.c.unit_price_cents,
                products.c.name_en,
                products.c.name_zh,
                products.c.category,
                products.c.variants,
            )
            .join(products, products.c.id == order_items.c.product_id)
            .where(order_items.c.order_id.in_(ids))
            .order_by(order_items.c.order_id, order_items.c.id)
        )
    ).all()
    event_rows = (
        await conn.execute(
            select(shipment_events)
            .where(shipment_events.c.order_id.in_(ids))
            .order_by(shipment_events.c.order_id, shipment_events.c.ts, shipment_events.c.id)
        )
    ).all()
    items: dict[str, list[OrderItem]] = {}
    for r in item_rows:
        size, color_en, color_zh = _variant_details(r.variants, r.variant_sku)
        items.setdefault(r.order_id, []).append(
            OrderItem(
                product_id=r.product_id,
                name_en=r.name_en,
                name_zh=r.name_zh,
                category=r.category,
                variant_sku=r.variant_sku,
                size=size,
                color_en=color_en,
                color_zh=color_zh,
                quantity=r.quantity,
                unit_price_cents=r.unit_price_cents,
            )
        )
    events: dict[str, list[ShipmentEvent]] = {}
    for r in event_rows:
        events.setdefault(r.order_id, []).append(
            ShipmentEvent(
                ts=as_utc(r.ts),
                status=r.status,
                location_en=r.location_en,
                location_zh=r.location_zh,
                description_en=r.description_en,
                description_zh=r.description_zh,
            )
        )
    return [
        Order(
            id=row.id,
            customer_id=row.customer_id,
            status=row.status,
            created_at=as_utc(row.created_at),
            paid_at=as_utc_or_none(row.paid_at),
            shipped_at=as_utc_or_none(row.shipped_at),
            delivered_at=as_utc_or_none(row.delivered_at),
            cancelled_at=as_utc_or_none(row.cancelled_at),
            total_cents=row.total_cents,
            discount_cents=row.discount_cents,
            shipping_cents=row.shipping_cents,
            payment_method=row.payment_method,
            recipient=row.recipient,
            phone=row.phone,
            shipping_address=row.shipping_address,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            eta=as_utc_or_none(row.eta),
            items=tuple(items.get(row.id, ())),
            events=tuple(events.get(row.id, ())),
        )
        for row in rows
    ]


async def get_order(engine: AsyncEngine, order_id: str) -> Order | None:
    """The order with its items and shipment events (oldest first), or None."""
    order_id = order_id.strip()
    async with engine.connect() as conn:
        row = (await conn.execute(select(orders).where(orders.c.id == order_id))).first()
        if row is None:
            return None
        return (await _load_orders(conn, [row]))[0]


async def list_orders(engine: AsyncEngine, customer_id: str, limit: int = 5) -> list[Order]:
    """The customer's most recent orders, newest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = (
        select(orders)
        .where(orders.c.customer_id == customer_id)
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .limit(limit)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        return await _load_orders(conn, rows)


# Changing ---------------------------------------------------------------------------------------
async def _locked_order(conn: AsyncConnection, order_id: str) -> Any:
    # FOR UPDATE serialises concurrent changes on PostgreSQL; SQLite serialises writers anyway.
    query = (
        select(orders.c.status, orders.c.shipping_address, orders.c.total_cents, orders.c.paid_at)
        .where(orders.c.id == order_id)
        .with_for_update()
    )
    row = (await conn.execute(query)).first()
    if row is None:
        raise OrderStateError(order_id, None, "not_found")
    return row


async def cancel_order(
    engine: AsyncEngine,
    order: Order,
    *,
    channel: str | None,
    sender_id: str | None,
    reason: str | None,
    cancellable_statuses: Sequence[str] = DEFAULT_CANCELLABLE,
    timezone: str = DEFAULT_TIMEZONE,
) -> Ticket:
    """Cancel ``order`` and record an approved "cancellation" ticket.

    Idempotent: asking again returns the same ticket. Raises :class:`OrderStateError` when the
    order's current status (re-read in the transaction) does not allow cancelling.
    """
    key = f"cancel:{order.id}"
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                # Status first, ticket second: a cancellation committed in between shows
                # up as its ticket, never as a refusal ("already_cancelled").
                row = await _locked_order(conn, order.id)
                existing = await find_ticket_by_key(conn, key)
                if existing is not None:
                    return existing
                decision = _decide(row.status, cancellable_statuses)
                if not decision.allowed:
                    raise OrderStateError(order.id, row.status, decision.reason)
                now = datetime.now(UTC)
                result = await conn.execute(
                    update(orders)
                    .where(orders.c.id == order.id, orders.c.status == row.status)
                    .values(status="cancelled", cancelled_at=now)
                )
                if result.rowcount != 1:
                    raise _ConcurrentChange(order.id)
                refund = row.total_cents if row.paid_at is not None else 0
                return await insert_ticket(
                    conn,
                    kind="cancellation",
                    order_id=order.id,
                    customer_id=order.customer_id,
                    status="approved",
                    category=None,
                    payload={
                        "reason": reason,
                        "previous_status": row.status,
                        "refund_cents": refund,
                        "payment_method": order.payment_method,
                    },
                    channel=channel,
                    sender_id=sender_id,
                    idempotency_key=key,
                    timezone=timezone,
                )
        except (IntegrityError, _ConcurrentChange):
            continue  # a concurrent request won; the next round returns or refuses
    raise RuntimeError(f"could not cancel order {order.id} after {_ATTEMPTS} tries")


async def change_address(
    engine: AsyncEngine,
    order: Order,
    new_address: str,
    *,
    channel: str | None,
    sender_id: str | None,
    changeable_statuses: Sequence[str] = DEFAULT_ADDRESS_CHANGEABLE,
    timezone: str = DEFAULT_TIMEZONE,
) -> Ticket:
    """Set the order's shipping address and record an approved "address_change" ticket.

    Idempotent per order and address: asking again for the address the order already got
    through a ticket returns that ticket. Raises ``ValueError`` for an address that fails
    :func:`validate_address` and :class:`OrderStateError` once the order has shipped.
    """
    check = validate_address(new_address)
    if not check.ok:
        raise ValueError(f"not a usable delivery address ({check.problem}): {new_address!r}")
    address = _clean_address(new_address)
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()[:16]
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                row = await _locked_order(conn, order.id)
                if _clean_address(row.shipping_address) == address:
                    previous = await _latest_address_ticket(conn, order.id, address)
                    if previous is not None:
                        return previous
                decision = _decide(row.status, changeable_statuses)
                if not decision.allowed:
                    raise OrderStateError(order.id, row.status, decision.reason)
                count = await _count_address_tickets(conn, order.id)
                await conn.execute(
                    update(orders).where(orders.c.id == order.id).values(shipping_address=address)
                )
                return await insert_ticket(
                    conn,
                    kind="address_change",
                    order_id=order.id,
                    customer_id=order.customer_id,
                    status="approved",
                    category=None,
                    payload={"old_address": row.shipping_address, "new_address": address},
                    channel=channel,
                    sender_id=sender_id,
                    idempotency_key=f"address:{order.id}:{count + 1}:{digest}",
                    timezone=timezone,
                )
        except (IntegrityError, _ConcurrentChange):
            continue
    raise RuntimeError(f"could not change the address of order {order.id} after {_ATTEMPTS} tries")


async def _address_tickets(conn: AsyncConnection, order_id: str) -> list[Any]:
    query = (
        select(tickets.c.id, tickets.c.payload, tickets.c.idempotency_key)
        .where(tickets.c.order_id == order_id, tickets.c.kind == "address_change")
        .order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
    )
    return list((await conn.execute(query)).all())


async def _count_address_tickets(conn: AsyncConnection, order_id: str) -> int:
    return len(await _address_tickets(conn, order_id))


async def _latest_address_ticket(
    conn: AsyncConnection, order_id: str, address: str
) -> Ticket | None:
    """The latest address change, if it set ``address`` (older ones were overwritten since)."""
    rows = await _address_tickets(conn, order_id)
    if not rows:
        return None
    payload = rows[0].payload if isinstance(rows[0].payload, dict) else {}
    if payload.get("new_address") != address:
        return None
    return await find_ticket_by_key(conn, rows[0].idempotency_key)

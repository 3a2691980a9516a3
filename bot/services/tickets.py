"""Tickets: every request the assistant hands to the shop (cancellation, address change, ...).

The same request twice makes one ticket: callers derive an idempotency key from the request's
content ("cancel:260420000009"), and asking again returns the ticket made the first time.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import load_config
from bot.services.types import Ticket, as_utc
from bot.storage.schema import tickets

_MAX_KEY = 200
_ATTEMPTS = 5

# One asyncio lock per SQLite engine and event loop (see serialized_writes).
_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, dict[int, asyncio.Lock]] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def serialized_writes(engine: AsyncEngine) -> AsyncIterator[None]:
    """Let one write transaction at a time into a SQLite database from this process.

    SQLite has a single writer anyway. Letting two connections of one process wait for each
    other can freeze the process: the waiting connection's thread sleeps in SQLite's busy
    handler while the event loop thread, holding the GIL, blocks on that connection's mutex
    (freeing one of its cursors), so the writer that holds the lock never gets to commit and
    both give up after busy_timeout with "database is locked". Other databases are not
    affected and are not serialised.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    per_loop = _WRITE_LOCKS.setdefault(engine.sync_engine, {})
    lock = per_loop.setdefault(id(asyncio.get_running_loop()), asyncio.Lock())
    async with lock:
        yield


def _ticket(row: Any) -> Ticket:
    payload = row.payload if isinstance(row.payload, dict) else {}
    return Ticket(
        id=row.id,
        kind=row.kind,
        order_id=row.order_id,
        customer_id=row.customer_id,
        status=row.status,
        category=row.category,
        payload=dict(payload),
        channel=row.channel,
        sender_id=row.sender_id,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


async def find_ticket_by_key(conn: AsyncConnection, idempotency_key: str) -> Ticket | None:
    row = (
        await conn.execute(select(tickets).where(tickets.c.idempotency_key == idempotency_key))
    ).first()
    return None if row is None else _ticket(row)


@functools.cache
def _shop_timezone() -> ZoneInfo:
    """The shop's timezone from the settings, read once per process on first use."""
    return ZoneInfo(load_config().shop.timezone)


def ticket_id_prefix(now: datetime, timezone: tzinfo | None = None) -> str:
    """The "TK-<date>-" start of ids of tickets made at ``now``.

    The date is the one customers see: the day in the shop's timezone (``timezone``, by
    default the configured one), not the UTC day.
    """
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    local = now.astimezone(timezone or _shop_timezone())
    return f"TK-{local:%Y%m%d}-"


async def _next_ticket_id(conn: AsyncConnection, now: datetime) -> str:
    prefix = ticket_id_prefix(now)
    last = (
        await conn.execute(
            select(tickets.c.id)
            .where(tickets.c.id.like(prefix + "%"))
            .order_by(func.length(tickets.c.id).desc(), tickets.c.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    number = int(str(last)[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > _MAX_KEY:
        raise ValueError(
            f"idempotency_key must be 1-{_MAX_KEY} characters, got {len(idempotency_key)}: "
            "derive it from the request, e.g. 'cancel:<order id>'"
        )


async def insert_ticket(
    conn: AsyncConnection,
    *,
    kind: str,
    order_id: str | None,
    customer_id: str | None,
    status: str,
    category: str | None,
    payload: dict[str, Any],
    channel: str | None,
    sender_id: str | None,
    idempotency_key: str,
) -> Ticket:
    """Create a ticket inside the caller's transaction, or return the one with the same key."""
    _check_key(idempotency_key)
    if not kind or not status:
        raise ValueError(f"kind and status must be non-empty, got kind={kind!r} status={status!r}")
    existing = await find_ticket_by_key(conn, idempotency_key)
    if existing is not None:
        return existing
    now = datetime.now(UTC)
    ticket = Ticket(
        id=await _next_ticket_id(conn, now),
        kind=kind,
        order_id=order_id,
        customer_id=customer_id,
        status=status,
        category=category,
        payload=dict(payload),
        channel=channel,
        sender_id=sender_id,
        created_at=now,
        updated_at=now,
    )
    await conn.execute(
        tickets.insert().values(
            id=ticket.id,
            kind=kind,
            order_id=order_id,
            customer_id=customer_id,
            status=status,
            category=category,
            payload=ticket.payload,
            channel=channel,
            sender_id=sender_id,
            idempotency_key=idempotency_key,
            created_at=now,
            updated_at=now,
        )
    )
    return ticket


async def create_ticket(
    engine: AsyncEngine,
    *,
    kind: str,
    order_id: str | None,
    customer_id: str | None,
    status: str,
    category: str | None,
    payload: dict[str, Any],
    channel: str | None,
    sender_id: str | None,
    idempotency_key: str,
) -> Ticket:
    """Create a ticket; the same ``idempotency_key`` again returns the existing ticket."""
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                return await insert_ticket(
                    conn,
                    kind=kind,
                    order_id=order_id,
                    customer_id=customer_id,
                    status=status,
                    category=category,
                    payload=payload,
                    channel=channel,
                    sender_id=sender_id,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError:
            # A concurrent request took the key (return its ticket) or the id (try again).
            async with engine.connect() as conn:
                existing = await find_ticket_by_key(conn, idempotency_key)
            if existing is not None:
                return existing
    raise RuntimeError(f"could not create a ticket for {idempotency_key!r} after {_ATTEMPTS} tries")


async def list_tickets(
    engine: AsyncEngine,
    *,
    customer_id: str | None = None,
    order_id: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """Tickets matching every given filter, newest first."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    query = select(tickets)
    if customer_id is not None:
        query = query.where(tickets.c.customer_id == customer_id)
    if order_id is not None:
        query = query.where(tickets.c.order_id == order_id)
    if kind is not None:
        query = query.where(tickets.c.kind == kind)
    query = query.order_by(tickets.c.created_at.desc(), tickets.c.id.desc()).limit(limit)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_ticket(row) for row in rows]


async def get_ticket(engine: AsyncEngine, ticket_id: str) -> Ticket | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
    return None if row is None else _ticket(row)


def ticket_to_json(t: Ticket) -> dict[str, Any]:
    """The ticket as the admin API shows it (timestamps in ISO 8601, UTC)."""
    return {
        "id": t.id,
        "kind": t.kind,
        "order_id": t.order_id,
        "customer_id": t.customer_id,
        "status": t.status,
        "category": t.category,
        "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
        "payload": dict(t.payload),
    }

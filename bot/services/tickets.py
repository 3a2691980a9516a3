"""Tickets: every request the assistant hands to the shop (cancellation, return, complaint, ...).

The same request twice makes one ticket: callers derive an idempotency key from the request's
content ("cancel:260420000009"), and asking again returns the ticket made the first time.

Each kind of ticket moves through its own states (:data:`bot.services.ticket_states.TRANSITIONS`);
staff move it with :func:`transition_ticket`, which records who, when, from, to and why in
``ticket_events`` and tells the customer through an injected :class:`TicketNotifier` (the text:
:func:`bot.services.ticket_notices.customer_notice`).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, tzinfo
from typing import Any, NotRequired, Protocol, TypedDict, Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import ShopConfig
from bot.services.ticket_states import (
    SEVERITIES,
    InvalidTransition,
    TicketNotFound,
    allowed_transitions,
)
from bot.services.types import Ticket
from bot.storage.schema import ticket_events, tickets
from bot.storage.times import as_utc, as_utc_or_none

logger = logging.getLogger(__name__)

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
        severity=row.severity,
        sla_due_at=as_utc_or_none(row.sla_due_at),
    )


async def find_ticket_by_key(conn: AsyncConnection, idempotency_key: str) -> Ticket | None:
    row = (
        await conn.execute(select(tickets).where(tickets.c.idempotency_key == idempotency_key))
    ).first()
    return None if row is None else _ticket(row)


# The timezone of a caller that does not say (the shop setting's default); callers pass the
# configured ``shop.timezone``.
DEFAULT_TIMEZONE = ShopConfig.timezone


def _zone(timezone: tzinfo | str) -> tzinfo:
    return ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def ticket_id_prefix(now: datetime, timezone: tzinfo | str = DEFAULT_TIMEZONE) -> str:
    """The "TK-<date>-" start of ids of tickets made at ``now``.

    The date is the one customers see: the day in the shop's timezone (``timezone``, the
    configured ``shop.timezone``), not the UTC day.
    """
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    local = now.astimezone(_zone(timezone))
    return f"TK-{local:%Y%m%d}-"


async def _next_ticket_id(conn: AsyncConnection, now: datetime, timezone: tzinfo | str) -> str:
    prefix = ticket_id_prefix(now, timezone)
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


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError(f"`now` must be timezone-aware, got {now!r}")
    return now.astimezone(UTC)


def _check_key(idempotency_key: str) -> None:
    if not idempotency_key or len(idempotency_key) > _MAX_KEY:
        raise ValueError(
            f"idempotency_key must be 1-{_MAX_KEY} characters, got {len(idempotency_key)}: "
            "derive it from the request, e.g. 'cancel:<order id>'"
        )


class TicketFields(TypedDict):
    """What a new ticket is made of, as :func:`create_ticket` takes it."""

    kind: str
    order_id: str | None
    customer_id: str | None
    status: str
    category: str | None
    payload: dict[str, Any]
    channel: str | None
    sender_id: str | None
    idempotency_key: str
    severity: NotRequired[str | None]
    sla_due_at: NotRequired[datetime | None]
    actor: NotRequired[str | None]
    note: NotRequired[str | None]
    timezone: NotRequired[tzinfo | str]


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
    severity: str | None = None,
    sla_due_at: datetime | None = None,
    actor: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
    timezone: tzinfo | str = DEFAULT_TIMEZONE,
) -> Ticket:
    """Create a ticket inside the caller's transaction, or return the one with the same key.

    The creation is the first entry of the ticket's history, by ``actor`` (default: "customer"
    when the ticket comes from a conversation, "system" otherwise).
    """
    _check_key(idempotency_key)
    if not kind or not status:
        raise ValueError(f"kind and status must be non-empty, got kind={kind!r} status={status!r}")
    if severity is not None and severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES} or None, got {severity!r}")
    existing = await find_ticket_by_key(conn, idempotency_key)
    if existing is not None:
        return existing
    now = _aware_now(now)
    ticket = Ticket(
        id=await _next_ticket_id(conn, now, timezone),
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
        severity=severity,
        sla_due_at=as_utc_or_none(sla_due_at),
    )
    # The ticket's fields are the table's columns, but for the key.
    row = {f.name: getattr(ticket, f.name) for f in fields(ticket)}
    await conn.execute(tickets.insert().values(**row, idempotency_key=idempotency_key))
    who = actor or ("customer" if sender_id else "system")
    await _add_event(conn, ticket.id, now, who, None, status, note)
    return ticket


async def create_ticket(engine: AsyncEngine, **new: Unpack[TicketFields]) -> Ticket:
    """Create a ticket; the same ``idempotency_key`` again returns the existing ticket.

    Its id carries the day in ``timezone`` (the shop's configured ``shop.timezone``).
    """
    key = new["idempotency_key"]
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                return await insert_ticket(conn, **new)
        except IntegrityError:
            # A concurrent request took the key (return its ticket) or the id (try again).
            async with engine.connect() as conn:
                existing = await find_ticket_by_key(conn, key)
            if existing is not None:
                return existing
    raise RuntimeError(f"could not create a ticket for {key!r} after {_ATTEMPTS} tries")


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


async def get_ticket_by_key(engine: AsyncEngine, idempotency_key: str) -> Ticket | None:
    """The ticket made for ``idempotency_key``, if any."""
    async with engine.connect() as conn:
        return await find_ticket_by_key(conn, idempotency_key)


async def get_ticket(engine: AsyncEngine, ticket_id: str) -> Ticket | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(tickets).where(tickets.c.id == ticket_id))).first()
    return None if row is None else _ticket(row)


def ticket_to_json(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the admin API shows it (timestamps in ISO 8601, UTC)."""
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "order_id": ticket.order_id,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
        "category": ticket.category,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "severity": ticket.severity,
        "sla_due_at": None if ticket.sla_due_at is None else ticket.sla_due_at.isoformat(),
        "payload": dict(ticket.payload),
    }


@dataclass(frozen=True)
class TicketEvent:
    """One entry of a ticket's history; ``from_status`` is None for its creation."""

    id: int
    ticket_id: str
    ts: datetime
    actor: str  # "customer", "system", "system:policy", "staff:<name>"
    from_status: str | None
    to_status: str
    note: str | None


def event_to_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "ts": event.ts.isoformat(),
        "actor": event.actor,
        "from": event.from_status,
        "to": event.to_status,
        "note": event.note,
    }


class TicketNotifier(Protocol):
    """Tells the customer about a status change on the channel the ticket came from.

    Called after the change is committed. Implementations should store the message (the
    gateway's outbox) rather than send it inline; an exception is logged and does not undo the
    change. :func:`bot.services.ticket_notices.customer_notice` gives the text.
    """

    async def notify(self, ticket: Ticket, event: TicketEvent) -> None: ...


@dataclass(frozen=True)
class Transition:
    """The result of :func:`transition_ticket`: ``changed`` is False for a repeated request."""

    ticket: Ticket
    event: TicketEvent | None
    changed: bool


def _event(row: Any) -> TicketEvent:
    return TicketEvent(
        id=row.id,
        ticket_id=row.ticket_id,
        ts=as_utc(row.ts),
        actor=row.actor,
        from_status=row.from_status,
        to_status=row.to_status,
        note=row.note,
    )


async def _add_event(
    conn: AsyncConnection,
    ticket_id: str,
    ts: datetime,
    actor: str,
    from_status: str | None,
    to_status: str,
    note: str | None,
) -> TicketEvent:
    result = await conn.execute(
        ticket_events.insert().values(
            ticket_id=ticket_id,
            ts=ts,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            note=note,
        )
    )
    (event_id,) = result.inserted_primary_key or (None,)
    return TicketEvent(int(event_id or 0), ticket_id, ts, actor, from_status, to_status, note)


async def change_status(
    conn: AsyncConnection,
    ticket_id: str,
    to_status: str,
    *,
    actor: str,
    note: str | None = None,
    now: datetime | None = None,
) -> Transition:
    """Move a ticket to ``to_status`` inside the caller's transaction.

    Asking for the status the ticket already has changes nothing (``changed`` False), so a
    retried request is harmless. Raises :class:`TicketNotFound` or :class:`InvalidTransition`.
    """
    if not actor or len(actor) > 120:
        raise ValueError(f"actor must be 1-120 characters, got {actor!r}")
    row = (
        await conn.execute(select(tickets).where(tickets.c.id == ticket_id).with_for_update())
    ).first()
    if row is None:
        raise TicketNotFound(ticket_id)
    ticket = _ticket(row)
    if to_status == ticket.status:
        return Transition(ticket, None, changed=False)
    allowed = allowed_transitions(ticket.kind, ticket.status)
    if to_status not in allowed:
        raise InvalidTransition(ticket, to_status, allowed)
    stamp = _aware_now(now)
    result = await conn.execute(
        update(tickets)
        .where(tickets.c.id == ticket_id, tickets.c.status == ticket.status)
        .values(status=to_status, updated_at=stamp)
    )
    if result.rowcount != 1:
        raise _ConcurrentChange(ticket_id)
    event = await _add_event(conn, ticket_id, stamp, actor, ticket.status, to_status, note)
    return Transition(replace(ticket, status=to_status, updated_at=stamp), event, changed=True)


class _ConcurrentChange(Exception):
    """Another transaction changed the ticket between our read and our write; try again."""


async def transition_ticket(
    engine: AsyncEngine,
    ticket_id: str,
    to_status: str,
    *,
    actor: str,
    note: str | None = None,
    notifier: TicketNotifier | None = None,
    now: datetime | None = None,
) -> Transition:
    """Move a ticket to ``to_status``, record it in the history and tell the customer.

    Raises :class:`TicketNotFound` or :class:`InvalidTransition`; a repeated request for the
    current status returns ``changed=False`` and notifies nobody.
    """
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                done = await change_status(
                    conn, ticket_id, to_status, actor=actor, note=note, now=now
                )
            break
        except _ConcurrentChange:
            continue
    else:
        raise RuntimeError(f"could not change ticket {ticket_id} after {_ATTEMPTS} tries")
    if done.changed and done.event is not None and notifier is not None:
        await notify_safely(notifier, done.ticket, done.event)
    return done


async def notify_safely(notifier: TicketNotifier, ticket: Ticket, event: TicketEvent) -> None:
    """Call the notifier; a failure is logged, because the change itself is already made."""
    try:
        await notifier.notify(ticket, event)
    except Exception:
        logger.exception("could not notify the customer of ticket %s (%s)", ticket.id, event)


async def ticket_history(engine: AsyncEngine, ticket_id: str) -> list[TicketEvent]:
    """The ticket's status changes, oldest first (its creation first)."""
    query = (
        select(ticket_events)
        .where(ticket_events.c.ticket_id == ticket_id)
        .order_by(ticket_events.c.id)
    )
    async with engine.connect() as conn:
        return [_event(row) for row in (await conn.execute(query)).all()]

"""A customer's personal data: everything held about them (``export``) and erasing it (``erase``).

Erasure removes or anonymises, in one transaction:

- the profile (name, phone, email become :data:`PLACEHOLDER` or empty), the computed segment
  and the customer's channel identities (the chats are no longer linked to the account);
- every conversation of the customer (their identities, conversation records, handoffs and
  tickets name them): the texts, payloads, attachments and addresses of the inbox, the outbox
  (messages not sent yet are dropped) and the ``messages`` log; the conversation records'
  reply addresses; the numbered options last shown;
- Rasa's tracker events of those conversations when Rasa's SQL tracker store shares the shop
  database (table ``events``): texts, entities, metadata and slot values are replaced in place.
  The rows themselves stay: Rasa counts a conversation's stored events to know which ones it
  has not written yet, so deleting rows would make it write the whole conversation again;
- handoff transcripts (the messages; the handoff keeps its times and status, its snapshot of
  the customer is emptied); ticket texts (the ticket keeps kind, status, order and amounts);
- recommendation interactions (views, carts, purchases);
- the photos the customer sent (files in the media folder no other conversation refers to).

Kept, because the law requires it: orders with their items, amounts, dates and shipments, for
accounting and tax; their recipient, phone and address become :data:`PLACEHOLDER`. The
``privacy_audit`` table records each export and erasure (who, when, what, how many rows), with
no personal data but the customer id. Erasing twice is harmless: the second run finds nothing
personal left and records zero counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    insert,
    inspect,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.schema import (
    channel_options,
    conversations,
    customer_segments,
    customers,
    handoff_messages,
    handoffs,
    identities,
    inbox,
    interactions,
    messages,
    order_items,
    orders,
    outbox,
    privacy_audit,
    shipment_events,
    ticket_events,
    tickets,
)

PLACEHOLDER = "[erased]"
# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
RASA_EVENTS_TABLE = "events"
MEDIA_PREFIX = "/media/"
# Tracker slots that describe the dialogue, not the customer: their values stay.
STRUCTURAL_SLOTS = frozenset({"requested_slot", "language", "offered"})
# Message metadata the gateway's retry needs (bot/core/rasa_client.py) and that names nobody.
STRUCTURAL_METADATA = frozenset({"inbox_id", "channel", "language"})
# What an erasure keeps, and why (keys of the texts in bot/i18n/conversation.py).
KEPT_ORDERS = "orders"
KEPT_AUDIT = "privacy_audit"


class UnknownCustomer(LookupError):
    """No customer has this id."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer has the id {customer_id!r}")
        self.customer_id = customer_id


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure did: rows erased or anonymised per table, files removed, what stayed."""

    customer_id: str
    counts: Mapping[str, int]
    kept: Mapping[str, int] = field(default_factory=dict)  # what -> rows kept

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, *names: str) -> int:
        return sum(self.counts.get(name, 0) for name in names)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _rows(result: Iterable[Any]) -> list[dict[str, Any]]:
    return [_jsonable(dict(row._mapping)) for row in result]


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- whose records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    customer_id: str
    conversation_ids: tuple[str, ...]
    handoff_ids: tuple[int, ...]
    ticket_ids: tuple[str, ...]
    order_ids: tuple[str, ...]


async def _scope(conn: AsyncConnection, customer_id: str) -> _Scope:
    """The customer's conversations, handoffs, tickets and orders; UnknownCustomer if none."""
    found = await conn.execute(select(customers.c.id).where(customers.c.id == customer_id))
    if found.first() is None:
        raise UnknownCustomer(customer_id)
    conversation_ids: set[str] = set()
    for row in await conn.execute(
        select(identities.c.channel, identities.c.external_id).where(
            identities.c.customer_id == customer_id
        )
    ):
        conversation_ids.add(f"{row.channel}:{row.external_id}")
    for row in await conn.execute(
        select(conversations.c.conversation_id).where(conversations.c.customer_id == customer_id)
    ):
        conversation_ids.add(row.conversation_id)
    handoff_rows = (
        await conn.execute(
            select(handoffs.c.id, handoffs.c.conversation_id).where(
                handoffs.c.customer_id == customer_id
            )
        )
    ).all()
    conversation_ids.update(row.conversation_id for row in handoff_rows)
    ticket_rows = (
        await conn.execute(
            select(tickets.c.id, tickets.c.sender_id).where(tickets.c.customer_id == customer_id)
        )
    ).all()
    conversation_ids.update(row.sender_id for row in ticket_rows if row.sender_id)
    conversation_ids.discard("")
    handoff_ids = {row.id for row in handoff_rows}
    ticket_ids = {row.id for row in ticket_rows}
    if conversation_ids:
        ids = sorted(conversation_ids)
        more_handoffs = await conn.execute(
            select(handoffs.c.id).where(handoffs.c.conversation_id.in_(ids))
        )
        handoff_ids.update(row.id for row in more_handoffs)
        more_tickets = await conn.execute(select(tickets.c.id).where(tickets.c.sender_id.in_(ids)))
        ticket_ids.update(row.id for row in more_tickets)
    order_ids = (
        await conn.execute(
            select(orders.c.id).where(orders.c.customer_id == customer_id).order_by(orders.c.id)
        )
    ).scalars()
    return _Scope(
        customer_id=customer_id,
        conversation_ids=tuple(sorted(conversation_ids)),
        handoff_ids=tuple(sorted(handoff_ids)),
        ticket_ids=tuple(sorted(ticket_ids)),
        order_ids=tuple(order_ids),
    )


async def _has_table(conn: AsyncConnection, name: str) -> bool:
    return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(name)))


def _rasa_events() -> Table:
    """Rasa's tracker events table as far as we touch it (created by Rasa, not by us)."""
    from sqlalchemy import Column, Float, Integer, MetaData, String

    return Table(
        RASA_EVENTS_TABLE,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255)),
        Column("type_name", String(255)),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )


def _media_names(attachments: Any) -> set[str]:
    """Names of media-store files (``/media/<name>``) in an attachments list."""
    names: set[str] = set()
    for item in _loads(attachments) or []:
        url = item.get("url") if isinstance(item, Mapping) else None
        if isinstance(url, str) and MEDIA_PREFIX in url:
            name = url.rsplit(MEDIA_PREFIX, 1)[1]
            if name and "/" not in name and not name.startswith("."):
                names.add(name)
    return names


# --- export -----------------------------------------------------------------------------------


async def export(
    engine: AsyncEngine,
    customer_id: str,
    *,
    actor: str = "customer",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything held about the customer, as JSON-ready data; the export is audited."""
    async with engine.begin() as conn:
        scope = await _scope(conn, customer_id)
        data = await _collect(conn, scope)
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        await _audit(conn, customer_id, "export", actor, counts, {}, _now(now))
    return {"customer_id": customer_id, "exported_at": _now(now).isoformat(), **data}


async def _collect(conn: AsyncConnection, scope: _Scope) -> dict[str, Any]:
    cid = scope.customer_id
    convs = list(scope.conversation_ids)
    data: dict[str, Any] = {}
    data["customer"] = _rows(await conn.execute(select(customers).where(customers.c.id == cid)))[0]
    data["identities"] = _rows(
        await conn.execute(select(identities).where(identities.c.customer_id == cid))
    )
    data["segments"] = _rows(
        await conn.execute(select(customer_segments).where(customer_segments.c.customer_id == cid))
    )
    data["orders"] = _rows(
        await conn.execute(select(orders).where(orders.c.id.in_(scope.order_ids)))
    )
    data["order_items"] = _rows(
        await conn.execute(
            select(order_items)
            .where(order_items.c.order_id.in_(scope.order_ids))
            .order_by(order_items.c.id)
        )
    )
    data["shipment_events"] = _rows(
        await conn.execute(
            select(shipment_events)
            .where(shipment_events.c.order_id.in_(scope.order_ids))
            .order_by(shipment_events.c.id)
        )
    )
    data["interactions"] = _rows(
        await conn.execute(
            select(interactions)
            .where(interactions.c.customer_id == cid)
            .order_by(interactions.c.id)
        )
    )
    data["tickets"] = _rows(
        await conn.execute(select(tickets).where(tickets.c.id.in_(scope.ticket_ids)))
    )
    data["ticket_events"] = _rows(
        await conn.execute(
            select(ticket_events)
            .where(ticket_events.c.ticket_id.in_(scope.ticket_ids))
            .order_by(ticket_events.c.id)
        )
    )
    for name, table, key in (
        ("conversations", conversations, conversations.c.conversation_id),
        ("messages", messages, messages.c.conversation_id),
        ("inbox", inbox, inbox.c.conversation_id),
        ("outbox", outbox, outbox.c.conversation_id),
        ("channel_options", channel_options, channel_options.c.conversation_id),
    ):
        data[name] = _rows(await conn.execute(select(table).where(key.in_(convs))))
    data["handoffs"] = _rows(
        await conn.execute(select(handoffs).where(handoffs.c.id.in_(scope.handoff_ids)))
    )
    handoff_rows = _rows(
        await conn.execute(
            select(handoff_messages)
            .where(handoff_messages.c.handoff_id.in_(scope.handoff_ids))
            .order_by(handoff_messages.c.id)
        )
    )
    data["handoff_messages"] = handoff_rows
    media: set[str] = set()
    for row in [*data["inbox"], *handoff_rows]:
        media |= _media_names(row.get("attachments"))
    data["media"] = [MEDIA_PREFIX + name for name in sorted(media)]
    data["tracker_events"] = []
    if convs and await _has_table(conn, RASA_EVENTS_TABLE):
        events = _rasa_events()
        rows = await conn.execute(
            select(events.c.sender_id, events.c.data)
            .where(events.c.sender_id.in_(convs))
            .order_by(events.c.id)
        )
        data["tracker_events"] = [
            {"sender_id": row.sender_id, "event": _loads(row.data)} for row in rows
        ]
    data["privacy_audit"] = _rows(
        await conn.execute(
            select(privacy_audit)
            .where(privacy_audit.c.customer_id == cid)
            .order_by(privacy_audit.c.id)
        )
    )
    return data


# --- erase ------------------------------------------------------------------------------------


async def erase(
    engine: AsyncEngine,
    customer_id: str,
    *,
    actor: str = "customer",
    media_dir: Path | None = None,
    now: datetime | None = None,
) -> ErasureReport:
    """Erase or anonymise the customer's personal data (see the module's docstring).

    ``actor``: who asked, for the audit ("customer" or "staff:<name>"). ``media_dir``: the
    media store's folder (``channels.media_dir``); None leaves files alone. Raises
    :class:`UnknownCustomer` for an id no customer has.
    """
    when = _now(now)
    async with engine.begin() as conn:
        scope = await _scope(conn, customer_id)
        counts, media = await _erase_rows(conn, scope)
        kept = {KEPT_ORDERS: len(scope.order_ids)}
        files = _media_files(media_dir, media) if media_dir is not None else []
        counts["media_files"] = len(files)
        await _audit(conn, customer_id, "erase", actor, counts, kept, when)
    # After the commit: a failed transaction leaves the photos where its rows point.
    for path in files:
        path.unlink(missing_ok=True)
    return ErasureReport(customer_id=customer_id, counts=counts, kept=kept)


async def _erase_rows(conn: AsyncConnection, scope: _Scope) -> tuple[dict[str, int], set[str]]:
    cid = scope.customer_id
    convs = list(scope.conversation_ids)
    counts: dict[str, int] = {}

    async def run(name: str, statement: Any) -> None:
        result = await conn.execute(statement)
        counts[name] = counts.get(name, 0) + max(int(result.rowcount or 0), 0)

    # The profile: the row stays (orders refer to it), whatever names the person goes.
    await run(
        "customers",
        update(customers)
        .where(
            customers.c.id == cid,
            or_(
                customers.c.name != PLACEHOLDER,
                customers.c.name_zh.is_not(None),
                customers.c.phone.is_not(None),
                customers.c.email.is_not(None),
            ),
        )
        .values(name=PLACEHOLDER, name_zh=None, phone=None, email=None),
    )
    await run(
        "customer_segments", delete(customer_segments).where(customer_segments.c.customer_id == cid)
    )
    await run("identities", delete(identities).where(identities.c.customer_id == cid))
    await run("interactions", delete(interactions).where(interactions.c.customer_id == cid))
    # Orders stay for accounting; who received them and where does not.
    await run(
        "orders",
        update(orders)
        .where(
            orders.c.customer_id == cid,
            or_(
                orders.c.recipient != PLACEHOLDER,
                orders.c.phone != PLACEHOLDER,
                orders.c.shipping_address != PLACEHOLDER,
            ),
        )
        .values(recipient=PLACEHOLDER, phone=PLACEHOLDER, shipping_address=PLACEHOLDER),
    )
    counts["tickets"] = await _erase_tickets(conn, scope.ticket_ids, convs)
    await run(
        "ticket_events",
        update(ticket_events)
        .where(
            ticket_events.c.ticket_id.in_(scope.ticket_ids),
            ticket_events.c.note.is_not(None),
            ticket_events.c.note != PLACEHOLDER,
        )
        .values(note=PLACEHOLDER),
    )

    # Photos: collected before the rows that name them are erased.
    media: set[str] = set()
    for row in await conn.execute(
        select(inbox.c.attachments).where(inbox.c.conversation_id.in_(convs))
    ):
        media |= _media_names(row.attachments)
    for row in await conn.execute(
        select(handoff_messages.c.attachments).where(
            handoff_messages.c.handoff_id.in_(scope.handoff_ids)
        )
    ):
        media |= _media_names(row.attachments)

    # Handoffs keep their times and status for the service statistics; not what was said.
    await run(
        "handoff_messages",
        delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(scope.handoff_ids)),
    )
    handoff_rows = await conn.execute(
        select(handoffs.c.id, handoffs.c.snapshot).where(handoffs.c.id.in_(scope.handoff_ids))
    )
    emptied = [row.id for row in handoff_rows if _loads(row.snapshot)]
    await run("handoffs", update(handoffs).where(handoffs.c.id.in_(emptied)).values(snapshot={}))

    # The conversations: what was said, and where replies go.
    await run(
        "messages",
        update(messages)
        .where(
            messages.c.conversation_id.in_(convs),
            or_(
                messages.c.text != PLACEHOLDER,
                # a JSON column may hold JSON null rather than SQL NULL
                and_(messages.c.payload.is_not(None), cast(messages.c.payload, Text) != "null"),
            ),
        )
        .values(text=PLACEHOLDER, payload=null()),
    )
    inbox_rows = (
        await conn.execute(
            select(
                inbox.c.id,
                inbox.c.text,
                inbox.c.payload,
                inbox.c.attachments,
                inbox.c.meta,
                inbox.c.address,
                inbox.c.last_error,
            ).where(inbox.c.conversation_id.in_(convs))
        )
    ).all()
    personal_inbox = [
        row.id
        for row in inbox_rows
        if (row.text not in (None, PLACEHOLDER))
        or row.payload is not None
        or _loads(row.attachments)
        or _loads(row.meta)
        or _loads(row.address)
        or row.last_error is not None
    ]
    await run(
        "inbox",
        update(inbox)
        .where(inbox.c.id.in_(personal_inbox))
        .values(
            text=PLACEHOLDER, payload=None, attachments=[], meta={}, address={}, last_error=None
        ),
    )
    # A message not sent yet is not sent at all; sent ones keep the fact that they were.
    await run(
        "outbox",
        delete(outbox).where(outbox.c.conversation_id.in_(convs), outbox.c.status == "pending"),
    )
    outbox_rows = (
        await conn.execute(
            select(outbox.c.id, outbox.c.message, outbox.c.address, outbox.c.last_error).where(
                outbox.c.conversation_id.in_(convs)
            )
        )
    ).all()
    erased_message = {"text": PLACEHOLDER}
    personal_outbox = [
        row.id
        for row in outbox_rows
        if _loads(row.message) != erased_message
        or _loads(row.address)
        or row.last_error is not None
    ]
    await run(
        "outbox",
        update(outbox)
        .where(outbox.c.id.in_(personal_outbox))
        .values(message=erased_message, address={}, last_error=None),
    )
    conversation_rows = await conn.execute(
        select(conversations.c.conversation_id, conversations.c.address).where(
            conversations.c.conversation_id.in_(convs)
        )
    )
    addressed = [row.conversation_id for row in conversation_rows if _loads(row.address)]
    await run(
        "conversations",
        update(conversations)
        .where(conversations.c.conversation_id.in_(addressed))
        .values(address={}),
    )
    await run(
        "channel_options",
        delete(channel_options).where(channel_options.c.conversation_id.in_(convs)),
    )
    counts["tracker_events"] = await _erase_tracker_events(conn, convs)
    return counts, await _unshared_media(conn, media)


def _scrub(value: Any, keep: frozenset[str] = frozenset({"language"})) -> Any:
    """``value`` with every text replaced by the placeholder; numbers, flags and ``keep`` stay."""
    if isinstance(value, Mapping):
        return {k: v if k in keep else _scrub(v, keep) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, keep) for v in value]
    if isinstance(value, str):
        return PLACEHOLDER if value else value
    return value


async def _erase_tickets(
    conn: AsyncConnection, ticket_ids: Sequence[str], conversation_ids: Sequence[str]
) -> int:
    """Ticket texts (the payload's strings), the sender, and a request key naming the chat;
    kind, status, order and amounts stay."""
    changed = 0
    rows = await conn.execute(
        select(
            tickets.c.id, tickets.c.payload, tickets.c.sender_id, tickets.c.idempotency_key
        ).where(tickets.c.id.in_(ticket_ids))
    )
    for row in rows.all():
        payload = _loads(row.payload) or {}
        scrubbed = _scrub(payload)
        key = row.idempotency_key
        if any(conversation in key for conversation in conversation_ids):
            key = f"{PLACEHOLDER}:{row.id}"
        if scrubbed == payload and row.sender_id is None and key == row.idempotency_key:
            continue
        await conn.execute(
            update(tickets)
            .where(tickets.c.id == row.id)
            .values(payload=scrubbed, sender_id=None, idempotency_key=key)
        )
        changed += 1
    return changed


def _scrub_event(event: dict[str, Any]) -> dict[str, Any]:
    """A Rasa event without what the customer said or was told (structure and names stay)."""
    out = dict(event)
    kind = out.get("event")
    if "text" in out and out["text"] is not None:
        out["text"] = PLACEHOLDER
    if isinstance(out.get("metadata"), Mapping):
        out["metadata"] = {k: v for k, v in out["metadata"].items() if k in STRUCTURAL_METADATA}
    if kind == "user":
        parse = dict(out.get("parse_data") or {})
        if "text" in parse:
            parse["text"] = PLACEHOLDER
        parse["entities"] = []
        parse.pop("response_selector", None)
        out["parse_data"] = parse
        out.pop("input_channel", None)
    elif kind == "bot":
        out["data"] = {}
    elif kind == "slot":
        if out.get("name") not in STRUCTURAL_SLOTS and not isinstance(out.get("value"), bool):
            out["value"] = None
    elif kind == "entities":
        out["entities"] = []
    elif kind == "session_started":
        out["metadata"] = {}
    return out


async def _erase_tracker_events(conn: AsyncConnection, conversation_ids: Sequence[str]) -> int:
    """Rasa's stored events of these conversations, anonymised in place (see the module)."""
    if not conversation_ids or not await _has_table(conn, RASA_EVENTS_TABLE):
        return 0
    events = _rasa_events()
    rows = await conn.execute(
        select(events.c.id, events.c.data).where(events.c.sender_id.in_(list(conversation_ids)))
    )
    changes: list[dict[str, Any]] = []
    for row in rows.all():
        data = _loads(row.data)
        if not isinstance(data, dict):
            continue
        scrubbed = _scrub_event(data)
        if scrubbed != data:
            changes.append({"event_id": row.id, "new_data": json.dumps(scrubbed)})
    if changes:
        await conn.execute(
            update(events)
            .where(events.c.id == bindparam("event_id"))
            .values(data=bindparam("new_data")),
            changes,
        )
    return len(changes)


async def _unshared_media(conn: AsyncConnection, names: set[str]) -> set[str]:
    """The files no remaining row refers to (the same photo may come from someone else)."""
    unshared = set()
    for name in sorted(names):
        pattern = f"%{MEDIA_PREFIX}{name}%"
        found = False
        for table in (inbox, handoff_messages):
            still = await conn.execute(
                select(table.c.id).where(cast(table.c.attachments, Text).like(pattern)).limit(1)
            )
            found = found or still.first() is not None
        if not found:
            unshared.add(name)
    return unshared


def _media_files(media_dir: Path, names: Iterable[str]) -> list[Path]:
    """The existing files behind ``names`` in the media folder (nothing outside it)."""
    root = media_dir.resolve()
    files = []
    for name in sorted(names):
        path = (root / name).resolve()
        if path.parent == root and path.is_file():
            files.append(path)
    return files


async def _audit(
    conn: AsyncConnection,
    customer_id: str,
    action: str,
    actor: str,
    counts: Mapping[str, int],
    kept: Mapping[str, int],
    when: datetime,
) -> None:
    # A database older than the table (the gateway creates it on start) gets it here.
    await conn.run_sync(lambda sync: privacy_audit.create(sync, checkfirst=True))
    await conn.execute(
        insert(privacy_audit).values(
            customer_id=customer_id,
            action=action,
            actor=actor,
            counts=dict(counts),
            kept=[{"what": k, "rows": v} for k, v in kept.items()],
            created_at=when,
        )
    )


async def audit_log(engine: AsyncEngine, customer_id: str) -> list[dict[str, Any]]:
    """The customer's export and erasure records, oldest first."""
    async with engine.connect() as conn:
        return _rows(
            await conn.execute(
                select(privacy_audit)
                .where(privacy_audit.c.customer_id == customer_id)
                .order_by(privacy_audit.c.id)
            )
        )

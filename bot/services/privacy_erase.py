"""A customer's personal data: erasing it (``erase``).

Exporting is in bot/services/privacy_export.py; whose records are whose, and the audit,
in bot/services/privacy_data.py.

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
- the review queue's items first collected from those conversations (their text is redacted,
  but may still name the customer) and the keys of the messages collected;
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
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Text,
    and_,
    bindparam,
    cast,
    delete,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.services.privacy_data import (
    MEDIA_PREFIX,
    PLACEHOLDER,
    RASA_EVENTS_TABLE,
    Scope,
    find_scope,
    has_table,
    loads_json,
    media_names,
    now_or_utc,
    rasa_events_table,
    record_audit,
)
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
    orders,
    outbox,
    proactive_notices,
    stock_asks,
    ticket_events,
    tickets,
)
from bot.storage.studio_schema import review_items, review_messages

# Tracker slots that describe the dialogue, not the customer: their values stay.
STRUCTURAL_SLOTS = frozenset({"requested_slot", "language", "offered"})
# Message metadata the gateway's retry needs (bot/core/rasa_client.py) and that names nobody.
STRUCTURAL_METADATA = frozenset({"inbox_id", "channel", "language"})
# What an erasure keeps, and why (keys of the texts in bot/i18n/conversation.py).
KEPT_ORDERS = "orders"
KEPT_AUDIT = "privacy_audit"


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
    when = now_or_utc(now)
    async with engine.begin() as conn:
        scope = await find_scope(conn, customer_id)
        counts, media = await _erase_rows(conn, scope)
        kept = {KEPT_ORDERS: len(scope.order_ids)}
        files = _media_files(media_dir, media) if media_dir is not None else []
        counts["media_files"] = len(files)
        await record_audit(conn, customer_id, "erase", actor, counts, kept, when)
    # After the commit: a failed transaction leaves the photos where its rows point.
    for path in files:
        path.unlink(missing_ok=True)
    return ErasureReport(customer_id=customer_id, counts=counts, kept=kept)


async def _erase_rows(conn: AsyncConnection, scope: Scope) -> tuple[dict[str, int], set[str]]:
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
    # What the proactive service told them (the texts name their orders) and what they asked.
    await run(
        "proactive_notices",
        delete(proactive_notices).where(proactive_notices.c.customer_id == cid),
    )
    await run("stock_asks", delete(stock_asks).where(stock_asks.c.customer_id == cid))
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
        media |= media_names(row.attachments)
    for row in await conn.execute(
        select(handoff_messages.c.attachments).where(
            handoff_messages.c.handoff_id.in_(scope.handoff_ids)
        )
    ):
        media |= media_names(row.attachments)

    # Handoffs keep their times and status for the service statistics; not what was said.
    await run(
        "handoff_messages",
        delete(handoff_messages).where(handoff_messages.c.handoff_id.in_(scope.handoff_ids)),
    )
    handoff_rows = await conn.execute(
        select(handoffs.c.id, handoffs.c.snapshot).where(handoffs.c.id.in_(scope.handoff_ids))
    )
    emptied = [row.id for row in handoff_rows if loads_json(row.snapshot)]
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
        or loads_json(row.attachments)
        or loads_json(row.meta)
        or loads_json(row.address)
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
        if loads_json(row.message) != erased_message
        or loads_json(row.address)
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
    addressed = [row.conversation_id for row in conversation_rows if loads_json(row.address)]
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
    await run("review_items", delete(review_items).where(review_items.c.conversation_id.in_(convs)))
    for conversation in convs:  # keys are "<kind>:<conversation>:<message id>"
        await run(
            "review_messages",
            delete(review_messages).where(
                review_messages.c.key.contains(f":{conversation}:", autoescape=True)
            ),
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
        payload = loads_json(row.payload) or {}
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
    if not conversation_ids or not await has_table(conn, RASA_EVENTS_TABLE):
        return 0
    events = rasa_events_table()
    rows = await conn.execute(
        select(events.c.id, events.c.data).where(events.c.sender_id.in_(list(conversation_ids)))
    )
    changes: list[dict[str, Any]] = []
    for row in rows.all():
        data = loads_json(row.data)
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

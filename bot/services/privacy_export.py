"""A customer's personal data: everything held about them, as JSON-ready data (``export``).

Whose records are whose, and the audit, are in bot/services/privacy_data.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.services.privacy_data import (
    MEDIA_PREFIX,
    RASA_EVENTS_TABLE,
    Scope,
    find_scope,
    has_table,
    json_rows,
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
    order_items,
    orders,
    outbox,
    privacy_audit,
    proactive_notices,
    shipment_events,
    stock_asks,
    ticket_events,
    tickets,
)
from bot.storage.studio_schema import review_items

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
        scope = await find_scope(conn, customer_id)
        data = await _collect(conn, scope)
        counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
        await record_audit(conn, customer_id, "export", actor, counts, {}, now_or_utc(now))
    return {"customer_id": customer_id, "exported_at": now_or_utc(now).isoformat(), **data}


async def _collect(conn: AsyncConnection, scope: Scope) -> dict[str, Any]:
    cid = scope.customer_id
    convs = list(scope.conversation_ids)
    data: dict[str, Any] = {}
    data["customer"] = json_rows(
        await conn.execute(select(customers).where(customers.c.id == cid))
    )[0]
    data["identities"] = json_rows(
        await conn.execute(select(identities).where(identities.c.customer_id == cid))
    )
    data["segments"] = json_rows(
        await conn.execute(select(customer_segments).where(customer_segments.c.customer_id == cid))
    )
    data["orders"] = json_rows(
        await conn.execute(select(orders).where(orders.c.id.in_(scope.order_ids)))
    )
    data["order_items"] = json_rows(
        await conn.execute(
            select(order_items)
            .where(order_items.c.order_id.in_(scope.order_ids))
            .order_by(order_items.c.id)
        )
    )
    data["shipment_events"] = json_rows(
        await conn.execute(
            select(shipment_events)
            .where(shipment_events.c.order_id.in_(scope.order_ids))
            .order_by(shipment_events.c.id)
        )
    )
    data["interactions"] = json_rows(
        await conn.execute(
            select(interactions)
            .where(interactions.c.customer_id == cid)
            .order_by(interactions.c.id)
        )
    )
    for name, table in (("proactive_notices", proactive_notices), ("stock_asks", stock_asks)):
        data[name] = json_rows(
            await conn.execute(select(table).where(table.c.customer_id == cid).order_by(table.c.id))
        )
    data["tickets"] = json_rows(
        await conn.execute(select(tickets).where(tickets.c.id.in_(scope.ticket_ids)))
    )
    data["ticket_events"] = json_rows(
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
        ("review_items", review_items, review_items.c.conversation_id),
    ):
        data[name] = json_rows(await conn.execute(select(table).where(key.in_(convs))))
    data["handoffs"] = json_rows(
        await conn.execute(select(handoffs).where(handoffs.c.id.in_(scope.handoff_ids)))
    )
    handoff_rows = json_rows(
        await conn.execute(
            select(handoff_messages)
            .where(handoff_messages.c.handoff_id.in_(scope.handoff_ids))
            .order_by(handoff_messages.c.id)
        )
    )
    data["handoff_messages"] = handoff_rows
    media: set[str] = set()
    for row in [*data["inbox"], *handoff_rows]:
        media |= media_names(row.get("attachments"))
    data["media"] = [MEDIA_PREFIX + name for name in sorted(media)]
    data["tracker_events"] = []
    if convs and await has_table(conn, RASA_EVENTS_TABLE):
        events = rasa_events_table()
        rows = await conn.execute(
            select(events.c.sender_id, events.c.data)
            .where(events.c.sender_id.in_(convs))
            .order_by(events.c.id)
        )
        data["tracker_events"] = [
            {"sender_id": row.sender_id, "event": loads_json(row.data)} for row in rows
        ]
    data["privacy_audit"] = json_rows(
        await conn.execute(
            select(privacy_audit)
            .where(privacy_audit.c.customer_id == cid)
            .order_by(privacy_audit.c.id)
        )
    )
    return data

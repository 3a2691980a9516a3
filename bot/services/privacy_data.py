"""A customer's personal data: which records are theirs (their conversations, handoffs,
tickets and orders), the tables involved, and the audit of every export and erasure.

Exporting is in bot/services/privacy_export.py, erasing in bot/services/privacy_erase.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Table,
    Text,
    insert,
    inspect,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.schema import (
    conversations,
    customers,
    handoffs,
    identities,
    orders,
    privacy_audit,
    tickets,
)

PLACEHOLDER = "[erased]"
# Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent).
RASA_EVENTS_TABLE = "events"
MEDIA_PREFIX = "/media/"


class UnknownCustomer(LookupError):
    """No customer has this id."""

    def __init__(self, customer_id: str) -> None:
        super().__init__(f"no customer has the id {customer_id!r}")
        self.customer_id = customer_id


def now_or_utc(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def json_rows(result: Iterable[Any]) -> list[dict[str, Any]]:
    return [jsonable(dict(row._mapping)) for row in result]


def loads_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# --- whose records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    customer_id: str
    conversation_ids: tuple[str, ...]
    handoff_ids: tuple[int, ...]
    ticket_ids: tuple[str, ...]
    order_ids: tuple[str, ...]


async def find_scope(conn: AsyncConnection, customer_id: str) -> Scope:
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
    return Scope(
        customer_id=customer_id,
        conversation_ids=tuple(sorted(conversation_ids)),
        handoff_ids=tuple(sorted(handoff_ids)),
        ticket_ids=tuple(sorted(ticket_ids)),
        order_ids=tuple(order_ids),
    )


async def has_table(conn: AsyncConnection, name: str) -> bool:
    return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(name)))


def rasa_events_table() -> Table:
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


def media_names(attachments: Any) -> set[str]:
    """Names of media-store files (``/media/<name>``) in an attachments list."""
    names: set[str] = set()
    for item in loads_json(attachments) or []:
        url = item.get("url") if isinstance(item, Mapping) else None
        if isinstance(url, str) and MEDIA_PREFIX in url:
            name = url.rsplit(MEDIA_PREFIX, 1)[1]
            if name and "/" not in name and not name.startswith("."):
                names.add(name)
    return names


async def record_audit(
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
        return json_rows(
            await conn.execute(
                select(privacy_audit)
                .where(privacy_audit.c.customer_id == customer_id)
                .order_by(privacy_audit.c.id)
            )
        )

"""Writing a whole shop (generated or imported) to the database, in bulk.

The seeder and the importer both build a :class:`ShopData` in memory first and hand it to
:func:`write_shop` inside one transaction, so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.progress import Progress
from bot.storage.schema import (
    customers,
    identities,
    interactions,
    order_items,
    orders,
    products,
    settings_kv,
    shipment_events,
    ticket_events,
    tickets,
)

Row = dict[str, Any]

# Insert order (parents first); deletes go the other way.
SHOP_TABLES: tuple[Table, ...] = (
    products,
    customers,
    identities,
    orders,
    order_items,
    shipment_events,
    interactions,
)

_CHUNK = 2000

# Keys of shop_meta that describe where the shop's data came from.
SEEDED_ON = "seeded_on"
SEED = "seed"
IMPORTED_AT = "imported_at"
IMPORT_SOURCE = "import_source"
SHOP_META_KEYS: tuple[str, ...] = (SEEDED_ON, SEED, IMPORTED_AT, IMPORT_SOURCE)


@dataclass(frozen=True)
class ShopData:
    """Rows for every shop table, keyed by column name, ready to insert."""

    products: Sequence[Row] = ()
    customers: Sequence[Row] = ()
    identities: Sequence[Row] = ()
    orders: Sequence[Row] = ()
    order_items: Sequence[Row] = ()
    shipment_events: Sequence[Row] = ()
    interactions: Sequence[Row] = ()
    # Seeded complaint tickets and their history (not shop tables: an import keeps the
    # service's tickets, and wipe_shop deletes them only when asked).
    tickets: Sequence[Row] = ()
    ticket_events: Sequence[Row] = ()

    def rows_for(self, table: Table) -> Sequence[Row]:
        rows: Sequence[Row] = getattr(self, table.name)
        return rows

    def counts(self) -> dict[str, int]:
        return {table.name: len(self.rows_for(table)) for table in SHOP_TABLES}


# What write_shop writes: the shop, then the seeded tickets and their history.
WRITTEN_TABLES = (*SHOP_TABLES, tickets, ticket_events)


async def write_shop(
    conn: AsyncConnection, data: ShopData, *, progress: Progress | None = None
) -> None:
    """Insert every row of ``data`` (executemany in chunks; the caller owns the transaction).

    ``progress`` (a bar over :func:`total_rows`) advances chunk by chunk."""
    for table in WRITTEN_TABLES:
        rows = list(data.rows_for(table))
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            await conn.execute(table.insert(), chunk)
            if progress is not None:
                progress.update(len(chunk), note=table.name)
    if progress is not None:
        progress.close()


def total_rows(data: ShopData) -> int:
    """How many rows :func:`write_shop` writes for ``data``."""
    return sum(len(data.rows_for(table)) for table in WRITTEN_TABLES)


SEEDED_TICKET_KEY = "seed:"  # idempotency keys of the demo shop's complaints


async def wipe_shop(conn: AsyncConnection, *, include_tickets: bool = False) -> None:
    """Delete every shop row and the demo shop's seeded tickets (and every ticket, which all
    refer to shop orders, when asked)."""
    seeded = tickets.c.idempotency_key.like(SEEDED_TICKET_KEY + "%")
    where = [] if include_tickets else [seeded]
    # Their history first: it refers to them.
    await conn.execute(
        delete(ticket_events).where(
            ticket_events.c.ticket_id.in_(select(tickets.c.id).where(*where))
        )
    )
    await conn.execute(delete(tickets).where(*where))
    for table in reversed(SHOP_TABLES):
        await conn.execute(delete(table))
    await conn.execute(delete(settings_kv).where(settings_kv.c.key.in_(SHOP_META_KEYS)))


async def count_shop(conn: AsyncConnection) -> dict[str, int]:
    """Number of rows in each shop table."""
    counts: dict[str, int] = {}
    for table in SHOP_TABLES:
        result = await conn.execute(select(func.count()).select_from(table))
        counts[table.name] = int(result.scalar_one())
    return counts


async def get_meta(conn: AsyncConnection, key: str) -> str | None:
    result = await conn.execute(select(settings_kv.c.value).where(settings_kv.c.key == key))
    value = result.scalar_one_or_none()
    return None if value is None else str(value)


async def set_meta(conn: AsyncConnection, key: str, value: str) -> None:
    # Delete then insert: portable across SQLite and PostgreSQL without dialect upserts.
    await conn.execute(delete(settings_kv).where(settings_kv.c.key == key))
    await conn.execute(settings_kv.insert().values(key=key, value=value))


async def delete_meta(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(settings_kv).where(settings_kv.c.key == key))

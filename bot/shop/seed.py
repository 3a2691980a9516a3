"""Deterministic demo shop: the same seed and day always give the same shop.

Dates are relative to the seeding day (``today``, in the shop's timezone): "delivered 3 days
ago" means three calendar days before that day. Everything that has happened (orders, payments,
shipment events, browsing) lies before midnight at the start of ``today``, so nothing is in the
future whenever during the day the shop is seeded; only ETAs lie ahead. All timestamps are
stored as UTC.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Config
from bot.progress import Progress, step
from bot.services.tickets import serialized_writes
from bot.shop.generator.demo import ShopGenerator
from bot.shop.store import (
    IMPORTED_AT,
    SEED,
    SEEDED_ON,
    ShopData,
    count_shop,
    get_meta,
    set_meta,
    total_rows,
    wipe_shop,
    write_shop,
)
from bot.storage.db import create_schema


@dataclass(frozen=True)
class SeedStats:
    seeded_on: date | None  # None when the shop was imported instead
    skipped: bool
    products: int
    customers: int
    orders: int
    order_items: int
    shipment_events: int
    interactions: int

    @classmethod
    def from_counts(
        cls, counts: dict[str, int], seeded_on: date | None, skipped: bool
    ) -> SeedStats:
        return cls(
            seeded_on=seeded_on,
            skipped=skipped,
            products=counts.get("products", 0),
            customers=counts.get("customers", 0),
            orders=counts.get("orders", 0),
            order_items=counts.get("order_items", 0),
            shipment_events=counts.get("shipment_events", 0),
            interactions=counts.get("interactions", 0),
        )


class SeedError(RuntimeError):
    """The database holds shop data the seeder did not write; it refuses to mix them."""


def generate_demo_shop(cfg: Config, today: date) -> ShopData:
    """Build the demo shop in memory (pure: the same ``cfg.demo`` and ``today``, the same rows)."""
    return ShopGenerator(cfg, today).build()


def shop_today(cfg: Config) -> date:
    """The current calendar day in the shop's timezone."""
    return datetime.now(ZoneInfo(cfg.shop.timezone)).date()


async def seed_demo_shop(
    engine: AsyncEngine,
    cfg: Config,
    *,
    today: date | None = None,
    force: bool = False,
    progress: bool = False,
) -> SeedStats:
    """Create the schema and write the demo shop, unless the shop already has data.

    ``progress`` shows a bar on stderr while the rows are written (the CLI's ``seed``).
    ``force`` wipes the shop tables (and the tickets about their orders) and seeds again.
    Raises :class:`SeedError` when shop tables hold rows that neither a seed nor an import
    recorded, rather than mixing generated data into them.
    """
    await create_schema(engine)
    day = today or shop_today(cfg)
    if not force:
        async with engine.connect() as conn:
            found, seeded_on = await _existing_source(conn)
            if found:
                return SeedStats.from_counts(await count_shop(conn), seeded_on, skipped=True)

    if progress:
        with step("Generating the demo shop"):
            data = await asyncio.to_thread(generate_demo_shop, cfg, day)
    else:
        data = await asyncio.to_thread(generate_demo_shop, cfg, day)
    async with serialized_writes(engine), engine.begin() as conn:
        if force:
            await wipe_shop(conn, include_tickets=True)
        else:
            found, seeded_on = await _existing_source(conn)
            if found:  # another process seeded meanwhile
                return SeedStats.from_counts(await count_shop(conn), seeded_on, skipped=True)
            counts = await count_shop(conn)
            if any(counts.values()):
                raise SeedError(
                    f"the shop tables already hold data ({counts}) that no seed or import "
                    "recorded; run `python -m bot seed --force` to replace it with the demo shop"
                )
        bar = Progress("Writing the demo shop", total_rows(data), unit="rows") if progress else None
        await write_shop(conn, data, progress=bar)
        await set_meta(conn, SEEDED_ON, day.isoformat())
        await set_meta(conn, SEED, str(cfg.demo.seed))
    return SeedStats.from_counts(data.counts(), day, skipped=False)


async def _existing_source(conn: AsyncConnection) -> tuple[bool, date | None]:
    """(whether the shop was seeded or imported, the seeding day if it was seeded)."""
    seeded_on = await get_meta(conn, SEEDED_ON)
    if seeded_on:
        return True, date.fromisoformat(seeded_on)
    return await get_meta(conn, IMPORTED_AT) is not None, None

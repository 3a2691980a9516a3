"""The same services on PostgreSQL (the scale-out database).

Runs when SHOP_TEST_POSTGRES_URL names a server the tests may create a scratch database on,
e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services.aftersales import Requester, open_return
from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_terms import ItemRequest
from bot.services.catalog import search_products
from bot.services.customers import resolve_customer
from bot.services.orders import OrderStateError, cancel_order, get_order, list_orders
from bot.services.ticket_states import InvalidTransition
from bot.services.tickets import list_tickets, ticket_history, transition_ticket
from bot.shop.export_format import ImportValidationError
from bot.shop.importer import import_shop
from bot.shop.seed import seed_demo_shop
from bot.storage.db import create_engine, create_schema
from tests.conftest import SHOP_TODAY
from tests.postgres import SERVER_URL, scratch_database
from tests.shop.test_importer import good_export, write_csv

pytestmark = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)


@pytest.fixture
async def pg_engine(cfg: Config) -> AsyncIterator[AsyncEngine]:
    async with scratch_database("shop_test") as url:
        engine = create_engine(url)
        try:
            small = dataclasses.replace(
                cfg, demo=dataclasses.replace(cfg.demo, products=49, customers=20, orders=60)
            )
            await seed_demo_shop(engine, small, today=SHOP_TODAY)
            yield engine
        finally:
            await engine.dispose()


async def test_services_on_postgres(pg_engine: AsyncEngine) -> None:
    li = await resolve_customer(pg_engine, "web", "demo-liwei")
    assert li is not None and li.id == "C0001"
    assert [o.id for o in await list_orders(pg_engine, "C0001", limit=2)] == [
        "260420000009",
        "260315004217",
    ]
    in_transit = await get_order(pg_engine, "260315004217")
    assert in_transit is not None and in_transit.latest_event is not None
    assert in_transit.created_at.tzinfo is not None
    with pytest.raises(OrderStateError, match="already_shipped"):
        await cancel_order(pg_engine, in_transit, channel="web", sender_id="s", reason=None)
    paid = await get_order(pg_engine, "260420000009")
    assert paid is not None
    tickets = await asyncio.gather(
        *(
            cancel_order(pg_engine, paid, channel="web", sender_id="s", reason=None)
            for _ in range(4)
        )
    )
    assert len({t.id for t in tickets}) == 1
    assert len(await list_tickets(pg_engine, order_id=paid.id)) == 1
    assert (await search_products(pg_engine, "我的iPhone壳"))[0].product.category == "electronics"


async def test_failed_import_leaves_postgres_unchanged(
    pg_engine: AsyncEngine, cfg: Config, tmp_path: Path
) -> None:
    export = good_export()
    export["orders"][0]["total"] = "abc"
    with pytest.raises(ImportValidationError):
        await import_shop(pg_engine, write_csv(tmp_path / "bad", export), cfg)
    assert await get_order(pg_engine, "260315004217") is not None
    stats = await import_shop(pg_engine, write_csv(tmp_path / "good", good_export()), cfg)
    assert stats.counts["orders"] == 2
    assert await get_order(pg_engine, "260315004217") is None


async def test_aftersales_tickets_on_postgres(pg_engine: AsyncEngine, cfg: Config) -> None:
    policy = AftersalesPolicy.from_config(cfg)
    order = await get_order(pg_engine, "260402118830")
    assert order is not None and order.delivered_at is not None
    when = order.delivered_at + timedelta(days=2)
    plan = policy.plan(order, [ItemRequest(0)], kind="return", reason="no_reason", now=when)
    requester = Requester("C0001", "web", "demo-liwei", "zh")
    made = await asyncio.gather(
        *(open_return(pg_engine, policy, order, plan, requester, now=when) for _ in range(3))
    )
    assert len({t.id for t in made}) == 1 and made[0].status == "approved"
    results = await asyncio.gather(
        transition_ticket(pg_engine, made[0].id, "item_received", actor="staff:a"),
        transition_ticket(pg_engine, made[0].id, "cancelled", actor="staff:b"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1
    history = await ticket_history(pg_engine, made[0].id)
    assert [e.to_status for e in history][:2] == ["requested", "approved"] and len(history) == 3
    assert history[0].ts.tzinfo is not None
    await create_schema(pg_engine)  # nothing to add, nothing breaks

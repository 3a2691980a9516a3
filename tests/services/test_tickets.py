"""Tickets: idempotent creation, ids, filters, JSON."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services.tickets import (
    create_ticket,
    get_ticket,
    list_tickets,
    ticket_id_prefix,
    ticket_to_json,
)
from bot.services.types import Ticket


async def make(engine: AsyncEngine, key: str, **overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "kind": "complaint",
        "order_id": "260315004217",
        "customer_id": "C0001",
        "status": "open",
        "category": "delivery",
        "payload": {"text": "快递太慢了", "sentiment": -0.6},
        "channel": "web",
        "sender_id": "web:demo-liwei",
        "idempotency_key": key,
    }
    fields.update(overrides)
    return await create_ticket(engine, **fields)


async def test_create_and_get(engine: AsyncEngine) -> None:
    ticket = await make(engine, "complaint:1")
    assert re.fullmatch(r"TK-[0-9]{8}-0001", ticket.id)
    assert ticket.payload == {"text": "快递太慢了", "sentiment": -0.6}
    assert ticket.created_at == ticket.updated_at and ticket.created_at.tzinfo is not None
    assert await get_ticket(engine, ticket.id) == ticket
    assert await get_ticket(engine, "TK-00000000-0000") is None


async def test_same_key_returns_the_existing_ticket(engine: AsyncEngine) -> None:
    first = await make(engine, "complaint:1")
    second = await make(engine, "complaint:1", payload={"text": "different"})
    assert second == first
    assert len(await list_tickets(engine)) == 1


async def test_ids_count_up_within_a_day(engine: AsyncEngine) -> None:
    ids = [(await make(engine, f"k{i}")).id for i in range(3)]
    assert [i[-4:] for i in ids] == ["0001", "0002", "0003"]
    assert len({i[:11] for i in ids}) == 1


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now", "zone", "prefix"),
    [
        # 20:00 UTC is already the next morning in Shanghai: the id shows the shop's day.
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 28, 15, 59, tzinfo=UTC), SHANGHAI, "TK-20261128-"),
        (datetime(2026, 11, 28, 16, 0, tzinfo=UTC), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 29, 0, 30, tzinfo=SHANGHAI), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), ZoneInfo("Europe/London"), "TK-20261128-"),
        (datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=5))), UTC, "TK-20251231-"),
    ],
)
def test_ticket_ids_use_the_shops_date(now: datetime, zone: tzinfo, prefix: str) -> None:
    assert ticket_id_prefix(now, zone) == prefix


def test_ticket_id_prefix_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket_id_prefix(datetime(2026, 11, 28, 20, 0))


async def test_new_tickets_carry_the_shop_local_date(engine: AsyncEngine, cfg: Config) -> None:
    zone = ZoneInfo(cfg.shop.timezone)
    before = datetime.now(zone).strftime("%Y%m%d")
    ticket = await make(engine, "local-date")
    after = datetime.now(zone).strftime("%Y%m%d")
    assert ticket.id[3:11] in {before, after}
    assert ticket_id_prefix(ticket.created_at) == ticket.id[:12]


async def test_concurrent_creation(engine: AsyncEngine) -> None:
    same = await asyncio.gather(*(make(engine, "dup") for _ in range(5)))
    assert len({t.id for t in same}) == 1
    different = await asyncio.gather(*(make(engine, f"k{i}") for i in range(5)))
    assert len({t.id for t in different}) == 5
    assert len(await list_tickets(engine)) == 6


@pytest.mark.parametrize(
    ("filters", "expected_keys"),
    [
        ({}, ["t4", "t3", "t2", "t1"]),
        ({"customer_id": "C0001"}, ["t3", "t1"]),
        ({"order_id": "260411555501"}, ["t4", "t2"]),
        ({"kind": "cancellation"}, ["t3"]),
        ({"customer_id": "C0002", "kind": "return"}, ["t4"]),
        ({"customer_id": "C0003"}, []),
        ({"limit": 2}, ["t4", "t3"]),
    ],
)
async def test_list_filters_newest_first(
    engine: AsyncEngine, filters: dict[str, Any], expected_keys: list[str]
) -> None:
    made = {
        "t1": await make(engine, "t1", kind="complaint", customer_id="C0001"),
        "t2": await make(
            engine, "t2", kind="exchange", customer_id="C0002", order_id="260411555501"
        ),
        "t3": await make(engine, "t3", kind="cancellation", customer_id="C0001"),
        "t4": await make(engine, "t4", kind="return", customer_id="C0002", order_id="260411555501"),
    }
    found = await list_tickets(engine, **filters)
    names = {t.id: name for name, t in made.items()}
    assert [names[t.id] for t in found] == expected_keys


async def test_list_rejects_a_bad_limit(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="limit"):
        await list_tickets(engine, limit=0)


@pytest.mark.parametrize("key", ["", "x" * 201])
async def test_bad_idempotency_key(engine: AsyncEngine, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await make(engine, key)


async def test_ticket_to_json(engine: AsyncEngine) -> None:
    ticket = await make(engine, "json", category=None, order_id=None)
    data = ticket_to_json(ticket)
    assert set(data) == {
        "id",
        "kind",
        "order_id",
        "customer_id",
        "status",
        "category",
        "created_at",
        "updated_at",
        "payload",
    }
    assert data["order_id"] is None and data["category"] is None
    assert datetime.fromisoformat(data["created_at"]) == ticket.created_at
    assert data["created_at"].endswith("+00:00")
    assert data["payload"]["text"] == "快递太慢了"

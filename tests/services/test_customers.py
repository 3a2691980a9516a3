"""Customers and their channel identities."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.customers import get_customer, resolve_customer
from bot.services.types import Customer

LI_WEI = Customer(
    id="C0001",
    name="Li Wei",
    name_zh="李伟",
    phone="13812345678",
    email="liwei@example.cn",
    language="zh",
    segment="vip",
)


@pytest.mark.parametrize(
    ("channel", "external_id", "expected_id"),
    [
        ("web", "demo-liwei", "C0001"),
        ("web", "cust-1", "C0001"),
        ("web", "demo-emma", "C0002"),
        ("web", "cust-42", "C0042"),
        ("web", "nobody", None),
        ("telegram", "demo-liwei", None),
        ("web", "DEMO-LIWEI", None),
    ],
)
async def test_resolve_customer(
    shop_engine: AsyncEngine, channel: str, external_id: str, expected_id: str | None
) -> None:
    customer = await resolve_customer(shop_engine, channel, external_id)
    assert (customer.id if customer else None) == expected_id


async def test_get_customer(shop_engine: AsyncEngine) -> None:
    assert await get_customer(shop_engine, "C0001") == LI_WEI
    emma = await get_customer(shop_engine, "C0002")
    assert emma is not None
    assert (emma.name, emma.name_zh, emma.language) == ("Emma Clark", None, "en")
    assert await get_customer(shop_engine, "C9999") is None

"""A few rows of a shop for gateway tests: the two demo customers and one product."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_schema
from bot.storage.schema import customers, identities, products

LIWEI = "C0001"
EMMA = "C0002"


async def seed_shop(engine: AsyncEngine, *, extra_products: bool = False) -> None:
    """Schema plus the demo customers and product P0001 (and P0002 with ``extra_products``)."""
    await create_schema(engine)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(customers),
            [
                {
                    "id": LIWEI,
                    "name": "Li Wei",
                    "name_zh": "李伟",
                    "phone": "13812345678",
                    "email": None,
                    "language": "zh",
                    "segment": "vip",
                    "created_at": now,
                },
                {
                    "id": EMMA,
                    "name": "Emma Clark",
                    "name_zh": None,
                    "phone": "+44 7700 900123",
                    "email": "emma@example.com",
                    "language": "en",
                    "segment": "regular",
                    "created_at": now,
                },
            ],
        )
        await conn.execute(
            insert(identities),
            [
                {"channel": "web", "external_id": "demo-liwei", "customer_id": LIWEI},
                {"channel": "web", "external_id": "demo-emma", "customer_id": EMMA},
            ],
        )
        await conn.execute(
            insert(products).values(
                id="P0001",
                name_en="SoundPods Pro wireless earbuds",
                name_zh="SoundPods Pro 无线耳机",
                aliases=["earbuds", "无线耳机", "耳机"],
                category="electronics",
                brand="SoundPods",
                price_cents=39900,
                stock=35,
                variants=[
                    {
                        "sku": "P0001-W",
                        "size": None,
                        "color_en": "white",
                        "color_zh": "白色",
                        "stock": 35,
                    }
                ],
                specs={"en": {"Battery": "30 h"}, "zh": {"续航": "30 小时"}},
                description_en="Wireless earbuds with noise cancelling.",
                description_zh="主动降噪无线耳机。",
                rating=4.7,
                rating_count=1520,
                image_url="/products/P0001.svg",
                consumable=False,
            )
        )
        if extra_products:
            await conn.execute(
                insert(products).values(
                    id="P0002",
                    name_en="AquaPure electric kettle 1.7 L",
                    name_zh="AquaPure 电热水壶 1.7 升",
                    aliases=["kettle", "电热水壶", "烧水壶"],
                    category="appliances",
                    brand="AquaPure",
                    price_cents=15900,
                    stock=0,
                    variants=[],
                    specs={"en": {"Capacity": "1.7 L"}, "zh": {"容量": "1.7 升"}},
                    description_en="Stainless steel kettle with auto shut-off.",
                    description_zh="不锈钢电热水壶，自动断电。",
                    rating=4.5,
                    rating_count=830,
                    image_url="/products/P0002.svg",
                    consumable=False,
                )
            )

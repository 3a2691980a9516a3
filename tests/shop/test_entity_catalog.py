"""The catalogue the entity extractor links products to: the shop database's products (full
names -> the product, short names -> the catalogue's product types), else the demo catalogue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_config
from bot.entities import EntityExtractor
from bot.shop.entity_catalog import alias_types, demo_phrases, shop_phrases
from bot.storage.schema import products


def test_short_names_name_their_product_types() -> None:
    types = alias_types()
    assert types["耳机"] == {"wireless_earbuds", "headphones"}
    assert types["powerbank"] == {"power_bank"}  # compared without spaces or case


async def test_the_database_products_are_the_catalogue(engine: AsyncEngine) -> None:
    rows = [
        {
            "id": "DB1",
            "name_en": "Lumen Desk Lamp",
            "name_zh": "流明 台灯",
            "aliases": ["lamp", "台灯"],
        },
        {"id": "DB2", "name_en": "Lumen Floor Lamp", "name_zh": "流明 落地灯", "aliases": ["lamp"]},
    ]
    async with engine.begin() as conn:
        await conn.execute(
            insert(products), [r | {"category": "home", "price_cents": 9900} for r in rows]
        )
    phrases = await shop_phrases(engine, load_config())
    extractor = EntityExtractor(phrases)
    found = [
        (e.text, e.value)
        for e in extractor.extract("the Lumen Desk Lamp or another lamp? 台灯", date(2026, 3, 18))
    ]
    # A full name is its product; "lamp" names two products of no catalogue type; 台灯 one.
    assert found == [("Lumen Desk Lamp", "DB1"), ("lamp", "DB1|DB2"), ("台灯", "DB1")]


async def test_an_empty_database_gives_the_demo_catalogue(engine: AsyncEngine) -> None:
    cfg = load_config()
    phrases = await shop_phrases(engine, cfg)
    assert phrases == demo_phrases(cfg)
    by_text = {p.text: p.value for p in phrases}
    assert by_text["声浪 Air Pro 真无线蓝牙耳机"] == "P0001"
    assert by_text["耳机"] == "headphones|wireless_earbuds"
    assert by_text["mugs"] == "mug"  # plurals of short names

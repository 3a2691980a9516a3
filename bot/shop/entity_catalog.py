"""The catalogue the entity extractor links product names to (README "Entities").

Products come from the shop database when it has any, else from the demo shop generated in
memory (the same rows ``python -m bot seed`` writes); short names are linked to the product
type keys of :mod:`bot.shop.catalog_data` ("耳机" -> "headphones|wireless_earbuds").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.entities.catalog import ProductPhrase, phrase_key, product_phrases
from bot.shop.catalog_data import PRODUCT_TYPES
from bot.shop.seed import generate_demo_shop
from bot.storage.schema import products

# The day the demo catalogue is generated for when no database is at hand (product ids and
# names do not depend on the day).
DEMO_DAY = date(2026, 3, 18)


def alias_types() -> dict[str, set[str]]:
    """Each short name of the catalogue -> the product type keys it names."""
    found: dict[str, set[str]] = {}
    for kind in PRODUCT_TYPES:
        for alias in (*kind.aliases_en, *kind.aliases_zh):
            found.setdefault(phrase_key(alias), set()).add(kind.key)
    return found


def demo_phrases(cfg: Config) -> list[ProductPhrase]:
    """Phrases of the demo shop's catalogue, generated in memory."""
    shop = generate_demo_shop(cfg, DEMO_DAY)
    return product_phrases(shop.products, alias_types())


async def database_phrases(engine: AsyncEngine) -> list[ProductPhrase]:
    """Phrases of the products in the shop database (empty when it has none)."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    products.c.id, products.c.name_en, products.c.name_zh, products.c.aliases
                ).order_by(products.c.id)
            )
        ).all()
    listed: list[dict[str, Any]] = [dict(row._mapping) for row in rows]
    return product_phrases(listed, alias_types())


async def shop_phrases(engine: AsyncEngine | None, cfg: Config) -> list[ProductPhrase]:
    """The database's products when it can be read and has some, else the demo catalogue."""
    if engine is not None:
        try:
            found = await database_phrases(engine)
        except (SQLAlchemyError, OSError):
            found = []
        if found:
            return found
    return demo_phrases(cfg)

"""Product pictures drawn from the catalog: the gateway's ``/products/<id>.svg|png`` routes and
the :class:`~bot.core.channels.ProductImages` the channels are given (Telegram uploads PNGs)."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.catalog import get_product
from bot.services.types import Product
from bot.shop.images import render_product_png

PRODUCT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")


class CatalogImages:
    """:class:`~bot.core.channels.ProductImages` over the shop's catalog."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def product(self, product_id: str) -> Product | None:
        """The product to draw; None for an unknown or malformed id."""
        if not PRODUCT_ID_RE.fullmatch(product_id):
            return None
        return await get_product(self.engine, product_id)

    async def png(self, product_id: str) -> bytes | None:
        product = await self.product(product_id)
        if product is None:
            return None
        return await asyncio.to_thread(render_product_png, product)

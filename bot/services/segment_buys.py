"""What the customers of one segment (``customer_segments``, written by ``python -m bot
segments``) bought: the recommender's cold start for a customer without history."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import customer_segments, order_items, orders

NO_ORDERS_SEGMENT = "no_orders_yet"  # bot.insight.commands.NO_ORDERS: nothing bought to copy


async def segment_buys(engine: AsyncEngine, segment: str) -> dict[str, float]:
    """Product id -> units the segment's customers bought (orders not cancelled)."""
    members = select(customer_segments.c.customer_id).where(customer_segments.c.segment == segment)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(order_items.c.product_id, func.sum(order_items.c.quantity))
                .join(orders, orders.c.id == order_items.c.order_id)
                .where(
                    orders.c.customer_id.in_(members),
                    orders.c.status != "cancelled",
                )
                .group_by(order_items.c.product_id)
            )
        ).all()
    return {str(pid): float(units or 0) for pid, units in rows}

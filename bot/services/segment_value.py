"""What each customer segment spends (``customer_segments``, written by ``python -m bot
segments``), for the staff dashboard and the handoff queue.

A segment's value is the paid spend of its customers per customer. The handoff queue gives a
waiting customer a boost by their segment's rank: the highest-spending segment ``weight``, the
lowest 0, the others in between by rank (ranks, not amounts, so one outlier segment does not
flatten the rest). No segments computed, a guest, or a customer outside every segment: no boost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.schema import customer_segments, orders

UNPAID = ("cancelled", "pending_payment")


@dataclass(frozen=True)
class SegmentSpend:
    segment: str
    size: int  # customers in the segment
    cents: int  # their paid orders together
    method: str | None
    computed_at: datetime | None

    @property
    def per_customer(self) -> float:
        return self.cents / self.size if self.size else 0.0


async def segment_spend(conn: AsyncConnection) -> list[SegmentSpend]:
    """Every segment with its size and paid spend, the largest first."""
    spent = (
        select(orders.c.customer_id, func.sum(orders.c.total_cents).label("cents"))
        .where(orders.c.status.not_in(UNPAID))
        .group_by(orders.c.customer_id)
        .subquery()
    )
    cs = customer_segments.c
    rows = (
        await conn.execute(
            select(
                cs.segment,
                func.count().label("size"),
                func.coalesce(func.sum(spent.c.cents), 0).label("cents"),
                func.max(cs.method).label("method"),
                func.max(cs.computed_at).label("computed_at"),
            )
            .select_from(customer_segments.outerjoin(spent, spent.c.customer_id == cs.customer_id))
            .group_by(cs.segment)
            .order_by(func.count().desc(), cs.segment)
        )
    ).all()
    return [
        SegmentSpend(str(r.segment), int(r.size), int(r.cents), r.method, r.computed_at)
        for r in rows
    ]


def rank_boosts(spend: Sequence[SegmentSpend], weight: float) -> dict[str, float]:
    """segment -> boost: ``weight`` for the highest spend per customer, 0 for the lowest."""
    ranked = sorted(spend, key=lambda s: (s.per_customer, s.segment))
    if len(ranked) < 2 or weight <= 0:
        return {s.segment: 0.0 for s in ranked}
    top = len(ranked) - 1
    return {s.segment: weight * i / top for i, s in enumerate(ranked)}


async def segment_boosts(
    engine: AsyncEngine, customer_ids: Sequence[str], weight: float
) -> dict[str, float]:
    """customer id -> the boost of their segment (only customers in a segment)."""
    wanted = sorted(set(customer_ids))
    if not wanted or weight <= 0:
        return {}
    async with engine.connect() as conn:
        boosts = rank_boosts(await segment_spend(conn), weight)
        members = (
            await conn.execute(
                select(customer_segments.c.customer_id, customer_segments.c.segment).where(
                    customer_segments.c.customer_id.in_(wanted)
                )
            )
        ).all()
    return {str(cid): boosts.get(str(segment), 0.0) for cid, segment in members}

"""The order of the handoff waiting list: risk + wait / (wait + T) (bot/handoff/priority.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.handoff.priority import ComplaintRisks, ordered, priority, waiting_queue
from bot.handoff.store import Handoff
from bot.services.segment_value import SegmentSpend, rank_boosts, segment_boosts

NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)
T = 300.0  # handoff.claim_timeout_s


class FixedRisks(ComplaintRisks):
    def __init__(self, risks: dict[str, float], boosts: dict[str, float] | None = None) -> None:
        self.risks = risks
        self.fixed_boosts = boosts or {}

    async def of(self, customer_ids: Sequence[str], now: datetime) -> dict[str, float]:
        return {c: self.risks[c] for c in customer_ids if c in self.risks}

    async def boosts(self, customer_ids: Sequence[str]) -> dict[str, float]:
        return {c: self.fixed_boosts[c] for c in customer_ids if c in self.fixed_boosts}


def handoff(hid: int, customer: str | None, waited_min: float, status: str = "waiting") -> Handoff:
    created = NOW - timedelta(minutes=waited_min)
    return Handoff(
        id=hid,
        conversation_id=f"web:c{hid}",
        channel="web",
        external_id=f"c{hid}",
        customer_id=customer,
        language="en",
        reason="customer_request",
        detail={},
        status=status,  # type: ignore[arg-type]
        snapshot={},
        sentiment=None,
        created_at=created,
        updated_at=created,
    )


def test_the_formula() -> None:
    assert priority(None, 0, T) == 0.0
    assert priority(0.8, 0, T) == pytest.approx(0.8)
    assert priority(0.1, T, T) == pytest.approx(0.6)  # waited the claim timeout: + 0.5
    assert priority(0.2, -5, T) == pytest.approx(0.2)  # a clock skew never lowers it
    assert priority(0.2, 0, T, boost=0.15) == pytest.approx(0.35)


async def test_highest_risk_and_longest_wait_first() -> None:
    risks = FixedRisks({"RISKY": 0.8, "CALM": 0.1, "MID": 0.3})
    found = [
        handoff(1, "CALM", waited_min=3),  # 0.1 + 3/8 = 0.475
        handoff(2, "RISKY", waited_min=0.5),  # 0.8 + 0.5/5.5 = 0.89
        handoff(3, None, waited_min=30),  # guest: 0 + 30/35 = 0.857
        handoff(4, "MID", waited_min=1),  # 0.3 + 1/6 = 0.467
        handoff(5, "RISKY", waited_min=60, status="active"),  # claimed: after the waiting
    ]
    queue = await waiting_queue(found, NOW, risks, T)
    assert [e.handoff.id for e in queue] == [2, 3, 1, 4]
    assert queue[0].risk == 0.8 and queue[1].risk is None
    listed = await ordered(found, NOW, risks, T)
    assert [h.id for h in listed] == [2, 3, 1, 4, 5]
    assert listed[0].detail["complaint_risk"] == 0.8
    assert listed[0].detail["priority"] == pytest.approx(0.8 + 30 / 330, abs=1e-4)
    assert "priority" not in listed[-1].detail


async def test_without_a_model_the_longest_wait_goes_first(
    engine: AsyncEngine, cfg: Config, tmp_path: Path
) -> None:
    risks = ComplaintRisks(engine, cfg, path=tmp_path / "missing.pkl")
    found = [handoff(1, "C1", 2), handoff(2, "C2", 9), handoff(3, None, 5)]
    assert await risks.of(["C1", "C2"], NOW) == {}
    assert [h.id for h in await ordered(found, NOW, risks, T)] == [2, 3, 1]


async def test_risk_is_scored_from_the_customers_own_records(
    shop_engine: AsyncEngine, cfg: Config, tmp_path: Path
) -> None:
    """A customer's features read from their records alone equal those from the whole shop,
    and a trained model scores them."""
    import numpy as np

    from bot.insight import complaints
    from bot.insight.shopdata import DEFAULT_PROMISE_DAYS, load_snapshot

    whole = await load_snapshot(shop_engine, cfg.shop.timezone)
    busy = max(whole.customers, key=lambda c: sum(o.customer_id == c for o in whole.orders))
    cutoff = whole.now
    alone = await load_snapshot(shop_engine, cfg.shop.timezone, [busy])
    assert set(alone.customers) == {busy} and alone.orders
    features = complaints.customer_features(
        complaints.History(alone, alone.tickets, DEFAULT_PROMISE_DAYS), busy, cutoff
    )
    assert features == complaints.customer_features(
        complaints.History(whole, whole.tickets, DEFAULT_PROMISE_DAYS), busy, cutoff
    )

    rng = np.random.default_rng(15)
    x = rng.normal(size=(200, len(complaints.FEATURES)))
    y = (x[:, complaints.FEATURES.index("late_30d")] > 0.5).astype(int)
    model = complaints.ComplaintRiskModel(
        complaints._model().fit(x, y), complaints.FEATURES, float(y.mean()), cutoff.isoformat()
    )
    path = tmp_path / "risk.pkl"
    complaints.save(model, path)
    scored = await ComplaintRisks(shop_engine, cfg, path=path).of([busy, busy], cutoff)
    assert set(scored) == {busy} and 0.0 < scored[busy] < 1.0
    assert scored[busy] == pytest.approx(model.score(features))


async def test_a_best_segment_customer_goes_first_in_a_near_tie_only() -> None:
    risks = FixedRisks({"BIG": 0.1, "SMALL": 0.1}, boosts={"BIG": 0.15, "SMALL": 0.0})
    near = [handoff(1, "SMALL", waited_min=2), handoff(2, "BIG", waited_min=1.5)]
    assert [e.handoff.id for e in await waiting_queue(near, NOW, risks, T)] == [2, 1]
    far = [handoff(1, "SMALL", waited_min=20), handoff(2, "BIG", waited_min=1.5)]
    assert [e.handoff.id for e in await waiting_queue(far, NOW, risks, T)] == [1, 2]
    listed = await ordered(near, NOW, risks, T)
    assert listed[0].detail["segment_boost"] == 0.15


def spend(segment: str, size: int, cents: int) -> SegmentSpend:
    return SegmentSpend(segment, size, cents, "kmeans", NOW)


def test_segment_boosts_go_by_spend_per_customer_rank() -> None:
    found = [spend("light", 100, 100_000), spend("loyal", 10, 500_000), spend("mid", 50, 150_000)]
    assert rank_boosts(found, 0.15) == {
        "light": 0.0,
        "mid": pytest.approx(0.075),
        "loyal": pytest.approx(0.15),
    }
    assert rank_boosts(found[:1], 0.15) == {"light": 0.0}
    assert rank_boosts(found, 0.0) == {"light": 0.0, "loyal": 0.0, "mid": 0.0}


async def test_segment_boosts_read_the_shops_segments(shop_engine: AsyncEngine) -> None:
    from sqlalchemy import select

    from bot.storage.schema import customer_segments, orders

    async with shop_engine.begin() as conn:
        buyers = [
            str(r.customer_id)
            for r in (
                await conn.execute(
                    select(orders.c.customer_id)
                    .where(orders.c.status == "delivered")
                    .group_by(orders.c.customer_id)
                    .order_by(orders.c.customer_id)
                    .limit(4)
                )
            ).all()
        ]
        await conn.execute(customer_segments.delete())
        await conn.execute(
            customer_segments.insert(),
            [
                {
                    "customer_id": c,
                    "segment": "s0" if i < 2 else "s1",
                    "method": "kmeans",
                    "computed_at": NOW,
                }
                for i, c in enumerate(buyers)
            ],
        )
    assert await segment_boosts(shop_engine, [], 0.15) == {}
    found = await segment_boosts(shop_engine, [*buyers, "NOBODY"], 0.15)
    assert set(found) == set(buyers)  # a customer outside every segment gets nothing
    assert sorted(set(found.values())) == [0.0, 0.15]
    assert found[buyers[0]] == found[buyers[1]] and found[buyers[2]] == found[buyers[3]]

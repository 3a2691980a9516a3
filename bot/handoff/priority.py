"""The order of the handoff waiting list (``/handoff`` in Slack, ``GET /api/admin/handoffs``):
highest complaint risk and longest wait first.

    priority = risk + wait / (wait + T) + segment boost

``risk`` is the customer's chance of complaining in the next 14 days
(:mod:`bot.insight.complaints`, trained by ``make train-complaint-risk``; 0 for a guest, or
when the model is not built); ``wait`` is how long the handoff has waited, and ``T`` is
``handoff.claim_timeout_s`` (5 min by default). Both terms lie in [0, 1): a customer who has
waited ``T`` gains 0.5, so a customer at risk 0.8 who just arrived goes before one at 0.1 who
has waited less than about 2.3 T, and after that the long wait wins. The segment boost
(:mod:`bot.services.segment_value`) is ``handoff.segment_weight`` (0.15) for a customer in the
highest-spending segment of ``python -m bot segments``, 0 for the lowest, by rank in between:
worth about a minute of waiting at T = 5 min, so it breaks near-ties in favour of the shop's
best customers without letting them jump a long queue. Ties: the older first.
Active handoffs (claimed) keep their order after the waiting ones.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, resolve_repo_path
from bot.handoff.store import Handoff
from bot.services.segment_value import segment_boosts

if TYPE_CHECKING:  # loaded on first use (scikit-learn)
    from bot.insight.complaints import ComplaintRiskModel

logger = logging.getLogger(__name__)

WAITING = ("waiting", "message")


def priority(
    risk: float | None, wait_s: float, claim_timeout_s: float, boost: float = 0.0
) -> float:
    """The formula of the module doc."""
    wait = max(0.0, wait_s)
    scale = max(1.0, claim_timeout_s)
    return (risk or 0.0) + wait / (wait + scale) + boost


@dataclass(frozen=True)
class QueueEntry:
    handoff: Handoff
    risk: float | None  # None: a guest, or no model
    wait_s: float
    priority: float
    segment_boost: float = 0.0


class ComplaintRisks:
    """Complaint risk of the customers waiting for a person, from their own records."""

    def __init__(self, engine: AsyncEngine, cfg: Config, path: Path | None = None) -> None:
        self.engine = engine
        self.cfg = cfg
        self.path = path or resolve_repo_path(cfg.handoff.complaint_risk_model)
        self._model: ComplaintRiskModel | None = None
        self._tried = False

    def model(self) -> ComplaintRiskModel | None:
        from bot.insight import complaints

        if not self._tried:
            self._tried = True
            if not self.path.is_file():
                logger.info(
                    "no complaint-risk model at %s (`make train-complaint-risk`): the handoff "
                    "queue is ordered by waiting time only",
                    self.path,
                )
            else:
                try:
                    self._model = complaints.load(self.path)
                except (OSError, ValueError, EOFError) as exc:
                    logger.error(
                        "the complaint-risk model at %s cannot be used: %s", self.path, exc
                    )
        return self._model

    async def of(self, customer_ids: Sequence[str], now: datetime) -> dict[str, float]:
        """customer id -> risk (0-1) as of ``now``; empty without a model."""
        from bot.insight import complaints
        from bot.insight.shopdata import DEFAULT_PROMISE_DAYS, load_snapshot

        wanted = sorted(set(customer_ids))
        model = await asyncio.to_thread(self.model) if wanted else None
        if model is None:
            return {}
        snapshot = await load_snapshot(self.engine, self.cfg.shop.timezone, wanted)
        history = complaints.History(snapshot, snapshot.tickets, DEFAULT_PROMISE_DAYS)

        def score() -> dict[str, float]:
            out = {}
            for cid in wanted:
                value = model.score(complaints.customer_features(history, cid, now))
                if not math.isnan(value):
                    out[cid] = value
            return out

        return await asyncio.to_thread(score)

    async def boosts(self, customer_ids: Sequence[str]) -> dict[str, float]:
        """customer id -> their segment's boost (empty before segments were computed)."""
        return await segment_boosts(self.engine, customer_ids, self.cfg.handoff.segment_weight)


async def waiting_queue(
    handoffs: Sequence[Handoff], now: datetime, risks: ComplaintRisks, claim_timeout_s: float
) -> list[QueueEntry]:
    """The waiting handoffs in the order staff should take them."""
    waiting = [h for h in handoffs if h.status in WAITING]
    customers = [h.customer_id for h in waiting if h.customer_id]
    scores = await risks.of(customers, now)
    boosts = await risks.boosts(customers)
    entries = []
    for h in waiting:
        risk = scores.get(h.customer_id) if h.customer_id else None
        boost = boosts.get(h.customer_id, 0.0) if h.customer_id else 0.0
        wait_s = (now - h.created_at).total_seconds()
        entries.append(
            QueueEntry(h, risk, wait_s, priority(risk, wait_s, claim_timeout_s, boost), boost)
        )
    entries.sort(key=lambda e: (-e.priority, e.handoff.created_at, e.handoff.id))
    return entries


async def ordered(
    handoffs: Sequence[Handoff], now: datetime, risks: ComplaintRisks, claim_timeout_s: float
) -> list[Handoff]:
    """The open handoffs: the waiting ones by priority (each with ``complaint_risk`` and
    ``priority`` in its ``detail`` for the listing), then the others as they were."""
    queue = await waiting_queue(handoffs, now, risks, claim_timeout_s)
    first = [
        dataclasses.replace(
            e.handoff,
            detail={
                **e.handoff.detail,
                "complaint_risk": None if e.risk is None else round(e.risk, 4),
                "priority": round(e.priority, 4),
                "segment_boost": round(e.segment_boost, 4),
            },
        )
        for e in queue
    ]
    return first + [h for h in handoffs if h.status not in WAITING]

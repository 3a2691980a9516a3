"""Open parcels ranked by the risk of arriving after the promised date (the staff dashboard).

An open parcel is an order the carrier has (``shipped_at`` set) that is not delivered yet
(status shipped or in_transit). Its promised date is the order's ETA (the shop's own promise,
local date in ``shop.timezone``) or, without one, the purchase day plus ``promise_days``, as
:mod:`bot.insight.shopdata` exports it for training.

Two scorers:

- ``model``: when the delay model file exists (``python -m bot insight train-delay``), its
  probability of arriving late, from what was known at carrier handover, with its three
  strongest reasons in zh and en (:mod:`bot.insight.delay`). A parcel already past its promised
  date is late whatever the model says: it gets risk 1.0 and comes first.
- ``slack_rule``: without the file (or when it cannot be loaded: ``model_error`` says why), the
  days left to the promised date today, fewest first (negative: already late); ``risk`` is None.

The database is read through :mod:`bot.storage` with two queries: the open parcels and the
deliveries that finished in the 14 days before the earliest handover (the model's "recent late
rate" and "recent transit" features). numpy and scikit-learn load only when the model is used.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import variants
from bot.insight.shopdata import promised_date
from bot.storage.schema import orders
from bot.storage.times import as_utc, as_utc_or_none

logger = logging.getLogger(__name__)

TOP = 20
OPEN_STATUSES = ("shipped", "in_transit")
RECENT_DAYS = 14  # as bot.insight.delay.RECENT_DAYS (not imported: it loads scikit-learn)
HISTORY_LIMIT_DAYS = 60  # deliveries read for the model's recent-history features, at most

_models: dict[Path, tuple[int, Any]] = {}
_models_lock = threading.Lock()


@dataclass(frozen=True)
class Parcel:
    """An order on its way, with the times the delay model reads (UTC)."""

    order_id: str
    carrier: str | None
    purchased: datetime
    approved: datetime | None
    handover: datetime
    promised: date  # local date in the shop's time zone


@dataclass(frozen=True)
class Delivered:
    """A finished delivery, for the model's recent-history features."""

    order_id: str
    purchased: datetime
    approved: datetime | None
    handover: datetime
    delivered: datetime
    promised: date


def _promise(eta: datetime | None, created: datetime, timezone: str, promise_days: int) -> date:
    if eta is not None:
        return as_utc(eta).astimezone(ZoneInfo(timezone)).date()
    return promised_date(created, timezone, promise_days)


async def open_parcels(engine: AsyncEngine, timezone: str, promise_days: int) -> list[Parcel]:
    query = select(
        orders.c.id,
        orders.c.carrier,
        orders.c.created_at,
        orders.c.paid_at,
        orders.c.shipped_at,
        orders.c.eta,
    ).where(
        orders.c.status.in_(OPEN_STATUSES),
        orders.c.shipped_at.is_not(None),
        orders.c.delivered_at.is_(None),
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        Parcel(
            order_id=str(r.id),
            carrier=r.carrier,
            purchased=as_utc(r.created_at),
            approved=as_utc_or_none(r.paid_at),
            handover=as_utc(r.shipped_at),
            promised=_promise(r.eta, as_utc(r.created_at), timezone, promise_days),
        )
        for r in rows
    ]


async def recent_deliveries(
    engine: AsyncEngine, since: datetime, timezone: str, promise_days: int
) -> list[Delivered]:
    query = select(
        orders.c.id,
        orders.c.created_at,
        orders.c.paid_at,
        orders.c.shipped_at,
        orders.c.delivered_at,
        orders.c.eta,
    ).where(orders.c.delivered_at >= since, orders.c.shipped_at.is_not(None))
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        Delivered(
            order_id=str(r.id),
            purchased=as_utc(r.created_at),
            approved=as_utc_or_none(r.paid_at),
            handover=as_utc(r.shipped_at),
            delivered=as_utc(r.delivered_at),
            promised=_promise(r.eta, as_utc(r.created_at), timezone, promise_days),
        )
        for r in rows
        if as_utc(r.shipped_at) <= as_utc(r.delivered_at)
    ]


class ModelUnreadable(Exception):
    """The delay model file exists but cannot be loaded (the message says why)."""


def load_model(path: Path) -> Any:
    """The delay model at ``path`` (kept while the file is unchanged), or None without a file;
    :class:`ModelUnreadable` when the file is there but is no delay model."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _models_lock:
        cached = _models.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        from bot.insight import delay  # scikit-learn loads only when a model file exists

        try:
            model = delay.load(path)
        except Exception as exc:  # a truncated file, another pickle, an older class layout
            raise ModelUnreadable(f"{path}: {type(exc).__name__}: {exc}") from exc
        _models[path] = (stamp, model)
        return model


def _text(key: str, **values: object) -> dict[str, str]:
    return {lang: text.format(**values) for lang, text in variants(key).items()}


def _days_reason(days_left: int) -> dict[str, str]:
    if days_left < 0:
        return _text("dashboard.parcel.overdue", days=-days_left)
    return _text("dashboard.parcel.days_left", days=days_left)


def _row(parcel: Parcel, today: date) -> dict[str, Any]:
    return {
        "order_id": parcel.order_id,
        "carrier": parcel.carrier,
        "handed_over_at": parcel.handover.isoformat(),
        "promised_date": parcel.promised.isoformat(),
        "days_left": (parcel.promised - today).days,
    }


def rank_by_slack(parcels: Sequence[Parcel], today: date, top: int = TOP) -> list[dict[str, Any]]:
    """The slack rule: fewest days left to the promised date first."""
    ranked = sorted(parcels, key=lambda p: (p.promised, p.handover, p.order_id))[:top]
    out = []
    for parcel in ranked:
        row = _row(parcel, today)
        out.append({**row, "risk": None, "reasons": [_days_reason(row["days_left"])]})
    return out


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    """Shop wall-clock time labelled UTC: how the training export states times."""
    return value.astimezone(tz).replace(tzinfo=UTC)


def rank_by_model(
    model: Any,
    parcels: Sequence[Parcel],
    history: Sequence[Delivered],
    today: date,
    timezone: str,
    top: int = TOP,
) -> list[dict[str, Any]]:
    """The delay model's probability at handover; parcels past their promised date first."""
    import numpy as np

    from bot.insight import delay
    from bot.insight.tabular import single_threaded

    tz = ZoneInfo(timezone)

    def known(p: Parcel | Delivered) -> delay.Handover:
        estimated = datetime.combine(p.promised, time(), tzinfo=UTC)
        approved = _local(p.approved, tz) if p.approved else None
        return delay.Handover(_local(p.purchased, tz), approved, _local(p.handover, tz), estimated)

    @single_threaded
    def score() -> list[dict[str, Any]]:
        past = delay.History(
            [delay.Shipment(d.order_id, known(d), _local(d.delivered, tz)) for d in history]
        )
        matrix = np.array([delay.handover_features(known(p), past) for p in parcels], dtype=float)
        probabilities = model.probability(matrix)
        scored = []
        for i, parcel in enumerate(parcels):
            row = _row(parcel, today)
            late = row["days_left"] < 0
            scored.append((1.0 if late else float(probabilities[i]), row["days_left"], i, row))
        scored.sort(key=lambda s: (-s[0], s[1], s[3]["order_id"]))
        out = []
        for risk, days_left, i, row in scored[:top]:
            reasons = [_days_reason(days_left)] if days_left < 0 else []
            reasons += [{"en": r.en, "zh": r.zh} for r in model.reasons(matrix[i])]
            out.append({**row, "risk": round(risk, 4), "reasons": reasons})
        return out

    return score()


async def parcels_at_risk(
    engine: AsyncEngine,
    *,
    timezone: str,
    promise_days: int,
    model_path: Path,
    now: datetime | None = None,
    top: int = TOP,
) -> dict[str, Any]:
    """``{"scored_by": "model"|"slack_rule", "open": n, "parcels": [...]}`` (top ``top``)."""
    now = now or datetime.now(UTC)
    today = now.astimezone(ZoneInfo(timezone)).date()
    parcels = await open_parcels(engine, timezone, promise_days)
    error = None
    try:
        model = await asyncio.to_thread(load_model, model_path)
    except ModelUnreadable as exc:
        logger.warning("delay model unreadable, ranking parcels by days left: %s", exc)
        model, error = None, str(exc)
    if model is None or not parcels:
        ranked = rank_by_slack(parcels, today, top)
        scored_by = "model" if model is not None else "slack_rule"
    else:
        # A parcel stuck for months does not pull months of deliveries: its recent-history
        # features are then missing, which the trees handle.
        earliest = max(
            min(p.handover for p in parcels) - timedelta(days=RECENT_DAYS),
            now - timedelta(days=HISTORY_LIMIT_DAYS),
        )
        history = await recent_deliveries(engine, earliest, timezone, promise_days)
        ranked = await asyncio.to_thread(
            rank_by_model, model, parcels, history, today, timezone, top
        )
        scored_by = "model"
    return {
        "scored_by": scored_by,
        "model_file": str(model_path) if model is not None else None,
        "model_error": error,  # the file exists but could not be loaded (then: slack rule)
        "open": len(parcels),
        "parcels": ranked,
    }

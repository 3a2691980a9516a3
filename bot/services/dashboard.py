"""The numbers of the staff dashboard (``GET /api/admin/dashboard``, README "Dashboard").

Every panel is counted by the database (``GROUP BY``, ``COUNT``, ``AVG``), the same statements on
SQLite and PostgreSQL; only the open parcels are read row by row, to be scored
(:mod:`bot.insight.at_risk`). The window is the last ``days`` UTC calendar days, today included.

- ``automation``: conversations with a customer message or a handoff in the window, and how many
  of them had no handoff (finished without a person);
- ``handoffs``: handoffs started in the window by reason, and their customers' ratings (1-5);
- ``complaints``: complaint tickets opened in the window by category and by severity;
- ``sentiment``: per day, the mean and the negative share of the sentiment scores stored then:
  the score a handoff started with and the score of each complaint's message (the gateway keeps
  no score per message);
- ``segments``: the last ``python -m bot segments`` (``customer_segments``) with each segment's
  size, share and mean spend (paid orders, all time), names from its summary file;
- ``parcels_at_risk``: :func:`bot.insight.at_risk.parcels_at_risk`.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, cast, distinct, func, select, union, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.i18n import variants
from bot.insight.at_risk import parcels_at_risk
from bot.services.segment_value import segment_spend
from bot.storage.schema import handoffs, messages, tickets
from bot.storage.times import as_utc

logger = logging.getLogger(__name__)

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 365, 30
NEGATIVE_AT = -0.3  # a score at or below this is negative (bot.handoff.rules.sentiment_label)
COMPLAINT_KIND = "complaint"


def window(days: int, now: datetime) -> tuple[datetime, date, date]:
    """(start instant, first day, last day) of the last ``days`` UTC days up to ``now``."""
    last = now.astimezone(UTC).date()
    first = last - timedelta(days=days - 1)
    return datetime.combine(first, time(), UTC), first, last


def _utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, on SQLite (stored in UTC) and PostgreSQL."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _day_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


async def _automation(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, Any]:
    talked = select(messages.c.conversation_id).where(
        messages.c.direction == "in", messages.c.created_at >= start, messages.c.created_at <= end
    )
    in_window = (handoffs.c.created_at >= start, handoffs.c.created_at <= end)
    handed = select(handoffs.c.conversation_id).where(*in_window)
    active = union(talked, handed).subquery()
    total = (await conn.execute(select(func.count()).select_from(active))).scalar_one()
    counts = (
        await conn.execute(
            select(func.count(), func.count(distinct(handoffs.c.conversation_id))).where(*in_window)
        )
    ).one()
    with_person = int(counts[1])
    without = int(total) - with_person
    return {
        "conversations": int(total),
        "without_person": without,
        "share_without_person": round(without / total, 4) if total else None,
        "conversations_with_handoff": with_person,
        "handoffs": int(counts[0]),
    }


async def _handoffs(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, Any]:
    in_window = (handoffs.c.created_at >= start, handoffs.c.created_at <= end)
    reasons = await conn.execute(
        select(handoffs.c.reason, func.count().label("n"))
        .where(*in_window)
        .group_by(handoffs.c.reason)
        .order_by(func.count().desc(), handoffs.c.reason)
    )
    ratings = await conn.execute(
        select(handoffs.c.rating, func.count().label("n"))
        .where(*in_window, handoffs.c.rating.is_not(None))
        .group_by(handoffs.c.rating)
    )
    histogram = {str(star): 0 for star in range(1, 6)}
    for rating, n in ratings:
        if str(rating) in histogram:
            histogram[str(rating)] = int(n)
    rated = sum(histogram.values())
    total = sum(int(star) * n for star, n in histogram.items())
    by_reason = [{"reason": str(r.reason), "count": int(r.n)} for r in reasons]
    return {
        "total": sum(r["count"] for r in by_reason),
        "by_reason": by_reason,
        "ratings": {
            "histogram": histogram,
            "rated": rated,
            "mean": round(total / rated, 2) if rated else None,
        },
    }


async def _complaints(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, Any]:
    where = (
        tickets.c.kind == COMPLAINT_KIND,
        tickets.c.created_at >= start,
        tickets.c.created_at <= end,
    )

    async def by(column: Any, name: str) -> list[dict[str, Any]]:
        rows = await conn.execute(
            select(column, func.count().label("n"))
            .where(*where)
            .group_by(column)
            .order_by(func.count().desc(), column)
        )
        return [{name: r[0], "count": int(r[1])} for r in rows]

    categories = await by(tickets.c.category, "category")
    return {
        "total": sum(c["count"] for c in categories),
        "by_category": categories,
        "by_severity": await by(tickets.c.severity, "severity"),
    }


async def _sentiment(
    conn: AsyncConnection, start: datetime, end: datetime, first: date, last: date
) -> dict[str, Any]:
    dialect = conn.dialect.name
    handoff_scores = select(
        _utc_day(handoffs.c.created_at, dialect).label("day"), handoffs.c.sentiment.label("score")
    ).where(
        handoffs.c.created_at >= start,
        handoffs.c.created_at <= end,
        handoffs.c.sentiment.is_not(None),
    )
    complaint_score = tickets.c.payload["sentiment"].as_float()
    complaint_scores = select(
        _utc_day(tickets.c.created_at, dialect).label("day"), complaint_score.label("score")
    ).where(
        tickets.c.kind == COMPLAINT_KIND,
        tickets.c.created_at >= start,
        tickets.c.created_at <= end,
        complaint_score.is_not(None),
    )
    scores = union_all(handoff_scores, complaint_scores).subquery()
    rows = await conn.execute(
        select(
            scores.c.day,
            func.count().label("n"),
            func.avg(scores.c.score).label("mean"),
            func.sum(cast(scores.c.score <= NEGATIVE_AT, Integer)).label("negative"),
        )
        .group_by(scores.c.day)
        .order_by(scores.c.day)
    )
    found = {_day_text(r.day): r for r in rows}
    days = []
    for offset in range((last - first).days + 1):
        day = (first + timedelta(days=offset)).isoformat()
        row = found.get(day)
        n = int(row.n) if row is not None else 0
        days.append(
            {
                "day": day,
                "n": n,
                "mean": round(float(row.mean), 4) if n and row is not None else None,
                "share_negative": round(int(row.negative) / n, 4)
                if n and row is not None
                else None,
            }
        )
    return {
        "negative_at": NEGATIVE_AT,
        "sources": ["handoffs.sentiment", "tickets.payload.sentiment (complaints)"],
        "scored": sum(d["n"] for d in days),
        "days": days,
    }


def _segment_names(summary: Path) -> dict[str, dict[str, Any]]:
    """Segment key -> {"name": {zh, en}, "explanation": {zh, en}} from the segments summary."""
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.warning("segments summary %s is unreadable: %s", summary, exc)
        return {}
    found: dict[str, dict[str, Any]] = {}
    for seg in data.get("segments", []) if isinstance(data, dict) else []:
        if isinstance(seg, dict) and isinstance(seg.get("key"), str):
            found[seg["key"]] = {
                "name": seg.get("name") or {},
                "explanation": seg.get("explanation") or {},
            }
    return found


async def _segments(conn: AsyncConnection, summary: Path) -> dict[str, Any]:
    rows = await segment_spend(conn)
    if not rows:
        return {
            "segments": [],
            "customers": 0,
            "method": None,
            "computed_at": None,
            "hint": dict(variants("dashboard.segments.hint")),
        }
    names = _segment_names(summary)
    customers = sum(int(r.size) for r in rows)
    out = []
    for r in rows:
        named = names.get(str(r.segment), {})
        size = int(r.size)
        out.append(
            {
                "key": str(r.segment),
                "name": {
                    lang: str(named.get("name", {}).get(lang) or r.segment) for lang in ("zh", "en")
                },
                "explanation": {
                    lang: str(named.get("explanation", {}).get(lang) or "") for lang in ("zh", "en")
                },
                "size": size,
                "share": round(size / customers, 4),
                "mean_spend": round(r.per_customer / 100, 2),
            }
        )
    return {
        "segments": out,
        "customers": customers,
        "method": max(str(r.method) for r in rows),
        "computed_at": max(as_utc(r.computed_at) for r in rows if r.computed_at).isoformat(),
        "hint": None,
    }


async def dashboard(
    engine: AsyncEngine,
    *,
    days: int = DEFAULT_DAYS,
    timezone: str,
    promise_days: int,
    delay_model: Path,
    segments_summary: Path,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every panel of the dashboard for the last ``days`` UTC days (see the module doc)."""
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValueError(f"days must be {MIN_DAYS}-{MAX_DAYS}, got {days}")
    now = now or datetime.now(UTC)
    start, first, last = window(days, now)
    async with engine.connect() as conn:
        body: dict[str, Any] = {
            "days": days,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "generated_at": now.isoformat(),
            "automation": await _automation(conn, start, now),
            "handoffs": await _handoffs(conn, start, now),
            "complaints": await _complaints(conn, start, now),
            "sentiment": await _sentiment(conn, start, now, first, last),
            "segments": await _segments(conn, segments_summary),
        }
    body["parcels_at_risk"] = await parcels_at_risk(
        engine, timezone=timezone, promise_days=promise_days, model_path=delay_model, now=now
    )
    return body

"""Conversation analytics from Rasa's events (the scale profile's RabbitMQ stream).

:func:`parse_event` turns one broker message (Rasa's event as JSON, with ``sender_id``) into an
:class:`AnalyticsEvent` or None for events that are not counted; :func:`record` stores it once
(``event_key``: a redelivered message is recognised) and adds it to its conversation's totals;
:func:`report` reads the totals for the admin API (``GET /api/admin/analytics``).

What counts: a customer message (``user``: a turn, its intent and confidence; ``nlu_fallback``
is a fallback), a bot message (``bot``), an action other than ``action_listen`` (``action``;
``action_default_fallback`` is a fallback) and a pause (``handoff``: the gateway pauses Rasa's
conversation while a person has it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, distinct, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.analytics_schema import analytics_conversations, analytics_events

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback"})
IGNORED_ACTIONS = frozenset({"action_listen", "action_session_start"})
MAX_ID = 200


class BadEvent(ValueError):
    """A broker message that is not a Rasa event (it is dropped, not retried)."""


@dataclass(frozen=True)
class AnalyticsEvent:
    event_key: str
    conversation_id: str
    kind: str  # user | bot | action | handoff
    name: str | None
    confidence: float | None
    fallback: bool
    occurred_at: datetime

    @property
    def day(self) -> str:
        return self.occurred_at.date().isoformat()


def parse_event(body: bytes) -> AnalyticsEvent | None:
    """One broker message as an event to count; None when Rasa's event is not counted.

    Raises :class:`BadEvent` when the message is not a JSON object with ``sender_id``,
    ``event`` and a numeric ``timestamp``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadEvent(f"not a JSON object but {type(data).__name__}")
    sender = data.get("sender_id")
    kind = data.get("event")
    stamp = data.get("timestamp")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_ID:
        raise BadEvent(f"sender_id must be a string of 1-{MAX_ID} characters, got {sender!r}")
    if not isinstance(kind, str):
        raise BadEvent(f"event must be a string, got {kind!r}")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise BadEvent(f"timestamp must be a number, got {stamp!r}")
    try:
        occurred_at = datetime.fromtimestamp(float(stamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise BadEvent(f"timestamp out of range: {stamp!r}") from None
    key = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    name: str | None = None
    confidence: float | None = None
    fallback = False
    if kind == "user":
        intent = (data.get("parse_data") or {}).get("intent") or {}
        raw_name = intent.get("name") if isinstance(intent, dict) else None
        name = str(raw_name)[:MAX_ID] if raw_name else None
        raw_confidence = intent.get("confidence") if isinstance(intent, dict) else None
        if isinstance(raw_confidence, int | float) and not isinstance(raw_confidence, bool):
            confidence = float(raw_confidence)
        fallback = name == FALLBACK_INTENT
    elif kind == "bot":
        pass
    elif kind == "action":
        raw_name = data.get("name")
        if not isinstance(raw_name, str) or raw_name in IGNORED_ACTIONS:
            return None
        name = raw_name[:MAX_ID]
        fallback = name in FALLBACK_ACTIONS
    elif kind == "pause":
        kind = "handoff"
    else:
        return None
    return AnalyticsEvent(key, sender, kind, name, confidence, fallback, occurred_at)


def _insert(conn: AsyncConnection) -> Any:
    """The dialect's INSERT with ON CONFLICT (PostgreSQL and SQLite both have it)."""
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


async def record(engine: AsyncEngine, event: AnalyticsEvent) -> bool:
    """Store ``event`` and add it to its conversation's totals, in one transaction; False
    (and nothing changed) when it was recorded before (a redelivery)."""
    counts = {
        "turns": int(event.kind == "user"),
        "bot_messages": int(event.kind == "bot"),
        "actions": int(event.kind == "action"),
        "fallbacks": int(event.fallback),
        "handoffs": int(event.kind == "handoff"),
    }
    async with engine.begin() as conn:
        insert = _insert(conn)
        stored = await conn.execute(
            insert(analytics_events)
            .values(
                event_key=event.event_key,
                conversation_id=event.conversation_id,
                kind=event.kind,
                name=event.name,
                confidence=event.confidence,
                fallback=event.fallback,
                occurred_at=event.occurred_at,
                day=event.day,
            )
            .on_conflict_do_nothing(index_elements=["event_key"])
            .returning(analytics_events.c.id)
        )
        if stored.first() is None:
            return False
        c = analytics_conversations.c
        statement = insert(analytics_conversations).values(
            conversation_id=event.conversation_id,
            first_at=event.occurred_at,
            last_at=event.occurred_at,
            **counts,
        )
        await conn.execute(
            statement.on_conflict_do_update(
                index_elements=["conversation_id"],
                set_={
                    "first_at": func.min(c.first_at, statement.excluded.first_at)
                    if conn.dialect.name == "sqlite"
                    else func.least(c.first_at, statement.excluded.first_at),
                    "last_at": func.max(c.last_at, statement.excluded.last_at)
                    if conn.dialect.name == "sqlite"
                    else func.greatest(c.last_at, statement.excluded.last_at),
                    **{name: c[name] + value for name, value in counts.items()},
                },
            )
        )
    return True


async def report(
    engine: AsyncEngine,
    *,
    since: date,
    until: date,
    conversation_id: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Counts per day and per intent between ``since`` and ``until`` (inclusive, UTC days),
    and the conversations last active then (newest first, at most ``limit``)."""
    e = analytics_events.c
    where = [e.day >= since.isoformat(), e.day <= until.isoformat()]
    if conversation_id is not None:
        where.append(e.conversation_id == conversation_id)

    def flag(condition: Any) -> Any:
        return func.coalesce(func.sum(cast(condition, Integer)), 0)

    per_day = (
        select(
            e.day,
            func.count(distinct(e.conversation_id)).label("conversations"),
            flag(e.kind == "user").label("turns"),
            flag(e.kind == "bot").label("bot_messages"),
            flag(e.kind == "action").label("actions"),
            flag(e.fallback).label("fallbacks"),
            flag(e.kind == "handoff").label("handoffs"),
        )
        .where(*where)
        .group_by(e.day)
        .order_by(e.day)
    )
    intents = (
        select(e.name, func.count().label("n"), func.avg(e.confidence).label("confidence"))
        .where(*where, e.kind == "user", e.name.is_not(None))
        .group_by(e.name)
        .order_by(func.count().desc(), e.name)
    )
    c = analytics_conversations.c
    start = datetime.combine(since, datetime.min.time(), UTC)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC)
    conversations = select(analytics_conversations).where(c.last_at >= start, c.first_at < end)
    if conversation_id is not None:
        conversations = conversations.where(c.conversation_id == conversation_id)
    conversations = conversations.order_by(c.last_at.desc()).limit(limit)
    async with engine.connect() as conn:
        days = [dict(r._mapping) for r in await conn.execute(per_day)]
        intent_rows = list(await conn.execute(intents))
        conversation_rows = list(await conn.execute(conversations))
    return {
        "from": since.isoformat(),
        "to": until.isoformat(),
        "days": [{k: (v if k == "day" else int(v)) for k, v in d.items()} for d in days],
        "intents": [
            {
                "intent": r.name,
                "count": int(r.n),
                "mean_confidence": round(float(r.confidence), 4)
                if r.confidence is not None
                else None,
            }
            for r in intent_rows
        ],
        "conversations": [
            {
                "conversation_id": r.conversation_id,
                "first_at": _iso(r.first_at),
                "last_at": _iso(r.last_at),
                "turns": r.turns,
                "bot_messages": r.bot_messages,
                "actions": r.actions,
                "fallbacks": r.fallbacks,
                "handoffs": r.handoffs,
            }
            for r in conversation_rows
        ],
    }


def _iso(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()

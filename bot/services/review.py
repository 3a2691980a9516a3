"""The review queue: customer messages the assistant failed on, kept for a reviewer to label.

Collected by the action server (NLU fallbacks, the two-stage fallback giving up, low-confidence
turns, "that did not help") and by the gateway's handoff code (handoffs, ratings of 1-2); the
studio adds phrasings the large model proposed for an intent with few examples (``paraphrase``,
``intent`` = the intent they are for), which enter training only when a reviewer accepts them.
Only the redacted text is stored (:func:`bot.services.redact.redact`). One customer message is
collected once per kind (``review_messages``, keyed on sender + message id), and identical
redacted texts of one kind are one item whose ``count`` goes up.

Labelling an item (the phrase joins an intent's training data) is the studio's part
(bot/studio/review.py); here: collecting, listing and closing items.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.services.redact import redact
from bot.storage.studio_schema import review_items, review_messages

KINDS = (
    "nlu_fallback",
    "fallback",
    "low_confidence",
    "handoff",
    "low_rating",
    "not_helpful",
    "paraphrase",  # a phrasing the large model proposed for ``intent`` (bot/studio/paraphrase.py)
)
STATUSES = ("open", "labelled", "dismissed")
MAX_TEXT = 1000
MAX_KEY = 300
LOW_RATING = 2  # handoff ratings of this or less are collected


def _insert(conn: AsyncConnection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def text_hash(text: str) -> str:
    """Identical texts up to case and white space are one item."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode("utf-8")).hexdigest()


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


async def collect(
    engine: AsyncEngine,
    *,
    kind: str,
    text: str,
    language: str,
    conversation_id: str,
    message_key: str,
    intent: str | None = None,
    confidence: float | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> int | None:
    """Add one customer message to the queue (redacted); the item's id, or None when the
    message was collected for this kind before or has no text."""
    if kind not in KINDS:
        raise ValueError(f"unknown review kind {kind!r}")
    clean = " ".join(redact(text).split())[:MAX_TEXT]
    if not clean or clean.startswith("/"):
        return None  # a button payload: nothing a reviewer could label
    now = now or datetime.now(UTC)
    lang = language if language in ("zh", "en") else "en"
    async with engine.begin() as conn:
        insert = _insert(conn)
        key = f"{kind}:{message_key}"[:MAX_KEY]
        seen = await conn.execute(
            insert(review_messages)
            .values(key=key, item_id=0, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(review_messages.c.key)
        )
        if seen.first() is None:
            return None
        statement = insert(review_items).values(
            kind=kind,
            text=clean,
            text_hash=text_hash(clean),
            language=lang,
            intent=intent,
            confidence=None if confidence is None else round(float(confidence), 4),
            conversation_id=conversation_id[:200],
            detail=detail,
            count=1,
            created_at=now,
            last_seen_at=now,
            status="open",
        )
        c = review_items.c
        item_id = (
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["kind", "text_hash"],
                    set_={"count": c.count + 1, "last_seen_at": statement.excluded.last_seen_at},
                ).returning(c.id)
            )
        ).scalar_one()
        await conn.execute(
            update(review_messages).where(review_messages.c.key == key).values(item_id=item_id)
        )
    return int(item_id)


def item_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "text": row["text"],
        "language": row["language"],
        "intent": row["intent"],
        "confidence": row["confidence"],
        "conversation_id": row["conversation_id"],
        "detail": row["detail"] or {},
        "count": row["count"],
        "created_at": _iso(row["created_at"]),
        "last_seen_at": _iso(row["last_seen_at"]),
        "status": row["status"],
        "label": row["label"],
        "reviewer": row["reviewer"],
        "reviewed_at": _iso(row["reviewed_at"]),
    }


async def items(
    engine: AsyncEngine,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Items, the most frequent first (then the newest); and how many match in all."""
    where = []
    if status is not None:
        where.append(review_items.c.status == status)
    if kind is not None:
        where.append(review_items.c.kind == kind)
    query = (
        select(review_items)
        .where(*where)
        .order_by(review_items.c.count.desc(), review_items.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
        total = (
            await conn.execute(select(func.count()).select_from(review_items).where(*where))
        ).scalar_one()
    return [item_json(row) for row in rows], int(total)


async def get(engine: AsyncEngine, item_id: int) -> dict[str, Any] | None:
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(review_items).where(review_items.c.id == item_id)))
            .mappings()
            .first()
        )
    return item_json(row) if row is not None else None


async def close(
    engine: AsyncEngine, item_id: int, *, status: str, label: str | None, reviewer: str
) -> list[int]:
    """Mark the open item ``item_id`` (and open items of other kinds with the same text)
    ``labelled`` or ``dismissed``; the ids closed (empty: it was not open)."""
    if status not in ("labelled", "dismissed"):
        raise ValueError(f"an item is closed as labelled or dismissed, not {status!r}")
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        found = (
            await conn.execute(
                select(review_items.c.text_hash).where(
                    review_items.c.id == item_id, review_items.c.status == "open"
                )
            )
        ).first()
        if found is None:
            return []
        result = await conn.execute(
            update(review_items)
            .where(review_items.c.text_hash == found[0], review_items.c.status == "open")
            .values(status=status, label=label, reviewer=reviewer[:100], reviewed_at=now)
            .returning(review_items.c.id)
        )
        return sorted(int(row[0]) for row in result)

"""Limits on guessing a proof of identity: wrong phone numbers for an order, bad link tokens.

Every wrong answer is a row of ``access_attempts`` (kind, sender, target, time), so the count
survives a new form, another conversation of the same sender and a restart. When a wrong answer
brings the sender's count within ``window`` to ``max_wrong``, that check is locked for the
sender until ``lock`` after that answer; while it is locked nothing is checked (a right answer
is refused too) and nothing more is counted. A right answer clears the sender's rows for it.

``subject`` is the sender on its channel ("telegram:12345", "slack:U123", "wechat:o6_bm...");
``target`` what was guessed (the order id; "" for link tokens). ``ANY_SENDER`` counts every
sender's wrong answers for the target together (a cap per order against senders who make up
new ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AccessConfig
from bot.storage.schema import access_attempts

PHONE = "phone"
LINK = "link"
ANY_SENDER = None


@dataclass(frozen=True)
class Limits:
    max_wrong: int = 5
    window: timedelta = timedelta(hours=1)
    lock: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, access: AccessConfig) -> Limits:
        return cls(
            max_wrong=max(1, access.max_wrong),
            window=timedelta(minutes=access.window_minutes),
            lock=timedelta(minutes=access.lock_minutes),
        )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def subject_of(channel: str, external_id: str) -> str:
    return f"{channel}:{external_id}"


def _lock_end(times: list[datetime], limits: Limits) -> datetime | None:
    """The end of the latest lock the wrong answers at ``times`` (oldest first) started."""
    end: datetime | None = None
    n = limits.max_wrong
    for i in range(n - 1, len(times)):
        if times[i] - times[i - n + 1] < limits.window:
            end = times[i] + limits.lock
    return end


async def _times(
    engine: AsyncEngine, kind: str, subject: str | None, target: str, since: datetime
) -> list[datetime]:
    query = (
        select(access_attempts.c.created_at)
        .where(
            access_attempts.c.kind == kind,
            access_attempts.c.target == target,
            access_attempts.c.created_at >= since,
        )
        .order_by(access_attempts.c.created_at, access_attempts.c.id)
    )
    if subject is not None:
        query = query.where(access_attempts.c.subject == subject)
    async with engine.connect() as conn:
        return [_utc(row.created_at) for row in (await conn.execute(query)).all()]


async def locked_until(
    engine: AsyncEngine,
    kind: str,
    subject: str | None,
    target: str,
    *,
    now: datetime,
    limits: Limits,
) -> datetime | None:
    """When the lock of this check for ``subject`` (or ``ANY_SENDER``) ends; None when it is
    not locked."""
    now = _utc(now)
    times = await _times(engine, kind, subject, target, now - limits.window - limits.lock)
    end = _lock_end([t for t in times if t <= now], limits)
    return end if end is not None and end > now else None


async def record_wrong(
    engine: AsyncEngine,
    kind: str,
    subject: str,
    target: str,
    *,
    now: datetime,
    limits: Limits,
) -> datetime | None:
    """Count one wrong answer; returns the end of the lock when this one started it."""
    now = _utc(now)
    async with engine.begin() as conn:
        # The sender's answers too old to matter any more are dropped (the table stays small).
        await conn.execute(
            delete(access_attempts).where(
                access_attempts.c.kind == kind,
                access_attempts.c.subject == subject,
                access_attempts.c.target == target,
                access_attempts.c.created_at < now - limits.window - limits.lock,
            )
        )
        await conn.execute(
            insert(access_attempts).values(
                kind=kind, subject=subject, target=target, created_at=now
            )
        )
    return await locked_until(engine, kind, subject, target, now=now, limits=limits)


async def clear(engine: AsyncEngine, kind: str, subject: str, target: str) -> None:
    """A right answer: the sender's earlier wrong answers for this check are forgotten."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(access_attempts).where(
                access_attempts.c.kind == kind,
                access_attempts.c.subject == subject,
                access_attempts.c.target == target,
            )
        )

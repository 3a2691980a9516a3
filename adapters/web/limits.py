"""Rate limits of the web chat: token buckets keyed by sender id or client address.

:class:`TokenBuckets` counts in this process (one gateway, as `make run` starts it, with
SQLite). :class:`SharedBuckets` keeps the buckets in the PostgreSQL table ``rate_buckets``, so
gateway replicas on one database count together (``web.shared_limits``, README "Running more
than one gateway").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.shared_schema import rate_buckets

PRUNE_EVERY = 500  # takes between deletions of idle (full) shared buckets
IDLE_S = 120.0  # a bucket refills within a minute: one idle this long is full


class TokenBuckets:
    """``per_minute`` events per key, with bursts of up to ``per_minute``.

    :meth:`take` spends one token and returns 0.0, or returns how many seconds until the next
    token when the bucket is empty. ``per_minute`` 0 lets everything through. At most
    ``max_keys`` buckets are kept: full ones (idle keys) are forgotten first, then the oldest.
    """

    def __init__(
        self,
        per_minute: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)  # re-inserted: newest last
            self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        if len(self._buckets) <= self.max_keys:
            return
        full = [
            key
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate >= self.capacity
        ]
        for key in full:
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            del self._buckets[next(iter(self._buckets))]

    def __len__(self) -> int:
        return len(self._buckets)


class SharedBuckets:
    """:class:`TokenBuckets` in the database (PostgreSQL): every replica spends from the same
    bucket. ``name`` keeps the limits apart (``sender``, ``ip``, ``guest``)."""

    def __init__(self, engine: AsyncEngine, name: str, per_minute: int) -> None:
        self.engine = engine
        self.name = name
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._takes = 0

    async def take(self, key: str) -> float:
        """Spend one token: 0.0, or the seconds until the next token when none is left."""
        if self.capacity <= 0:
            return 0.0
        refilled = (
            "LEAST(:capacity, rate_buckets.tokens "
            "+ EXTRACT(EPOCH FROM now() - rate_buckets.at) * :rate)"
        )
        statement = text(
            "INSERT INTO rate_buckets (bucket, tokens, at, ok) "
            "VALUES (:bucket, :capacity - 1, now(), true) "
            "ON CONFLICT (bucket) DO UPDATE SET "
            f"tokens = CASE WHEN {refilled} >= 1 THEN {refilled} - 1 ELSE {refilled} END, "
            f"ok = {refilled} >= 1, at = now() "
            "RETURNING tokens, ok"
        )
        params = {
            "bucket": f"{self.name}:{key}"[:200],
            "capacity": self.capacity,
            "rate": self.rate,
        }
        async with self.engine.begin() as conn:
            row = (await conn.execute(statement, params)).one()
        self._takes += 1
        if self._takes % PRUNE_EVERY == 0:
            await self.prune()
        if row.ok:
            return 0.0
        return (1.0 - float(row.tokens)) / self.rate

    async def prune(self) -> int:
        """Delete buckets idle long enough to be full again (a new take starts them full)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(rate_buckets).where(
                    rate_buckets.c.bucket.startswith(f"{self.name}:"),
                    rate_buckets.c.at < func.now() - timedelta(seconds=IDLE_S),
                )
            )
        return int(result.rowcount or 0)


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return str(max(1, math.ceil(wait_s)))

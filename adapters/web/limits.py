"""Rate limits of the web chat: token buckets keyed by sender id or client address.

In-process only: each gateway replica counts for itself, so behind a load balancer with N
replicas a client gets up to N times the configured rate. A shared store (Redis, the database)
for the scale-out profile is later work; one process, as `make run` starts it, is exact.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


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


def retry_after_header(wait_s: float) -> str:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return str(max(1, math.ceil(wait_s)))

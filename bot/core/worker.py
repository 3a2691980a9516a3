"""One polling worker loop: a round on a wake-up or every poll interval, a graceful stop.

The pipeline (inbox and outbox) and the handoff (Slack threads, relays, timeouts) each run
their rounds in a :class:`WorkerLoop`. A round that fails is logged and the loop goes on at the
next poll; stopping lets the round in progress finish (it is not cancelled: a task cut off
inside a database call can keep its connection).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

logger = logging.getLogger(__name__)


class WorkerLoop:
    """Runs ``tick`` on each :meth:`wake` and at least every ``interval_s()`` seconds."""

    def __init__(
        self,
        name: str,
        tick: Callable[[], Awaitable[None]],
        *,
        interval_s: Callable[[], float],
        woken: asyncio.Event | None = None,
    ) -> None:
        self.name = name
        self.tick = tick
        self.interval_s = interval_s
        self.woken = woken if woken is not None else asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None

    @property
    def stopping(self) -> bool:
        return self._stopping

    def wake(self) -> None:
        """Run a round now instead of at the next poll."""
        self.woken.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Let the round in progress finish, then end the loop."""
        self._stopping = True
        if self._task is not None:
            self.wake()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), self.interval_s())
            self.woken.clear()
            if self._stopping:
                return
            try:
                await self.tick()
            except Exception:
                logger.exception("%s round failed; retrying at the next poll", self.name)

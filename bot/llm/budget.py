"""The large-model assist's daily token budget, counted in the database so that every replica
(gateways and action servers, on SQLite or PostgreSQL) spends from the same count.

A call is allowed while the day's count is below the budget; its real usage is added after it
returns. Replicas that check at the same moment may together pass the budget by at most one
call's tokens each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.llm_schema import llm_usage


def _insert(conn: AsyncConnection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


@dataclass(frozen=True)
class Usage:
    day: str
    prompt_tokens: int
    completion_tokens: int
    calls: int

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class TokenBudget:
    """``limit`` tokens per day of ``timezone`` (0: no limit) in ``engine``'s llm_usage."""

    engine: AsyncEngine
    limit: int
    timezone: str = "Asia/Shanghai"
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def day(self) -> str:
        return self.clock().astimezone(ZoneInfo(self.timezone)).date().isoformat()

    async def usage(self, day: str | None = None) -> Usage:
        day = day or self.day()
        async with self.engine.connect() as conn:
            row = (
                (await conn.execute(select(llm_usage).where(llm_usage.c.day == day)))
                .mappings()
                .first()
            )
        if row is None:
            return Usage(day, 0, 0, 0)
        return Usage(day, row["prompt_tokens"], row["completion_tokens"], row["calls"])

    async def allows(self) -> bool:
        """Whether a call may start now: today's count is below the budget."""
        if self.limit <= 0:
            return True
        return (await self.usage()).tokens < self.limit

    async def spend(self, prompt_tokens: int, completion_tokens: int) -> None:
        """Add one call's tokens to today's count (one atomic upsert)."""
        now = self.clock()
        async with self.engine.begin() as conn:
            statement = _insert(conn)(llm_usage).values(
                day=self.day(),
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                calls=1,
                updated_at=now,
            )
            c = llm_usage.c
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["day"],
                    set_={
                        "prompt_tokens": c.prompt_tokens + statement.excluded.prompt_tokens,
                        "completion_tokens": c.completion_tokens
                        + statement.excluded.completion_tokens,
                        "calls": c.calls + 1,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )

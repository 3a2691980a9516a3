"""What the actions need from outside: settings and one database engine per process.

rasa-sdk instantiates action classes itself without arguments, so the dependencies cannot be
passed in; they are created on first use (never at import time) and can be replaced in tests
with ``use_deps``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, load_config
from bot.llm.answer import FactsCache, LongTail
from bot.llm.client import LlmClient, llm_client
from bot.llm.facts import FactIndex, build_index
from bot.services.aftersales_policy import AftersalesPolicy
from bot.storage.db import create_engine


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    config: Config
    engine: AsyncEngine
    # Time source for return windows and ship dates; tests pin it to the shop's seeding day.
    clock: Callable[[], datetime] = field(default=utc_now)

    @functools.cached_property
    def aftersales(self) -> AftersalesPolicy:
        """The shop's after-sales rules (return windows, refunds), built once from config."""
        return AftersalesPolicy.from_config(self.config)

    @functools.cached_property
    def llm(self) -> LlmClient:
        """The large-model client (off while ``llm.base_url`` is empty), its token budget
        counted in the shop's database."""
        return llm_client(self.config, self.engine)

    @functools.cached_property
    def long_tail(self) -> LongTail:
        """Grounded long-tail answers from the shop's facts (bot/llm/answer.py)."""

        async def load() -> FactIndex:
            return await build_index(self.config, self.engine)

        return LongTail(self.config.llm, self.llm, FactsCache(load))


_current: Deps | None = None


def get_deps() -> Deps:
    """The process's dependencies, created from ``load_config()`` on first use."""
    global _current
    if _current is None:
        config = load_config()
        _current = Deps(config=config, engine=create_engine(config.database.url))
    return _current


@contextmanager
def use_deps(deps: Deps) -> Iterator[Deps]:
    """Run the actions against ``deps`` (a test database) inside the ``with`` block."""
    global _current
    previous = _current
    _current = deps
    try:
        yield deps
    finally:
        _current = previous

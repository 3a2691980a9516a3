"""The engine logs a write transaction that holds the database too long, naming its opener."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import create_engine, watch_slow_writes


async def _write_slowly(url: str, hold_s: float, threshold_s: float) -> None:
    engine = create_engine(url)
    watch_slow_writes(engine, threshold_s)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            await asyncio.sleep(hold_s)
        async with engine.begin() as conn:  # reads only: never reported however long
            await conn.execute(text("SELECT count(*) FROM t"))
            await asyncio.sleep(hold_s)
    finally:
        await engine.dispose()


async def test_a_write_held_past_the_threshold_is_logged_with_its_opener(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.storage.db")
    await _write_slowly(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", 0.3, 0.1)
    slow = [r.getMessage() for r in caplog.records if "held the database" in r.getMessage()]
    assert len(slow) == 1, slow
    assert "_write_slowly" in slow[0]


async def test_a_quick_write_is_not_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.storage.db")
    await _write_slowly(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", 0.0, 5.0)
    assert not [r for r in caplog.records if "held the database" in r.getMessage()]

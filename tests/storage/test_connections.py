"""The connections the project opens: SQLite's WAL and NORMAL sync and what a crash keeps;
PostgreSQL's ping of idle pooled connections."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import REPO_ROOT
from bot.storage.db import create_engine, ping_idle_connections
from tests.postgres import SERVER_URL, _admin, scratch_database


async def test_connections_use_wal_and_sync_the_log_at_checkpoints_only(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        async with engine.connect() as conn:
            journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
            synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
    finally:
        await engine.dispose()
    assert journal == "wal"
    assert synchronous == 1  # NORMAL (FULL is 2)


def test_a_commit_survives_the_writer_being_killed(tmp_path: Path) -> None:
    """NORMAL gives up durability on power loss only: a process killed right after its
    commit (no clean close, no checkpoint) leaves the row for the next reader."""
    db = tmp_path / "shop.db"
    writer = textwrap.dedent(
        f"""
        import asyncio, os, signal, sys
        from sqlalchemy import text
        from bot.storage.db import create_engine

        async def main():
            engine = create_engine("sqlite+aiosqlite:///{db}")
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (42)"))
            print("committed", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", writer],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.strip() == "committed"
    assert (tmp_path / "shop.db-wal").exists()  # the row lives in the log, not yet checkpointed
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(42,)]


@pytest.mark.skipif(not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL for PostgreSQL")
async def test_an_idle_postgres_connection_closed_by_the_server_is_replaced() -> None:
    """Connections back in use quickly are not pinged (one round trip per checkout saved);
    one idle past the threshold is, and when the server has closed it another is opened."""
    async with scratch_database("shop_ping") as url:
        engine = create_engine(url)
        ping_idle_connections(engine, idle_s=1.0)  # a shorter idle threshold for the test
        pings: list[bool] = []
        dialect = engine.sync_engine.dialect
        original = dialect.do_ping

        def counted(dbapi_connection: Any) -> bool:
            pings.append(True)
            return original(dbapi_connection)

        dialect.do_ping = counted  # type: ignore[method-assign]
        try:
            async with engine.connect() as conn:
                first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with engine.connect() as conn:  # at once: trusted, same connection
                assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() == first
            assert pings == []
            await _admin(f"SELECT pg_terminate_backend({first})")  # the server ends it
            await asyncio.sleep(1.5)
            async with engine.connect() as conn:
                again = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            assert pings and again != first
        finally:
            await engine.dispose()

"""The connections the project opens: SQLite's WAL and NORMAL sync and what a crash keeps,
its calls on the event loop's thread that wait for another writer without blocking the loop;
PostgreSQL's ping of idle pooled connections."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import REPO_ROOT
from bot.storage import db as db_module
from bot.storage.db import create_engine, one_statement, ping_idle_connections
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


def hold_write_lock(path: Path, seconds: float) -> threading.Event:
    """Another writer (as the action server would be): holds SQLite's write lock for
    ``seconds`` from a thread of its own; the event is set once it holds it."""
    holding = threading.Event()

    def run() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (1)")
        holding.set()
        threading.Event().wait(seconds)
        other.execute("COMMIT")
        other.close()

    threading.Thread(target=run, daemon=True).start()
    holding.wait(5)
    return holding


async def test_sqlite_runs_on_the_loop_and_waits_for_another_writer_without_blocking_it(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        hold_write_lock(tmp_path / "shop.db", 0.5)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        beat = asyncio.create_task(ticker())
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))  # waits for the lock
        waited = loop.time() - started
        beat.cancel()
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
    finally:
        await engine.dispose()
    assert rows == [1, 2]  # both writes, in the order they got the lock
    assert waited >= 0.3
    assert ticks >= 10  # the event loop went on while the insert waited


async def test_sqlite_gives_up_after_the_busy_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "BUSY_WAIT_S", 0.2)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        hold_write_lock(tmp_path / "shop.db", 1.5)
        with pytest.raises(Exception, match="database is locked"):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (2)"))
        async with engine.connect() as conn:  # reads go on meanwhile (WAL)
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    finally:
        await engine.dispose()


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


async def test_the_sqlite_pool_hands_its_connection_to_the_first_waiter(tmp_path: Path) -> None:
    """The one connection is handed out when idle; a checkout while it is busy waits for it
    and gets it before one that asks after it was returned."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    order: list[str] = []
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))  # the pool's one connection exists

        async def use(name: str, hold_s: float = 0.0) -> None:
            async with engine.connect() as conn:
                order.append(name)
                await conn.execute(text("SELECT 1"))
                await asyncio.sleep(hold_s)

        first = asyncio.create_task(use("first", hold_s=0.2))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(use("waiting"))
        await asyncio.sleep(0.05)
        await first
        await use("late")
        await waiting
    finally:
        await engine.dispose()
    assert order == ["first", "waiting", "late"]


@pytest.mark.skipif(not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL for PostgreSQL")
async def test_one_statement_on_postgres_sends_no_begin_and_its_write_stays() -> None:
    async with scratch_database("shop_autocommit") as url:
        engine = create_engine(url)
        try:
            async with one_statement(engine, writes=True) as conn:
                first = await conn.scalar(text("SELECT txid_current()"))
                second = await conn.scalar(text("SELECT txid_current()"))
                await conn.execute(text("CREATE TABLE t (x integer)"))
                await conn.execute(text("INSERT INTO t VALUES (7)"))
            async with engine.begin() as conn:  # the engine itself still uses transactions
                third = await conn.scalar(text("SELECT txid_current()"))
                fourth = await conn.scalar(text("SELECT txid_current()"))
                assert (await conn.scalar(text("SELECT x FROM t"))) == 7
        finally:
            await engine.dispose()
    assert first != second  # each statement was a transaction of its own: no BEGIN
    assert third == fourth


async def test_one_statement_on_sqlite_commits_a_write(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        async with one_statement(engine, writes=True) as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (7)"))
        async with one_statement(engine) as conn:
            assert (await conn.scalar(text("SELECT x FROM t"))) == 7
    finally:
        await engine.dispose()

"""The SQLite connections the project opens: WAL, NORMAL sync, and what a crash keeps."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import text

from bot.config import REPO_ROOT
from bot.storage.db import create_engine


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

"""The helper that names the processes holding a SQLite file's locks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from tests.sqlite_locks import lock_holders


def test_the_writer_of_a_wal_database_is_named(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x INTEGER)")
    assert "WRITE" not in lock_holders(path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        held = lock_holders(path)
    finally:
        conn.execute("ROLLBACK")
        conn.close()
    assert f"-shm WRITE bytes 120-120 pid {os.getpid()}" in held, held


def test_a_missing_file_has_no_holders(tmp_path: Path) -> None:
    assert lock_holders(tmp_path / "none.db") == "(no process holds a lock on it now)"

"""Who holds a SQLite file's locks: the processes in /proc/locks on its files (Linux).

SQLite locks byte ranges of the database file (rollback journal) or of its ``-shm`` file (WAL)
with POSIX advisory locks; /proc/locks lists each with the holder's process id. A test that
finds the database locked prints this, so a CI log names the process that held it.
"""

from __future__ import annotations

import os
from pathlib import Path


def lock_holders(database: str | Path) -> str:
    inodes = {}
    for suffix in ("", "-wal", "-shm"):
        try:
            inodes[os.stat(f"{database}{suffix}").st_ino] = suffix or "db"
        except OSError:
            continue
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return "(no /proc/locks here)"
    found = []
    for line in lines:
        parts = line.split()
        if "->" in parts:  # a waiter: "1: -> POSIX ..."
            parts.remove("->")
        if len(parts) < 8 or parts[5].count(":") != 2:
            continue
        inode = int(parts[5].rsplit(":", 1)[1])
        if inode not in inodes:
            continue
        pid = parts[4]
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            command = "?"
        found.append(
            f"{inodes[inode]} {parts[3]} bytes {parts[6]}-{parts[7]} pid {pid}: {command[:160]}"
        )
    return "; ".join(found) or "(no process holds a lock on it now)"

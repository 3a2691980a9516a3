"""Async engine factory. Nothing connects at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import REPO_ROOT
from bot.storage import studio_schema  # noqa: F401 - registers the studio's tables
from bot.storage.schema import metadata

_SQLITE_PREFIX = "sqlite+aiosqlite:///"


def normalise_url(url: str) -> str:
    """Make a relative SQLite path relative to the repository root, not the working directory."""
    if url.startswith(_SQLITE_PREFIX):
        raw = url[len(_SQLITE_PREFIX) :]
        if raw and raw != ":memory:" and not raw.startswith("/"):
            path = REPO_ROOT / raw
            path.parent.mkdir(parents=True, exist_ok=True)
            return _SQLITE_PREFIX + str(path)
        if raw.startswith("/"):
            from pathlib import Path

            Path(raw).parent.mkdir(parents=True, exist_ok=True)
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets Rasa's tracker store, the action server and the gateway share one file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # One connection per process: SQLite has a single writer anyway, and two pooled
        # connections writing at once from one event loop can stall until the busy timeout.
        # Other processes (Rasa's tracker store, the action server) share the file through WAL.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables and add missing nullable columns (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(_add_missing_columns)


def _add_missing_columns(conn: Connection) -> None:
    """Add columns that the schema gained after a database was created.

    Only nullable columns can be added this way (existing rows get NULL); a new required
    column needs a real migration, so it fails here naming the column.
    """
    inspector = inspect(conn)
    for table in metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise RuntimeError(
                    f"the database table {table.name!r} lacks the required column "
                    f"{column.name!r}; it cannot be added automatically, so migrate the "
                    "database or recreate it (`python -m bot seed --force`)"
                )
            preparer = conn.dialect.identifier_preparer
            conn.execute(
                text(
                    f"ALTER TABLE {preparer.quote(table.name)} ADD COLUMN "
                    f"{preparer.quote(column.name)} {column.type.compile(dialect=conn.dialect)}"
                )
            )

"""Async engine factory. Nothing connects at import time."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import sys
import time
import weakref
from collections.abc import Callable
from types import FrameType
from typing import Any

import aiosqlite
from sqlalchemy import Connection, MetaData, event, inspect, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.queue import AsyncAdaptedQueue

from bot.config import REPO_ROOT
from bot.storage import (
    analytics_schema,  # noqa: F401 - registers the analytics tables
    llm_schema,  # noqa: F401 - registers the large-model assist's token count
    shared_schema,  # noqa: F401 - registers the replicas' shared tables
    studio_schema,  # noqa: F401 - registers the studio's tables
)
from bot.storage.schema import metadata

_SQLITE_PREFIX = "sqlite+aiosqlite:///"
log = logging.getLogger(__name__)
# A write transaction held longer than this is logged with the code that opened it: on SQLite
# it blocks every other writer (Rasa's tracker store, the action server, the gateway).
SLOW_WRITE_S = 5.0
# A pooled PostgreSQL connection idle longer than this is pinged before use.
PING_IDLE_S = 10.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


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


SQLITE_SYNCHRONOUS = "NORMAL"
# How long a statement waits for another process's write transaction on SQLite (what SQLite's
# busy timeout did), and the longest sleep between its tries.
BUSY_WAIT_S = 10.0
BUSY_SLEEP_MAX_S = 0.05


class InlineSQLite(aiosqlite.Connection):
    """An aiosqlite connection that runs sqlite3's calls on the event loop's own thread.

    aiosqlite hands every call (cursor, execute, fetch, close, commit: about four per
    statement) to a thread of its own and waits for the answer: 71 hand-overs per web chat
    message, which cost the gateway more CPU than the statements (``scripts/message_cost.py``).
    On a WAL database with ``synchronous=NORMAL`` a call takes microseconds, so it runs inline.
    Only waiting would block the loop: SQLite's busy timeout is 0, and a call that finds the
    database locked by another writer (the action server, another tool) is tried again after
    an asyncio sleep (1 ms, doubling to 50 ms) for up to ``BUSY_WAIT_S``, as the busy timeout
    did, while the event loop goes on. A stale snapshot (``SQLITE_BUSY_SNAPSHOT``) is not
    retried: only a new transaction can pass it, as before."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        deadline, sleep_s = 0.0, 0.001
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:  # not BUSY_SNAPSHOT (517) either
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_WAIT_S
                if now >= deadline:
                    raise
                await asyncio.sleep(sleep_s)
                sleep_s = min(sleep_s * 2, BUSY_SLEEP_MAX_S)

    async def _connect(self) -> InlineSQLite:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()  # no thread to start

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _ReadyFirstQueue(AsyncAdaptedQueue[Any]):
    """The pool's queue of idle connections, handing out an idle one at once. SQLAlchemy's
    waits through ``asyncio.wait_for`` whenever the pool is at its size (always, for SQLite's
    one connection), even with a connection ready: a task and event loop turns at every
    checkout (``engine.connect()`` plus a statement: 440 -> 260 us here). Who gets a returned
    connection is as before: ``asyncio.Queue`` hands it to the longest waiting checkout."""

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        if block and not self._queue.empty():
            return self.get_nowait()
        return super().get(block, timeout)


class SQLitePool(AsyncAdaptedQueuePool):
    """The SQLite engine's pool (one connection): see :class:`_ReadyFirstQueue`."""

    _queue_class = _ReadyFirstQueue


def connect_inline(database: str, *, iter_chunk_size: int = 64, **kwargs: Any) -> InlineSQLite:
    """What ``aiosqlite.connect`` does, for :class:`InlineSQLite` (SQLAlchemy's
    ``async_creator_fn``): SQLite itself never waits (``timeout=0``)."""
    kwargs.update(timeout=0, check_same_thread=False)
    return InlineSQLite(functools.partial(sqlite3.connect, database, **kwargs), iter_chunk_size)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets Rasa's tracker store, the action server and the gateway share one file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=0")  # waiting is InlineSQLite's, off the event loop
    # In WAL mode NORMAL syncs the log at checkpoints, not at every commit: a commit survives
    # any process crash (the log is in the OS's cache), only a power loss or OS crash may take
    # back the last transactions. FULL (SQLite's default) cost the gateway about 1 ms per
    # commit, 7 commits per message (scripts/message_cost.py: 20 ms -> 12 ms per message).
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """Create the async engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # One connection per process: SQLite has a single writer anyway, and two pooled
        # connections writing at once from one event loop can stall until the busy timeout.
        # Other processes (Rasa's tracker store, the action server) share the file through WAL.
        engine = create_async_engine(
            url,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"async_creator_fn": connect_inline},
            poolclass=SQLitePool,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        engine = create_async_engine(url)
        ping_idle_connections(engine)
    watch_slow_writes(engine)
    return engine


def one_statement(
    engine: AsyncEngine, *, writes: bool = False
) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
    """A connection for a single statement: a read, or one write that is atomic on its own
    (an ``UPDATE ... RETURNING`` claim). On PostgreSQL it runs in autocommit: no ``BEGIN``
    and ``COMMIT``/``ROLLBACK``, two of the three round trips such a transaction costs (the
    gateway runs several per message). Elsewhere a plain connection, or a transaction when
    it ``writes`` (SQLite's driver begins one before a write and would roll it back)."""
    if engine.dialect.name == "postgresql":
        return _autocommit(engine).connect()
    return engine.begin() if writes else engine.connect()


_AUTOCOMMIT: weakref.WeakKeyDictionary[Any, AsyncEngine] = weakref.WeakKeyDictionary()


def _autocommit(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` in autocommit, sharing its pool (made once per engine)."""
    found = _AUTOCOMMIT.get(engine.sync_engine)
    if found is None:
        found = _AUTOCOMMIT[engine.sync_engine] = engine.execution_options(
            isolation_level="AUTOCOMMIT"
        )
    return found


def _set_again(sync: Any, key: str, value: float) -> bool:
    """Store a watcher's setting on the engine; True when its listeners are already there
    (the watcher was installed before: only the setting changes)."""
    already = key in sync.__dict__
    sync.__dict__[key] = value
    return already


def ping_idle_connections(engine: AsyncEngine, idle_s: float = PING_IDLE_S) -> None:
    """Before a pooled connection that sat idle more than ``idle_s`` is used, check it answers
    (a database restart or a firewall may have closed it); a dead one is replaced (the pool
    tries another connection). Connections back in use within ``idle_s`` are trusted:
    SQLAlchemy's ``pool_pre_ping`` pings at every checkout, a round trip that cost the
    gateway about 6 ms per message on PostgreSQL (8 checkouts). A connection that died while
    busy fails its statement; SQLAlchemy then discards the pool's older connections.
    Calling it again for the same engine changes the threshold."""
    sync = engine.sync_engine
    if _set_again(sync, "ping_idle_s", idle_s):
        return

    @event.listens_for(sync, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= sync.__dict__["ping_idle_s"]:
            return
        try:
            alive = sync.dialect.do_ping(dbapi)
        except Exception as exc:
            log.info("an idle database connection is gone (%s); opening another", exc)
            raise DisconnectionError() from exc
        if not alive:
            raise DisconnectionError()


def _opener() -> str:
    """The project's frames that led to this statement, outermost first.

    With the async engine the statement runs in a greenlet whose parent is suspended inside the
    awaiting coroutine, so the caller's frames are the parent's."""
    frame: FrameType | None = sys._getframe(1)
    with contextlib.suppress(ImportError, AttributeError):
        import greenlet

        parent = greenlet.getcurrent().parent
        if parent is not None and parent.gr_frame is not None:
            frame = parent.gr_frame
    root, frames = str(REPO_ROOT), list[str]()
    while frame is not None and len(frames) < 8:
        name = frame.f_code.co_filename
        if name.startswith(root) and "site-packages" not in name:
            frames.append(f"{name[len(root) + 1 :]}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(frames) or "outside the project"


def watch_slow_writes(engine: AsyncEngine, threshold_s: float = SLOW_WRITE_S) -> None:
    """Log a write transaction held open longer than ``threshold_s``, naming its opener.
    Calling it again for the same engine changes the threshold."""
    sync = engine.sync_engine
    if _set_again(sync, "slow_write_s", threshold_s):
        return

    def first_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if "write_at" not in conn.info and statement.lstrip()[:7].upper().startswith(_WRITES):
            conn.info["write_at"] = time.monotonic()
            conn.info["write_by"] = _opener()

    def ended(conn: Connection) -> None:
        started = conn.info.pop("write_at", None)
        opener = conn.info.pop("write_by", "")
        held = time.monotonic() - started if started is not None else 0.0
        if held > sync.__dict__["slow_write_s"]:
            log.warning("a write transaction held the database for %.1f s (%s)", held, opener)

    event.listen(sync, "before_cursor_execute", first_write)
    event.listen(sync, "commit", ended)
    event.listen(sync, "rollback", ended)


async def create_schema(engine: AsyncEngine) -> None:
    """Create missing tables and add missing nullable columns (idempotent).

    For throwaway databases (tests) and tools run before ``python -m bot migrate``. A database
    that migrations manage (it has ``alembic_version``) is migrated to head instead, so that
    tables of a later revision are never made behind its back."""
    async with engine.connect() as conn:
        versioned = await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
    if versioned:
        from bot.storage.migrate import upgrade  # imports this module

        await upgrade(engine)
        return
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(add_missing_columns, metadata)


def add_missing_columns(conn: Connection, tables: MetaData) -> None:
    """Add columns of ``tables`` that a database created earlier lacks.

    Only nullable columns can be added this way (existing rows get NULL); a new required
    column needs a real migration, so it fails here naming the column.
    """
    inspector = inspect(conn)
    for table in tables.sorted_tables:
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

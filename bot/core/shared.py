"""What gateway replicas on one PostgreSQL database share (README "Running more than one
gateway"): a cluster-wide lock, access tokens fetched by one replica for all, and the
LISTEN/NOTIFY channel that wakes another replica's push streams.

Everything here is for PostgreSQL; with SQLite there is one gateway process and callers keep
their in-process state (:func:`is_shared` tells them which). The cluster lock then is the
process's own: two gateway apps in one process (tests) still take turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.queue import as_utc, utcnow
from bot.storage.shared_schema import api_tokens

logger = logging.getLogger(__name__)

OUTBOX_CHANNEL = "shop_outbox"  # NOTIFY payload: the conversation id of a message just sent
LISTEN_PING_S = 10.0  # how often an idle listener connection is checked
LISTEN_RETRY_MAX_S = 30.0


def is_shared(engine: AsyncEngine) -> bool:
    """True when replicas may share ``engine``'s database (PostgreSQL), False for SQLite."""
    return engine.dialect.name == "postgresql"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


# The names held in this process, per engine (off PostgreSQL); never awaited, so no event loop.
_LOCAL_LOCKS: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def cluster_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Try to take the cluster-wide lock ``name`` (a PostgreSQL session advisory lock) for the
    ``with`` block; yields False when another process holds it. The lock goes with the
    connection, so a replica that dies frees it. Off PostgreSQL the lock is the process's:
    held per engine in memory (SQLite has one gateway process)."""
    if not is_shared(engine):
        held = _LOCAL_LOCKS.setdefault(engine.sync_engine, set())
        if name in held:
            yield False
            return
        held.add(name)
        try:
            yield True
        finally:
            held.discard(name)
        return
    key = lock_key(name)
    async with engine.connect() as raw:
        conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
        got = bool(await conn.scalar(select(func.pg_try_advisory_lock(key))))
        try:
            yield got
        finally:
            if got:
                try:
                    await conn.execute(select(func.pg_advisory_unlock(key)))
                except BaseException:
                    # Never pool a connection that may still hold the lock: closing frees it.
                    await raw.invalidate()
                    raise


async def run_alone(
    engine: AsyncEngine, name: str, run: Callable[[], Awaitable[None]], *, retry_s: float = 5.0
) -> None:
    """Run ``run`` in one process of the cluster at a time: wait until the cluster lock
    ``name`` is free (trying every ``retry_s``), then run holding it. When the holder stops or
    dies, another replica takes over within ``retry_s``."""
    while True:
        async with cluster_lock(engine, name) as mine:
            if mine:
                await run()
                return
        await asyncio.sleep(retry_s)


# --- access tokens ------------------------------------------------------------------------------
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, seconds it stays usable)


class SharedToken:
    """An API access token kept in ``api_tokens`` for every replica. A replica that finds it
    missing, expired or refused fetches a new one holding the row's lock, so the others wait
    for it and use its token instead of fetching (and invalidating) their own."""

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name

    async def current(self, *, stale: str | None = None) -> tuple[str, datetime] | None:
        """The stored token and its expiry, unless missing, expired or ``stale``."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(api_tokens.c.token, api_tokens.c.expires_at).where(
                        api_tokens.c.name == self.name
                    )
                )
            ).first()
        return _usable(row, stale)

    async def get(self, fetch: TokenFetch, *, stale: str | None = None) -> tuple[str, datetime]:
        """A usable token and its expiry; ``fetch`` is called (by one replica at a time) when
        the stored one is missing, expired or equal to ``stale`` (the platform refused it)."""
        found = await self.current(stale=stale)
        if found is not None:
            return found
        async with self.engine.begin() as conn:
            await conn.execute(
                pg_insert(api_tokens).values(name=self.name).on_conflict_do_nothing()
            )
            row = (
                await conn.execute(
                    select(api_tokens.c.token, api_tokens.c.expires_at)
                    .where(api_tokens.c.name == self.name)
                    .with_for_update()
                )
            ).one()
            found = _usable(row, stale)  # another replica may have fetched while we waited
            if found is not None:
                return found
            token, lifetime_s = await fetch()
            now = utcnow()
            expires_at = now + timedelta(seconds=lifetime_s)
            await conn.execute(
                update(api_tokens)
                .where(api_tokens.c.name == self.name)
                .values(token=token, expires_at=expires_at, updated_at=now)
            )
        return token, expires_at


def _usable(row: Any, stale: str | None) -> tuple[str, datetime] | None:
    if row is None or not row.token or row.expires_at is None or row.token == stale:
        return None
    expires_at = as_utc(row.expires_at)
    return (row.token, expires_at) if expires_at > utcnow() else None


# --- LISTEN / NOTIFY ----------------------------------------------------------------------------
async def notify(engine: AsyncEngine, channel: str, payload: str) -> None:
    """``NOTIFY channel, payload`` (delivered to every listener once this commits)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


class PgListener:
    """One asyncpg connection of this process that LISTENs on ``channel`` and calls
    ``on_payload`` for each notification. When the connection drops it reconnects with a
    capped backoff and then calls ``on_reconnect`` (notifications sent meanwhile are lost, so
    the caller re-reads what it may have missed)."""

    def __init__(
        self,
        engine: AsyncEngine,
        channel: str,
        on_payload: Callable[[str], None],
        *,
        on_reconnect: Callable[[], None] = lambda: None,
        retry_s: float = 0.5,
        ping_s: float = LISTEN_PING_S,
    ) -> None:
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel
        self.on_payload = on_payload
        self.on_reconnect = on_reconnect
        self.retry_s = retry_s
        self.ping_s = ping_s
        self.connections = 0  # successful connects, for tests and logs
        self.pid: int | None = None  # the server process of the current connection
        self.listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"listen-{self.channel}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.on_payload(payload)

    async def _run(self) -> None:
        import asyncpg

        delay = self.retry_s
        while True:
            try:
                await self._session(asyncpg)
                delay = self.retry_s
                logger.warning("LISTEN %s: the connection dropped; reconnecting", self.channel)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                logger.warning(
                    "LISTEN %s: %s; retrying in %.1fs (push streams poll meanwhile)",
                    self.channel,
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX_S)

    async def _session(self, asyncpg: Any) -> None:
        """Listen on one connection until it drops (or a ping fails)."""
        conn = await asyncpg.connect(self.dsn, timeout=10)
        try:
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(self.channel, self._notified)
            self.pid = conn.get_server_pid()
            self.connections += 1
            if self.connections > 1:
                logger.info("LISTEN %s: reconnected", self.channel)
                self.on_reconnect()
            self.listening.set()
            while not conn.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.ping_s)
                if lost.is_set() or conn.is_closed():
                    return
                await asyncio.wait_for(conn.execute("SELECT 1"), self.ping_s)
        finally:
            self.listening.clear()
            if not conn.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), 2)

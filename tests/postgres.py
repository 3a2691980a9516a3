"""Scratch PostgreSQL databases for tests, on the server of ``SHOP_TEST_POSTGRES_URL``.

`make test` sets that variable to the machine's PostgreSQL; a test module that needs it skips
with a reason when it is empty (a developer run without PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.engine import make_url

SERVER_URL = os.environ.get("SHOP_TEST_POSTGRES_URL")


async def _admin(sql: str) -> None:
    import asyncpg  # only needed when the checks run

    assert SERVER_URL is not None
    dsn = make_url(SERVER_URL).set(drivername="postgresql")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def scratch_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a new, empty database ``<prefix>_<random>``, dropped afterwards (with any
    connection still open to it)."""
    assert SERVER_URL is not None
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.asynccontextmanager
async def schema_engine(backend: str, sqlite_path: str, prefix: str) -> AsyncIterator[Any]:
    """An engine with the schema on ``backend`` ("sqlite": the file ``sqlite_path``;
    "postgresql": a scratch database, skipped without SHOP_TEST_POSTGRES_URL)."""
    import pytest

    from bot.storage.db import create_engine, create_schema

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{sqlite_path}"
        scratch: contextlib.AbstractAsyncContextManager[str] = contextlib.nullcontext(url)
    elif not SERVER_URL:
        pytest.skip("set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks")
    else:
        scratch = scratch_database(prefix)
    async with scratch as url:
        db = create_engine(url)
        try:
            await create_schema(db)
            yield db
        finally:
            await db.dispose()

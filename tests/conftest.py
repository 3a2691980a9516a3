"""Shared fixtures: an empty shop database, and a seeded demo shop copied per test.

- ``cfg``: the repository's config.yml without environment overrides.
- ``engine``: an empty SQLite file with the schema (function scope).
- ``shop``: the factory of the records a test needs (tests/factory.py) in its ``shop_engine``
  copy, dated noon of ``SHOP_TODAY`` in the shop's timezone.
- ``fake_llm``: a local OpenAI-compatible server with scripted completions (tests/llm_fake.py).
- ``shop_engine``: a private copy of the demo shop seeded for ``SHOP_TODAY`` (function scope;
  the shop is generated once per session, each test gets its own copy of the file, so tests
  may change it freely).

``SHOP_TEST_NOW=2028-02-29T16:30:00+00:00`` runs the tests in this process with the clock moved
to that instant (and ticking), to check that no test depends on the day it runs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, load_config
from bot.shop.seed import seed_demo_shop
from bot.storage.db import create_engine, create_schema
from tests.factory import ShopFactory
from tests.llm_fake import FakeLlm

# The day the test shop is seeded; demo dates are relative to it.
SHOP_TODAY = date(2026, 4, 21)


def pytest_configure(config: pytest.Config) -> None:
    _ignore_local_policies()
    moved_to = os.environ.get("SHOP_TEST_NOW")
    if moved_to:
        import time_machine

        traveller = time_machine.travel(datetime.fromisoformat(moved_to), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def _ignore_local_policies() -> None:
    """Tests read the repository's config.yml as shipped: shop policies saved on this machine's
    admin pages (config.policies.yml next to it, git-ignored) are not read in this process."""
    import bot.config as config_module

    real = config_module.policies_overlay_path
    local = real(config_module.DEFAULT_CONFIG_PATH)

    def without_local(config_path: Path, configured: str = "") -> Path:
        found = real(config_path, configured)
        return found.with_name(f".ignored-by-tests.{found.name}") if found == local else found

    config_module.policies_overlay_path = without_local


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def cfg() -> Config:
    return load_config(env={})


@pytest.fixture(scope="session")
def shop_today() -> date:
    return SHOP_TODAY


@pytest.fixture(scope="session")
def seeded_db_file(tmp_path_factory: pytest.TempPathFactory, cfg: Config) -> Path:
    """The demo shop, seeded once per test session into a template file."""
    path = tmp_path_factory.mktemp("shop") / "template.db"

    async def build() -> None:
        engine = create_engine(sqlite_url(path))
        try:
            await seed_demo_shop(engine, cfg, today=SHOP_TODAY)
            async with engine.connect() as conn:
                # Fold the write-ahead log into the main file so a plain copy is complete.
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        finally:
            await engine.dispose()

    asyncio.run(build())
    return path


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database with the schema."""
    eng = create_engine(sqlite_url(tmp_path / "empty.db"))
    await create_schema(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
async def shop_engine(tmp_path: Path, seeded_db_file: Path) -> AsyncIterator[AsyncEngine]:
    """A private copy of the seeded demo shop."""
    path = tmp_path / "shop.db"
    shutil.copyfile(seeded_db_file, path)
    eng = create_engine(sqlite_url(path))
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
def shop(shop_engine: AsyncEngine, cfg: Config) -> Iterator[ShopFactory]:
    """Makes the records a test needs in its copy of the shop, dated noon of ``SHOP_TODAY``."""
    now = datetime.combine(SHOP_TODAY, time(12, 0), tzinfo=ZoneInfo(cfg.shop.timezone))
    factory = ShopFactory(shop_engine.url.render_as_string(hide_password=False), now=now)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    """A local OpenAI-compatible server (tests/llm_fake.py); ``fake_llm.base_url`` is its URL."""
    async with FakeLlm() as server:
        yield server

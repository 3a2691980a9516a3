"""Gateway under test: the real app on a loopback port, a fake Rasa, a temporary SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.gateway.__main__ import build_app
from bot.storage.db import create_engine
from tests.gateway.fake_rasa import FakeActionServer, FakeRasa
from tests.gateway.helpers import Client, MakeClient, SigningClient, make_config
from tests.gateway.seed import seed_shop


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def actions_url() -> AsyncIterator[str]:
    fake = FakeActionServer()
    url = await fake.start()
    yield url
    await fake.stop()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    db = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await seed_shop(db)
    yield db
    await db.dispose()


@pytest.fixture
async def make_client(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[MakeClient]:
    """Factory: a client for a fresh gateway app; keyword arguments go to make_config."""
    clients: list[Client] = []

    async def make(**kwargs: Any) -> Client:
        kwargs.setdefault("rasa_url", fake_rasa.url)
        kwargs.setdefault("actions_url", actions_url)
        cfg = make_config(tmp_path, **kwargs)
        client: Client = SigningClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()

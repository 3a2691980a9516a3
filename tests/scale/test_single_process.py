"""The embedded profile (SQLite, one gateway process) keeps its state in the process: no
LISTEN connection, in-process rate limits, and ``web.shared_limits: on`` refused."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.web.adapter import take
from adapters.web.limits import SharedBuckets, TokenBuckets
from bot.config import ConfigError
from bot.core.shared import cluster_lock, is_shared
from bot.gateway.__main__ import build_app
from bot.storage.db import create_engine
from tests.gateway.conftest import actions_url as actions_url  # a fixture
from tests.gateway.conftest import engine as engine  # a fixture
from tests.gateway.conftest import fake_rasa as fake_rasa  # a fixture
from tests.gateway.conftest import make_client as make_client  # a fixture
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import MakeClient, SigningClient, make_config
from tests.handoff.harness import MakeHarness
from tests.handoff.harness import make_harness as make_harness  # a fixture
from tests.scale.test_shared_state import race_two_workers, web_adapter


async def test_on_sqlite_the_gateway_keeps_limits_and_wake_ups_in_process(
    make_client: MakeClient, engine: AsyncEngine
) -> None:
    assert not is_shared(engine)
    client = await make_client(web={"guests_per_minute_per_ip": 1})
    web = web_adapter(client)  # type: ignore[arg-type]
    assert web.listener is None
    assert isinstance(web.guest_buckets, TokenBuckets)
    statuses = [(await client.post("/api/chat/guest")).status for _ in range(2)]
    assert statuses == [200, 429]
    async with cluster_lock(engine, "x") as first, cluster_lock(engine, "x") as second:
        assert first and not second  # the lock is the process's: two apps in it take turns
        async with cluster_lock(engine, "y") as other:
            assert other
    async with cluster_lock(engine, "x") as again:
        assert again  # freed on leaving


async def test_two_gateways_in_one_process_relay_each_handoff_message_once(
    make_harness: MakeHarness,
) -> None:
    # Tests (and a shop's own embedding) may run two gateway apps on one SQLite file: their
    # handoff workers take turns through the process's lock, as replicas do on PostgreSQL.
    await race_two_workers(await make_harness(), await make_harness())


async def test_shared_limits_on_without_postgresql_stops_start_up(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> None:
    cfg = make_config(
        tmp_path, rasa_url=fake_rasa.url, actions_url=actions_url, web={"shared_limits": "on"}
    )
    client = SigningClient(TestServer(build_app(cfg, engine=engine)))
    with pytest.raises(ConfigError, match="shared_limits"):
        await client.start_server()
    await client.close()


@pytest.mark.parametrize("value", ["yes", "shared"])
def test_a_wrong_shared_limits_value_names_the_setting(tmp_path: Path, value: str) -> None:
    cfg = make_config(
        tmp_path,
        rasa_url="http://127.0.0.1:9",
        actions_url="http://127.0.0.1:9",
        web={"shared_limits": value},
    )
    with pytest.raises(ConfigError, match=r"web\.shared_limits must be auto, on or off"):
        build_app(cfg)


async def test_shared_buckets_that_cannot_reach_the_database_let_requests_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:  # a loopback port where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    down = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/shop")
    try:
        assert await take(SharedBuckets(down, "web-ip", 1), "203.0.113.7") == 0.0
    finally:
        await down.dispose()
    assert "rate limit web-ip not checked" in caplog.text

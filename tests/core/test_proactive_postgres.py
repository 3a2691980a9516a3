"""The proactive scheduler's once-only guarantee on PostgreSQL (the scale profile): two
gateways' rounds at once, and two handlers past the advisory lock.

Runs when SHOP_TEST_POSTGRES_URL names a server the tests may create a scratch database on;
skipped otherwise."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.core.proactive import LOCK_NAME
from bot.core.shared import cluster_lock
from bot.storage.db import create_engine, create_schema
from tests.core.test_proactive import NOON, Records, concurrent_rounds_tell_once, scheduler
from tests.postgres import SERVER_URL, scratch_database

pytestmark = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)


async def test_two_concurrent_rounds_on_postgres_tell_once(cfg: Config) -> None:
    async with scratch_database("proactive") as url:
        engine = create_engine(url)
        try:
            await create_schema(engine)
            await concurrent_rounds_tell_once(url, cfg, engine)
        finally:
            await engine.dispose()


async def test_a_round_is_skipped_while_another_gateway_holds_the_lock(cfg: Config) -> None:
    async with scratch_database("proactive") as url:
        engine, other = create_engine(url), create_engine(url)
        try:
            await create_schema(engine)
            records = Records(engine)
            cid, conversation = await records.customer("en")
            order = await records.parcel(cid, shipped_days_ago=3)
            async with cluster_lock(other, LOCK_NAME) as held:
                assert held
                skipped = await scheduler(engine, cfg, now=NOON).run_once()
            assert not skipped.ran and skipped.planned == []
            assert await records.notices(order) == []
            done = await scheduler(engine, cfg, now=NOON).run_once()
            assert [p.outcome for p in done.planned if p.finding.subject == order] == ["queued"]
            assert len(await records.outbox_rows(conversation)) == 1
        finally:
            await engine.dispose()
            await other.dispose()

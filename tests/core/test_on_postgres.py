"""The leased queue, the conversation record and the staff reply path on PostgreSQL (the
scale-out database): the same tests as on SQLite, with ``engine`` a scratch PostgreSQL one.

Runs when SHOP_TEST_POSTGRES_URL names a server the tests may create a scratch database on,
e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``; skipped otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine
from tests.core.test_conversations import (
    test_handoff_owner_and_state_follow_start_claim_and_resolve as test_pg_handoff_record,
)
from tests.core.test_conversations import (
    test_the_pipeline_records_address_customer_and_language as test_pg_pipeline_record,
)
from tests.core.test_conversations import (
    test_writers_racing_to_create_a_record_both_succeed as test_pg_racing_record,
)
from tests.core.test_faults import actions as actions  # a fixture
from tests.core.test_faults import (
    test_a_key_stored_before_scoping_still_dedupes_its_sender as test_pg_legacy_key,
)
from tests.core.test_faults import (
    test_a_repeat_while_the_first_is_processing_waits_for_its_answer as test_pg_repeat,
)
from tests.core.test_faults import (
    test_a_response_not_written_goes_to_the_push_channel as test_pg_not_written,
)
from tests.core.test_faults import (
    test_rows_that_just_failed_go_behind_the_rows_that_came_due as test_pg_longest_due,
)
from tests.core.test_faults import (
    test_two_senders_with_one_message_id_get_their_own_answers as test_pg_foreign_ids,
)
from tests.core.test_faults import web_pipeline as web_pipeline  # a fixture
from tests.core.test_pipeline import make_pipeline as make_pipeline  # the fixture
from tests.core.test_queue import (
    test_a_worker_whose_lease_was_taken_over_writes_nothing as test_pg_fenced,
)
from tests.core.test_queue import (
    test_claim_leases_once_and_a_lapsed_lease_is_reclaimed as test_pg_claim,
)
from tests.core.test_queue import (
    test_only_a_conversations_first_open_message_is_due as test_pg_order,
)
from tests.core.test_queue import test_retry_give_up_and_done as test_pg_retry
from tests.core.test_queue import (
    test_rows_nobody_can_send_do_not_starve_the_others as test_pg_no_starving,
)
from tests.gateway.seed import seed_shop
from tests.handoff.test_staff_reply import (
    test_a_crash_while_queueing_leaves_nothing_and_the_retry_sends_once as test_pg_crash,
)
from tests.handoff.test_staff_reply import (
    test_concurrent_deliveries_of_one_slack_message_relay_once as test_pg_concurrent_reply,
)
from tests.postgres import SERVER_URL, scratch_database

pytestmark = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)

__all__ = [
    "actions",
    "make_pipeline",
    "test_pg_claim",
    "test_pg_concurrent_reply",
    "test_pg_crash",
    "test_pg_fenced",
    "test_pg_foreign_ids",
    "test_pg_handoff_record",
    "test_pg_legacy_key",
    "test_pg_longest_due",
    "test_pg_no_starving",
    "test_pg_not_written",
    "test_pg_order",
    "test_pg_pipeline_record",
    "test_pg_racing_record",
    "test_pg_repeat",
    "test_pg_retry",
    "web_pipeline",
]


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    """A scratch PostgreSQL database with the gateway tests' shop rows."""
    async with scratch_database("shop_test") as url:
        db = create_engine(url)
        try:
            await seed_shop(db)
            yield db
        finally:
            await db.dispose()

"""The scrape-time gauges on PostgreSQL (the scale-out database): the same tests as on SQLite,
with ``engine`` a scratch PostgreSQL database (SHOP_TEST_POSTGRES_URL; skipped without it)."""

from __future__ import annotations

import pytest

from tests.core.test_on_postgres import SERVER_URL
from tests.core.test_on_postgres import engine as engine  # the fixture
from tests.observability.test_metrics import (
    test_backlog_and_handoff_gauges_read_the_database as test_pg_backlog,
)
from tests.observability.test_metrics import (
    test_the_gauges_are_cached_between_close_scrapes as test_pg_cache,
)

pytestmark = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)

__all__ = ["engine", "test_pg_backlog", "test_pg_cache"]

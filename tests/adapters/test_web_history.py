"""adapters.web.history on the stored rows: ordering by time across the inbox and the outbox,
ties at the same instant, cursors, on SQLite and (with SHOP_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.web.history import Cursor, history_page
from bot.storage.schema import inbox, outbox
from tests.postgres import schema_engine

T0 = datetime(2026, 3, 15, 8, 0, 0, 123456, tzinfo=UTC)
CONVERSATION = "web:u-history"


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with schema_engine(request.param, str(tmp_path / "history.db"), "shop_history") as db:
        yield db


async def customer(engine: AsyncEngine, text: str, at: datetime, **extra: Any) -> str:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(inbox).values(
                conversation_id=extra.pop("conversation_id", CONVERSATION),
                channel="web",
                external_id="u-history",
                text=text,
                attachments=[],
                meta={},
                address={},
                status="done",
                attempts=1,
                next_attempt_at=at,
                received_at=at,
                holding_sent=False,
                **extra,
            )
        )
    return f"c{result.inserted_primary_key[0]}"


async def bot(engine: AsyncEngine, text: str, at: datetime, status: str = "sent") -> str:
    async with engine.begin() as conn:
        result = await conn.execute(
            insert(outbox).values(
                conversation_id=CONVERSATION,
                channel="web",
                external_id="u-history",
                address={},
                message={"text": text},
                kind="reply",
                status=status,
                attempts=1,
                next_attempt_at=at,
                delivered_inline=True,
                created_at=at,
            )
        )
    return f"b{result.inserted_primary_key[0]}"


def cursor(message_id: str) -> Cursor:
    return Cursor(message_id[0], int(message_id[1:]))


async def test_pages_of_one_walk_back_through_ties_and_a_late_reply(engine: AsyncEngine) -> None:
    same = T0 + timedelta(seconds=5)
    expected = [
        await customer(engine, "hi", T0),
        # Written before "hi" by id, but later in time: a reply that waited for Rasa.
        await bot(engine, "late answer to hi", T0 + timedelta(seconds=9)),
        await customer(engine, "at the same instant", same),
        await bot(engine, "tie one", same),
        await bot(engine, "tie two", same),
    ]
    await bot(engine, "still pending", T0 + timedelta(seconds=10), status="pending")
    await customer(engine, "another conversation", T0, conversation_id="web:someone-else")
    by_time = [expected[0], expected[2], expected[3], expected[4], expected[1]]

    whole = await history_page(engine, CONVERSATION, before=None, limit=100)
    assert [m["id"] for m in whole["messages"]] == by_time
    assert whole["next_before"] is None
    assert [m["from"] for m in whole["messages"]] == ["customer", "customer", "bot", "bot", "bot"]
    assert whole["messages"][0]["at"] == T0.isoformat()

    walked: list[str] = []
    before: Cursor | None = None
    for _ in range(10):
        page = await history_page(engine, CONVERSATION, before=before, limit=1)
        walked = [m["id"] for m in page["messages"]] + walked
        if page["next_before"] is None:
            break
        before = cursor(page["next_before"])
    assert walked == by_time

    two = await history_page(engine, CONVERSATION, before=cursor(by_time[3]), limit=2)
    assert [m["id"] for m in two["messages"]] == by_time[1:3]
    assert two["next_before"] == by_time[1]

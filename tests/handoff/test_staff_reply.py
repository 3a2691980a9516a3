"""A staff reply reaches the customer exactly once: Slack retries, concurrent deliveries of one
event and a crash while it is queued neither lose nor repeat it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core import store as message_log
from bot.core.outbox import utcnow
from bot.storage.schema import handoff_messages, outbox
from tests.handoff.harness import STAFF, Harness, MakeHarness, eventually

REPLY = "Anna: your parcel is on its way"


async def _claimed(make_harness: MakeHarness) -> tuple[Harness, int]:
    h = await make_harness()
    await h.say("real person")
    record = await h.record()
    assert (await h.service.claim(record.id, STAFF)).result == "ok"
    await eventually(lambda: len(h.sender.sent) == 1)  # "Anna from our team is here ..."
    return h, record.id


async def _queued_replies(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(select(outbox).order_by(outbox.c.id))
        return [dict(r._mapping) for r in found if r.message.get("text") == REPLY]


async def _staff_rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(handoff_messages).where(handoff_messages.c.direction == "staff")
        )
        return [dict(r._mapping) for r in found]


async def _reply(h: Harness, handoff_id: int, ts: str = "1700000001.000100") -> str:
    outcome = await h.service.staff_reply(
        handoff_id, STAFF, text="your parcel is on its way", slack_ts=ts
    )
    return outcome.result


async def test_a_retried_slack_event_is_relayed_once(make_harness: MakeHarness) -> None:
    h, handoff_id = await _claimed(make_harness)
    assert await _reply(h, handoff_id) == "ok"
    assert await _reply(h, handoff_id) == "ok"  # Slack delivers the event again
    await eventually(lambda: REPLY in h.sender.texts())
    await asyncio.sleep(0.1)
    assert h.sender.texts().count(REPLY) == 1
    assert len(await _queued_replies(h.engine)) == 1
    [row] = await _staff_rows(h.engine)
    assert (row["status"], row["staff_user"]) == ("sent", STAFF.user_id)


async def test_concurrent_deliveries_of_one_slack_message_relay_once(
    make_harness: MakeHarness,
) -> None:
    h, handoff_id = await _claimed(make_harness)
    results = await asyncio.gather(*(_reply(h, handoff_id) for _ in range(3)))
    assert results == ["ok", "ok", "ok"]
    await eventually(lambda: REPLY in h.sender.texts())
    await asyncio.sleep(0.1)
    assert h.sender.texts().count(REPLY) == 1
    assert len(await _queued_replies(h.engine)) == 1
    assert len(await _staff_rows(h.engine)) == 1


async def test_a_crash_while_queueing_leaves_nothing_and_the_retry_sends_once(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h, handoff_id = await _claimed(make_harness)
    original = message_log.save_outgoing

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the gateway stopped")  # after the outbox rows were written

    monkeypatch.setattr(message_log, "save_outgoing", crash)
    with pytest.raises(RuntimeError):
        await _reply(h, handoff_id)
    assert await _queued_replies(h.engine) == []
    assert await _staff_rows(h.engine) == []

    monkeypatch.setattr(message_log, "save_outgoing", original)
    assert await _reply(h, handoff_id) == "ok"  # Slack retries the event
    await eventually(lambda: REPLY in h.sender.texts())
    await asyncio.sleep(0.1)
    assert h.sender.texts().count(REPLY) == 1
    assert len(await _queued_replies(h.engine)) == 1


async def test_a_reply_an_older_version_left_pending_is_sent_once(
    make_harness: MakeHarness,
) -> None:
    h, handoff_id = await _claimed(make_harness)
    now = utcnow()
    async with h.engine.begin() as conn:  # stored, then the old gateway stopped
        await conn.execute(
            insert(handoff_messages).values(
                handoff_id=handoff_id,
                direction="staff",
                text="your parcel is on its way",
                attachments=[],
                staff_user=STAFF.user_id,
                staff_name=STAFF.name,
                slack_ts="1700000001.000100",
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await asyncio.gather(_reply(h, handoff_id), _reply(h, handoff_id))
    await eventually(lambda: REPLY in h.sender.texts())
    assert await _reply(h, handoff_id) == "ok"
    await asyncio.sleep(0.1)
    assert h.sender.texts().count(REPLY) == 1
    [row] = await _staff_rows(h.engine)
    assert row["status"] == "sent"

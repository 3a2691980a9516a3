"""The leased queue (claim, lease, retry with backoff, give up, reclaim, per-group order) and
the worker loop (poll, wake-up, failing rounds, graceful stop)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import DeliveryConfig
from bot.core.inbox import Inbox
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import NewMessage, Outbox
from bot.core.queue import LeaseLost, backoff_s, retry_delay_s, utcnow, wait_s
from bot.core.worker import WorkerLoop
from bot.storage.schema import outbox
from tests.core.test_pipeline import FAST, PipelineFactory, RecordingSender, eventually
from tests.core.test_pipeline import make_pipeline as make_pipeline  # the fixture

DELIVERY = DeliveryConfig(retry_base_s=1.0, retry_max_s=8.0, outbox_max_attempts=4)


def _new(conversation: str, text: str, channel: str = "telegram") -> NewMessage:
    external_id = conversation.partition(":")[2]
    return NewMessage(conversation, channel, external_id, OutgoingMessage(text=text))


async def _row(engine: AsyncEngine, item_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(select(outbox).where(outbox.c.id == item_id))).one()
    return dict(row._mapping)


# --- backoff -------------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_s(DELIVERY, n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_s(DELIVERY, 0) == 1.0
    assert wait_s(DELIVERY, 1, retry_after=30.0) == 30.0


@pytest.mark.parametrize(
    ("attempts", "kwargs", "expected"),
    [
        (1, {}, 1.0),
        (3, {}, 4.0),
        (4, {}, None),  # outbox_max_attempts reached
        (1, {"permanent": True}, None),
        (2, {"retry_after": 10.0}, 10.0),
        (4, {"max_attempts": 10}, 8.0),
    ],
)
def test_retry_delay(attempts: int, kwargs: dict[str, Any], expected: float | None) -> None:
    assert retry_delay_s(DELIVERY, attempts, **kwargs) == expected


# --- the queue on the outbox table ---------------------------------------------------------------


async def test_claim_leases_once_and_a_lapsed_lease_is_reclaimed(engine: AsyncEngine) -> None:
    box = Outbox(engine)
    [item_id] = await box.add([_new("telegram:1", "a")])
    now = utcnow()
    assert await box.claim(item_id, now, lease_s=30)
    assert not await box.claim(item_id, now, lease_s=30)  # another worker has it
    assert await box.due(now) == []  # nor is it handed out while leased
    later = now + timedelta(seconds=31)
    [lapsed] = await box.due(later)
    assert lapsed.id == item_id
    assert await box.claim(item_id, later, lease_s=30)
    row = await _row(engine, item_id)
    assert (row["status"], row["attempts"]) == ("sending", 2)


async def test_retry_give_up_and_done(engine: AsyncEngine) -> None:
    box = Outbox(engine)
    first, second = await box.add([_new("telegram:1", "a"), _new("telegram:2", "b")])
    now = utcnow()
    await box.claim(first, now, lease_s=30)
    assert await box.queue.attempt_failed(first, delay_s=5.0, now=now, error="x" * 3000)
    row = await _row(engine, first)
    assert (row["status"], row["lease_until"], len(row["last_error"])) == ("pending", None, 2000)
    assert [i.id for i in await box.due(now)] == [second]  # the retry is not due yet
    assert first in [i.id for i in await box.due(now + timedelta(seconds=5))]
    assert not await box.queue.attempt_failed(first, delay_s=None, now=now, error="blocked")
    assert (await _row(engine, first))["status"] == "dead"
    await box.mark_sent(second)
    assert (await _row(engine, second))["status"] == "sent"
    assert await box.due(now + timedelta(hours=1)) == []


async def test_release_all_gives_back_leased_rows(engine: AsyncEngine) -> None:
    box = Outbox(engine)
    ids = await box.add([_new("telegram:1", "a"), _new("telegram:2", "b")])
    now = utcnow()
    for item_id in ids:
        await box.claim(item_id, now, lease_s=300)
    assert await box.release_all() == 2
    assert sorted(i.id for i in await box.due(now)) == ids


async def test_only_a_conversations_first_open_message_is_due(engine: AsyncEngine) -> None:
    box = Outbox(engine)
    a1, a2, b1 = await box.add(
        [_new("telegram:1", "a1"), _new("telegram:1", "a2"), _new("telegram:2", "b1")]
    )
    now = utcnow()
    assert [i.id for i in await box.due(now)] == [a1, b1]
    await box.claim(a1, now, lease_s=30)
    # a1 is being sent: a2 waits for it instead of overtaking it.
    assert [i.id for i in await box.due(now)] == [b1]
    await box.mark_sent(a1)
    assert [i.id for i in await box.due(now)] == [a2, b1]


async def test_rows_nobody_can_send_do_not_starve_the_others(engine: AsyncEngine) -> None:
    box = Outbox(engine)
    # 250 messages for a channel this gateway has no sender for, in 250 conversations, and
    # 250 more queued behind one busy conversation: all older than the one that can go.
    await box.add([_new(f"wechat:{n}", "x", channel="wechat") for n in range(250)])
    await box.add([_new("telegram:busy", f"m{n}") for n in range(250)])
    [waiting] = await box.add([_new("telegram:2", "hello")])
    due = await box.due(utcnow(), limit=200, channels=("telegram",))
    assert waiting in [i.id for i in due]
    assert {i.channel for i in due} == {"telegram"}
    assert len([i for i in due if i.conversation_id == "telegram:busy"]) == 1


async def test_a_disabled_channels_backlog_does_not_stall_delivery(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    await Outbox(engine).add([_new(f"wechat:{n}", "x", channel="wechat") for n in range(250)])
    sender = RecordingSender()
    pipeline = await make_pipeline(sender, delivery=FAST)
    await pipeline.submit(IncomingMessage(channel="telegram", external_id="7", text="hi"))

    async def answered() -> bool:
        return len(sender.sent) == 2

    await eventually(answered)
    async with engine.connect() as conn:
        statuses = {r.status for r in await conn.execute(select(outbox.c.status))}
    assert "pending" in statuses  # the WeChat messages wait, untouched, for a WeChat gateway


# --- the worker loop -----------------------------------------------------------------------------


async def test_worker_loop_polls_wakes_survives_errors_and_stops_gracefully() -> None:
    rounds: list[str] = []
    finishing = asyncio.Event()

    async def tick() -> None:
        rounds.append("round")
        if len(rounds) == 2:
            raise RuntimeError("a bad round")
        if finishing.is_set():
            await asyncio.sleep(0.05)  # a round in progress when stop() is called
            rounds.append("finished")

    interval = 10.0
    loop = WorkerLoop("test-worker", tick, interval_s=lambda: interval)
    loop.start()
    loop.wake()
    await eventually_true(lambda: len(rounds) == 1)
    loop.wake()  # this round fails; the loop goes on
    await eventually_true(lambda: len(rounds) == 2)
    interval = 0.01  # read each time: polls without a wake-up
    loop.wake()
    await eventually_true(lambda: len(rounds) >= 4)
    finishing.set()
    await asyncio.sleep(0.02)
    await loop.stop()
    assert rounds[-1] == "finished" and not loop.running
    count = len(rounds)
    await asyncio.sleep(0.05)
    assert len(rounds) == count


async def eventually_true(check: Any, within_s: float = 2.0) -> None:
    async def wrapped() -> bool:
        return bool(check())

    await eventually(wrapped, within_s)


async def test_a_worker_whose_lease_was_taken_over_writes_nothing(engine: AsyncEngine) -> None:
    """Two gateways: the first one's claim ran out and the second claimed the message; the
    first one's answer (outbox rows and the inbox row's close, one transaction) is rolled back,
    the second one's counts."""
    inbox = Inbox(engine)
    box = Outbox(engine)
    accepted = await inbox.accept(IncomingMessage(channel="web", external_id="u1", text="hi"))
    now = utcnow()
    assert await inbox.claim(accepted.id, now, lease_s=1)  # gateway A: attempt 1
    later = now + timedelta(seconds=2)
    assert await inbox.claim(accepted.id, later, lease_s=30)  # gateway B: attempt 2
    reply = NewMessage("web:u1", "web", "u1", OutgoingMessage(text="A"), inbox_id=accepted.id)
    with pytest.raises(LeaseLost):
        async with engine.begin() as conn:
            await box.add([reply], conn=conn)
            await inbox.complete(conn, accepted.id, attempts=1)
    with pytest.raises(LeaseLost):
        await inbox.defer(accepted.id, when=later, error="x", holding_sent=False, attempts=1)
    async with engine.connect() as conn:
        assert (await conn.execute(select(outbox.c.id))).all() == []
    async with engine.begin() as conn:
        await box.add([reply], conn=conn)
        await inbox.complete(conn, accepted.id, attempts=2)
    item = await inbox.get(accepted.id)
    assert item is not None and item.status == "done"
    assert [i.message.text for i in await box.for_inbox(accepted.id)] == ["A"]
    with pytest.raises(LeaseLost):  # finished: nobody's claim holds any more
        async with engine.begin() as conn:
            await inbox.fail(conn, accepted.id, "late", attempts=2)


async def test_a_message_waited_for_on_one_gateway_is_left_to_it_for_a_while(
    engine: AsyncEngine,
) -> None:
    """The web chat's sender waits on the gateway that stored the message: other replicas'
    workers leave it to that gateway (whose in-process waiter would otherwise only time out)
    unless it has not claimed it within the grace period (it died)."""
    from bot.core.inbox import OWNER_GRACE

    inbox = Inbox(engine)
    now = utcnow()
    waited = await inbox.accept(
        IncomingMessage(channel="web", external_id="u1", text="hi"),
        inline_until=now + timedelta(seconds=30),
    )
    queued = await inbox.accept(IncomingMessage(channel="telegram", external_id="7", text="hi"))
    assert await inbox.due_conversations(now + timedelta(seconds=1)) == ["telegram:7"]
    later = now + OWNER_GRACE + timedelta(seconds=1)
    assert sorted(await inbox.due_conversations(later)) == ["telegram:7", "web:u1"]
    # The gateway it waits on claims it at once all the same.
    assert await inbox.claim(waited.id, now, lease_s=30)
    assert queued.id != waited.id

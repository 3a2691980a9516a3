"""The conversation record: written by the pipeline (address, customer, language) and the
handoff (owner and handoff state), read for messages the bot starts itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.conversations import Conversation, ConversationStore, owner_of
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.pipeline import Pipeline
from bot.gateway.notify import OutboxTicketNotifier
from bot.services.tickets import TicketEvent
from bot.services.types import Ticket
from bot.storage.schema import conversations
from tests.core.test_pipeline import PipelineFactory, RecordingSender, eventually
from tests.core.test_pipeline import make_pipeline as make_pipeline  # the fixture
from tests.gateway.seed import EMMA
from tests.handoff.harness import STAFF, MakeHarness
from tests.handoff.harness import eventually as eventually_true


async def _record(pipeline: Pipeline, conversation_id: str) -> Conversation:
    record = await pipeline.conversations.get(conversation_id)
    assert record is not None
    return record


async def test_the_pipeline_records_address_customer_and_language(
    make_pipeline: PipelineFactory,
) -> None:
    pipeline = await make_pipeline()
    assert await pipeline.conversations.get("web:demo-emma") is None
    hello = IncomingMessage(channel="web", external_id="demo-emma", text="hello there")
    await pipeline.submit(hello, address={"page": "a"}, wait_s=5)
    first = await _record(pipeline, "web:demo-emma")
    assert (first.channel, first.external_id, first.customer_id) == ("web", "demo-emma", EMMA)
    assert (first.language, dict(first.address), first.owner) == ("en", {"page": "a"}, "bot")
    assert first.handoff_id is None and first.handoff_state is None

    chinese = IncomingMessage(channel="web", external_id="demo-emma", text="我的订单在哪里")
    await pipeline.submit(chinese, address={"page": "b"}, wait_s=5)
    second = await _record(pipeline, "web:demo-emma")
    assert (second.language, dict(second.address)) == ("zh", {"page": "b"})
    assert second.created_at == first.created_at and second.updated_at >= first.updated_at
    assert second.reply_address() == {"page": "b", "lang": "zh"}


async def test_notify_sends_to_the_recorded_address_or_else_the_latest_inbox_row(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    hello = IncomingMessage(channel="telegram", external_id="42", text="hello")
    await pipeline.submit(hello, address={"chat_id": 42})

    async def answered() -> bool:
        return len(sender.sent) == 2

    await eventually(answered)
    async with engine.begin() as conn:  # the record is what counts
        await conn.execute(
            update(conversations)
            .where(conversations.c.conversation_id == "telegram:42")
            .values(address={"chat_id": 4242}, language="zh")
        )
    await pipeline.notify("telegram:42", [OutgoingMessage(text="one")])

    async def notified() -> bool:
        return len(sender.sent) == 3

    await eventually(notified)
    assert sender.sent[2].address == {"chat_id": 4242, "lang": "zh"}

    async with engine.begin() as conn:  # a conversation from before the record existed
        await conn.execute(delete(conversations))
    await pipeline.notify("telegram:42", [OutgoingMessage(text="two")])

    async def fallback() -> bool:
        return len(sender.sent) == 4

    await eventually(fallback)
    assert sender.sent[3].address == {"chat_id": 42, "lang": "en"}


async def test_handoff_owner_and_state_follow_start_claim_and_resolve(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness()
    await h.say("hello")
    assert (await _record(h.pipeline, "telegram:501")).owner == "bot"

    await h.say("I want to talk to a real person")
    handoff = await h.record()
    started = await _record(h.pipeline, "telegram:501")
    assert (started.owner, started.handoff_id, started.handoff_state) == (
        "staff",
        handoff.id,
        "waiting",
    )
    assert dict(started.address) == {"chat_id": 501}

    await h.service.claim(handoff.id, STAFF)
    claimed = await _record(h.pipeline, "telegram:501")
    assert (claimed.owner, claimed.handoff_state) == ("staff", "active")

    await h.service.resolve(handoff.id, STAFF)
    resolved = await _record(h.pipeline, "telegram:501")
    assert (resolved.owner, resolved.handoff_id, resolved.handoff_state) == (
        "bot",
        handoff.id,
        "resolved",
    )
    await eventually_true(lambda: any("rate" in (t or "") for t in h.sender.texts()))


async def test_the_customer_going_back_to_the_bot_and_closing(make_harness: MakeHarness) -> None:
    h = await make_harness()
    await h.say("real person")
    await h.say("back to bot")
    cancelled = await _record(h.pipeline, "telegram:501")
    assert (cancelled.owner, cancelled.handoff_state) == ("bot", "cancelled")

    await h.say("real person")
    second = await h.record()
    assert (await _record(h.pipeline, "telegram:501")).handoff_id == second.id
    await h.service.close_handoff(second.id, STAFF)
    closed = await _record(h.pipeline, "telegram:501")
    assert (closed.owner, closed.handoff_id, closed.handoff_state) == ("bot", second.id, "closed")


async def test_writers_racing_to_create_a_record_both_succeed(engine: AsyncEngine) -> None:
    store = ConversationStore(engine)
    await asyncio.gather(
        *(
            store.identified(
                "wechat:o1", channel="wechat", external_id="o1", customer_id=None, language=lang
            )
            for lang in ("zh", "en", "zh")
        )
    )
    record = await store.get("wechat:o1")
    assert record is not None and record.language in ("zh", "en") and record.owner == "bot"


def test_owner_of_handoff_states() -> None:
    assert [owner_of(s) for s in ("waiting", "active", "message")] == ["staff"] * 3
    assert {owner_of(s) for s in ("resolved", "closed", "cancelled", "expired")} == {"bot"}


async def test_ticket_notices_go_to_the_recorded_address(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    await pipeline.submit(
        IncomingMessage(channel="telegram", external_id="42", text="退货"), address={"chat_id": 42}
    )

    async def answered() -> bool:
        return len(sender.sent) == 2

    await eventually(answered)
    now = datetime.now(UTC)
    ticket = Ticket(
        id="TK-1", kind="return", order_id=None, customer_id=None, status="rejected",
        category=None, payload={"language": "zh"}, channel="telegram", sender_id="telegram:42",
        created_at=now, updated_at=now,
    )  # fmt: skip
    event = TicketEvent(1, "TK-1", now, "staff:x", "requested", "rejected", None)
    notifier = OutboxTicketNotifier(pipeline, timezone="Asia/Shanghai")
    await notifier.notify(ticket, event)

    async def notified() -> bool:
        return len(sender.sent) == 3

    await eventually(notified)
    assert (sender.sent[2].kind, sender.sent[2].address) == (
        "notice",
        {"chat_id": 42, "lang": "zh"},
    )
    nowhere = replace(ticket, sender_id="telegram:nobody")
    await notifier.notify(nowhere, event)  # never wrote: logged, not raised

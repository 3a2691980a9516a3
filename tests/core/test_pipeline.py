"""The pipeline: inbox -> Rasa -> outbox -> sender, ordering, dedupe, outages and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import DeliveryConfig
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import DeliveryError, OutboxItem, utcnow
from bot.core.pipeline import (
    FAILED_TEXT,
    HOLDING_TEXT,
    KeyedLocks,
    LanguageMemory,
    Pipeline,
    rasa_text,
)
from bot.core.rasa_client import RasaClient
from bot.storage.schema import inbox, outbox
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import stored_messages

FAST = DeliveryConfig(
    poll_interval_s=0.02, retry_base_s=0.02, retry_max_s=0.1, holding_every_s=300.0
)


class RecordingSender:
    """A channel that records what it was asked to send and fails on demand."""

    def __init__(self, channel: str = "telegram") -> None:
        self.channel = channel
        self.sent: list[OutboxItem] = []
        self.failures: list[DeliveryError] = []  # raised, one per attempt, before succeeding
        self.attempts = 0

    async def send(self, item: OutboxItem) -> None:
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(item)

    def texts(self) -> list[str | None]:
        return [i.message.text for i in self.sent]


PipelineFactory = Callable[..., Awaitable[Pipeline]]


@pytest.fixture
async def make_pipeline(
    engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[PipelineFactory]:
    made: list[tuple[Pipeline, RasaClient]] = []

    async def make(
        *senders: RecordingSender, start: bool = True, reclaim: bool = False, **kwargs: Any
    ) -> Pipeline:
        rasa = RasaClient(fake_rasa.url, actions_url, timeout_s=5)
        await rasa.start()
        pipeline = Pipeline(engine, rasa, delivery=kwargs.pop("delivery", FAST), **kwargs)
        for sender in senders:
            pipeline.add_sender(sender)
        if start:
            await pipeline.start(reclaim=reclaim)
        made.append((pipeline, rasa))
        return pipeline

    yield make
    for pipeline, rasa in made:
        await pipeline.close()
        await rasa.close()


@pytest.fixture
async def pipeline(make_pipeline: PipelineFactory) -> Pipeline:
    return await make_pipeline()


async def eventually(check: Callable[[], Awaitable[bool]], within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def rows(engine: AsyncEngine, table: Any, **where: Any) -> list[dict[str, Any]]:
    query = select(table).order_by(table.c.id)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]


def tg(text: str | None = None, *, user: str = "42", payload: str | None = None) -> IncomingMessage:
    return IncomingMessage(channel="telegram", external_id=user, text=text, payload=payload)


async def test_messages_reach_rasa_in_arrival_order(
    pipeline: Pipeline, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.delay_s = 0.02
    texts = [f"turn {i}" for i in range(10)]
    tasks = [asyncio.create_task(pipeline.handle(tg(t))) for t in texts]
    replies = await asyncio.gather(*tasks)
    assert fake_rasa.messages() == texts
    assert [r.messages[0].text for r in replies] == [f"Which order? ({t})" for t in texts]
    assert all(r.outcome == "answered" and r.ok for r in replies)
    assert fake_rasa.max_in_flight_per_sender == 1
    stored = await stored_messages(engine, "telegram:42")
    assert [r["text"] for r in stored if r["direction"] == "in"] == texts

    async def no_lock_left() -> bool:
        return len(pipeline.locks) == 0

    await eventually(no_lock_left)
    # Replies handed back inline are marked sent and never sent again by the worker.
    assert {r["status"] for r in await rows(engine, outbox)} == {"sent"}


async def test_the_waiting_caller_claims_its_replies_before_the_next_claim(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conversation's next claim (is another message open?) waits for the caller's
    inline claim, so it is not on the answer's critical path."""
    calls: list[str] = []
    claim_next, claim_inline = pipeline.inbox.claim_next, pipeline.outbox.claim_inline

    async def next_spy(*args: Any, **kwargs: Any) -> Any:
        item = await claim_next(*args, **kwargs)
        calls.append("next" if item is not None else "next: none")
        return item

    async def inline_spy(*args: Any, **kwargs: Any) -> Any:
        claimed = await claim_inline(*args, **kwargs)
        calls.append("inline")
        return claimed

    monkeypatch.setattr(pipeline.inbox, "claim_next", next_spy)
    monkeypatch.setattr(pipeline.outbox, "claim_inline", inline_spy)
    reply = await pipeline.handle(tg("where is my order"))
    assert reply.outcome == "answered" and reply.messages

    async def drained() -> bool:
        return len(pipeline.locks) == 0

    await eventually(drained)
    assert calls == ["next", "inline", "next: none"]


async def test_channel_is_part_of_the_conversation(pipeline: Pipeline, fake_rasa: FakeRasa) -> None:
    await pipeline.handle(IncomingMessage(channel="web", external_id="demo-liwei", text="你好"))
    await pipeline.handle(IncomingMessage(channel="slack", external_id="demo-liwei", text="hi"))
    assert [(r["sender"], r["metadata"]["customer_id"]) for r in fake_rasa.requests] == [
        ("web:demo-liwei", "C0001"),
        ("slack:demo-liwei", None),  # the identity is per channel
    ]
    assert [r["metadata"]["inbox_id"] for r in fake_rasa.requests] == [1, 2]


async def test_queued_messages_are_sent_through_the_channel_in_order(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    for text in ("first", "second"):
        reply = await pipeline.submit(tg(text), address={"chat_id": 42})
        assert reply.outcome == "queued" and not reply.messages

    async def four_sent() -> bool:
        return len(sender.sent) == 4

    await eventually(four_sent)
    assert sender.texts() == ["Which order? (first)", None, "Which order? (second)", None]
    assert sender.sent[1].message.image == "/products/P0001.svg"
    assert sender.sent[0].address == {"chat_id": 42, "lang": "en"}
    assert sender.sent[0].message.buttons[0].payload.startswith("/inform")
    assert {r["status"] for r in await rows(engine, outbox)} == {"sent"}
    assert {r["status"] for r in await rows(engine, inbox)} == {"done"}


async def test_a_repeated_update_is_processed_once(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    first = await pipeline.submit(tg("hello"), dedupe_key="update:7")
    again = await pipeline.submit(tg("hello"), dedupe_key="update:7")
    assert (first.outcome, again.outcome, again.inbox_id) == ("queued", "duplicate", first.inbox_id)

    async def sent() -> bool:
        return len(sender.sent) == 2

    await eventually(sent)
    await asyncio.sleep(0.1)
    assert fake_rasa.messages() == ["hello"]
    assert len(sender.sent) == 2
    # A repeated request that waits gets the first answer back, not a second run.
    repeat = await pipeline.submit(tg("hello"), dedupe_key="update:7", wait_s=1)
    assert repeat.outcome == "duplicate"
    assert repeat.messages[0].text == "Which order? (hello)"
    assert fake_rasa.messages() == ["hello"]


async def test_rasa_down_holds_then_answers_once_in_order(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    fake_rasa.status = 503
    await pipeline.submit(tg("我的订单在哪"), address={"chat_id": 42})
    await pipeline.submit(tg("还有吗"), address={"chat_id": 42})

    async def holding_sent() -> bool:
        return sender.texts() == [HOLDING_TEXT["zh"]]

    await eventually(holding_sent)
    await asyncio.sleep(0.2)  # several retries while Rasa is down
    assert sender.texts() == [HOLDING_TEXT["zh"]]  # one holding reply, not one per retry
    # Both kept, neither answered nor given up (one may be mid-retry at this instant).
    statuses = [r["status"] for r in await rows(engine, inbox)]
    assert len(statuses) == 2 and set(statuses) <= {"pending", "processing"}, statuses
    fake_rasa.status = 200

    async def answered() -> bool:
        return len(sender.sent) == 5

    await eventually(answered)
    assert fake_rasa.handled() == ["我的订单在哪", "还有吗"]  # each once, in order
    assert sender.texts()[1] == "请问是哪个订单？（我的订单在哪）"
    assert sender.texts()[3] == "请问是哪个订单？（还有吗）"


async def test_an_inline_request_gets_the_holding_text_and_the_answer_follows(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa
) -> None:
    web = RecordingSender("web")
    pipeline = await make_pipeline(web)
    fake_rasa.status = 503
    reply = await pipeline.submit(
        IncomingMessage(channel="web", external_id="w1", text="where is my order"), wait_s=5
    )
    assert reply.outcome == "held" and reply.error is not None
    assert [m.text for m in reply.messages] == [HOLDING_TEXT["en"]]
    fake_rasa.status = 200

    async def answered() -> bool:
        return len(web.sent) == 2

    await eventually(answered)
    assert web.texts()[0] == "Which order? (where is my order)"
    assert fake_rasa.handled() == ["where is my order"]


async def test_platform_errors_are_retried_and_the_order_kept(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    sender.failures = [DeliveryError("HTTP 500"), DeliveryError("HTTP 502")]
    pipeline = await make_pipeline(sender)
    await pipeline.submit(tg("one"))

    async def sent() -> bool:
        return len(sender.sent) == 2

    await eventually(sent)
    assert sender.attempts == 4
    assert sender.texts() == ["Which order? (one)", None]  # the image never overtook the text
    first = (await rows(engine, outbox))[0]
    assert (first["status"], first["attempts"]) == ("sent", 3)


async def test_retry_after_is_respected(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    sender.failures = [DeliveryError("429 Too Many Requests", retry_after=30)]
    pipeline = await make_pipeline(sender)
    before = utcnow()
    await pipeline.submit(tg("one"))

    async def deferred() -> bool:
        return sender.attempts == 1 and (await rows(engine, outbox))[0]["status"] == "pending"

    await eventually(deferred)
    await asyncio.sleep(0.1)
    assert sender.attempts == 1 and not sender.sent
    row = (await rows(engine, outbox))[0]
    assert row["next_attempt_at"].replace(tzinfo=before.tzinfo) >= before + timedelta(seconds=29)


async def test_a_permanent_error_gives_up_that_message_only(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    sender.failures = [DeliveryError("Forbidden: bot was blocked by the user", permanent=True)]
    pipeline = await make_pipeline(sender)
    await pipeline.submit(tg("one"))

    async def rest_sent() -> bool:
        return len(sender.sent) == 1

    await eventually(rest_sent)
    assert [r["status"] for r in await rows(engine, outbox)] == ["dead", "sent"]


async def test_a_restart_between_receiving_and_answering_loses_nothing(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.status = 503
    before = RecordingSender()
    first = await make_pipeline(before)
    await first.submit(tg("where is 260315004217"), address={"chat_id": 42})
    await eventually(lambda: _status_is(engine, "pending", attempts=1))
    await first.close()  # the gateway stops; the message is only in the inbox

    fake_rasa.status = 200
    sender = RecordingSender()
    await make_pipeline(sender)  # a new gateway process on the same database

    async def answered() -> bool:
        return len(sender.sent) >= 2 and sender.sent[-1].message.image is not None

    await eventually(answered)
    await asyncio.sleep(0.1)
    assert fake_rasa.handled() == ["where is 260315004217"]
    everything = before.texts() + sender.texts()
    # The holding reply went out once (before or after the restart), then the answer, once.
    assert everything == [HOLDING_TEXT["en"], "Which order? (where is 260315004217)", None]


async def _status_is(engine: AsyncEngine, status: str, *, attempts: int) -> bool:
    found = await rows(engine, inbox)
    return bool(found) and found[0]["status"] == status and found[0]["attempts"] >= attempts


async def test_a_message_rasa_already_answered_is_not_sent_again(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    # The gateway died after Rasa answered but before it stored the replies: the row is left
    # "processing" with a lease that has run out.
    idle = await make_pipeline(start=False)
    accepted = await idle.inbox.accept(tg("hello"), address={"chat_id": 42})
    rasa = idle.rasa
    await rasa.send(
        "telegram:42",
        "hello",
        {  # what the dead process had sent
            "channel": "telegram",
            "external_id": "42",
            "customer_id": None,
            "language": "en",
            "inbox_id": accepted.id,
        },
    )
    async with engine.begin() as conn:
        await conn.execute(
            update(inbox)
            .where(inbox.c.id == accepted.id)
            .values(status="processing", attempts=1, lease_until=utcnow() - timedelta(seconds=1))
        )
    sender = RecordingSender()
    await make_pipeline(sender)

    async def answered() -> bool:
        return len(sender.sent) == 2

    await eventually(answered)
    assert fake_rasa.messages() == ["hello"]  # Rasa saw it once
    assert sender.texts()[0] == "Which order? (hello)"


async def test_unusable_answers_are_given_up_with_an_apology(
    make_pipeline: PipelineFactory, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    fake_rasa.raw_body = b"<html>not json</html>"
    await pipeline.submit(tg("hello"))

    async def apologised() -> bool:
        return sender.texts() == [HOLDING_TEXT["en"], FAILED_TEXT["en"]]

    await eventually(apologised)
    assert [r["status"] for r in await rows(engine, inbox)] == ["failed"]


async def test_notify_reaches_the_latest_address(
    make_pipeline: PipelineFactory, engine: AsyncEngine
) -> None:
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    await pipeline.submit(tg("你好"), address={"chat_id": 42})

    async def answered() -> bool:
        return len(sender.sent) == 2

    await eventually(answered)
    await pipeline.notify("telegram:42", [OutgoingMessage(text="您的退货已批准")])

    async def notified() -> bool:
        return len(sender.sent) == 3

    await eventually(notified)
    assert sender.sent[2].kind == "notice"
    assert sender.sent[2].address == {"chat_id": 42, "lang": "zh"}
    with pytest.raises(LookupError):
        await pipeline.notify("telegram:nobody", [OutgoingMessage(text="x")])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (tg("hi"), "hi"),
        (tg(payload="/greet"), "/greet"),
    ],
)
def test_rasa_text(message: IncomingMessage, expected: str) -> None:
    assert rasa_text(message) == expected


async def test_keyed_locks_serialise_one_key_only() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(key: str, name: str, delay: float) -> None:
        async with locks.hold(key):
            order.append(f"{name} start")
            await asyncio.sleep(delay)
            order.append(f"{name} end")

    await asyncio.gather(work("a", "a1", 0.03), work("a", "a2", 0.0), work("b", "b1", 0.01))
    assert order.index("a1 end") < order.index("a2 start")
    assert order.index("b1 start") < order.index("a1 end")
    assert len(locks) == 0


async def test_keyed_locks_released_on_error() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    assert len(locks) == 0
    async with locks.hold("k"):
        pass


def test_language_memory_is_bounded_and_least_recent_goes_first() -> None:
    memory = LanguageMemory(capacity=2)
    memory.remember("a", "zh")
    memory.remember("b", "en")
    assert memory.get("a") == "zh"  # touches a
    memory.remember("c", "en")
    assert (memory.get("a"), memory.get("b"), memory.get("c")) == ("zh", None, "en")
    with pytest.raises(ValueError, match="capacity"):
        LanguageMemory(capacity=0)

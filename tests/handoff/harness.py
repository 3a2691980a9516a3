"""The handoff service on the real pipeline, for tests: a scripted Rasa (tests.gateway), a
recording channel and a recording staff desk (``make_harness``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import DeliveryError, OutboxItem
from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient
from bot.handoff.service import HandoffService
from bot.handoff.store import Handoff, HandoffMessage, StaffMember
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import make_config

FAST = {"poll_interval_s": 0.02, "retry_base_s": 0.02, "retry_max_s": 0.1}
ALL_DAY = {"service_hours": "00:00-24:00", "timezone": "Asia/Shanghai"}
STAFF = StaffMember("U0STAFF01", "Anna")
OTHER = StaffMember("U0STAFF02", "Bo")


class RecordingSender:
    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[OutboxItem] = []

    async def send(self, item: OutboxItem) -> None:
        self.sent.append(item)

    def texts(self) -> list[str | None]:
        return [i.message.text for i in self.sent]


@dataclass
class FakeDesk:
    """A staff desk that records what would be shown in Slack and fails on demand."""

    opened: list[Handoff] = field(default_factory=list)
    updated: list[Handoff] = field(default_factory=list)
    posted: list[tuple[int, HandoffMessage]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)  # raised by the next calls

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def open_thread(self, handoff: Handoff) -> tuple[str, str]:
        self._maybe_fail()
        self.opened.append(handoff)
        return "C0SUPPORT", f"1700000000.{handoff.id:06d}"

    async def update_thread(self, handoff: Handoff) -> None:
        self._maybe_fail()
        self.updated.append(handoff)

    async def post_message(self, handoff: Handoff, message: HandoffMessage) -> None:
        self._maybe_fail()
        self.posted.append((handoff.id, message))

    def customer_texts(self) -> list[str | None]:
        return [m.text for _, m in self.posted if m.direction == "customer"]


class KeywordScorer:
    """A stand-in sentiment model: strongly negative on a few angry words, mildly positive
    otherwise (the real model is trained and checked in tests/sentiment)."""

    ANGRY = ("terrible", "awful", "useless", "气死", "垃圾", "太差")

    def __init__(self) -> None:
        self.calls = 0

    def score(self, text: str) -> float:
        self.calls += 1
        return -0.9 if any(w in text.lower() for w in self.ANGRY) else 0.2


@dataclass
class Harness:
    engine: AsyncEngine
    rasa: FakeRasa
    pipeline: Pipeline
    service: HandoffService
    sender: RecordingSender
    desk: FakeDesk | None
    cfg: Config

    async def say(
        self, text: str | None = None, *, payload: str | None = None, user: str = "501"
    ) -> list[OutgoingMessage]:
        message = IncomingMessage(channel="telegram", external_id=user, text=text, payload=payload)
        reply = await self.pipeline.submit(message, address={"chat_id": int(user)}, wait_s=5)
        assert reply.outcome == "answered", reply
        return list(reply.messages)

    @property
    def staff(self) -> FakeDesk:
        if self.desk is None:
            raise AssertionError("this harness has no staff desk")
        return self.desk

    async def record(self, conversation: str = "telegram:501") -> Handoff:
        found = await self.service.store.latest_for(conversation)
        assert found is not None
        return found


async def eventually(check: Callable[[], Awaitable[bool] | bool], within_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[MakeHarness]:
    made: list[tuple[Pipeline, HandoffService, RasaClient]] = []

    async def make(
        *,
        desk: bool = True,
        sentiment: bool = True,
        shop: dict[str, Any] | None = None,
        **handoff: Any,
    ) -> Harness:
        cfg = make_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            delivery=FAST,
            shop=shop or ALL_DAY,
            handoff=handoff,
        )
        rasa = RasaClient(fake_rasa.url, actions_url, timeout_s=5)
        await rasa.start()
        sender = RecordingSender()
        pipeline = Pipeline(engine, rasa, delivery=cfg.delivery, senders={"telegram": sender})
        staff_desk = FakeDesk() if desk else None
        service = HandoffService(
            engine,
            rasa,
            pipeline,
            cfg,
            desk=staff_desk,
            sentiment=KeywordScorer() if sentiment else None,
        )
        pipeline.set_router(service)
        await pipeline.start()
        await service.start()
        made.append((pipeline, service, rasa))
        return Harness(engine, fake_rasa, pipeline, service, sender, staff_desk, cfg)

    yield make
    for pipeline, service, rasa in made:
        await service.close()
        await pipeline.close()
        await rasa.close()


async def rows(engine: AsyncEngine, table: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(select(table).order_by(table.c.id))]

"""The channel-agnostic dispatcher: ordering per conversation, lock clean-up, language memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.message import IncomingMessage
from bot.core.rasa_client import RasaClient
from bot.gateway.dispatcher import Dispatcher, KeyedLocks, LanguageMemory
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import stored_messages


@pytest.fixture
async def dispatcher(
    engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[Dispatcher]:
    async with RasaClient(fake_rasa.url, actions_url, timeout_s=5) as rasa:
        yield Dispatcher(engine, rasa)


async def test_messages_reach_rasa_in_arrival_order(
    dispatcher: Dispatcher, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.delay_s = 0.02
    texts = [f"turn {i}" for i in range(10)]
    tasks = [
        asyncio.create_task(
            dispatcher.handle(IncomingMessage(channel="telegram", external_id="42", text=t))
        )
        for t in texts
    ]
    replies = await asyncio.gather(*tasks)
    assert fake_rasa.messages() == texts
    assert [r.messages[0].text for r in replies] == [f"Which order? ({t})" for t in texts]
    assert fake_rasa.max_in_flight_per_sender == 1
    rows = await stored_messages(engine, "telegram:42")
    assert [r["text"] for r in rows if r["direction"] == "in"] == texts
    assert len(dispatcher.locks) == 0  # no lock left behind


async def test_channel_is_part_of_the_conversation(
    dispatcher: Dispatcher, fake_rasa: FakeRasa
) -> None:
    await dispatcher.handle(IncomingMessage(channel="web", external_id="demo-liwei", text="你好"))
    await dispatcher.handle(IncomingMessage(channel="slack", external_id="demo-liwei", text="hi"))
    assert [(r["sender"], r["metadata"]["customer_id"]) for r in fake_rasa.requests] == [
        ("web:demo-liwei", "C0001"),
        ("slack:demo-liwei", None),  # the identity is per channel
    ]


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

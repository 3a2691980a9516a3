"""Grounded long-tail answers in the fallback and out-of-scope actions, through the real
``openai`` SDK against the local fake server (tests/llm_fake.py) and the test shop's facts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions._deps import Deps, use_deps
from bot.actions.fallback import AskAffirmation, OutOfScope
from bot.config import Config
from bot.llm.budget import TokenBudget
from tests.llm_fake import FakeLlm

from .helpers import make_tracker

QUESTION_EN = "if I spend a lot is the delivery free? my phone is 13812345678, order 260315004217"
UNCLEAR = {
    "intent": {"name": "nlu_fallback", "confidence": 0.3},
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "faq", "confidence": 0.2},
    ],
    "response_selector": {
        "all_retrieval_intents": ["faq"],
        "faq": {"response": {"intent_response_key": "faq/shipping_fee", "confidence": 0.5}},
    },
}


def _llm_deps(cfg: Config, engine: AsyncEngine, now: datetime, url: str, **llm: Any) -> Deps:
    settings = replace(cfg.llm, base_url=url, model="fake-model", timeout_s=1.0, **llm)
    return Deps(config=replace(cfg, llm=settings), engine=engine, clock=lambda: now)


@pytest.fixture()
def llm_deps(
    cfg: Config, shop_engine: AsyncEngine, now: datetime, fake_llm: FakeLlm
) -> Iterator[Deps]:
    with use_deps(_llm_deps(cfg, shop_engine, now, fake_llm.base_url, max_retries=0)) as deps:
        yield deps


def cite(title: str, answer: str) -> Any:
    """A scripted model: ``answer`` with the number of the fact titled ``title`` put in."""

    def reply(body: dict[str, Any]) -> str:
        system = body["messages"][0]["content"]
        found = re.search(rf"^\[(\d+)\] {re.escape(title)}:", system, re.MULTILINE)
        return answer.replace("{n}", found.group(1)) if found else "NO_ANSWER"

    return reply


def unclear(text: str, lang: str = "en") -> Any:
    return make_tracker(text=text, slots={"language": lang}, extra={"text": text, **UNCLEAR})


async def test_an_unclear_shop_question_is_answered_from_the_facts_with_citations(
    llm_deps: Deps, fake_llm: FakeLlm
) -> None:
    fake_llm.answer_with(
        cite("Shipping fees", "Yes: orders of ¥99 or more ship free; below that it is ¥8 [{n}].")
    )
    dispatcher = CollectingDispatcher()

    events = await AskAffirmation().run(dispatcher, unclear(QUESTION_EN), {})

    assert events == []
    [message] = dispatcher.messages
    assert message["text"].startswith("Yes: orders of ¥99 or more ship free; below that it is ¥8.")
    assert message["text"].endswith("Based on: Shipping fees")
    assert not message["buttons"]
    # Order and customer data never go to the model; the facts and the question do.
    prompt = fake_llm.last_prompt()
    assert "13812345678" not in prompt and "260315004217" not in prompt
    assert "<phone>" in prompt and "<order>" in prompt
    assert "[1]" in prompt and "¥99" in prompt
    # The day's tokens are counted in the shop's database.
    usage = await TokenBudget(llm_deps.engine, 1, llm_deps.config.shop.timezone).usage()
    assert usage.calls == 1 and usage.tokens > 0


async def test_a_chinese_question_gets_a_chinese_answer(llm_deps: Deps, fake_llm: FakeLlm) -> None:
    fake_llm.answer_with(cite("运费标准", "订单实付满 ¥99 包邮，不满收 ¥8 运费 [{n}]。"))
    dispatcher = CollectingDispatcher()
    await AskAffirmation().run(dispatcher, unclear("买多少钱可以免运费啊", "zh"), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("订单实付满 ¥99 包邮")
    assert "依据：运费标准" in message["text"]
    assert "简体中文" in fake_llm.requests[0]["messages"][0]["content"]


async def _as_today(cfg: Config, deps: Deps, text: str) -> list[dict[str, Any]]:
    """What the fallback says with the assist off."""
    dispatcher = CollectingDispatcher()
    with use_deps(replace(deps, config=cfg)):
        await AskAffirmation().run(dispatcher, unclear(text), {})
    return dispatcher.messages


@pytest.mark.parametrize(
    "answer",
    [
        "Orders of ¥199 or more ship free [{n}].",  # a price the facts do not have
        "Orders of ¥99 or more ship free.",  # no citation
        "订单满 ¥99 包邮 [{n}]。",  # not the customer's language
        "NO_ANSWER",
    ],
)
async def test_a_blocked_answer_falls_back_to_the_buttons_as_today(
    cfg: Config, llm_deps: Deps, fake_llm: FakeLlm, answer: str
) -> None:
    fake_llm.answer_with(cite("Shipping fees", answer))
    dispatcher = CollectingDispatcher()

    await AskAffirmation().run(dispatcher, unclear(QUESTION_EN), {})

    assert len(fake_llm.requests) == 1
    assert dispatcher.messages == await _as_today(cfg, llm_deps, QUESTION_EN)
    assert dispatcher.messages[0]["buttons"]  # the suggestions


async def test_a_timeout_falls_back_as_today(
    cfg: Config, llm_deps: Deps, fake_llm: FakeLlm
) -> None:
    fake_llm.answer_with(cite("Shipping fees", "Orders of ¥99 or more ship free [{n}]."))
    fake_llm.slow_s = 2.5  # the client waits 1 s
    dispatcher = CollectingDispatcher()
    await AskAffirmation().run(dispatcher, unclear(QUESTION_EN), {})
    assert dispatcher.messages == await _as_today(cfg, llm_deps, QUESTION_EN)


async def test_a_failing_server_falls_back_as_today(
    cfg: Config, llm_deps: Deps, fake_llm: FakeLlm
) -> None:
    fake_llm.fail_status = 500
    dispatcher = CollectingDispatcher()
    await AskAffirmation().run(dispatcher, unclear(QUESTION_EN), {})
    assert dispatcher.messages == await _as_today(cfg, llm_deps, QUESTION_EN)


async def test_a_question_that_is_not_about_the_shop_is_not_sent(
    llm_deps: Deps, fake_llm: FakeLlm
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="write me a poem about autumn", intent="out_of_scope")
    await OutOfScope().run(dispatcher, tracker, {})
    assert fake_llm.requests == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]


async def test_an_out_of_scope_shop_question_is_answered_from_the_facts(
    llm_deps: Deps, fake_llm: FakeLlm
) -> None:
    fake_llm.answer_with(cite("Payment methods", "Yes, we take UnionPay credit cards [{n}]."))
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="can I pay with a UnionPay credit card?", intent="out_of_scope")
    await OutOfScope().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == ("Yes, we take UnionPay credit cards.\nBased on: Payment methods")


def _second_out_of_scope(text: str) -> Any:
    before: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {
            "event": "user",
            "text": "tell me a joke",
            "parse_data": {"intent": {"name": "out_of_scope"}},
        },
        {"event": "action", "name": "action_out_of_scope"},
    ]
    return make_tracker(text=text, intent="out_of_scope", events_before=before)


async def test_with_the_assist_off_out_of_scope_answers_as_before(
    deps: Deps, fake_llm: FakeLlm
) -> None:
    assert deps.config.llm.base_url == ""
    first, second = CollectingDispatcher(), CollectingDispatcher()
    await OutOfScope().run(
        first, make_tracker(text="can I pay by card?", intent="out_of_scope"), {}
    )
    await OutOfScope().run(second, _second_out_of_scope("book me a flight"), {})
    assert [m["response"] for m in first.messages] == ["utter_out_of_scope"]
    assert [m["response"] for m in second.messages] == ["utter_default"]  # offers a person
    assert fake_llm.requests == []

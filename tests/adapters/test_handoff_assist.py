"""The staff assist end to end: a Telegram customer handed to staff in Slack, with the large model
on (the local fake OpenAI-compatible server, through the real SDK) - the real gateway, the real
slack-bolt / slack_sdk and python-telegram-bot clients against the fake Slack and Telegram.

Staff see a summary and a suggested reply in the thread; "Send suggestion" relays it to the
customer once however often it is pressed; a suggestion quoting an invented price is not
offered; with the model timing out (or off) the handoff is as without it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import LlmConfig
from bot.gateway.__main__ import build_app
from bot.storage.schema import handoff_messages
from tests.adapters.fake_slack import FakeSlack, staff_message
from tests.adapters.fake_telegram import FakeTelegram, text_update
from tests.adapters.test_handoff_slack import (
    STAFF,
    SUPPORT,
    Client,
    blocks_text,
    button_ids,
    click,
    eventually,
    handoff_config,
    in_thread,
    opening,
    service_of,
    settle,
    slack,
    slack_event,
    telegram,
    tg,
)
from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.gateway.fake_rasa import FakeRasa
from tests.llm_fake import FakeLlm

__all__ = ["actions_url", "engine", "fake_rasa", "slack", "tg"]

pytestmark = pytest.mark.timeout(90)

PHONE = "13812345678"
GOOD = {
    "summary": "The customer's parcel has not arrived and they asked for a person.",
    "reply": "Sorry about the wait! I am checking your parcel with the courier right now.",
}
INVENTED = {
    "summary": "The customer wants a refund for the missing parcel.",
    "reply": "We will refund ¥399 to you within 3 days.",
}


@pytest.fixture
async def assisted(
    tmp_path: Path,
    engine: AsyncEngine,
    fake_rasa: FakeRasa,
    actions_url: str,
    tg: FakeTelegram,
    slack: FakeSlack,
    fake_llm: FakeLlm,
) -> AsyncIterator[Any]:
    clients: list[Client] = []

    async def make(*, timeout_s: float = 5.0, base_url: str | None = None) -> Client:
        cfg = handoff_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            tg_url=tg.url,
            slack_url=slack.api_url,
        )
        llm = LlmConfig(
            base_url=fake_llm.base_url if base_url is None else base_url,
            model="fake-model" if base_url is None else "",
            timeout_s=timeout_s,
            max_retries=0,
        )
        cfg = dataclasses.replace(cfg, llm=llm)
        client: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def press(client: Client, verb: str, value: int, *, message_ts: str, thread_ts: str) -> None:
    await click(client, value, verb, STAFF, message_ts, reply_in=thread_ts)


def suggestions(slack: FakeSlack, thread_ts: str) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.thread(SUPPORT, thread_ts)
        if "handoff:send_suggestion" in button_ids(m) or "Sent to the customer" in blocks_text(m)
    ]


async def suggestion_rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        found = await conn.execute(
            select(handoff_messages).where(handoff_messages.c.direction == "suggestion")
        )
        return [dict(r._mapping) for r in found]


async def start_handoff(client: Client, tg: FakeTelegram, slack: FakeSlack) -> str:
    await telegram(client, text_update(1, 501, f"my parcel never arrived, call me on {PHONE}"))
    await eventually(lambda: tg.sent_texts(), "the bot's first answer")
    await telegram(client, text_update(2, 501, "I want to talk to a real person"))
    await eventually(lambda: slack.called("chat.postMessage"), "the opening message")
    return str(opening(slack)["ts"])


async def test_summary_and_suggestion_sent_once_and_an_invented_price_withheld(
    assisted: Any, tg: FakeTelegram, slack: FakeSlack, fake_llm: FakeLlm, engine: AsyncEngine
) -> None:
    fake_llm.reply(json.dumps(GOOD), json.dumps(INVENTED))
    client = await assisted()
    thread_ts = await start_handoff(client, tg, slack)
    assert button_ids(opening(slack)) == [
        "handoff:claim",
        "handoff:resolve",
        "handoff:close",
        "handoff:suggest",
    ]

    # The summary and the suggestion appear in the thread.
    # The first one waits for the facts index (jieba and the catalog: seconds on a small CPU).
    await eventually(lambda: suggestions(slack, thread_ts), "the suggestion", limit_s=30)
    texts = in_thread(slack, thread_ts)
    summary = "ℹ️ 🧾 Summary (large model, from the conversation without personal data): "
    assert texts[0] == summary + GOOD["summary"]
    [offered] = suggestions(slack, thread_ts)
    assert GOOD["reply"] in blocks_text(offered)
    assert button_ids(offered) == ["handoff:send_suggestion", "handoff:suggest"]
    # The model read the conversation without the phone number, and the shop's facts.
    prompt = fake_llm.last_prompt()
    assert "my parcel never arrived, call me on <phone>" in prompt and PHONE not in prompt
    assert "Shop facts:\n[" in prompt
    assert fake_llm.requests[0]["messages"][0]["content"].count("English") >= 1

    # Pressed twice, and at the same time on a second gateway: the customer gets it once.
    [row] = await suggestion_rows(engine)
    second = await assisted()
    sent_before = len(tg.sent_texts())
    await asyncio.gather(
        press(client, "send_suggestion", row["id"], message_ts=offered["ts"], thread_ts=thread_ts),
        press(second, "send_suggestion", row["id"], message_ts=offered["ts"], thread_ts=thread_ts),
    )
    await press(client, "send_suggestion", row["id"], message_ts=offered["ts"], thread_ts=thread_ts)
    relayed = f"Anna: {GOOD['reply']}"
    await eventually(lambda: relayed in tg.sent_texts(), "the suggestion at the customer")
    await settle()
    assert tg.sent_texts()[sent_before:].count(relayed) == 1
    assert "Anna from our team is here to help you now." in tg.sent_texts()  # pressing claimed
    assert any("already sent" in e["text"] for e in slack.ephemerals)
    await eventually(
        lambda: any(
            "Sent to the customer by <@U0STAFF01>" in blocks_text(u) for u in slack.updates
        ),
        "the suggestion marked sent",
    )
    assert "handoff:send_suggestion" not in button_ids(slack.updates[-1])

    # The customer writes on; staff ask for a fresh suggestion, which invents a price.
    await telegram(client, text_update(3, 501, "can I get my money back?"))
    await eventually(
        lambda: "👤 *Customer:* can I get my money back?" in in_thread(slack, thread_ts), "relay"
    )
    await press(client, "suggest", 1, message_ts=thread_ts, thread_ts=thread_ts)
    await eventually(
        lambda: any("No suggested reply" in t for t in in_thread(slack, thread_ts)), "withheld"
    )
    [withheld] = [t for t in in_thread(slack, thread_ts) if "No suggested reply" in t]
    assert "price 399 is not in the facts" in withheld
    assert "can I get my money back?" in fake_llm.last_prompt()
    assert len(await suggestion_rows(engine)) == 1  # not offered
    assert len(suggestions(slack, thread_ts)) == 1
    assert not any("399" in t for t in tg.sent_texts())


async def test_a_model_timeout_leaves_the_handoff_as_without_it(
    assisted: Any, tg: FakeTelegram, slack: FakeSlack, fake_llm: FakeLlm, engine: AsyncEngine
) -> None:
    fake_llm.slow_s = 2.0
    fake_llm.reply(json.dumps(GOOD))
    client = await assisted(timeout_s=0.3)
    thread_ts = await start_handoff(client, tg, slack)
    await eventually(lambda: fake_llm.requests, "the model asked", limit_s=30)
    await telegram(client, text_update(3, 501, "hello?"))
    await eventually(lambda: "👤 *Customer:* hello?" in in_thread(slack, thread_ts), "relay")
    await slack_event(
        client, staff_message("Hi, Anna here.", user=STAFF, channel=SUPPORT, thread_ts=thread_ts)
    )
    await eventually(lambda: "Anna: Hi, Anna here." in tg.sent_texts(), "the staff reply")
    await asyncio.sleep(2.5)  # past the slow answer
    assert not any("Summary" in t or "suggest" in t for t in in_thread(slack, thread_ts))
    assert suggestions(slack, thread_ts) == []
    assert await suggestion_rows(engine) == []


async def test_with_the_model_off_the_handoff_is_as_before(
    assisted: Any, tg: FakeTelegram, slack: FakeSlack, fake_llm: FakeLlm
) -> None:
    client = await assisted(base_url="")
    assert service_of(client).assist is None
    thread_ts = await start_handoff(client, tg, slack)
    assert button_ids(opening(slack)) == ["handoff:claim", "handoff:resolve", "handoff:close"]
    await settle()
    assert in_thread(slack, thread_ts) == []
    assert fake_llm.requests == []

"""The staff assist's plain parts: what the model reads (redacted), how its answer is read, the
facts index cache, and that a suggestion is not sent after the handoff ended."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import LlmConfig
from bot.handoff.assist import CachedFacts, StaffAssist, parse, prompt, transcript
from bot.handoff.store import HandoffStore
from bot.llm.client import LlmClient
from bot.llm.facts import Fact, FactIndex
from tests.handoff.harness import STAFF, MakeHarness


def test_the_transcript_is_redacted_and_leaves_out_payloads() -> None:
    turns: list[dict[str, Any]] = [
        {"direction": "in", "text": "call me on 13812345678 or a@b.cn, order 260315004217"},
        {"direction": "out", "text": "Which order?"},
        {"direction": "in", "text": '/order_status{"order_id": "260315004217"}'},
        {"direction": "in", "text": None, "image": True},
    ]
    lines = transcript(turns)
    assert lines == [
        "Customer: call me on <phone> or <email>, order 260315004217",
        "Shop: Which order?",
    ]


def test_the_prompt_numbers_the_facts_and_names_both_languages() -> None:
    fact = Fact("policy.returns", "policy", "Returns within 7 days of delivery.", "en")
    [system, user] = prompt(["Customer: can I return it?"], [fact], customer="zh", staff="en")
    assert "中文 (zh)" in system["content"] and "English (en)" in system["content"]
    assert "[policy.returns] Returns within 7 days" in user["content"]
    assert user["content"].endswith("Customer: can I return it?")


def test_the_answer_is_read_from_json_even_in_a_code_fence() -> None:
    fenced = '```json\n{"summary": "Wants  a refund.", "reply": "I will check."}\n```'
    assert parse(fenced) == ("Wants a refund.", "I will check.")
    assert parse("Sure! Here is a reply.") is None
    assert parse('{"summary": "x", "reply": ""}') is None
    assert parse('{"summary": "x"}') is None
    assert parse('["summary", "reply"]') is None


async def test_the_facts_index_is_built_once_then_again_when_old() -> None:
    built: list[int] = []
    now = [0.0]

    async def build() -> FactIndex:
        built.append(1)
        return FactIndex([Fact("faq.x", "faq", "Shipping is free from 99 yuan.", "en")])

    facts = CachedFacts(build, ttl_s=60, clock=lambda: now[0])
    first = await facts()
    assert await facts() is first and len(built) == 1
    now[0] = 61
    assert await facts() is not first and len(built) == 2
    assert [f.id for f in (await facts()).search("free shipping", "en")] == ["faq.x"]


async def test_a_suggestion_is_not_sent_once_the_handoff_ended(
    make_harness: MakeHarness, engine: AsyncEngine
) -> None:
    h = await make_harness()
    await h.say("real person")
    record = await h.record()
    store = HandoffStore(engine)
    stored, _ = await store.add_message(
        record.id, "suggestion", now=record.created_at, text="I am checking it.", status="kept"
    )
    # No large model in this harness: the assist is off and sends nothing.
    assert h.service.assist is None
    assert (await h.service.send_suggestion(stored.id, STAFF)).result == "unknown"
    assert not h.service.request_suggestion(record.id, STAFF)

    async def no_facts() -> FactIndex:
        return FactIndex([])

    llm = LlmClient(LlmConfig(base_url="http://127.0.0.1:9/v1", model="unused"))
    assist = StaffAssist(h.service.context, llm, no_facts, reply=h.service.staff_reply)
    assert (await h.service.resolve(record.id, STAFF)).result == "ok"
    sent = await assist.send(stored.id, STAFF)
    assert sent.result == "ended" and sent.handoff is not None
    assert sent.handoff.status == "resolved"
    assert (await assist.send(stored.id + 100, STAFF)).result == "unknown"
    await asyncio.sleep(0.1)
    assert "I am checking it." not in " ".join(t or "" for t in h.sender.texts())


async def test_a_suggestion_is_checked_again_when_sent(
    make_harness: MakeHarness, engine: AsyncEngine
) -> None:
    h = await make_harness()
    await h.say("real person")
    record = await h.record()
    store = HandoffStore(engine)
    # The policy changed after the suggestion was written: returns are now 10 days.
    returns = Fact("policy.returns", "policy", "Returns are accepted within 10 days.", "en")

    async def facts() -> FactIndex:
        return FactIndex([returns])

    llm = LlmClient(LlmConfig(base_url="http://127.0.0.1:9/v1", model="unused"))
    assist = StaffAssist(h.service.context, llm, facts, reply=h.service.staff_reply)
    stale, _ = await store.add_message(
        record.id, "suggestion", now=record.created_at, text="Returns: within 7 days.",
        status="kept",
    )  # fmt: skip
    sent = await assist.send(stale.id, STAFF)
    assert sent.result == "blocked" and "7 day(s) is not in the facts" in sent.problems[0]
    fresh, _ = await store.add_message(
        record.id, "suggestion", now=record.created_at, text="Returns: within 10 days.",
        status="kept",
    )  # fmt: skip
    assert (await assist.send(fresh.id, STAFF)).result == "sent"
    assert (await assist.send(fresh.id, STAFF)).result == "already"
    await asyncio.sleep(0.2)
    texts = [t or "" for t in h.sender.texts()]
    assert texts.count("Anna: Returns: within 10 days.") == 1
    assert not any("7 days" in t for t in texts)

"""The large-model client through the real ``openai`` SDK against the local fake server:
answers with usage, the shared daily budget, timeouts, failures, logging without PII, and
the ``llm`` section of config.yml."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, ConfigError, LlmConfig, load_config
from bot.llm import LlmClient, llm_client
from bot.llm.budget import TokenBudget
from tests.llm_fake import FakeLlm
from tests.postgres import schema_engine


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    async with schema_engine(request.param, str(tmp_path / "shop.db"), "shop_llm") as db:
        yield db


ASK = [{"role": "user", "content": "How long does delivery take?"}]


def _cfg(fake: FakeLlm, **changes: Any) -> LlmConfig:
    return replace(LlmConfig(base_url=fake.base_url, model="fake-model", timeout_s=2.0), **changes)


async def test_off_without_a_base_url_and_nothing_is_sent(fake_llm: FakeLlm) -> None:
    client = LlmClient(LlmConfig())
    assert client.enabled is False
    assert await client.complete(ASK, purpose="test") is None
    assert fake_llm.requests == []


async def test_an_answer_comes_back_with_usage_through_the_sdk(fake_llm: FakeLlm) -> None:
    fake_llm.reply("Most cities get it in 1-3 days.")
    client = LlmClient(_cfg(fake_llm))

    reply = await client.complete(ASK, purpose="test", max_tokens=50, temperature=0.0)

    assert reply is not None
    assert reply.text == "Most cities get it in 1-3 days."
    assert reply.prompt_tokens == 5 and reply.completion_tokens == 7
    assert reply.latency_ms > 0
    sent = fake_llm.requests[0]
    assert sent["model"] == "fake-model" and sent["messages"] == ASK
    assert sent["max_tokens"] == 50 and sent["temperature"] == 0.0


async def test_the_api_key_is_sent_as_a_bearer_token(
    fake_llm: FakeLlm, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_llm.answer_with(lambda body: "ok")
    monkeypatch.setenv("LLM_API_KEY", "sk-test-123")
    cfg = load_config(env={"LLM_BASE_URL": fake_llm.base_url, "LLM_MODEL": "m"})
    client = llm_client(cfg, None)
    # The SDK takes the key when the client is built and sends it as a bearer token.
    assert client._sdk.api_key == "sk-test-123"
    assert (await client.complete(ASK, purpose="test")) is not None


async def test_a_server_slower_than_the_timeout_gives_none(fake_llm: FakeLlm) -> None:
    fake_llm.slow_s = 1.5
    client = LlmClient(_cfg(fake_llm, timeout_s=0.3, max_retries=0))
    started = datetime.now(UTC)

    assert await client.complete(ASK, purpose="test") is None
    assert (datetime.now(UTC) - started).total_seconds() < 1.4
    assert len(fake_llm.requests) == 1


async def test_a_failing_server_is_retried_then_gives_none(fake_llm: FakeLlm) -> None:
    fake_llm.fail_status = 500
    client = LlmClient(_cfg(fake_llm, max_retries=1))

    assert await client.complete(ASK, purpose="test") is None
    assert len(fake_llm.requests) == 2  # the first try and one retry


async def test_nothing_listening_gives_none(fake_llm: FakeLlm) -> None:
    url = fake_llm.base_url
    await fake_llm.__aexit__(None, None, None)
    client = LlmClient(LlmConfig(base_url=url, model="m", timeout_s=1.0, max_retries=0))
    assert await client.complete(ASK, purpose="test") is None


async def test_the_daily_budget_is_counted_in_the_database_and_stops_calls(
    fake_llm: FakeLlm, any_engine: AsyncEngine
) -> None:
    engine = any_engine
    fake_llm.answer_with(lambda body: "one two three")
    day = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    budget = TokenBudget(engine, limit=12, timezone="Asia/Shanghai", clock=lambda: day)
    # Two clients (two replicas) on one database spend from one count.
    first = LlmClient(_cfg(fake_llm), budget)
    second = LlmClient(_cfg(fake_llm), replace(budget))

    assert await first.complete(ASK, purpose="test") is not None  # 5 + 3 tokens
    assert (await budget.usage()).tokens == 8
    assert await second.complete(ASK, purpose="test") is not None  # 8 < 12: allowed
    usage = await budget.usage()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.calls) == (10, 6, 2)
    assert await first.complete(ASK, purpose="test") is None  # 16 >= 12
    assert len(fake_llm.requests) == 2

    # A new day in the shop's timezone starts a new count.
    later = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    next_day = TokenBudget(engine, limit=12, timezone="Asia/Shanghai", clock=lambda: later)
    assert next_day.day() == "2026-12-07"
    assert await LlmClient(_cfg(fake_llm), next_day).complete(ASK, purpose="test") is not None


async def test_every_call_is_logged_with_purpose_latency_tokens_and_no_pii(
    fake_llm: FakeLlm, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.reply("We will call 13812345678 back.")
    fake_llm.fail_status = None
    client = LlmClient(_cfg(fake_llm))
    asked = [{"role": "user", "content": "my phone is 13912345678, email a.b@example.com"}]

    with caplog.at_level(logging.INFO, logger="bot.llm.client"):
        await client.complete(asked, purpose="long_tail")
        fake_llm.fail_status = 500
        await LlmClient(_cfg(fake_llm, max_retries=0)).complete(asked, purpose="staff_summary")

    lines = [r.getMessage() for r in caplog.records if r.name == "bot.llm.client"]
    assert len(lines) == 2
    assert "purpose=long_tail outcome=ok" in lines[0]
    assert "prompt_tokens=" in lines[0] and "completion_tokens=5" in lines[0]
    assert "latency_ms=" in lines[0]
    assert "purpose=staff_summary outcome=failed" in lines[1]
    joined = "\n".join(lines)
    for secret in ("13912345678", "13812345678", "a.b@example.com"):
        assert secret not in joined
    assert "<phone>" in joined and "<email>" in joined


def test_the_llm_section_is_read_and_checked(tmp_path: Path) -> None:
    cfg: Config = load_config(env={})
    assert cfg.llm.base_url == "" and cfg.llm.daily_token_budget > 0
    path = tmp_path / "config.yml"
    path.write_text("llm:\n  base_url: http://127.0.0.1:9/v1\n  model: qwen\n", encoding="utf-8")
    loaded = load_config(path, env={"LLM_API_KEY": "k"})
    assert loaded.llm.base_url == "http://127.0.0.1:9/v1" and loaded.llm.model == "qwen"
    assert loaded.secrets.llm_api_key == "k"
    assert load_config(path, env={"LLM_MODEL": "other"}).llm.model == "other"

    bad = {
        "base_url: ftp://x": "llm.base_url",
        "base_url: http://h/v1\n  model: ''": "llm.model",
        "timeout_s: 0": "llm.timeout_s",
        "max_retries: 9": "llm.max_retries",
        "daily_token_budget: -1": "llm.daily_token_budget",
        "temperature: 3": "llm.temperature",
        "facts: 0": "llm.facts",
        "min_score: -1": "llm.min_score",
        "timeout_s: soon": "llm.timeout_s",
        "colour: red": "unknown key",
    }
    for body, named in bad.items():
        path.write_text(f"llm:\n  {body}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
            load_config(path, env={})

"""One client for any OpenAI-compatible server (vLLM, Ollama, llama.cpp server, a hosted
provider), through the ``openai`` SDK.

:meth:`LlmClient.complete` never raises for the server's sake: it answers ``None`` when the
assist is off (``llm.base_url`` empty), over the day's token budget, timed out or failed after
the SDK's retries, and the caller then does what it does without a model. Every call is
logged with its purpose, outcome, latency and tokens; the text in the log is PII-redacted
(bot/services/redact.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import openai
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, LlmConfig
from bot.llm.budget import TokenBudget
from bot.services.redact import redact

log = logging.getLogger(__name__)
LOGGED_CHARS = 200  # of the last message and of the reply, redacted


@dataclass(frozen=True)
class LlmReply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float


def _snippet(text: str) -> str:
    return " ".join(redact(text).split())[:LOGGED_CHARS]


class LlmClient:
    """Chat completions from ``cfg.model`` at ``cfg.base_url``; see the module's doc."""

    def __init__(
        self,
        cfg: LlmConfig,
        budget: TokenBudget | None = None,
        *,
        api_key: str | None = None,
        sdk: Any = None,
    ) -> None:
        self.cfg = cfg
        self.budget = budget
        self.enabled = bool(cfg.base_url)
        self._sdk = sdk
        if self.enabled and sdk is None:
            self._sdk = openai.AsyncOpenAI(
                base_url=cfg.base_url,
                api_key=api_key or os.environ.get("LLM_API_KEY") or "none",
                timeout=cfg.timeout_s,
                max_retries=cfg.max_retries,
            )

    @property
    def deadline_s(self) -> float:
        """The longest one call may take, retries and the SDK's back-off included."""
        return self.cfg.timeout_s * (self.cfg.max_retries + 1) + 2.0 * self.cfg.max_retries + 1.0

    def _log(self, purpose: str, outcome: str, started: float, **fields: Any) -> float:
        latency_ms = (time.perf_counter() - started) * 1000
        details = " ".join(
            f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in fields.items()
        )
        log.info(
            "llm call purpose=%s outcome=%s latency_ms=%.0f %s",
            purpose,
            outcome,
            latency_ms,
            details,
        )
        return latency_ms

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        purpose: str,
        max_tokens: int = 400,
        temperature: float = 0.2,
    ) -> LlmReply | None:
        """The model's answer to ``messages``, or None (off, over budget, timed out, failed)."""
        if not self.enabled or self._sdk is None:
            return None
        started = time.perf_counter()
        asked = _snippet(messages[-1].get("content", "")) if messages else ""
        if self.budget is not None and not await self.budget.allows():
            self._log(purpose, "over_budget", started, prompt_tokens=0, completion_tokens=0)
            return None
        try:
            response = await asyncio.wait_for(
                self._sdk.chat.completions.create(
                    model=self.cfg.model,
                    messages=messages,
                    max_tokens=max_tokens,
                    temperature=temperature,
                ),
                timeout=self.deadline_s,
            )
        except (TimeoutError, openai.APITimeoutError):
            self._log(purpose, "timeout", started, prompt_tokens=0, completion_tokens=0, text=asked)
            return None
        except openai.OpenAIError as exc:
            self._log(
                purpose,
                "failed",
                started,
                error=type(exc).__name__,
                prompt_tokens=0,
                completion_tokens=0,
                text=asked,
            )
            return None
        usage = getattr(response, "usage", None)
        prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        if self.budget is not None and (prompt_tokens or completion_tokens):
            await self.budget.spend(prompt_tokens, completion_tokens)
        choices = getattr(response, "choices", None) or []
        content = (choices[0].message.content or "").strip() if choices else ""
        outcome = "ok" if content else "empty"
        latency_ms = self._log(
            purpose,
            outcome,
            started,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            text=asked,
            reply=_snippet(content),
        )
        if not content:
            return None
        return LlmReply(content, prompt_tokens, completion_tokens, round(latency_ms, 1))


def llm_client(cfg: Config, engine: AsyncEngine | None) -> LlmClient:
    """The client ``cfg.llm`` describes, its budget counted in ``engine`` (no engine: no
    budget, for tools that run without the shop's database)."""
    budget = (
        TokenBudget(engine, cfg.llm.daily_token_budget, cfg.shop.timezone)
        if engine is not None
        else None
    )
    return LlmClient(cfg.llm, budget, api_key=cfg.secrets.llm_api_key)

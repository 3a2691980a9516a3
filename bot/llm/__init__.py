"""The optional large-model assist (README "Large-model assist (optional)"): a client for any
OpenAI-compatible server with a shared daily token budget (:mod:`bot.llm.client`), the shop's
own facts as a BM25 index (:mod:`bot.llm.facts`), the guard that checks an answer against them
(:mod:`bot.llm.guard`) and grounded long-tail answers (:mod:`bot.llm.answer`)."""

from __future__ import annotations

from bot.llm.client import LlmClient, LlmReply, llm_client

__all__ = ["LlmClient", "LlmReply", "llm_client"]

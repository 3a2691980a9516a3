"""A local stand-in for an OpenAI-compatible server (``POST /v1/chat/completions``), on
loopback, for the real ``openai`` SDK to talk to.

Completions are scripted: a queue of texts (``reply("...")``), or a function of the request
(``answer_with``); with neither it echoes the last message. ``usage`` counts whitespace-split
words (and single CJK characters) as tokens, like a real server counts its tokens. ``slow_s``
makes it sleep before answering (past the client's timeout), ``fail_status`` makes it answer
with that HTTP status. Every request body is recorded in ``requests``.

    async with FakeLlm() as llm:
        llm.reply("Shipping is free from ¥99 [F1].")
        client = LlmClient(LlmConfig(base_url=llm.base_url, model="fake"))

or use the ``fake_llm`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

Answer = Callable[[dict[str, Any]], str]
_TOKEN = re.compile(r"[\u4e00-\u9fff]|[^\s\u4e00-\u9fff]+")


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


class FakeLlm:
    """See the module's doc."""

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.queue: deque[str] = deque()
        self.answer: Answer | None = None
        self.slow_s = 0.0
        self.fail_status: int | None = None
        self._server: TestServer | None = None

    # --- scripting ---------------------------------------------------------------------------
    def reply(self, *texts: str) -> None:
        """Answer the next requests with ``texts``, in order."""
        self.queue.extend(texts)

    def answer_with(self, answer: Answer | None) -> None:
        """Answer every request (once the queue is empty) with ``answer(request body)``."""
        self.answer = answer

    def last_prompt(self) -> str:
        """The messages of the latest request, joined."""
        if not self.requests:
            return ""
        return "\n".join(str(m.get("content", "")) for m in self.requests[-1]["messages"])

    # --- the server --------------------------------------------------------------------------
    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.slow_s:
            await asyncio.sleep(self.slow_s)
        if self.fail_status is not None:
            return web.json_response(
                {"error": {"message": "scripted failure", "type": "server_error"}},
                status=self.fail_status,
            )
        messages = body.get("messages") or []
        if self.queue:
            text = self.queue.popleft()
        elif self.answer is not None:
            text = self.answer(body)
        else:
            text = str(messages[-1].get("content", "")) if messages else ""
        prompt = sum(count_tokens(str(m.get("content", ""))) for m in messages)
        completion = count_tokens(text)
        return web.json_response(
            {
                "id": f"chatcmpl-fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", self.model),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )

    @property
    def base_url(self) -> str:
        """What ``llm.base_url`` should be: ``http://127.0.0.1:<port>/v1``."""
        assert self._server is not None, "the fake LLM server is not running"
        return str(self._server.make_url("/v1"))

    async def __aenter__(self) -> FakeLlm:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

"""Start the real stack once per test session: Rasa (trained model), action server, gateway.

Everything listens on free loopback ports and uses its own freshly seeded SQLite file, so a
running `make run` on the same machine is not disturbed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.launcher import Stack, StackPorts, default_model_path

ADMIN_TOKEN = "integration-admin-token"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: Any


def http_json(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 60.0,
) -> HttpResult:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        payload = err.read()
        status = err.code
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return HttpResult(status, parsed)


class Chat:
    """One customer talking to the gateway's /api/chat."""

    def __init__(self, base_url: str, sender_id: str) -> None:
        self.base_url = base_url
        self.sender_id = sender_id

    def send(self, text: str | None = None, payload: str | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender_id": self.sender_id}
        if text is not None:
            body["text"] = text
        if payload is not None:
            body["payload"] = payload
        result = http_json("POST", f"{self.base_url}/api/chat", body)
        assert result.status == 200, f"/api/chat answered {result.status}: {result.body}"
        messages = result.body["messages"]
        assert isinstance(messages, list)
        return messages

    def say(self, text: str) -> str:
        """Send text, return all reply texts joined (buttons' titles included)."""
        return render(self.send(text=text))

    def click(self, payload: str) -> str:
        return render(self.send(payload=payload))


def render(messages: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for msg in messages:
        if msg.get("text"):
            parts.append(str(msg["text"]))
        for button in msg.get("buttons") or []:
            parts.append(f"[{button['title']} -> {button['payload']}]")
        if msg.get("custom"):
            parts.append(json.dumps(msg["custom"], ensure_ascii=False))
    return "\n".join(parts)


def buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for msg in messages for b in (msg.get("buttons") or [])]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    model = default_model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` first")
    tmp = tmp_path_factory.mktemp("stack")
    db_url = f"sqlite+aiosqlite:///{tmp / 'shop.db'}"
    env = dict(os.environ, SHOP_DATABASE_URL=db_url)
    subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
    ports = StackPorts(
        rasa=_free_port(), actions=_free_port(), gateway=_free_port(), gateway_host="127.0.0.1"
    )
    running = Stack(
        ports=ports,
        database_url=db_url,
        log_dir=tmp / "logs",
        model_path=model,
        extra_env={"ADMIN_TOKEN": ADMIN_TOKEN},
    )
    running.start()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture()
def new_chat(stack: Stack, request: pytest.FixtureRequest) -> Any:
    """Factory of chats; each test gets fresh guest sender ids unless it asks for a demo one."""
    counter = iter(range(1000))

    def make(sender_id: str | None = None) -> Chat:
        sid = sender_id or f"guest-{request.node.name[:40]}-{next(counter)}"
        sid = "".join(ch if ch.isalnum() or ch in "._:@-" else "-" for ch in sid)
        return Chat(stack.gateway_url, sid)

    return make


def admin_tickets(stack: Stack, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    result = http_json(
        "GET",
        f"{stack.gateway_url}/api/admin/tickets?{query}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert result.status == 200, result.body
    assert isinstance(result.body, list)
    return result.body


def repo_path(*parts: str) -> Path:
    return Path(__file__).resolve().parents[2].joinpath(*parts)

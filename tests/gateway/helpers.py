"""Shared pieces of the gateway tests (also used by the browser test's stack)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, load_config
from bot.storage.schema import messages

ADMIN_TOKEN = "test-admin-token-0123456789"

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


def make_config(
    tmp_path: Path,
    *,
    rasa_url: str,
    actions_url: str,
    admin_token: str | None = ADMIN_TOKEN,
    **sections: dict[str, Any],
) -> Config:
    """A Config for tests: no config.yml, no process environment, loopback fakes."""
    overrides: dict[str, dict[str, Any]] = {
        "rasa": {"url": rasa_url, "timeout_s": 5},
        "actions": {"url": actions_url},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"},
    }
    for name, values in sections.items():
        overrides.setdefault(name, {}).update(values)
    env = {"ADMIN_TOKEN": admin_token} if admin_token else {}
    return load_config(path=tmp_path / "no-config.yml", env=env, overrides=overrides)


def closed_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def stored_messages(engine: AsyncEngine, conversation_id: str) -> list[dict[str, Any]]:
    query = (
        select(messages)
        .where(messages.c.conversation_id == conversation_id)
        .order_by(messages.c.id)
    )
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]

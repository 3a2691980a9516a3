"""Shared pieces of the gateway tests (also used by the browser test's stack)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
import yarl
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, load_config
from bot.services.web_identity import sign
from bot.storage.schema import messages

ADMIN_TOKEN = "test-admin-token-0123456789"
WEB_SECRET = "test-web-identity-secret-0123456789"

Client = TestClient[Any, Any]
MakeClient = Callable[..., Awaitable[Client]]


def identity_hash(sender_id: str, secret: str = WEB_SECRET) -> str:
    """The web chat identity hash the test gateways accept for ``sender_id``."""
    return sign(secret, sender_id)


class SigningClient(TestClient[Any, Any]):
    """A test client that signs web chat identities the way the page does, so tests about
    something else need not: a ``POST /api/chat`` with ``json={"sender_id": ...}`` and an
    ``/api/chat/events?sender_id=...`` URL get the sender's ``identity_hash`` unless they
    carry one. Tests of refused identities send raw bodies (``data=``) or their own hash."""

    async def _request(
        self, method: str, path: str | yarl.URL, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        body = kwargs.get("json")
        if str(path) == "/api/chat" and isinstance(body, dict) and "identity_hash" not in body:
            sender = body.get("sender_id")
            if isinstance(sender, str):
                kwargs["json"] = {**body, "identity_hash": identity_hash(sender)}
        elif str(path).startswith("/api/chat/events?"):
            query = parse_qs(urlsplit(str(path)).query)
            senders = query.get("sender_id", [])
            if len(senders) == 1 and "identity_hash" not in query:
                path = f"{path}&identity_hash={quote(identity_hash(senders[0]))}"
        return await super()._request(method, path, **kwargs)


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
    env = {"WEB_IDENTITY_SECRET": WEB_SECRET}
    if admin_token:
        env["ADMIN_TOKEN"] = admin_token
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

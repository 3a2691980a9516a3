"""Helpers for the integration tests: HTTP calls and chat sessions against the real stack."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.launcher import Stack
from bot.services.web_identity import sign

ADMIN_TOKEN = "integration-admin-token"
TELEGRAM_SECRET = "integration-telegram-secret"
LINK_SECRET = "integration-link-secret"

WEB_SECRET = "integration-web-identity-secret"


def identity_hash(sender_id: str) -> str:
    """The identity_hash the stack's gateway (WEB_IDENTITY_SECRET = WEB_SECRET) accepts."""
    return sign(WEB_SECRET, sender_id)


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
    """One customer talking to the gateway's /api/chat, with the signed identity the shop's
    backend (or the gateway, for a guest) would give the page."""

    def __init__(self, base_url: str, sender_id: str) -> None:
        self.base_url = base_url
        self.sender_id = sender_id

    def send(self, text: str | None = None, payload: str | None = None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "sender_id": self.sender_id,
            "identity_hash": identity_hash(self.sender_id),
        }
        if text is not None:
            body["text"] = text
        if payload is not None:
            body["payload"] = payload
        result = http_json("POST", f"{self.base_url}/api/chat", body)
        assert result.status == 200, f"/api/chat answered {result.status}: {result.body}"
        messages = result.body["messages"]
        assert isinstance(messages, list)
        return messages

    def send_photo(self, data: bytes, filename: str = "photo.jpg") -> list[dict[str, Any]]:
        """Upload a photo the way the web chat's photo button does (POST /api/chat/photo)."""
        boundary = "----shop-test-boundary-7c1f"
        fields = {"sender_id": self.sender_id, "identity_hash": identity_hash(self.sender_id)}
        body = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        )
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        body += data + f"\r\n--{boundary}--\r\n".encode()
        result = http_json(
            "POST",
            f"{self.base_url}/api/chat/photo",
            raw=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert result.status == 200, f"/api/chat/photo answered {result.status}: {result.body}"
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


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def db_rows(stack: Stack, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the stack's own SQLite file (the integration stack always runs on SQLite)."""
    import sqlite3

    prefix = "sqlite+aiosqlite:///"
    assert stack.database_url.startswith(prefix)
    with sqlite3.connect(stack.database_url[len(prefix) :], timeout=30) as conn:
        return list(conn.execute(sql, params).fetchall())

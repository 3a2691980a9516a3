"""Rasa's HTTP API on the real stack requires the token; the token is in no log or command line."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from bot.launcher import Stack
from tests.integration.helpers import http_json

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/status", None),
        ("GET", "/conversations/web:someone/tracker", None),
        ("POST", "/conversations/web:someone/tracker/events", {"event": "pause"}),
        ("PUT", "/conversations/web:someone/tracker/events", []),
        ("POST", "/model/parse", {"text": "hello"}),
        ("GET", "/domain", None),
    ],
)
def test_rasa_api_refuses_requests_without_the_token(
    stack: Stack, method: str, path: str, body: object
) -> None:
    for suffix in ("", "?token=", "?token=wrong-token-value"):
        result = http_json(method, f"{stack.rasa_url}{path}{suffix}", body)
        assert result.status == 401, (path, suffix, result.body)


def test_rasa_api_answers_with_the_token(stack: Stack) -> None:
    result = http_json("GET", f"{stack.rasa_url}/status?token={stack.rasa_auth_token}")
    assert result.status == 200, result.body


def test_the_gateway_talks_to_rasa_and_no_log_holds_the_token(stack: Stack, new_chat) -> None:  # type: ignore[no-untyped-def]
    chat = new_chat()
    assert chat.say("hello")  # the gateway reached Rasa (and read its tracker) with the token
    token = stack.rasa_auth_token
    for log in Path(stack.log_dir).glob("*.log"):
        assert token not in log.read_text(errors="replace"), log.name
    for name, proc in stack.procs.items():
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        if cmdline.exists():
            assert token.encode() not in cmdline.read_bytes(), name


@pytest.mark.parametrize(
    "text", ["我要投诉，快递员态度太差了", "where is my order 260315004217", "/request_human"]
)
def test_the_rest_channel_names_the_intent_it_answered_for(stack: Stack, text: str) -> None:
    """The project's REST channel (rasa_project/components/shop_rest.py) answers as Rasa's and
    names the intent in X-Shop-Intent: the one /model/parse gives for the same text."""
    token = f"?token={stack.rasa_auth_token}"
    parsed = http_json("POST", f"{stack.rasa_url}/model/parse{token}", {"text": text})
    assert parsed.status == 200, parsed.body
    request = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/rest/webhook{token}",
        data=json.dumps({"sender": f"header-check-{abs(hash(text))}", "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
        intent = response.headers.get("X-Shop-Intent")
    assert isinstance(replies, list) and replies
    assert intent == parsed.body["intent"]["name"]

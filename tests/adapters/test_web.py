"""The web adapter's translation of /api/chat bodies into internal messages."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.web.adapter import parse_chat_request, render_index
from bot.config import load_config
from bot.core.http import RequestError


@pytest.mark.parametrize(
    ("body", "text", "payload"),
    [
        ({"sender_id": "demo-liwei", "text": "我的订单"}, "我的订单", None),
        ({"sender_id": "u", "text": "  padded  "}, "padded", None),
        ({"sender_id": "u", "text": "line one\nline two"}, "line one\nline two", None),
        ({"sender_id": "u", "payload": "/greet"}, None, "/greet"),
        (
            {"sender_id": "u", "payload": '/inform{"order_id":"260315004217"}'},
            None,
            '/inform{"order_id":"260315004217"}',
        ),
        ({"sender_id": "u", "payload": "/faq/shipping_time"}, None, "/faq/shipping_time"),
        ({"sender_id": "u", "text": "hi", "payload": None}, "hi", None),
        ({"sender_id": "u", "text": "hi", "extra": {"ignored": True}}, "hi", None),
        ({"sender_id": "web-0b6f3c1e-8a8d-4c4e-9d0e-1f2a3b4c5d6e", "text": "x"}, "x", None),
        ({"sender_id": "a.b_c:d@e-f", "text": "x"}, "x", None),
        ({"sender_id": "u", "text": "长" * 2000}, "长" * 2000, None),
    ],
)
def test_valid_bodies(body: dict[str, Any], text: str | None, payload: str | None) -> None:
    message = parse_chat_request(body, max_text_length=2000)
    assert message.channel == "web"
    assert message.external_id == body["sender_id"]
    assert message.conversation_id == f"web:{body['sender_id']}"
    assert (message.text, message.payload) == (text, payload)
    assert message.content == (text if text is not None else payload)


@pytest.mark.parametrize("length", [10, 2000])
def test_max_text_length_comes_from_config(length: int) -> None:
    parse_chat_request({"sender_id": "u", "text": "a" * length}, max_text_length=length)
    with pytest.raises(RequestError) as err:
        parse_chat_request({"sender_id": "u", "text": "a" * (length + 1)}, max_text_length=length)
    assert err.value.field == "text"
    assert str(length) in err.value.error


def test_index_escapes_settings(tmp_path: Any) -> None:
    cfg = load_config(
        path=tmp_path / "none.yml",
        env={},
        overrides={"shop": {"name": '"><script>x</script>', "name_zh": "商店"}},
    )
    page = render_index(cfg).decode()
    assert "<script>x" not in page
    assert "&quot;&gt;&lt;script&gt;" in page

"""The web adapter's translation of /api/chat bodies into internal messages."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.web.adapter import parse_chat_request, render_index
from adapters.web.limits import TokenBuckets, retry_after_header
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


def test_token_buckets_refill_and_say_how_long_to_wait() -> None:
    now = [0.0]
    buckets = TokenBuckets(6, clock=lambda: now[0])  # one token every 10 s, bursts of 6
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == pytest.approx(10.0)
    assert buckets.take("b") == 0.0  # keys are independent
    now[0] = 5.0
    assert buckets.take("a") == pytest.approx(5.0)
    now[0] = 10.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") == pytest.approx(10.0)
    assert retry_after_header(0.2) == "1" and retry_after_header(10.0) == "10"


def test_token_buckets_off_and_bounded() -> None:
    assert TokenBuckets(0).take("a") == 0.0
    now = [0.0]
    buckets = TokenBuckets(60, max_keys=3, clock=lambda: now[0])
    for key in "abcdef":
        buckets.take(key)
        now[0] += 0.001
    assert len(buckets) <= 3
    now[0] += 120.0  # all full again: forgotten first when the map is over its size
    buckets.take("g")
    assert len(buckets) <= 3


def test_index_tells_the_page_whether_the_demo_picker_is_on(tmp_path: Any) -> None:
    for on in (True, False):
        cfg = load_config(
            path=tmp_path / "none.yml", env={}, overrides={"web": {"demo_picker": on}}
        )
        assert f'data-demo-picker="{str(on).lower()}"' in render_index(cfg).decode()


def test_shipped_config_turns_the_demo_picker_on() -> None:
    assert load_config(env={}).web.demo_picker is True

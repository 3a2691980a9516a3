"""Rendering fallbacks shared by the channels (bot/core/render.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.message import Button, OutgoingMessage
from bot.core.render import (
    OptionsMemory,
    as_plain_text,
    numbered_options,
    parse_choice,
    split_text,
    utf8_len,
)
from bot.storage.db import create_engine, create_schema

LONG_EN = " ".join(f"Sentence number {i} tells you about the parcel." for i in range(60))
LONG_ZH = "".join(f"第{i}句：您的包裹正在派送中，请保持电话畅通。" for i in range(80))


@pytest.mark.parametrize(
    ("text", "limit", "measure"),
    [
        (LONG_EN, 300, len),
        (LONG_ZH, 2048, utf8_len),  # WeChat counts bytes: 3 per Chinese character
        (LONG_ZH, 100, len),
        ("x" * 1000, 64, len),  # no boundary at all: cut inside the word
        ("short", 4096, len),
    ],
)
def test_split_text_keeps_every_part_in_the_limit_and_loses_nothing(
    text: str, limit: int, measure: object
) -> None:
    parts = split_text(text, limit, measure)  # type: ignore[arg-type]
    assert all(measure(p) <= limit for p in parts)  # type: ignore[operator]
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_split_text_breaks_at_sentence_ends() -> None:
    parts = split_text(LONG_ZH, 2048, utf8_len)
    assert len(parts) > 1
    assert all(p.endswith("。") for p in parts[:-1])
    parts = split_text(LONG_EN, 300)
    assert all(p.endswith(".") for p in parts[:-1])


def test_split_text_rejects_silly_limits() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("abc", 2)


@pytest.mark.parametrize(
    ("text", "number"),
    [("2", 2), ("２", 2), (" 3 ", 3), ("第2个", 2), ("#4", 4), ("option 1", 1), ("10", 10)],
)
def test_parse_choice(text: str, number: int) -> None:
    assert parse_choice(text) == number


@pytest.mark.parametrize("text", ["", "two", "2 apples", "260315004217", "1.5", "我要2个"])
def test_parse_choice_ignores_other_text(text: str) -> None:
    assert parse_choice(text) is None


def test_numbered_options_in_both_languages_and_continued_numbering() -> None:
    buttons = [Button("Yes", "/affirm"), Button("No", "/deny")]
    assert numbered_options(buttons, "en") == "Reply with a number:\n1. Yes\n2. No"
    assert numbered_options(buttons, "zh", start=3).splitlines()[1:] == ["3. Yes", "4. No"]


def test_plain_text_turns_cards_and_buttons_into_options() -> None:
    message = OutgoingMessage(
        text="为您推荐",
        buttons=(Button("更多", "/recommend_products"),),
        custom={
            "type": "product_cards",
            "products": [
                {"id": "P1", "name": "无线耳机", "price": 399, "payload": "/product_inquiry"},
                {"id": "P2", "name": "电水壶", "price_text": "¥129.00", "stock": 0},
            ],
        },
    )
    text, options = as_plain_text(message, "zh")
    assert [o.payload for o in options] == ["/product_inquiry", "/recommend_products"]
    assert "1. 无线耳机 · ¥399.00" in text
    assert "- 电水壶 · ¥129.00 · 暂时缺货" in text
    assert "2. 更多" in text


async def test_options_memory_survives_a_new_engine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'opts.db'}"
    engine = create_engine(url)
    await create_schema(engine)
    await OptionsMemory(engine).remember(
        "wechat:o1", [Button("A", "/affirm"), Button("B", "/deny")]
    )
    await engine.dispose()
    engine = create_engine(url)  # as after a gateway restart
    memory = OptionsMemory(engine)
    assert await memory.resolve("wechat:o1", "2") == "/deny"
    assert await memory.resolve("wechat:o1", "3") is None
    assert await memory.resolve("wechat:other", "1") is None
    await memory.remember("wechat:o1", [])
    assert await memory.resolve("wechat:o1", "1") is None
    await engine.dispose()

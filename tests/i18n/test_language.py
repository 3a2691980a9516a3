"""Language of a customer message (bot/i18n/language.py)."""

from __future__ import annotations

import pytest

from bot.i18n import Lang, detect_language


@pytest.mark.parametrize(
    ("text", "previous", "expected"),
    [
        ("你好", None, "zh"),
        ("where is my order", "zh", "en"),
        ("我的iPhone壳还没到", "en", "zh"),
        ("我要退货 order 260402118830", "en", "zh"),
        ("please check 订单", None, "en"),
        ("260315004217", "zh", "zh"),
        ("13812345678", None, "en"),
        ("👍", "zh", "zh"),
        ("/affirm", "zh", "zh"),
        ('/inform{"order_id":"260315004217"}', None, "en"),
        ('/product_inquiry{"product":"声浪 Air Pro 真无线蓝牙耳机"}', None, "zh"),
        ('/product_inquiry{"product":"声浪 Air Pro 真无线蓝牙耳机"}', "en", "en"),
        ("ok", "zh", "en"),
        ("？？", "en", "en"),
    ],
)
def test_detect_language(text: str, previous: Lang | None, expected: Lang) -> None:
    assert detect_language(text, previous) == expected

"""Bilingual texts and formatting (bot/i18n.py)."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime

import pytest

from bot import i18n


@pytest.mark.parametrize("key", i18n.text_keys())
def test_every_text_has_both_languages_with_the_same_placeholders(key: str) -> None:
    variants = i18n._TEXTS[key]
    assert set(variants) == {"en", "zh"}
    names = {
        lang: {field for _, field, _, _ in string.Formatter().parse(text) if field}
        for lang, text in variants.items()
    }
    # Chinese may leave out a detail but never ask for one the English lacks (and vice versa).
    assert names["zh"] <= names["en"] | {"total"}, key
    # The Chinese text is Chinese: any word of four Latin letters outside placeholders is a slip.
    bare = re.sub(r"\{[a-z_]+\}", "", variants["zh"])
    assert re.search(r"[\u4e00-\u9fff]", bare) or not re.search(r"[A-Za-z]{4,}", bare), key


@pytest.mark.parametrize(
    "key",
    [
        *(
            f"{kind}.{state}"
            for kind in ("return", "exchange")
            for state in ("eligible", "expired", "not_delivered", "closed")
        ),
        *(f"address.{problem}" for problem in ("too_short", "no_detail", "too_long")),
    ],
)
def test_keys_built_by_the_actions_exist(key: str) -> None:
    assert key in i18n.text_keys()


def test_t_fills_placeholders_and_defaults_to_english() -> None:
    assert i18n.t("order.not_found", "zh", order_id="123").startswith("没有找到订单号为 123")
    assert i18n.t("order.not_found", "fr", order_id="123").startswith("I couldn't find")
    with pytest.raises(ValueError, match="unknown text key"):
        i18n.t("no.such.key", "en")


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "¥0.00"), (899, "¥8.99"), (68900, "¥689.00"), (123456789, "¥1,234,567.89")],
)
def test_money(cents: int, text: str) -> None:
    assert i18n.money(cents) == text


@pytest.mark.parametrize(
    ("lang", "date", "time"),
    [("en", "28 Nov", "28 Nov 09:05"), ("zh", "11月28日", "11月28日 09:05")],
)
def test_dates_are_shown_in_the_shop_timezone(lang: str, date: str, time: str) -> None:
    value = datetime(2026, 11, 28, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai
    assert i18n.fmt_date(value, lang, "Asia/Shanghai") == date
    assert i18n.fmt_datetime(value, lang, "Asia/Shanghai") == time


@pytest.mark.parametrize(
    ("function", "key", "en", "zh"),
    [
        (i18n.status_name, "in_transit", "in transit", "运输中"),
        (i18n.carrier_name, "SF Express", "SF Express", "顺丰速运"),
        (i18n.payment_name, "wechat_pay", "WeChat Pay", "微信支付"),
        (i18n.category_name, "appliances", "Home Appliances", "家用电器"),
    ],
)
def test_names(function: object, key: str, en: str, zh: str) -> None:
    assert callable(function)
    assert function(key, "en") == en
    assert function(key, "zh") == zh


def test_faq_titles_cover_every_faq_response(domain: dict[str, object]) -> None:
    responses = domain["responses"]
    assert isinstance(responses, dict)
    topics = {
        name.removeprefix("utter_faq/") for name in responses if name.startswith("utter_faq/")
    }
    assert topics == set(i18n.faq_topics())

"""Bilingual texts and formatting (bot/i18n/)."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys
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
        *(f"{change}.{end}" for change in ("cancel", "address") for end in ("kept", "failed")),
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


def test_i18n_is_the_bottom_layer() -> None:
    """bot.i18n imports nothing of the bot above it (bot.core, bot.shop, bot.services ...)."""
    code = "import sys, bot.i18n; print(sorted(m for m in sys.modules if m.startswith('bot')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.replace("'", '"'))
    above = [m for m in loaded if m not in ("bot", "bot.config") and not m.startswith("bot.i18n")]
    assert above == []


@pytest.mark.parametrize(
    ("seconds", "en", "zh"),
    [(45, "45 s", "45 秒"), (720, "12 min", "12 分钟"), (11100, "3 h 5 min", "3 小时 5 分钟")],
)
def test_age_text(seconds: float, en: str, zh: str) -> None:
    assert i18n.age_text(seconds, "en") == en
    assert i18n.age_text(seconds, "zh") == zh
    assert i18n.age_text(3 * 86400, "zh") == "3 天"


def test_web_labels_have_the_same_shape_in_both_languages() -> None:
    labels = i18n.web_labels()
    assert set(labels["zh"]) == set(labels["en"])
    assert labels["en"]["outOfStock"] == i18n.t("card.out_of_stock", "en")
    assert labels["zh"]["customers"] == {
        "demo-liwei": "李伟（演示）",
        "demo-emma": "Emma Clark（演示）",
        "guest": "访客",
    }
    assert len(labels["en"]["suggestions"]) == 3  # type: ignore[arg-type]


def test_catalog_categories_take_their_names_from_the_table() -> None:
    from bot.shop.catalog_data import CATEGORIES

    for category in CATEGORIES:
        assert category.name_en == i18n.category_name(category.key, "en")
        assert category.name_zh == i18n.category_name(category.key, "zh")

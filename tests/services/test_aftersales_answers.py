"""Reading a customer's typed answers in a return or exchange: tables of zh and en phrasings,
noisy ones included (case, punctuation, emoji, mixed languages, extra words)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.services.aftersales_answers import (
    asks_complaint_status,
    is_bare_number,
    line_from_text,
    line_value,
    opened_from_text,
    parse_line,
    payload_value,
    quantity_from_text,
    reason_from_text,
    skips_photo,
    variant_from_text,
)
from bot.services.complaint_classifier import Classification
from bot.services.types import Order, OrderItem, Product, Variant


def _item(name_en: str, name_zh: str, sku: str) -> OrderItem:
    return OrderItem(
        product_id=sku.split("-")[0],
        name_en=name_en,
        name_zh=name_zh,
        category="home",
        variant_sku=sku,
        size=None,
        color_en=None,
        color_zh=None,
        quantity=1,
        unit_price_cents=9900,
    )


ORDER = Order(
    id="260402118830",
    customer_id="C001",
    status="delivered",
    created_at=datetime(2026, 4, 1, tzinfo=UTC),
    paid_at=None,
    shipped_at=None,
    delivered_at=datetime(2026, 4, 3, tzinfo=UTC),
    cancelled_at=None,
    total_cents=29700,
    discount_cents=0,
    shipping_cents=0,
    payment_method="alipay",
    recipient="Li Lei",
    phone="13800000000",
    shipping_address="Shanghai",
    carrier=None,
    tracking_number=None,
    eta=None,
    items=(
        _item("Classic Cotton T-Shirt", "经典纯棉T恤", "P0001-M-WHITE"),
        _item("Stainless Steel Electric Kettle", "不锈钢电热水壶", "P0002"),
        _item("Ceramic Coffee Mug", "陶瓷咖啡杯", "P0003"),
    ),
)


def _variant(size: str, color_en: str, color_zh: str, stock: int = 5) -> Variant:
    return Variant(f"P0023-{size}-{color_en.upper()}", size, color_en, color_zh, stock)


SHOES = Product(
    id="P0023",
    name_en="Running Shoes",
    name_zh="跑步鞋",
    aliases=(),
    category="shoes",
    brand="Swift",
    price_cents=39900,
    stock=20,
    variants=(
        _variant("42", "White", "白色"),
        _variant("42", "Blue", "蓝色"),
        _variant("43", "Blue", "蓝色"),
        _variant("43", "Black", "黑色", stock=0),
    ),
    specs_en={},
    specs_zh={},
    description_en="",
    description_zh="",
    rating=4.5,
    rating_count=10,
    image_url="",
    consumable=False,
)


def _unsure(text: str) -> Classification:
    """A classifier that never recognises anything: only the keywords count."""
    return Classification(complaint_type="other", confidence=0.0, scores={})


# Reasons ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "reason"),
    [
        # wrong item
        ("你们发错货了，颜色不对", "wrong_item"),
        ("寄错了！！我买的是黑色的", "wrong_item"),
        ("这不是我买的东西", "wrong_item"),
        ("this is not what I ordered", "wrong_item"),
        ("You SENT THE WRONG size and colour", "wrong_item"),
        ("wrong item received :(", "wrong_item"),
        # damaged in transit (outranks a quality word like "broken")
        ("快递压坏了，盒子都扁了", "damaged_in_transit"),
        ("收到就碎了😭", "damaged_in_transit"),
        ("外包装破损，里面也坏了", "damaged_in_transit"),
        ("the mug arrived broken, box was smashed", "damaged_in_transit"),
        ("Arrived Damaged.", "damaged_in_transit"),
        ("screen is cracked", "damaged_in_transit"),
        # quality problem
        ("用了两天鞋底就开胶了", "quality_problem"),
        ("水壶漏水", "quality_problem"),
        ("耳机充不进电了。。。", "quality_problem"),
        ("质量太差", "quality_problem"),
        ("it stopped working after a day", "quality_problem"),
        ("doesn't work at all!!", "quality_problem"),
        ("the kettle LEAKS", "quality_problem"),
        ("won't turn on", "quality_problem"),
        ("seam ripped after one wash", "quality_problem"),
        # not as described
        ("实物和图片不一样，色差很大", "not_as_described"),
        ("货不对板", "not_as_described"),
        ("与描述不符", "not_as_described"),
        ("not as described", "not_as_described"),
        ("looks different from the photos", "not_as_described"),
        # size or fit
        ("尺码偏小，穿不上", "size_or_fit"),
        ("大了一码", "size_or_fit"),
        ("不合身", "size_or_fit"),
        ("way too small for me", "size_or_fit"),
        ("Too Big", "size_or_fit"),
        ("doesn't fit well", "size_or_fit"),
        ("wrong size for me", "size_or_fit"),
        # no reason
        ("不想要了", "no_reason"),
        ("七天无理由退货", "no_reason"),
        ("买多了一个", "no_reason"),
        ("I changed my mind", "no_reason"),
        ("don't need it anymore", "no_reason"),
        ("no reason, just want to return", "no_reason"),
        # nothing the keywords know
        ("", None),
        ("   ", None),
        ("嗯", None),
        ("hmm let me think", None),
    ],
)
def test_reasons_are_read_from_the_customers_words(said: str, reason: str | None) -> None:
    assert reason_from_text(said, _unsure) == reason


def _sure(kind: Any, confidence: float) -> Callable[[str], Classification]:
    """A classifier that reads every message as ``kind`` with ``confidence``."""
    return lambda text: Classification(kind, confidence, {})


@pytest.mark.parametrize(
    "said", ["yes", "Yes!", "ok sure", "yes please", "是的", "好的。", "对", "嗯嗯"]
)
def test_assent_alone_names_no_reason_whatever_the_classifier_reads(said: str) -> None:
    # Asked "what's the reason?", a "yes" is no answer: the question is asked again.
    assert reason_from_text(said, _sure("quality_defect", 0.99)) is None


def test_a_reason_the_keywords_miss_comes_from_a_confident_classifier() -> None:
    said = "the parcel had only the charger in it"
    assert reason_from_text(said, _sure("wrong_or_missing_item", 0.9)) == "wrong_item"
    assert reason_from_text(said, _sure("quality_defect", 0.6)) == "quality_problem"
    assert reason_from_text(said, _sure("wrong_or_missing_item", 0.3)) is None
    # A complaint type that is not a return reason names none.
    assert reason_from_text(said, _sure("delivery_delay", 0.9)) is None


# Items -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "line"),
    [
        ("1", 0),
        ("2", 1),
        (" 3 ", 2),
        ("3.", 2),
        ("第2件", 1),
        ("第 3 个", 2),
        ("2号", 1),
        ("4", None),
        ("0", None),
        ("99", None),
        ("the kettle", 1),
        ("Stainless Steel Electric", 1),
        ("coffee mug", 2),
        ("COTTON T-SHIRT", 0),
        ("电热水壶", 1),
        ("那个陶瓷咖啡杯", 2),
        ("T恤", 0),
        ("something else", None),
        ("不知道", None),
    ],
)
def test_the_item_is_read_from_its_number_or_name(said: str, line: int | None) -> None:
    assert line_from_text(ORDER, said) == line


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("260402118830#1", 1),
        ("1", 1),
        ("260402118830#2", 2),
        ("260402118830#3", None),  # no such line
        ("260101000001#1", None),  # another order's line
        ("-1", None),
        ("kettle", None),
        (1, 1),
    ],
)
def test_slot_values_and_button_payloads_name_a_line_of_this_order(
    value: object, line: int | None
) -> None:
    assert parse_line(value, ORDER) == line


def test_a_chosen_line_reads_back_as_itself() -> None:
    for line in range(len(ORDER.items)):
        assert parse_line(line_value(ORDER, line), ORDER) == line


# Quantities ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("2", "2"),
        ("退 3 件", "3"),
        ("两件", "2"),
        ("一个就行", "1"),
        ("三个", "3"),
        ("十件", "10"),
        ("全部", "all"),
        ("都退了吧", "all"),
        ("just one", "1"),
        ("Two please", "2"),
        ("a single one", "1"),
        ("all of them", "all"),
        ("BOTH", "all"),
        ("every one", "1"),  # a number outranks "every"
        ("hmm", None),
        ("不确定", None),
    ],
)
def test_quantities_are_read_from_replies(said: str, value: str | None) -> None:
    assert quantity_from_text(said) == value


# Opened or sealed ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("已拆封", "opened"),
        ("拆开用过了", "opened"),
        ("试用了一次", "opened"),
        ("yes I opened it", "opened"),
        ("Used it twice", "opened"),
        ("没拆", "sealed"),
        ("还没打开", "sealed"),
        ("全新未开封", "sealed"),
        ("not opened", "sealed"),
        ("Never opened, still SEALED", "sealed"),
        ("it's brand new", "sealed"),
        ("unopened!", "sealed"),
        ("什么意思", None),
        ("why do you ask", None),
    ],
)
def test_opened_or_sealed_is_read_from_replies(said: str, value: str | None) -> None:
    assert opened_from_text(said) == value


# Variants --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("said", "sku"),
    [
        ("42 white please", "P0023-42-WHITE"),
        ("换成43码蓝色的", "P0023-43-BLUE"),
        ("43 蓝色", "P0023-43-BLUE"),
        ("Blue, size 42", "P0023-42-BLUE"),
        ("白色42码", "P0023-42-WHITE"),
        ("43 black", "P0023-43-BLACK"),  # sold out, but named: validation says so
        ("something nice", None),
        ("", None),
    ],
)
def test_the_replacement_is_read_from_its_size_and_colour(said: str, sku: str | None) -> None:
    chosen = variant_from_text(SHOES, said)
    assert (chosen.sku if chosen else None) == sku


def test_no_product_no_variant() -> None:
    assert variant_from_text(None, "42 white") is None


# Photos, payloads, complaint status, order numbers ----------------------------------------------
@pytest.mark.parametrize(
    ("said", "skips"),
    [
        ("跳过", True),
        ("没有照片", True),
        ("不用了", True),
        ("Skip", True),
        ("no photo sorry", True),
        ("I'll send it later", True),
        ("好的", False),
        ("here it is", False),
    ],
)
def test_declining_the_photo(said: str, skips: bool) -> None:
    assert skips_photo(said) is skips


@pytest.mark.parametrize(
    ("raw", "key", "value"),
    [
        ('/inform{"aftersales_line":"260402118830#1"}', "aftersales_line", "260402118830#1"),
        ('/inform{"aftersales_quantity": 2}', "aftersales_quantity", "2"),
        ('  /inform{"aftersales_opened":"sealed"}  ', "aftersales_opened", "sealed"),
        ('/inform{"aftersales_reason":"no_reason"}', "aftersales_line", None),
        ('/inform{"aftersales_line": null}', "aftersales_line", None),
        ("/affirm", "aftersales_confirm", None),
        ('/inform{"broken json', "aftersales_line", None),
        ('/inform["aftersales_line"]', "aftersales_line", None),
        ('{"aftersales_line":"1"}', "aftersales_line", None),  # typed, not a button
        ("2", "aftersales_line", None),
    ],
)
def test_button_payloads(raw: str, key: str, value: str | None) -> None:
    assert payload_value(raw, key) == value


@pytest.mark.parametrize(
    ("said", "asks"),
    [
        ("我的投诉处理得怎么样了", True),
        ("投诉有进展吗？", True),
        ("上次的问题有结果了吗", True),
        ("any news on my complaint?", True),
        ("What's the STATUS of my complaint", True),
        ("what happened to my complaint from last week", True),
        ("客服态度太差了", False),
        ("the courier was rude", False),
        ("statusbar is broken", False),
    ],
)
def test_complaint_status_questions(said: str, asks: bool) -> None:
    assert asks_complaint_status(said) is asks


@pytest.mark.parametrize(
    ("said", "bare"),
    [
        ("260402118830", True),
        ("2604 0211 8830", True),
        ("2604-0211-8830", True),
        ("order 260402118830", False),
        ("订单260402118830", False),
        ("", False),
    ],
)
def test_bare_order_numbers(said: str, bare: bool) -> None:
    assert is_bare_number(said) is bare

"""Parsing recommendation requests (zh and en) into category and price filters."""

from __future__ import annotations

import pytest

from bot.recsys.constraints import Constraints, parse_constraints, parse_number, parse_price

TYPES = ("耳机", "无线耳机", "earbuds", "headphones", "speaker", "吹风机", "t恤")
Y = 100  # cents per yuan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # prices, English
        ("something under 200 yuan", {"max_price_cents": 200 * Y}),
        ("anything below ¥99?", {"max_price_cents": 99 * Y}),
        ("less than 1k rmb", {"max_price_cents": 1000 * Y}),
        ("400 yuan or less", {"max_price_cents": 400 * Y}),
        ("over 300", {"min_price_cents": 300 * Y}),
        ("no less than 300 yuan", {"min_price_cents": 300 * Y}),
        ("between 100 and 300 rmb", {"min_price_cents": 100 * Y, "max_price_cents": 300 * Y}),
        ("budget 500 or so", {"min_price_cents": 375 * Y, "max_price_cents": 625 * Y}),
        ("around 1000 yuan", {"min_price_cents": 750 * Y, "max_price_cents": 1250 * Y}),
        ("a 200 yuan gift", {"gift": True, "min_price_cents": 150 * Y, "max_price_cents": 250 * Y}),
        # prices, Chinese (digits and Chinese numerals)
        ("200元以内", {"max_price_cents": 200 * Y}),
        ("两百块以下的", {"max_price_cents": 200 * Y}),
        ("不超过一千二", {"max_price_cents": 1200 * Y}),
        ("2千以内", {"max_price_cents": 2000 * Y}),
        ("预算五百左右", {"min_price_cents": 375 * Y, "max_price_cents": 625 * Y}),
        ("100到300元之间", {"min_price_cents": 100 * Y, "max_price_cents": 300 * Y}),
        ("300元以上", {"min_price_cents": 300 * Y}),
        # numbers that are not prices
        ("size 38-40 please", {}),
        ("where is order 260315004217", {}),
        # product types (hard filters) and categories
        ("耳机", {"type_words": ("耳机",)}),
        ("推荐个无线耳机", {"type_words": ("无线耳机",)}),  # the longer alias wins
        ("any good earbuds or headphones?", {"type_words": ("earbuds", "headphones")}),
        ("推荐点数码产品", {"categories": ("electronics",)}),
        ("any good kitchen appliances?", {"categories": ("appliances",)}),
        ("something for the kitchen", {"categories": ("home",)}),
        ("想买双鞋", {"categories": ("shoes",)}),
        ("recommend some books", {"categories": ("books",)}),
        # gifts and recipients (preferences, not filters)
        ("送礼", {"gift": True}),
        ("birthday present ideas", {"gift": True}),
        (
            "for my mom",
            {
                "gift": True,
                "recipient": "mother",
                "preferred_categories": ("beauty", "home", "appliances"),
            },
        ),
        (
            "给爸爸买个礼物",
            {
                "gift": True,
                "recipient": "father",
                "preferred_categories": ("electronics", "sports", "home"),
            },
        ),
        (
            "给女朋友买点护肤品，300块以下",
            {
                "gift": True,
                "recipient": "partner_f",
                "categories": ("beauty",),
                "preferred_categories": ("beauty", "clothing", "electronics"),
                "max_price_cents": 300 * Y,
            },
        ),
        (
            "something for my mom under 200 yuan",
            {
                "gift": True,
                "recipient": "mother",
                "preferred_categories": ("beauty", "home", "appliances"),
                "max_price_cents": 200 * Y,
            },
        ),
        (
            "200元以内的耳机",
            {"type_words": ("耳机",), "max_price_cents": 200 * Y},
        ),
        (
            "suggest something for a 10 year old boy",
            {
                "gift": True,
                "recipient": "child",
                "preferred_categories": ("books", "sports", "food"),
            },
        ),
        ("what do you recommend?", {}),
        ("a moment please", {}),  # "mom" only as a word
    ],
)
def test_parse_constraints(text: str, expected: dict[str, object]) -> None:
    assert parse_constraints(text, TYPES) == Constraints(**expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("200", 200.0),
        ("1.5k", 1500.0),
        ("两百", 200.0),
        ("五百", 500.0),
        ("一千二", 1200.0),
        ("三万", 30000.0),
        ("十五", 15.0),
        ("3万", 30000.0),
        ("abc", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("price", "ok", "distance"),
    [(100 * Y, False, 50 * Y), (200 * Y, True, 0), (400 * Y, False, 100 * Y)],
)
def test_price_range(price: int, ok: bool, distance: int) -> None:
    constraints = Constraints(min_price_cents=150 * Y, max_price_cents=300 * Y)
    assert constraints.price_ok(price) is ok
    assert constraints.price_distance(price) == distance


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # Read by the entity extractor's money finder: thousands separators, both bounds.
        ("under 1,299 yuan", None, 129900),
        ("¥1,000-2,000的手表", 100000, 200000),
        ("between 1,000 and 2,000", 100000, 200000),
        ("100块以上200块以下", 10000, 20000),
        ("no less than 300 yuan", 30000, None),
        ("三千五以内的平板", None, 350000),
        # Not money: a quantity.
        ("送礼3个以内", None, None),
    ],
)
def test_parse_price_with_the_entity_finder(text: str, low: int | None, high: int | None) -> None:
    assert parse_price(text) == (low, high)

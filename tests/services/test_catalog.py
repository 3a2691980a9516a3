"""Catalogue search in Chinese and English (typos, mixed text) and product details."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.catalog import (
    MIN_SCORE,
    get_product,
    list_products,
    names_product,
    normalise_query,
    product_named_in,
    search_products,
)


@pytest.mark.parametrize(
    ("query", "alias"),
    [
        ("earbuds", "earbuds"),
        ("earbud", "earbuds"),  # singular
        ("Earbuds", "earbuds"),
        ("earbusd", "earbuds"),  # typo
        ("wireles earbuds", "earbuds"),
        ("无线耳机", "无线耳机"),
        ("蓝牙耳机多少钱", "蓝牙耳机"),
        ("蓝呀耳机", "蓝牙耳机"),  # typo
        ("我的iPhone壳", "iPhone壳"),  # mixed Chinese and English
        ("iphone壳有货吗", "iPhone壳"),
        ("iPhone 15 case", "iPhone case"),
        ("how much is the kettle?", "kettle"),
        ("电饭锅", "电饭锅"),
        ("t恤", "T恤"),
        ("T-shirt", "T-shirt"),
        ("ｔｅｅ", "tee"),  # full-width letters
        ("跑鞋还有42码吗", "跑鞋"),
        ("running shoe", "running shoes"),
        ("充电宝", "充电宝"),
        ("smart watch", "smart watch"),
        ("瑜伽垫", "瑜伽垫"),
        ("cookbook", "cookbook"),
        ("air fryer", "air fryer"),
    ],
)
async def test_search_finds_the_product_type(
    shop_engine: AsyncEngine, query: str, alias: str
) -> None:
    matches = await search_products(shop_engine, query)
    assert matches, query
    assert alias in matches[0].product.aliases
    assert all(MIN_SCORE <= m.score <= 100 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


async def test_both_earphone_types_answer_to_erji(shop_engine: AsyncEngine) -> None:
    matches = await search_products(shop_engine, "耳机", limit=20)
    kinds = {("earbuds" in m.product.aliases, "headphones" in m.product.aliases) for m in matches}
    assert kinds == {(True, False), (False, True)}
    assert all(m.score == 100 for m in matches)


@pytest.mark.parametrize(
    ("query", "expected_id"),
    [
        ("SoundPeak Air Pro Wireless Earbuds", "P0001"),
        ("声浪 Air Pro 真无线蓝牙耳机", "P0001"),
        ("SoundPeak earbuds", "P0001"),
        ("how much are the soundpeak earbuds", "P0001"),
        ("声浪耳机", "P0001"),
        ("cottonwood t-shirt", "P0017"),
        ("棉语纯棉T恤", "P0017"),
    ],
)
async def test_brand_and_full_names_pick_one_product(
    shop_engine: AsyncEngine, query: str, expected_id: str
) -> None:
    matches = await search_products(shop_engine, query)
    assert matches[0].product.id == expected_id


async def test_brand_outranks_other_brands(shop_engine: AsyncEngine) -> None:
    english = await search_products(shop_engine, "SoundPeak earbuds")
    assert english[0].product.brand == "SoundPeak" and english[0].score > english[1].score
    chinese = await search_products(shop_engine, "声浪耳机")  # earbuds and headphones both fit
    assert {m.product.brand for m in chinese[:2]} == {"SoundPeak"}
    assert chinese[1].score > chinese[2].score


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "hello",
        "where is my order 260315004217",
        "what is your return policy",
        "shipping fee",
        "can I pay with alipay",
        "delete my data",
        "天气怎么样",
        "我想退货",
        "我要投诉",
        "asdfgh",
        "？？？",
    ],
)
async def test_search_without_a_product_is_empty(shop_engine: AsyncEngine, query: str) -> None:
    assert await search_products(shop_engine, query) == []


async def test_search_limit(shop_engine: AsyncEngine) -> None:
    assert len(await search_products(shop_engine, "耳机", limit=2)) == 2
    assert len(await search_products(shop_engine, "耳机")) == 5
    with pytest.raises(ValueError, match="limit"):
        await search_products(shop_engine, "耳机", limit=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wireless Earbuds!", "wireles earbud"),
        ("我的iPhone壳", "我的iphone壳"),
        ("T-Shirt", "t shirt"),
        ("ＳｏｕｎｄＰｅａｋ", "soundpeak"),
        ("bus", "bus"),
    ],
)
def test_normalise_query(text: str, expected: str) -> None:
    assert normalise_query(text) == expected


async def test_get_product_details(shop_engine: AsyncEngine) -> None:
    product = await get_product(shop_engine, "P0017")
    assert product is not None
    assert product.name_en == "Cottonwood Classic Cotton Crew-Neck T-Shirt"
    assert product.name_zh == "棉语 经典纯棉圆领T恤"
    assert product.category == "clothing" and product.brand == "Cottonwood"
    assert {v.size for v in product.variants} == {"S", "M", "L", "XL", "XXL"}
    assert {v.color_zh for v in product.variants} == {"白色", "黑色", "藏青色"}
    assert product.stock == sum(v.stock for v in product.variants)
    assert any(v.stock == 0 for v in product.variants)
    assert product.specs_en["Material"] and product.specs_zh["面料"]
    assert product.specs("zh") is product.specs_zh and product.name("en") == product.name_en
    assert product.image_url == "/products/P0017.svg"
    assert 3.2 <= product.rating <= 4.9 and product.rating_count > 0
    assert "T恤" in product.aliases and not product.consumable
    assert await get_product(shop_engine, "P9999") is None


async def test_list_products(shop_engine: AsyncEngine) -> None:
    everything = await list_products(shop_engine)
    assert len(everything) == 200 and everything[0].id == "P0001"
    books = await list_products(shop_engine, category="books")
    assert books and all(p.category == "books" for p in books)
    chosen = await list_products(shop_engine, ids=["P0002", "P0001"])
    assert [p.id for p in chosen] == ["P0001", "P0002"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("I want to return the T-shirt", "T-Shirt"),
        ("那件T恤我想退", "T-Shirt"),
        ("the earbuds crackle", "Earbuds"),
        ("耳机那单", "Earbuds"),
        ("I want to return my order", None),
        ("退货", None),
        # Requests about orders that name no product: the order forms ask as before.
        ("where's my package", None),
        ("I want to cancel my order, it's taking too long", None),
        ("I want to return it, it doesn't fit", None),
        ("我的快递到哪了", None),
        ("帮我取消订单", None),
        ("我要改收货地址", None),
    ],
)
async def test_a_sentence_names_a_product_only_when_its_name_or_alias_is_in_it(
    shop_engine: AsyncEngine, text: str, named: str | None
) -> None:
    products = await list_products(shop_engine)
    shirt = next(p for p in products if "T-Shirt" in p.name_en)
    earbuds = next(p for p in products if "Earbuds" in p.name_en)
    assert names_product(text, shirt) == (named == "T-Shirt")
    assert names_product(text, earbuds) == (named == "Earbuds")
    found = await product_named_in(shop_engine, text)
    assert (found is None) == (named is None)
    if found is not None and named is not None:
        assert named in found.name_en

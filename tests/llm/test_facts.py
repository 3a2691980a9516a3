"""The shop's facts (FAQ answers with the current policy values, policies, the catalog) and
their BM25 search in both languages."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.llm.facts import Fact, FactIndex, build_index, load_facts, tokens
from bot.storage.schema import products
from tests.factory import ShopFactory


def _product(shop: ShopFactory, name_en: str, name_zh: str, price_cents: int) -> str:
    """A new catalogue product of the test's own, with these names and price."""
    product = shop.product("electronics")
    with shop.engine.begin() as conn:
        conn.execute(
            sa.update(products)
            .where(products.c.id == product.id)
            .values(name_en=name_en, name_zh=name_zh, price_cents=price_cents, aliases=[])
        )
    return product.id


def test_tokens_cut_chinese_with_jieba_and_bigrams_and_english_into_stems() -> None:
    zh = tokens("退货运费谁出")
    # jieba reads 货运费; the bigram ~退货 still matches a fact that says 退货.
    assert "运费" in zh and "~退货" in zh and "~货运" in zh
    assert tokens("Returns are FREE for shipped items") == ["return", "free", "shipp", "item"]
    mixed = tokens("SoundPods耳机")
    assert "soundpod" in mixed and "耳机" in mixed


def test_bm25_ranks_the_fact_with_the_rarer_words_first() -> None:
    facts = [
        Fact("a", "faq", "Delivery takes 1-3 days to most cities.", "en", "Delivery"),
        Fact("b", "faq", "Invoices are issued as electronic invoices after delivery.", "en"),
        Fact("c", "faq", "We accept Alipay and WeChat Pay.", "en", "Payment"),
        Fact("d", "faq", "支持支付宝和微信支付。", "zh", "支付方式"),
    ]
    index = FactIndex(facts)
    assert index.search("can I get an electronic invoice", "en")[0].id == "b"
    assert index.search("do you take alipay", "en", k=1) == [facts[2]]
    assert index.search("可以用支付宝吗", "zh")[0].id == "d"
    assert index.search("alipay", "zh") == []  # one language at a time
    assert index.search("quantum chromodynamics", "en") == []


async def test_the_shops_facts_hold_faq_policies_and_products_in_both_languages(
    cfg: Config, shop_engine: AsyncEngine, shop: ShopFactory
) -> None:
    product = _product(shop, "Glacier thermos bottle", "冰川保温杯", 12950)
    facts = await load_facts(cfg, shop_engine)
    by_key = {(f.id, f.lang): f for f in facts}

    shipping = by_key[("faq.shipping_fee", "en")]
    assert f"¥{cfg.studio.free_shipping_threshold}" in shipping.text and "{" not in shipping.text
    assert shipping.title == "Shipping fees" and shipping.kind == "faq"
    assert ("faq.shipping_fee", "zh") in by_key
    returns = by_key[("policy.returns", "zh")]
    assert f"{cfg.aftersales.return_days} 天" in returns.text
    assert str(cfg.aftersales.return_phone) in by_key[("policy.return_address", "en")].text
    item = by_key[(f"product.{product}", "zh")]
    assert item.title == "冰川保温杯" and "¥129.50" in item.text
    assert "Glacier thermos bottle" in by_key[(f"product.{product}", "en")].text
    # Order and customer data are never facts.
    assert {f.kind for f in facts} == {"faq", "policy", "product"}


async def test_policy_facts_follow_the_current_policy_values(
    cfg: Config, shop_engine: AsyncEngine
) -> None:
    changed = replace(cfg, aftersales=replace(cfg.aftersales, return_days=30))
    facts = {(f.id, f.lang): f for f in await load_facts(changed, None)}
    assert "30 days" in facts[("policy.returns", "en")].text
    assert "30 days of delivery" in facts[("faq.return_policy", "en")].text


async def test_search_finds_a_product_and_a_policy_in_the_shop(
    cfg: Config, shop_engine: AsyncEngine, shop: ShopFactory
) -> None:
    product = _product(shop, "Aurora standing desk lamp", "极光落地灯", 25900)
    index = await build_index(cfg, shop_engine)
    assert index.search("how much is the aurora standing desk lamp", "en")[0].id == (
        f"product.{product}"
    )
    assert index.search("极光落地灯多少钱", "zh")[0].id == f"product.{product}"
    assert "policy.shipping" in {f.id for f in index.search("运费怎么算", "zh")}

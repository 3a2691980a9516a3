"""Product questions and recommendations against the seeded catalog."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.products import ProductInquiry, category_in
from bot.i18n import Lang, money
from bot.services import catalog
from bot.services.types import Product

from .helpers import make_tracker, slot_events, texts


async def product_of_type(deps: Deps, alias: str) -> Product:
    """A real catalog product carrying ``alias`` (the catalog is generated, names may change)."""
    for product in await catalog.list_products(deps.engine):
        if alias in product.aliases:
            return product
    raise AssertionError(f"no product with alias {alias!r} in the demo catalog")


def card_message(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    [card] = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert isinstance(card, dict)
    return card


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_one_clear_match_shows_details_card_and_image(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str
) -> None:
    product = await product_of_type(deps, "rice cooker")
    name = product.name_zh if lang == "zh" else product.name_en
    tracker = make_tracker(
        text=f"{name}多少钱" if lang == "zh" else f"how much is the {name}?",
        intent="product_inquiry",
        slots={"language": lang},
    )
    events = await ProductInquiry().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    assert money(product.price_cents) in said
    assert f"{product.rating:.1f}/5" in said
    assert ("有货" in said or "库存" in said or "缺货" in said) if lang == "zh" else "stock" in said
    card = card_message(dispatcher)
    assert card["type"] == "product_cards"
    [shown] = card["products"]
    assert shown["id"] == product.id
    assert shown["name"] == name
    assert shown["currency"] == "CNY"
    assert shown["price"] == product.price_cents / 100
    assert {"image", "rating", "stock"} <= shown.keys()
    assert [m["image"] for m in dispatcher.messages if m.get("image")] == [product.image_url]
    assert slot_events(events) == {"product": name}


async def test_sizes_and_colours_are_listed_with_stock(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    product = await product_of_type(deps, "hoodie")
    assert product.variants, "hoodies come in sizes"
    tracker = make_tracker(
        intent="product_inquiry",
        text=f'/product_inquiry{{"product":"{product.name_en}"}}',
        entities=[{"entity": "product", "value": product.name_en}],
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    said = texts(dispatcher)
    variant = product.variants[0]
    assert variant.size is not None and variant.size in said
    assert "Options:" in said


async def test_brand_in_the_question_picks_that_brands_product(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    product = await product_of_type(deps, "wireless earbuds")
    tracker = make_tracker(
        text=f"is the {product.brand} earbuds any good?",
        intent="product_inquiry",
        entities=[{"entity": "product", "value": "earbuds"}],
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    [shown] = card_message(dispatcher)["products"]
    assert shown["id"] == product.id


@pytest.mark.parametrize(("lang", "word"), [("zh", "电饭煲"), ("en", "rice cooker")])
async def test_several_matches_ask_which_one_with_buttons(
    deps: Deps, dispatcher: CollectingDispatcher, lang: Lang, word: str
) -> None:
    tracker = make_tracker(
        text=f"{word}多少钱" if lang == "zh" else f"how much is a {word}",
        intent="product_inquiry",
        entities=[{"entity": "product", "value": word}],
        slots={"language": lang},
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert word in message["text"]
    assert len(message["buttons"]) >= 2
    cookers = {
        p.name(lang) for p in await catalog.list_products(deps.engine) if "rice cooker" in p.aliases
    }
    for button in message["buttons"]:
        assert button["payload"].startswith("/product_inquiry{")
        entities = json.loads(button["payload"].removeprefix("/product_inquiry"))
        assert entities["product"] in cookers
        assert "¥" in button["title"]

    # Clicking a button answers for exactly that product.
    chosen = json.loads(message["buttons"][1]["payload"].removeprefix("/product_inquiry"))
    again = CollectingDispatcher()
    click = make_tracker(
        text=message["buttons"][1]["payload"],
        intent="product_inquiry",
        entities=[{"entity": "product", "value": chosen["product"]}],
        slots={"language": lang},
    )
    await ProductInquiry().run(again, click, {})
    [shown] = card_message(again)["products"]
    assert shown["name"] == chosen["product"]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [("en", "do you have any plutonium", "couldn't find"), ("zh", "有卖量子纠缠器吗", "没有找到")],
)
async def test_no_match_says_so_and_asks_to_rephrase(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, text: str, expected: str
) -> None:
    tracker = make_tracker(text=text, intent="product_inquiry", slots={"language": lang})
    await ProductInquiry().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert expected in message["text"]
    assert not any(m.get("custom") for m in dispatcher.messages)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("推荐点数码产品", "electronics"),
        ("any good kitchen appliances?", "appliances"),
        ("想买双鞋", "shoes"),
        ("recommend something", None),
    ],
)
def test_category_in(text: str, category: str | None) -> None:
    assert category_in(text) == category


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "do you have it in black?", "Black"),
        ("zh", "这款有黑色的吗", "黑色"),
    ],
)
async def test_a_follow_up_is_about_the_product_asked_before(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str, text: str, expected: str
) -> None:
    tracker = make_tracker(
        text=text,
        intent="product_inquiry",
        slots={"language": lang, "product": "SoundPeak Air Pro Wireless Earbuds"},
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    [shown] = card_message(dispatcher)["products"]
    assert shown["id"] == "P0001"
    assert expected in dispatcher.messages[0]["text"]


async def test_an_unrelated_question_does_not_fall_back_to_the_previous_product(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    tracker = make_tracker(
        text="do you have any plutonium",
        intent="product_inquiry",
        slots={"language": "en", "product": "SoundPeak Air Pro Wireless Earbuds"},
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    assert "couldn't find" in texts(dispatcher)


@pytest.mark.parametrize(
    ("text", "word", "alias"),
    [
        ("do you have sneakers in size 42", "sneakers", "sneakers"),
        ("how much is a speaker", "speaker", "speaker"),
    ],
)
async def test_choices_are_only_products_of_the_named_type(
    deps: Deps, dispatcher: CollectingDispatcher, text: str, word: str, alias: str
) -> None:
    tracker = make_tracker(
        text=text,
        intent="product_inquiry",
        entities=[{"entity": "product", "value": word}],
    )
    await ProductInquiry().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    wanted = {p.name_en for p in await catalog.list_products(deps.engine) if alias in p.aliases}
    offered = {
        json.loads(b["payload"].removeprefix("/product_inquiry"))["product"]
        for b in message["buttons"]
    }
    assert offered and offered <= wanted


async def test_an_out_of_stock_answer_records_the_ask_for_a_restock_notice(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    """The proactive service tells the customer once it is back (bot/services/proactive.py)."""
    from sqlalchemy import select, update

    from bot.shop.demo_records import LI_WEI_ID
    from bot.storage.schema import products, stock_asks

    async def asks() -> list[tuple[str, str]]:
        async with deps.engine.connect() as conn:
            rows = await conn.execute(select(stock_asks.c.customer_id, stock_asks.c.product_id))
            return [tuple(r) for r in rows]

    product = await product_of_type(deps, "rice cooker")
    question = make_tracker(text=f"how much is the {product.name_en}?", intent="product_inquiry")
    await ProductInquiry().run(dispatcher, question, {})
    assert await asks() == []  # in stock: nothing to follow up
    async with deps.engine.begin() as conn:
        await conn.execute(update(products).where(products.c.id == product.id).values(stock=0))
    sold_out = CollectingDispatcher()
    await ProductInquiry().run(sold_out, question, {})
    assert "out of stock" in texts(sold_out).lower()
    assert await asks() == [(LI_WEI_ID, product.id)]
    guest = make_tracker(
        sender_id="web:guest-abc",
        text=f"how much is the {product.name_en}?",
        intent="product_inquiry",
    )
    await ProductInquiry().run(CollectingDispatcher(), guest, {})
    assert await asks() == [(LI_WEI_ID, product.id)]  # a guest is nobody to tell


@pytest.mark.parametrize(
    ("slots", "dropped"),
    [
        ({"requested_slot": "order_id"}, True),  # still asking which order: nothing collected
        ({"requested_slot": "aftersales_reason", "order_id": "260402118830"}, False),
    ],
)
async def test_a_product_question_ends_a_form_still_asking_which_order(
    deps: Deps, dispatcher: CollectingDispatcher, slots: dict[str, Any], dropped: bool
) -> None:
    product = await product_of_type(deps, "rice cooker")
    tracker = make_tracker(
        text=f"how much is the {product.name_en}?",
        intent="product_inquiry",
        slots={"language": "en", **slots},
        active_loop="return_request_form",
    )
    events = await ProductInquiry().run(dispatcher, tracker, {})
    assert money(product.price_cents) in texts(dispatcher)
    assert (ActiveLoop(None) in events) is dropped

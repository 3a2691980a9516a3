"""The recommendation service and action on the seeded demo shop with a trained shop model."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions._deps import Deps, use_deps
from bot.actions.products import RecommendProducts
from bot.config import Config
from bot.recsys.shop import SHOP_MODEL, load_history, train_shop_model
from bot.services import catalog
from bot.services.recommend import Recommender, RecommendSettings, use_recommender
from bot.shop.demo_records import LI_WEI_ID
from bot.storage.db import create_engine
from bot.storage.schema import customer_segments, customers, interactions
from tests.actions.helpers import make_tracker
from tests.factory import ShopFactory

FAST = replace(SHOP_MODEL, max_epochs=8, time_budget_s=20.0)
NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def model_file(seeded_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop model trained once on the seeded demo shop."""
    path = tmp_path_factory.mktemp("recsys") / "shop-model.pt"

    async def train() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{seeded_db_file}")
        try:
            history = await load_history(engine)
        finally:
            await engine.dispose()
        train_shop_model(history, path, seed=0, config=FAST)

    asyncio.run(train())
    return path


@pytest.fixture
def recommender(model_file: Path, tmp_path: Path) -> Recommender:
    model = tmp_path / "model.pt"
    shutil.copyfile(model_file, model)
    settings = RecommendSettings(model_path=model, bandit_path=tmp_path / "bandit.json")
    return Recommender(settings, seed=0)


async def test_picks_are_in_stock_explained_and_personal(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    recs = await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s")
    assert recs.personal
    assert len(recs.picks) == 4
    bought = (await recommender.signals(shop_engine, LI_WEI_ID, "s")).bought
    for pick in recs.picks:
        assert pick.product.stock > 0
        if pick.reason.kind == "bought":
            assert pick.reason.product is not None and pick.reason.product.id in bought


@pytest.mark.parametrize(
    ("text", "check"),
    [
        (
            "any earbuds under 1000 yuan?",
            lambda p: "earbuds" in p.aliases and p.price_cents <= 100_000,
        ),
        ("推荐500元以内的耳机", lambda p: "耳机" in p.aliases and p.price_cents <= 50_000),
        ("推荐点数码产品", lambda p: p.category == "electronics"),
        ("any good kitchen appliances?", lambda p: p.category == "appliances"),
        ("something between 100 and 300 rmb", lambda p: 10_000 <= p.price_cents <= 30_000),
        ("想买双鞋，三百以上", lambda p: p.category == "shoes" and p.price_cents >= 30_000),
    ],
)
async def test_requests_are_filtered(
    recommender: Recommender, shop_engine: AsyncEngine, text: str, check: Any
) -> None:
    recs = await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s", text=text)
    assert recs.picks and not recs.relaxed_price
    assert all(check(pick.product) and pick.product.stock > 0 for pick in recs.picks)


async def test_a_price_nothing_meets_offers_the_closest(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    cheapest = min(
        p.price_cents for p in await catalog.list_products(shop_engine) if "耳机" in p.aliases
    )
    text = f"{cheapest // 100 - 50}元以内的耳机"
    recs = await recommender.recommend(shop_engine, customer_id=None, session="g", text=text)
    assert recs.relaxed_price and recs.picks
    assert all("耳机" in pick.product.aliases for pick in recs.picks)
    shown = [pick.product.price_cents for pick in recs.picks]
    assert shown == sorted(shown)  # "the closest in price", closest first (all above it)


async def test_bought_durables_stay_away_consumables_may_come_back(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    signals = await recommender.signals(shop_engine, LI_WEI_ID, "s")
    products = {p.id: p for p in await catalog.list_products(shop_engine)}
    durable = {pid for pid in signals.bought if not products[pid].consumable}
    assert durable  # earbuds, T-shirt, kettle, rice cooker
    for text in ("", "earbuds", "T恤", "kettle", "家电"):
        recs = await recommender.recommend(
            shop_engine, customer_id=LI_WEI_ID, session="s", text=text
        )
        assert not durable & {pick.product.id for pick in recs.picks}


async def test_not_interested_never_comes_back(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    first = await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s")
    dismissed = first.picks[0].product.id
    product = await recommender.react(
        shop_engine,
        customer_id=LI_WEI_ID,
        session="s",
        product_id=dismissed,
        reaction="skip",
        now=NOW,
    )
    assert product is not None and product.id == dismissed
    for _ in range(10):
        recs = await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s")
        assert dismissed not in {pick.product.id for pick in recs.picks}
    async with shop_engine.connect() as conn:
        kinds = (
            await conn.execute(
                select(interactions.c.kind).where(
                    interactions.c.customer_id == LI_WEI_ID,
                    interactions.c.product_id == dismissed,
                    interactions.c.kind == "rec_skip",
                )
            )
        ).all()
    assert len(kinds) == 1
    assert recommender.bandit.offsets[dismissed][0] < 0  # the bandit learnt it too


async def test_a_guest_dismissal_is_remembered_for_the_session(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    first = await recommender.recommend(shop_engine, customer_id=None, session="guest-1")
    dismissed = first.picks[0].product.id
    await recommender.react(
        shop_engine, customer_id=None, session="guest-1", product_id=dismissed, reaction="skip"
    )
    again = await recommender.recommend(shop_engine, customer_id=None, session="guest-1")
    assert dismissed not in {pick.product.id for pick in again.picks}


async def test_cold_start_uses_the_customers_segment(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    async with shop_engine.begin() as conn:
        await conn.execute(
            insert(customers).values(
                id="C9999", name="New VIP", language="en", segment="vip", created_at=NOW
            )
        )
    recs = await recommender.recommend(shop_engine, customer_id="C9999", session="v")
    assert not recs.personal and len(recs.picks) == 4
    assert {pick.reason.kind for pick in recs.picks} == {"popular_segment"}
    assert {pick.reason.segment for pick in recs.picks} == {"vip"}


async def test_cold_start_follows_what_the_customers_segment_buys(
    recommender: Recommender, shop_engine: AsyncEngine, shop: ShopFactory
) -> None:
    """A customer without history in an insight segment (customer_segments) is shown what
    the segment's customers bought; one outside any segment falls back to the shop tier."""
    favourite = shop.product("sports")
    buyers = [shop.customer("en") for _ in range(2)]
    for buyer in buyers:
        shop.order(buyer, products_=[favourite], quantity=40)
    newcomer = shop.customer("en")
    async with shop_engine.begin() as conn:
        await conn.execute(
            insert(customer_segments),
            [
                {
                    "customer_id": c.id,
                    "segment": "trail_fans",
                    "method": "kmeans",
                    "computed_at": NOW,
                }
                for c in (*buyers, newcomer)
            ],
        )
    recs = await recommender.recommend(shop_engine, customer_id=newcomer.id, session="seg")
    assert not recs.personal
    assert recs.picks[0].product.id == favourite.id
    assert {pick.reason.kind for pick in recs.picks} == {"popular_segment"}
    assert {pick.reason.segment for pick in recs.picks} == {"trail_fans"}
    outsider = shop.customer("en")
    plain = await recommender.recommend(shop_engine, customer_id=outsider.id, session="o")
    assert {pick.reason.segment for pick in plain.picks} == {"regular"}


async def test_without_a_model_file_it_still_answers(
    shop_engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = RecommendSettings(model_path=tmp_path / "none.pt", bandit_path=tmp_path / "b.json")
    recs = await Recommender(settings, seed=0).recommend(
        shop_engine, customer_id=LI_WEI_ID, session="s", text="推荐点数码产品"
    )
    assert len(recs.picks) == 4 and not recs.personal
    assert all(pick.product.category == "electronics" for pick in recs.picks)


async def test_more_like_this_stays_close_to_the_product(
    recommender: Recommender, shop_engine: AsyncEngine
) -> None:
    kettle = next(p for p in await catalog.list_products(shop_engine) if "kettle" in p.aliases)
    recs = await recommender.recommend(
        shop_engine, customer_id=None, session="g", like_product_id=kettle.id
    )
    assert recs.anchor == kettle
    assert kettle.id not in {pick.product.id for pick in recs.picks}
    same_category = [pick for pick in recs.picks if pick.product.category == kettle.category]
    assert len(same_category) >= 3
    assert {pick.reason.kind for pick in recs.picks} == {"similar"}


async def test_a_retrained_model_is_picked_up_without_restart(
    recommender: Recommender, shop_engine: AsyncEngine, seeded_db_file: Path
) -> None:
    await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s")
    assert recommender.store.loads == 1
    history = await load_history(shop_engine)
    train_shop_model(history, recommender.settings.model_path, seed=5, config=FAST)
    await recommender.recommend(shop_engine, customer_id=LI_WEI_ID, session="s")
    assert recommender.store.loads == 2


# --- the action ------------------------------------------------------------------------------


@pytest.fixture
def action_deps(cfg: Config, shop_engine: AsyncEngine, recommender: Recommender) -> Iterator[Deps]:
    deps = Deps(config=cfg, engine=shop_engine, clock=lambda: NOW)
    with use_deps(deps), use_recommender(recommender):
        yield deps


def cards(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    [custom] = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert custom["type"] == "product_cards"
    return list(custom["products"])


def text_of(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(str(m.get("text") or "") for m in dispatcher.messages)


def button_entities(payload: str) -> list[dict[str, Any]]:
    assert payload.startswith("/recommend_products{")
    values = json.loads(payload[payload.index("{") :])
    return [{"entity": key, "value": value} for key, value in values.items()]


@pytest.mark.parametrize(
    ("lang", "text", "reason_words"),
    [
        ("en", "what would you recommend for me?", ("because you", "based on", "popular")),
        ("zh", "有什么推荐的吗", ("因为您", "根据您", "热销")),
    ],
)
async def test_the_action_shows_explained_cards_with_buttons(
    action_deps: Deps, lang: str, text: str, reason_words: tuple[str, ...]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="recommend_products", slots={"language": lang})
    await RecommendProducts().run(dispatcher, tracker, {})
    shown = cards(dispatcher)
    assert 3 <= len(shown) <= 5
    for card in shown:
        assert card["image"] == f"/products/{card['id']}.svg"
        assert any(word in card["reason"] for word in reason_words)
        assert [b["title"] for b in card["buttons"]] == (
            ["More like this", "Not interested", "Buy"]
            if lang == "en"
            else ["看相似", "不感兴趣", "购买"]
        )
        for button in card["buttons"]:
            entities = {e["entity"]: e["value"] for e in button_entities(button["payload"])}
            assert entities["product_id"] == card["id"]
        assert card["reason"] in text_of(dispatcher)
        assert card["payload"] == card["buttons"][0]["payload"]  # text channels: "more like"


@pytest.mark.parametrize(
    ("lang", "header"), [("en", "Gift ideas for your mom"), ("zh", "送给妈妈")]
)
async def test_the_action_reads_gift_requests(action_deps: Deps, lang: str, header: str) -> None:
    text = "a gift for my mom under 300 yuan" if lang == "en" else "想给妈妈买个礼物，300元以内"
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="recommend_products", slots={"language": lang})
    await RecommendProducts().run(dispatcher, tracker, {})
    assert header in text_of(dispatcher)
    assert all(card["price"] <= 300 for card in cards(dispatcher))


async def test_card_buttons_buy_skip_and_more(action_deps: Deps) -> None:
    first = CollectingDispatcher()
    await RecommendProducts().run(
        first, make_tracker(text="recommend something", intent="recommend_products"), {}
    )
    card = cards(first)[0]
    by_title = {b["title"]: b["payload"] for b in card["buttons"]}

    async def press(title: str) -> CollectingDispatcher:
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            text=by_title[title],
            intent="recommend_products",
            entities=button_entities(by_title[title]),
        )
        await RecommendProducts().run(dispatcher, tracker, {})
        return dispatcher

    more = await press("More like this")
    assert f"More like {card['name']}" in text_of(more)
    assert card["id"] not in {c["id"] for c in cards(more)}

    buy = await press("Buy")
    assert "Great choice!" in text_of(buy) and card["name"] in text_of(buy)

    skip = await press("Not interested")
    assert f"won't suggest {card['name']} again" in text_of(skip)
    assert card["id"] not in {c["id"] for c in cards(skip)}

    async with action_deps.engine.connect() as conn:
        kinds = (
            await conn.execute(
                select(interactions.c.kind).where(
                    interactions.c.customer_id == LI_WEI_ID,
                    interactions.c.product_id == card["id"],
                    interactions.c.kind.like("rec_%"),
                )
            )
        ).scalars()
        assert sorted(kinds) == ["rec_buy", "rec_click", "rec_skip"]


async def test_an_unknown_product_button_says_so(action_deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    payload = '/recommend_products{"product_id":"P9999","rec_feedback":"buy"}'
    tracker = make_tracker(
        text=payload, intent="recommend_products", entities=button_entities(payload)
    )
    await RecommendProducts().run(dispatcher, tracker, {})
    assert "can't find that product" in text_of(dispatcher)

"""Product questions and recommendations."""

from __future__ import annotations

import json
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.core.language import Lang
from bot.i18n import category_name, money, t
from bot.services import catalog
from bot.services.types import Product, ProductMatch

from ._common import lang_of, latest_text
from ._deps import get_deps
from ._render import product_cards, product_text

# A match this many points ahead of the next one is "the" product the customer means.
CLEAR_MARGIN = 8.0
MAX_CHOICES = 5
SEARCH_POOL = 20
MAX_RECOMMENDATIONS = 3
RECOMMEND_POOL = 50


def product_entity(tracker: Tracker) -> str:
    entity = next(tracker.get_latest_entity_values("product"), None)
    return str(entity).strip() if entity else ""


# Words that point back at the product talked about before: "is it in black?", "这款有货吗".
_REFERS_BACK = re.compile(
    r"\b(?:it|its|this|that|this one|that one|them|they)\b|这个|这款|那款|那个|它", re.IGNORECASE
)


async def find_products(tracker: Tracker) -> tuple[str, list[ProductMatch]]:
    """What the customer asked about and the products matching it, best first.

    The product entity (from the catalog lookup table) is searched when there is one. Without
    it, a follow-up that points back ("do you have it in black?") is about the product of the
    previous answer (slot ``product``); otherwise the whole message is searched.
    """
    engine = get_deps().engine
    entity = product_entity(tracker)
    if entity:
        return entity, await catalog.search_products(engine, entity, limit=SEARCH_POOL)
    text = latest_text(tracker)
    previous = str(tracker.get_slot("product") or "").strip()
    if previous and (not text or _REFERS_BACK.search(text)):
        return previous, await catalog.search_products(engine, previous, limit=SEARCH_POOL)
    if not text:
        return "", []
    return text, await catalog.search_products(engine, text, limit=SEARCH_POOL)


def close_to_best(matches: list[ProductMatch]) -> list[ProductMatch]:
    """The matches within ``CLEAR_MARGIN`` points of the best one.

    Fuzzy matching lets a near-miss through ("sneakers" scores 85 against "speaker"); when the
    customer named a product type exactly, only products of that type are worth offering.
    """
    if not matches:
        return []
    floor = matches[0].score - CLEAR_MARGIN
    return [match for match in matches if match.score >= floor]


def is_named(query: str, product: Product) -> bool:
    """The query contains the product's full name (en or zh)."""
    wanted = query.casefold()
    return any(name.casefold() in wanted for name in (product.name_en, product.name_zh))


def brands(product: Product) -> set[str]:
    """The brand as customers write it: "soundpeak", and the Chinese name's first word "声浪"."""
    words = {product.brand.casefold()}
    zh_first = product.name_zh.split(maxsplit=1)
    if len(zh_first) == 2:
        words.add(zh_first[0].casefold())
    return {word for word in words if len(word) >= 2}


def clear_match(query: str, matches: list[ProductMatch]) -> Product | None:
    """The one product ``matches`` clearly points to, or None when several fit equally.

    Clear: a single match, a full product name in ``query`` (the customer's message), a lead
    of ``CLEAR_MARGIN`` points, or a brand in ``query`` that only one of the matches carries.
    """
    if not matches:
        return None
    if len(matches) == 1:
        return matches[0].product
    named = [match.product for match in matches if is_named(query, match.product)]
    if len(named) == 1:
        return named[0]
    if matches[0].score - matches[1].score >= CLEAR_MARGIN:
        return matches[0].product
    wanted = query.casefold()
    branded = [
        match.product
        for match in matches
        if any(brand in wanted for brand in brands(match.product))
    ]
    if len(branded) == 1:
        return branded[0]
    return None


def choice_buttons(matches: list[ProductMatch], lang: Lang) -> list[dict[str, str]]:
    buttons = []
    for match in matches[:MAX_CHOICES]:
        name = match.product.name(lang)
        entities = json.dumps({"product": name}, ensure_ascii=False, separators=(",", ":"))
        buttons.append(
            {
                "title": f"{name} · {money(match.product.price_cents)}",
                "payload": f"/product_inquiry{entities}",
            }
        )
    return buttons


class ProductInquiry(Action):
    """Price, stock, variants, specs and rating of the product the customer asks about."""

    def name(self) -> str:
        return "action_product_inquiry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        query, found = await find_products(tracker)
        matches = close_to_best(found)
        mentioned = f"{latest_text(tracker)} {query}"
        if not query:
            dispatcher.utter_message(text=t("product.no_query", lang))
            return []
        if not matches:
            dispatcher.utter_message(text=t("product.none", lang, query=query))
            return [SlotSet("product", None)]
        product = clear_match(mentioned, matches)
        if product is None:
            dispatcher.utter_message(
                text=t("product.ask_which", lang, query=product_entity(tracker) or query),
                buttons=choice_buttons(matches, lang),
            )
            return []
        dispatcher.utter_message(text=product_text(product, lang))
        dispatcher.utter_message(json_message=product_cards([product], lang))
        if product.image_url:
            dispatcher.utter_message(image=product.image_url)
        return [SlotSet("product", product.name(lang))]


# Words customers use for a whole category ("any good 数码 stuff?"); checked in this order.
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("underwear", ("underwear", "lingerie", "内衣")),
    ("shoes", ("shoes", "footwear", "鞋")),
    ("electronics", ("electronics", "gadget", "数码", "电子")),
    ("appliances", ("appliance", "家电", "电器")),
    ("clothing", ("clothes", "clothing", "衣服", "服装")),
    ("beauty", ("beauty", "skincare", "makeup", "cosmetic", "美妆", "护肤", "化妆")),
    ("food", ("food", "snack", "drink", "零食", "食品", "吃的", "饮料")),
    ("sports", ("sport", "outdoor", "fitness", "运动", "户外", "健身")),
    ("home", ("home", "household", "kitchen", "家居", "日用", "厨房")),
    ("books", ("book", "novel", "图书", "书")),
)


def category_in(text: str) -> str | None:
    """The product category a message names, if any ("推荐点数码产品" -> "electronics")."""
    lowered = text.casefold()
    for key, words in CATEGORY_WORDS:
        if any(word in lowered for word in words):
            return key
    return None


def top_rated_in_stock(products: list[Product], limit: int) -> list[Product]:
    """Best-rated products with stock, most reviews first among equal ratings."""
    seen: set[str] = set()
    picks: list[Product] = []
    for product in products:
        if product.stock > 0 and product.id not in seen:
            seen.add(product.id)
            picks.append(product)
    picks.sort(key=lambda product: (-product.rating, -product.rating_count, product.id))
    return picks[:limit]


class RecommendProducts(Action):
    """Top-rated, in-stock products of the asked product type or category, as product cards."""

    def name(self) -> str:
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        engine = get_deps().engine
        wanted = next(tracker.get_latest_entity_values("product"), None)
        category = category_in(latest_text(tracker))
        scope = ""
        if wanted:
            matches = await catalog.search_products(engine, str(wanted), limit=RECOMMEND_POOL)
            candidates = [match.product for match in close_to_best(matches)]
            scope = t("recommend.scope", lang, query=wanted)
        elif category:
            candidates = await catalog.list_products(engine, category=category)
            scope = t("recommend.scope", lang, query=category_name(category, lang))
        else:
            candidates = await catalog.list_products(engine)
        picks = top_rated_in_stock(candidates, MAX_RECOMMENDATIONS)
        if not picks:
            dispatcher.utter_message(text=t("recommend.none", lang, query=wanted or ""))
            return []
        lines = [t("recommend.header", lang, scope=scope)]
        lines += [
            t(
                "recommend.line",
                lang,
                name=product.name(lang),
                price=money(product.price_cents),
                rating=f"{product.rating:.1f}",
            )
            for product in picks
        ]
        dispatcher.utter_message(text="\n".join(lines))
        dispatcher.utter_message(json_message=product_cards(picks, lang))
        return []

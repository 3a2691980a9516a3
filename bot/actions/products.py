"""Product questions and recommendations."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import Lang, category_name, join_list, money, t, text_keys
from bot.payloads import button
from bot.recsys.constraints import Constraints, parse_constraints
from bot.services import catalog, proactive, recommend
from bot.services.recommend import Reason, Recommendations
from bot.services.types import Product, ProductMatch

from ._common import current_customer_id, lang_of, latest_text
from ._deps import get_deps
from ._render import product_cards, product_text
from .order_forms import drop_unstarted_form

# A match this many points ahead of the next one is "the" product the customer means.
CLEAR_MARGIN = 8.0
MAX_CHOICES = 5
SEARCH_POOL = 20


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
        title = f"{name} · {money(match.product.price_cents)}"
        buttons.append(button(title, "product_inquiry", product=name))
    return buttons


class ProductInquiry(Action):
    """Price, stock, variants, specs and rating of the product the customer asks about."""

    def name(self) -> str:
        return "action_product_inquiry"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await self._answer(dispatcher, tracker)
        return [*events, *drop_unstarted_form(tracker)]

    async def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
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
        if product.stock <= 0:
            # Told "out of stock": the proactive service tells them once it is back.
            deps = get_deps()
            customer_id = await current_customer_id(tracker, deps.engine)
            if customer_id is not None:
                await proactive.record_stock_ask(deps.engine, customer_id, product.id, deps.clock())
        return [SlotSet("product", product.name(lang))]


def category_in(text: str) -> str | None:
    """The product category a message names, if any ("推荐点数码产品" -> "electronics")."""
    categories = parse_constraints(text).categories
    return categories[0] if categories else None


def _feedback_button(product: Product, reaction: str, lang: Lang) -> dict[str, str]:
    title = t(f"recommend.button.{reaction}", lang)
    return button(title, "recommend_products", product_id=product.id, rec_feedback=reaction)


def reason_text(reason: Reason, lang: Lang) -> str:
    """ "because you bought X", "popular with our VIP members", ... in ``lang``."""
    if reason.kind in ("bought", "viewed", "similar") and reason.product is not None:
        return t(f"recommend.reason.{reason.kind}", lang, name=reason.product.name(lang))
    if reason.kind == "history":
        return t("recommend.reason.history", lang)
    if reason.kind == "gift" and reason.recipient:
        return t("recommend.reason.gift", lang, recipient=recipient_name(reason.recipient, lang))
    if reason.kind == "popular_segment" and reason.segment:
        return t(
            "recommend.reason.popular_segment", lang, segment=segment_name(reason.segment, lang)
        )
    if reason.kind == "popular_category" and reason.category:
        return t(
            "recommend.reason.popular_category",
            lang,
            category=category_name(reason.category, lang),
        )
    return t("recommend.reason.popular", lang)


def segment_name(segment: str, lang: Lang) -> str:
    key = f"recommend.segment.{segment}"
    return t(key if key in text_keys() else "recommend.segment.other", lang)


def recipient_name(recipient: str, lang: Lang) -> str:
    key = f"recommend.recipient.{recipient}"
    return t(key if key in text_keys() else "recommend.recipient.friend", lang)


def price_text(constraints: Constraints, lang: Lang) -> str:
    """ " under ¥200.00" / "¥200.00以内" (empty without a price)."""
    low, high = constraints.min_price_cents, constraints.max_price_cents
    if low is not None and high is not None:
        return t("recommend.price.range", lang, low=money(low), high=money(high))
    if high is not None:
        return t("recommend.price.max", lang, price=money(high))
    if low is not None:
        return t("recommend.price.min", lang, price=money(low))
    return ""


def scope_parts(recs: Recommendations, query: str | None, lang: Lang) -> list[str]:
    """What the request narrowed to: [" for “earbuds”", " under ¥200.00"] (zh alike)."""
    c = recs.constraints
    parts: list[str] = []
    if query:
        parts.append(t("recommend.scope", lang, query=query))
    elif c.type_words:
        parts.append(t("recommend.scope", lang, query=c.type_words[0]))
    elif c.categories:
        names = join_list([category_name(k, lang) for k in c.categories], lang)
        parts.append(t("recommend.scope", lang, query=names))
    if not recs.relaxed_price:
        parts.append(price_text(c, lang))
    return [part for part in parts if part]


def recommendation_messages(
    recs: Recommendations, query: str | None, lang: Lang
) -> tuple[str, dict[str, Any]]:
    """The text (header and one line per pick with its reason) and the product cards."""
    parts = scope_parts(recs, query, lang)
    if lang == "zh":
        # "为您精选“耳机”相关、¥200.00以内的商品" but "送给妈妈的礼物推荐（¥300.00以内）".
        scope = "、".join(parts) + "的" if parts else ""
        gift_scope = f"（{'、'.join(parts)}）" if parts else ""
    else:
        scope = gift_scope = "".join(parts)
    lines = []
    if recs.relaxed_price:
        lines.append(t("recommend.relaxed_price", lang, price=price_text(recs.constraints, lang)))
    if recs.anchor is not None:
        lines.append(t("recommend.header.similar", lang, name=recs.anchor.name(lang)))
    elif recs.constraints.recipient:
        name = recipient_name(recs.constraints.recipient, lang)
        lines.append(t("recommend.header.gift", lang, recipient=name, scope=gift_scope))
    elif recs.personal:
        lines.append(t("recommend.header.personal", lang, scope=scope))
    else:
        lines.append(t("recommend.header.popular", lang, scope=scope))
    for pick in recs.picks:
        lines.append(
            t(
                "recommend.line",
                lang,
                name=pick.product.name(lang),
                price=money(pick.product.price_cents),
                rating=f"{pick.product.rating:.1f}",
                reason=reason_text(pick.reason, lang),
            )
        )
    cards = product_cards([pick.product for pick in recs.picks], lang)
    for card, pick in zip(cards["products"], recs.picks, strict=True):
        card["reason"] = reason_text(pick.reason, lang)
        card["buttons"] = [
            _feedback_button(pick.product, reaction, lang) for reaction in ("more", "skip", "buy")
        ]
        # Channels without per-card buttons offer each card as one choice: "more like this".
        card["payload"] = card["buttons"][0]["payload"]
    return "\n".join(lines), cards


class RecommendProducts(Action):
    """Personal recommendations as product cards with a reason and feedback buttons.

    A plain request ("recommend earbuds under 200 yuan", "送妈妈的礼物") is parsed for filters
    and answered from the shop's model; a card button comes back as this intent with the
    entities ``product_id`` and ``rec_feedback`` ("more": similar products, "skip": never show
    it again and suggest others, "buy": where to order it). Every reaction teaches the bandit.
    """

    def name(self) -> str:
        return "action_recommend_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await self._answer(dispatcher, tracker)
        return [*events, *drop_unstarted_form(tracker)]

    async def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        lang = lang_of(tracker)
        deps = get_deps()
        engine = deps.engine
        service = recommend.recommender_for(deps.config)
        customer_id = await current_customer_id(tracker, engine)
        session = tracker.sender_id or ""
        reaction = next(tracker.get_latest_entity_values("rec_feedback"), None)
        product_id = next(tracker.get_latest_entity_values("product_id"), None)
        like: str | None = None
        if reaction in recommend.REACTIONS and product_id:
            product = await service.react(
                engine,
                customer_id=customer_id,
                session=session,
                product_id=str(product_id),
                reaction=reaction,
                now=deps.clock(),
            )
            if product is None:
                dispatcher.utter_message(text=t("recommend.gone", lang))
                return []
            if reaction == "buy":
                dispatcher.utter_message(
                    text=t(
                        "recommend.buy",
                        lang,
                        name=product.name(lang),
                        price=money(product.price_cents),
                    )
                )
                return [SlotSet("product", product.name(lang))]
            if reaction == "skip":
                dispatcher.utter_message(
                    text=t("recommend.dismissed", lang, name=product.name(lang))
                )
            else:
                like = product.id
        wanted = product_entity(tracker) if like is None and reaction is None else ""
        recs = await service.recommend(
            engine,
            customer_id=customer_id,
            session=session,
            text=latest_text(tracker) if reaction is None else "",
            product_query=wanted or None,
            like_product_id=like,
        )
        if not recs.picks:
            key = "recommend.none" if wanted else "recommend.none_filtered"
            dispatcher.utter_message(text=t(key, lang, query=wanted))
            return []
        text, cards = recommendation_messages(recs, wanted or None, lang)
        dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=cards)
        return []

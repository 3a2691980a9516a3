"""The one lookup API over the text tables: ``t()`` for a text by key, the ``*_name()`` helpers
for words the shop's data uses (order and ticket statuses, carriers, payment methods,
categories), and button titles for intents and FAQ topics.

Every table is a data module next to this one (orders, aftersales, products, conversation,
handoff, channels); their keys are unique across modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.i18n import (
    accounts,
    admin,
    aftersales,
    assist,
    channels,
    conversation,
    dashboard,
    handoff,
    orders,
    proactive,
    products,
)
from bot.i18n.language import Lang, as_lang

_MODULES: Final = (
    orders,
    aftersales,
    products,
    conversation,
    handoff,
    channels,
    accounts,
    dashboard,
    admin,
    proactive,
    assist,
)


def _merge() -> dict[str, dict[Lang, str]]:
    merged: dict[str, dict[Lang, str]] = {}
    for module in _MODULES:
        for key, variants in module.TEXTS.items():
            if key in merged:
                raise ValueError(f"text key {key!r} is defined twice (again in {module.__name__})")
            merged[key] = variants
    return merged


_TEXTS: Final[dict[str, dict[Lang, str]]] = _merge()


def t(key: str, lang: str, **kwargs: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en") with its placeholders filled."""
    try:
        variants = _TEXTS[key]
    except KeyError:
        raise ValueError(f"unknown text key {key!r}; add it to a table in bot/i18n/") from None
    return variants[as_lang(lang)].format(**kwargs)


def variants(key: str) -> Mapping[Lang, str]:
    """Both languages of ``key``, placeholders unfilled (for module constants and pages)."""
    try:
        return MappingProxyType(_TEXTS[key])
    except KeyError:
        raise ValueError(f"unknown text key {key!r}; add it to a table in bot/i18n/") from None


def text_keys() -> list[str]:
    """All text keys (for tests that check every key has both languages)."""
    return sorted(_TEXTS)


def page_labels(prefix: str) -> dict[Lang, dict[str, str]]:
    """Every text whose key starts with ``prefix`` (e.g. "dashboard."), the prefix removed, in
    both languages, placeholders unfilled: the labels a static admin page fills in itself."""
    return {
        lang: {
            key.removeprefix(prefix): v[lang] for key, v in _TEXTS.items() if key.startswith(prefix)
        }
        for lang in ("zh", "en")
    }


def customer_text(key: str, lang: Lang, **values: object) -> str:
    """A handoff text for the customer (``handoff.<key>``)."""
    return t(f"handoff.{key}", lang, **values)


def staff_text(key: str, lang: Lang, **values: object) -> str:
    """A text of the staff desk (``staff.<key>``) in the staff's language."""
    return t(f"staff.{key}", lang, **values)


def _lookup(table: Mapping[str, Mapping[Lang, str]], key: str, lang: str) -> str:
    entry = table.get(key)
    if entry is None:
        return key.replace("_", " ")
    return entry[as_lang(lang)]


def status_name(status: str, lang: str) -> str:
    """An order status in words ("in_transit" -> "in transit" / "运输中")."""
    return _lookup(orders.STATUS, status, lang)


def ticket_kind_name(kind: str, lang: str) -> str:
    return _lookup(aftersales.TICKET_KIND, kind, lang)


def ticket_status_name(status: str, lang: str) -> str:
    return _lookup(aftersales.TICKET_STATUS, status, lang)


def payment_name(method: str, lang: str) -> str:
    return _lookup(orders.PAYMENT, method, lang)


def intent_title(intent: str, lang: str) -> str | None:
    """A button title for ``intent``, or None when the intent is not worth offering."""
    entry = conversation.INTENT_TITLES.get(intent)
    return None if entry is None else entry[as_lang(lang)]


def faq_title(topic: str, lang: str) -> str | None:
    entry = conversation.FAQ_TITLES.get(topic)
    return None if entry is None else entry[as_lang(lang)]


def faq_topics() -> list[str]:
    return sorted(conversation.FAQ_TITLES)


def category_name(key: str, lang: str) -> str:
    """A catalog category in words ("electronics" -> "Electronics" / "数码电子")."""
    entry = products.CATEGORIES.get(key)
    if entry is None:
        return key
    return entry[as_lang(lang)]


def category_names(key: str) -> tuple[str, str]:
    """(English, Chinese) name of a catalog category (the catalog's own names)."""
    entry = products.CATEGORIES[key]
    return entry["en"], entry["zh"]


def carrier_name(carrier: str, lang: str) -> str:
    """Carrier in the customer's language ("SF Express" -> "顺丰速运")."""
    if as_lang(lang) == "zh":
        return orders.CARRIERS.get(carrier, carrier)
    return carrier


def admin_labels() -> dict[Lang, dict[str, str]]:
    """The admin pages' labels (``admin.*`` without the prefix) in both languages, as
    bot/admin/static/common.js reads them."""
    return {
        lang: {
            key.removeprefix("admin."): variants[lang]
            for key, variants in _TEXTS.items()
            if key.startswith("admin.")
        }
        for lang in ("zh", "en")
    }


def web_labels() -> dict[Lang, dict[str, object]]:
    """The web chat page's labels in both languages, shaped as adapters/web/static/chat.js
    reads them (placeholders such as ``{shop}`` are filled in the browser)."""
    labels: dict[Lang, dict[str, object]] = {}
    for lang in ("zh", "en"):
        raw = {key: _TEXTS[key][lang] for key in _TEXTS if key.startswith("web.")}
        labels[lang] = {
            "status": raw["web.status"],
            "placeholder": raw["web.placeholder"],
            "send": raw["web.send"],
            "typing": raw["web.typing"],
            "picker": raw["web.picker"],
            "customers": {
                key.removeprefix("web.customer."): text
                for key, text in raw.items()
                if key.startswith("web.customer.")
            },
            "welcome": raw["web.welcome"],
            "suggestions": [raw[key] for key in sorted(raw) if key.startswith("web.suggestion.")],
            "inStock": raw["web.in_stock"],
            "outOfStock": _TEXTS["card.out_of_stock"][lang],
            "details": _TEXTS["card.details"][lang],
            "network": raw["web.network"],
            "failed": raw["web.failed"],
            "user": raw["web.user"],
            "tooLong": raw["web.too_long"],
            "identityRefused": raw["web.identity_refused"],
            "rateLimited": raw["web.rate_limited"],
            "photo": raw["web.photo"],
            "photoSent": raw["web.photo_sent"],
            "photoTooBig": raw["web.photo_too_big"],
            "photoType": raw["web.photo_type"],
            "open": raw["web.open"],
            "close": raw["web.close"],
            "unread": raw["web.unread"],
            "history": raw["web.history"],
            "staff": raw["web.staff"],
        }
    return labels

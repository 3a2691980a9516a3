"""Every text customers and staff read, in Chinese and English, and the customer's language.

- :mod:`bot.i18n.language`: ``Lang``, detecting and normalising a language;
- the text tables, pure data split by area: :mod:`~bot.i18n.orders`,
  :mod:`~bot.i18n.aftersales`, :mod:`~bot.i18n.products`, :mod:`~bot.i18n.conversation`,
  :mod:`~bot.i18n.handoff` (customer and staff), :mod:`~bot.i18n.channels` (pipeline,
  adapters, web page);
- one lookup API (:mod:`~bot.i18n.lookup`): ``t(key, lang, **values)`` and the helpers below;
- formatting of amounts, dates, durations and lists (:mod:`~bot.i18n.formatting`).

Static answers of the Rasa domain (greeting, FAQ, ...) stay in rasa_project/domain as response
variations; tests/i18n/test_domain_texts.py checks that they agree with these tables.

This is the bottom layer: it imports nothing of the bot but itself (not bot.core, bot.shop or
bot.services), so every other package can use it.
"""

from __future__ import annotations

from bot.i18n.formatting import age_text, fmt_date, fmt_datetime, join_list, money
from bot.i18n.language import (
    Lang,
    as_lang,
    detect_language,
    known_language,
    language_name,
)
from bot.i18n.lookup import (
    _TEXTS,
    admin_labels,
    carrier_name,
    category_name,
    category_names,
    customer_text,
    faq_title,
    faq_topics,
    intent_title,
    page_labels,
    payment_name,
    staff_text,
    status_name,
    t,
    text_keys,
    ticket_kind_name,
    ticket_status_name,
    variants,
    web_labels,
)

__all__ = [
    "_TEXTS",
    "Lang",
    "admin_labels",
    "age_text",
    "as_lang",
    "carrier_name",
    "category_name",
    "category_names",
    "customer_text",
    "detect_language",
    "faq_title",
    "faq_topics",
    "fmt_date",
    "fmt_datetime",
    "intent_title",
    "join_list",
    "known_language",
    "language_name",
    "money",
    "page_labels",
    "payment_name",
    "staff_text",
    "status_name",
    "t",
    "text_keys",
    "ticket_kind_name",
    "ticket_status_name",
    "variants",
    "web_labels",
]

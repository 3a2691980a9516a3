"""What the order forms ask: the order number (with a choice of the customer's recent orders
that fit the request), the phone number on the order, a new address, a confirmation.

The forms' validation is in bot/actions/order_forms.py, the access check in
bot/actions/order_access.py.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import money, t

from ._common import lang_of, latest_intent, latest_text
from ._deps import get_deps
from ._render import items_summary, order_button
from .order_access import accessible_order, phone_retries
from .order_forms import INTERRUPTING_INTENTS, REQUEST_INTENTS, find_order_id, yes_no_buttons
from .order_picking import (
    RECENT_ORDERS,
    candidate_orders,
    choosable_orders,
    pick_by_product,
)

ADDRESS_PROBLEM_KEYS = (
    "address.too_short",
    "address.no_detail",
    "address.too_long",
    "address.invalid",
)


def _bot_texts_since_user(tracker: Tracker) -> list[str]:
    """What the bot said after the customer's latest message (oldest first)."""
    said: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "bot" and event.get("text"):
            said.append(str(event["text"]))
    return list(reversed(said))


def address_problem_just_said(tracker: Tracker) -> bool:
    """Whether this turn already explained what is wrong with the customer's new address."""
    problems = {t(key, lang) for key in ADDRESS_PROBLEM_KEYS for lang in ("en", "zh")}
    return any(text in problems for text in _bot_texts_since_user(tracker))


# Intents that ask for an order request: a product they name is the order's.
ORDER_REQUESTS = REQUEST_INTENTS | {"order_status"}


class AskOrderId(Action):
    """Asks for the order number; a known customer gets their latest orders that fit the
    request as buttons. A product named in the message narrows them: several orders with it
    are offered alone; none with it is said, with the orders the request fits."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        form = tracker.active_loop_name
        candidates = await candidate_orders(tracker, deps)
        text = latest_text(tracker)
        pick = None
        intent = latest_intent(tracker)
        # A product counts when the message asks for an order request or answers the question
        # ("return the T-shirt", "the earbuds"); not after a question asked in between ("any
        # cheap headphones?"), which the form comes back from asking the same as before.
        asked_between = intent in INTERRUPTING_INTENTS and intent not in ORDER_REQUESTS
        if (
            text
            and not asked_between
            and find_order_id(text, deps.config.nlu.order_id_pattern) is None
        ):
            pick = await pick_by_product(text, candidates, form, deps)
        if pick is not None:
            name = pick.product.name_zh if lang == "zh" else pick.product.name_en
            if pick.orders:
                dispatcher.utter_message(
                    text=t("order.ask_id_product_several", lang, product=name),
                    buttons=[order_button(order, lang) for order in pick.orders[:RECENT_ORDERS]],
                )
                return []
            recent = choosable_orders(candidates, form, deps)
            dispatcher.utter_message(
                text=t("order.ask_id_product_none", lang, product=name),
                buttons=[order_button(order, lang) for order in recent],
            )
            return []
        recent = choosable_orders(candidates, form, deps)
        if recent:
            dispatcher.utter_message(
                text=t("order.ask_id_choose", lang),
                buttons=[order_button(order, lang) for order in recent],
            )
        else:
            dispatcher.utter_message(text=t("order.ask_id", lang))
        return []


class AskPhone(Action):
    def name(self) -> str:
        return "action_ask_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        order_id = tracker.get_slot("order_id") or ""
        # After a wrong number (order.phone_retry) a short re-ask is enough.
        key = "order.ask_phone_again" if phone_retries(tracker) else "order.ask_phone"
        dispatcher.utter_message(text=t(key, lang, order_id=order_id))
        return []


class AskNewAddress(Action):
    def name(self) -> str:
        return "action_ask_new_address"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = await accessible_order(tracker, dispatcher, get_deps())
        if order is None:
            return []
        lang = lang_of(tracker)
        if address_problem_just_said(tracker):
            # The problem message already said what is missing; a short re-ask is enough.
            dispatcher.utter_message(text=t("address.ask_again", lang, order_id=order.id))
        else:
            dispatcher.utter_message(
                text=t("address.ask", lang, order_id=order.id, current=order.shipping_address)
            )
        return []


class AskConfirm(Action):
    """Asks to confirm a cancellation or an address change, with yes/no buttons."""

    def name(self) -> str:
        return "action_ask_confirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        order = await accessible_order(tracker, dispatcher, get_deps())
        if order is None:
            return []
        if tracker.active_loop_name == "change_address_form":
            dispatcher.utter_message(
                text=t(
                    "address.confirm",
                    lang,
                    order_id=order.id,
                    address=tracker.get_slot("new_address") or "",
                ),
                buttons=yes_no_buttons(lang, "address.yes", "address.no"),
            )
        else:
            dispatcher.utter_message(
                text=t(
                    "cancel.confirm",
                    lang,
                    order_id=order.id,
                    items=items_summary(order, lang),
                    total=money(order.total_cents),
                ),
                buttons=yes_no_buttons(lang, "cancel.yes", "cancel.no"),
            )
        return []

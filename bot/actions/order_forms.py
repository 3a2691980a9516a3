"""The order forms: finding the order (number, or a choice of the customer's recent orders),
checking access (the phone number on the order when the customer does not own it) and asking
what the task needs (a new address, a confirmation).

Every order form asks for the order number, then - only when the customer does not own the
order - for the phone number on the order, then for what the task needs.

Wrong phone numbers are counted per sender and order in the database (bot/services/attempts.py):
``access.max_wrong`` within ``access.window_minutes`` lock the order for that sender for
``access.lock_minutes``, across forms and restarts. An unlinked chat account that gives the
phone of the customer who placed the order is linked to that customer (``access.
link_after_phone_check``, bot/services/linking.py).
"""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.i18n import Lang, fmt_datetime, money, t
from bot.services import attempts, customers, linking, orders
from bot.services.types import Order

from ._common import (
    channel_and_external_id,
    current_customer_id,
    events_in_form,
    lang_of,
    latest_text,
)
from ._deps import Deps, get_deps
from ._render import items_summary, order_button

RECENT_ORDERS = 5
# Orders looked at to find RECENT_ORDERS that fit the current request.
CANDIDATE_ORDERS = 20
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
# Wrong phone numbers a customer may try for one order before the form gives up and refuses
# (a new form may try again, up to access.max_wrong per access.window_minutes in all).
MAX_PHONE_TRIES = 3
SHIPPED = {"shipped", "in_transit"}

# Intents that interrupt a form instead of answering its question (unless the message is
# clearly the answer, e.g. an address).
INTERRUPTING_INTENTS = frozenset(
    {
        "faq",
        "deny",
        "request_human",
        "order_status",
        "cancel_order",
        "product_inquiry",
        "recommend_products",
        "return_request",
        "exchange_request",
        "refund_status",
        "complaint",
        "give_feedback",
        "delete_my_data",
        "greet",
        "goodbye",
        "thank",
        "bot_challenge",
    }
)

# Slots an order flow fills; cleared when the flow ends so the next flow starts fresh.
FLOW_SLOTS = ("order_id", "phone", "new_address", "confirm")


def reset_flow() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FLOW_SLOTS]


def yes_no_buttons(lang: Lang, yes_key: str, no_key: str) -> list[dict[str, str]]:
    return [
        {"title": t(yes_key, lang), "payload": "/affirm"},
        {"title": t(no_key, lang), "payload": "/deny"},
    ]


_ADDRESS_LEAD_IN = re.compile(
    r"^\s*(?:please\s+)?(?:"
    r"(?:the\s+)?new\s+address(?:\s+is)?|my\s+(?:new\s+)?address\s+is|address"
    r"|(?:send|deliver|ship|change)\s+(?:it\s+)?to|it\s+should\s+go\s+to"
    r")(?![a-z])\s*[:：,，]?\s*"
    r"|^\s*(?:请)?(?:帮我)?(?:新地址是|新地址|地址是|地址|改成|改到|改为|寄到|送到|发到|换成)\s*[:：,，]?\s*",
    re.IGNORECASE,
)


def strip_address_lead_in(text: str) -> str:
    """The address without a lead-in: "send it to 18 Xinhua Rd" -> "18 Xinhua Rd"."""
    stripped = _ADDRESS_LEAD_IN.sub("", text.strip(), count=1).strip()
    return stripped or text.strip()


# Digit groups joined by single spaces, dashes or dots: "2603 1500 4217", "2603-1500-4217".
_GROUPED_DIGITS = re.compile(r"(?<![\d.-])\d+(?:[ \-–—.]\d+)+(?![\d.-])")


def find_order_id(text: str, pattern: str) -> str | None:
    """The order number in ``text`` (digits not part of a longer number), or None.

    Customers copy order numbers with spaces or dashes between digit groups
    ("2603 1500 4217"); such a group of digits counts when it matches without the separators.
    """
    match = re.search(rf"(?<!\d)(?:{pattern})(?!\d)", text)
    if match:
        return match.group(0)
    for grouped in _GROUPED_DIGITS.finditer(text):
        joined = re.sub(r"[^0-9]", "", grouped.group(0))
        if re.fullmatch(pattern, joined):
            return joined
    return None


def _bot_texts_in_form(tracker: Tracker) -> list[str]:
    """What the bot said since the current form started (oldest first)."""
    return [
        str(e["text"]) for e in events_in_form(tracker) if e.get("event") == "bot" and e.get("text")
    ]


def phone_retries(tracker: Tracker) -> int:
    """How many wrong phone numbers the customer already sent in the current form."""
    retry = {t("order.phone_retry", lang) for lang in ("en", "zh")}
    return sum(1 for text in _bot_texts_in_form(tracker) if text in retry)


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


@dataclass(frozen=True)
class OrderAccess:
    order: Order
    access: orders.Access
    # Too many wrong phone numbers (from this sender, or from everybody): the order is locked
    # for this sender until then.
    locked_until: datetime | None = None

    @property
    def granted(self) -> bool:
        """The customer owns the order or gave the phone number on it."""
        return self.access in (orders.Access.OWNER, orders.Access.VERIFIED)


async def order_access(tracker: Tracker, deps: Deps) -> OrderAccess | None:
    """The order in slot ``order_id`` and whether this customer may see it; None if unknown."""
    order_id = tracker.get_slot("order_id")
    if not order_id:
        return None
    order = await orders.get_order(deps.engine, str(order_id))
    if order is None:
        return None
    customer_id = await current_customer_id(tracker, deps.engine)
    phone = tracker.get_slot("phone")
    access = orders.check_access(order, customer_id, str(phone) if phone else None)
    if access is orders.Access.OWNER:
        return OrderAccess(order, access)
    # While the order is locked for this sender, not even the right phone opens it.
    locked = await phone_locked_until(tracker, deps, order.id)
    if locked is not None:
        return OrderAccess(order, orders.Access.NEEDS_PHONE, locked)
    return OrderAccess(order, access)


def _sender(tracker: Tracker) -> str:
    return attempts.subject_of(*channel_and_external_id(tracker))


async def phone_locked_until(tracker: Tracker, deps: Deps, order_id: str) -> datetime | None:
    """When this sender may try phone numbers for ``order_id`` again; None: they may now.

    Locked by the sender's own wrong numbers, or by everybody's (``access.max_wrong_per_order``).
    """
    settings = deps.config.access
    limits = attempts.Limits.from_config(settings)
    engine, now = deps.engine, deps.clock()
    mine = await attempts.locked_until(
        engine, attempts.PHONE, _sender(tracker), order_id, now=now, limits=limits
    )
    if mine is not None or settings.max_wrong_per_order <= 0:
        return mine
    everybody = dataclasses.replace(limits, max_wrong=settings.max_wrong_per_order)
    return await attempts.locked_until(
        engine, attempts.PHONE, attempts.ANY_SENDER, order_id, now=now, limits=everybody
    )


def lock_time_text(until: datetime, lang: Lang, deps: Deps) -> str:
    """When a lock ends, in shop time, rounded up to the minute."""
    return fmt_datetime(until + timedelta(seconds=59), lang, deps.config.shop.timezone)


async def accessible_order(
    tracker: Tracker, dispatcher: CollectingDispatcher, deps: Deps
) -> Order | None:
    """The order when this customer may see it; otherwise say so (revealing nothing)."""
    lang = lang_of(tracker)
    found = await order_access(tracker, deps)
    if found is None:
        order_id = tracker.get_slot("order_id")
        if order_id:
            dispatcher.utter_message(text=t("order.not_found", lang, order_id=order_id))
        else:
            dispatcher.utter_message(text=t("order.ask_id", lang))
        return None
    if not found.granted:
        if found.locked_until is not None:
            when = lock_time_text(found.locked_until, lang, deps)
            dispatcher.utter_message(
                text=t("order.phone_locked", lang, order_id=found.order.id, time=when)
            )
        else:
            dispatcher.utter_message(text=t("order.phone_mismatch", lang))
        return None
    return found.order


class OrderFormValidation(FormValidationAction, ABC):
    """Validates the order number and phone of an order form and decides what to ask next."""

    @abstractmethod
    def name(self) -> str: ...

    def slots_after_access(self, order: Order, deps: Deps) -> list[str]:
        """Further slots to ask once the customer may act on ``order``."""
        return []

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        deps = get_deps()
        found = await order_access(tracker, deps)
        if found is None:
            return ["order_id"]
        if found.granted:
            # A phone that proved access stays listed, so a new value is validated too.
            phone = ["phone"] if found.access is orders.Access.VERIFIED else []
            return ["order_id", *phone, *self.slots_after_access(found.order, deps)]
        if found.locked_until is not None:
            # Locked: ask nothing; the submit action says until when. A phone
            # sent meanwhile is listed only so that its validation clears it unchecked.
            return ["order_id", "phone"] if tracker.get_slot("phone") is not None else ["order_id"]
        # Not the owner: the phone on the order is needed. A phone that does not match ends
        # the form too; the submit action then refuses without revealing anything.
        return ["order_id", "phone"]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        # Always decide here (rasa-sdk leaves it to Rasa when the list equals the domain's),
        # so the form asks exactly what required_slots says, in that order.
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet(REQUESTED_SLOT, next(missing, None))

    @staticmethod
    def _answer(tracker: Tracker, slot: str) -> str | None:
        """The customer's reply when the form asked for ``slot`` and no entity filled it."""
        if tracker.get_slot(REQUESTED_SLOT) != slot or slot in tracker.slots_to_validate():
            return None
        return latest_text(tracker) or None

    @staticmethod
    def _is_answer(text: str, tracker: Tracker) -> bool:
        """Digits are an answer whatever the intent; otherwise other requests interrupt."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return bool(re.search(r"[0-9]{4,}", text)) or intent not in INTERRUPTING_INTENTS

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "order_id")
        if text and self._is_answer(text, tracker):
            return {"order_id": text}
        if (
            tracker.get_slot(REQUESTED_SLOT) is None
            and tracker.get_slot("order_id") is None
            and "order_id" not in tracker.slots_to_validate()
        ):
            # The request that started the form may carry a number the entity extractor
            # missed because of its separators: "where is 2603-1500-4217".
            order_id = find_order_id(latest_text(tracker), get_deps().config.nlu.order_id_pattern)
            if order_id:
                return {"order_id": order_id}
        return {}

    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "phone")
        return {"phone": text} if text and self._is_answer(text, tracker) else {}

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        deps = get_deps()
        lang = lang_of(tracker)
        text = str(slot_value or "").strip()
        order_id = find_order_id(text, deps.config.nlu.order_id_pattern)
        if order_id is None:
            shown = text if len(text) <= 40 else text[:40] + "…"
            dispatcher.utter_message(text=t("order.bad_format", lang, text=shown))
            return {"order_id": None}
        if await orders.get_order(deps.engine, order_id) is None:
            dispatcher.utter_message(text=t("order.not_found", lang, order_id=order_id))
            return {"order_id": None}
        return {"order_id": order_id}

    async def validate_phone(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        digits = orders.normalise_phone(str(slot_value or ""))
        if not MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
            dispatcher.utter_message(text=t("order.bad_phone", lang))
            return {"phone": None}
        deps = get_deps()
        order_id = tracker.get_slot("order_id")
        order = await orders.get_order(deps.engine, str(order_id)) if order_id else None
        if order is None:
            return {"phone": digits}
        customer_id = await current_customer_id(tracker, deps.engine)
        access = orders.check_access(order, customer_id, digits)
        if access is orders.Access.OWNER:
            return {"phone": digits}
        sender, now = _sender(tracker), deps.clock()
        limits = attempts.Limits.from_config(deps.config.access)
        # Locked (now, or by this wrong number): the number is not checked nor kept; the form
        # then asks nothing more (required_slots) and the submit action says until when.
        if await phone_locked_until(tracker, deps, order.id) is not None:
            return {"phone": None}
        if access is orders.Access.VERIFIED:
            await attempts.clear(deps.engine, attempts.PHONE, sender, order.id)
            await self._link_account(order, digits, customer_id, dispatcher, tracker, deps)
            return {"phone": digits}
        await attempts.record_wrong(
            deps.engine, attempts.PHONE, sender, order.id, now=now, limits=limits
        )
        if await phone_locked_until(tracker, deps, order.id) is not None:
            return {"phone": None}
        # A mistyped number gets another try; after a few the form ends and the submit action
        # refuses, revealing nothing.
        if phone_retries(tracker) + 1 < MAX_PHONE_TRIES:
            dispatcher.utter_message(text=t("order.phone_retry", lang))
            return {"phone": None}
        return {"phone": digits}

    @staticmethod
    async def _link_account(
        order: Order,
        phone: str,
        customer_id: str | None,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        deps: Deps,
    ) -> None:
        """Link an unlinked chat account that gave the phone of the customer who placed the
        order (not only the recipient's phone on the order), and say so."""
        settings = deps.config.access
        channel, external_id = channel_and_external_id(tracker)
        if customer_id is not None or not settings.link_after_phone_check or not external_id:
            return
        if channel not in settings.link_channels:
            return
        owner = await customers.get_customer(deps.engine, order.customer_id)
        if owner is None or not owner.phone or not orders.phones_match(phone, owner.phone):
            return
        if await linking.link_account(deps.engine, channel, external_id, owner.id):
            dispatcher.utter_message(text=t("link.by_phone", lang_of(tracker)))


class ValidateOrderStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_order_status_form"


class ValidateCancelOrderForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_cancel_order_form"

    def slots_after_access(self, order: Order, deps: Deps) -> list[str]:
        decision = orders.can_cancel(order, deps.config.orders.cancellable_statuses)
        return ["confirm"] if decision.allowed else []


class ValidateChangeAddressForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_change_address_form"

    def slots_after_access(self, order: Order, deps: Deps) -> list[str]:
        decision = orders.can_change_address(order, deps.config.orders.address_changeable_statuses)
        return ["new_address", "confirm"] if decision.allowed else []

    async def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The new address from the customer's answer, when the form asked for it.

        Intent classifiers often take an address for something else; text that passes the
        address check is an address. Otherwise a question or another request interrupts the
        form, and anything else is a poor answer that validation asks again about.
        """
        text = self._answer(tracker, "new_address")
        if not text:
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if orders.validate_address(text).ok or intent not in INTERRUPTING_INTENTS:
            return {"new_address": text}
        return {}

    async def validate_new_address(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        text = strip_address_lead_in(str(slot_value or ""))
        check = orders.validate_address(text)
        if not check.ok:
            key = f"address.{check.problem}"
            if check.problem not in {"too_short", "no_detail", "too_long"}:
                key = "address.invalid"
            dispatcher.utter_message(text=t(key, lang_of(tracker)))
            return {"new_address": None}
        return {"new_address": text}


def order_fits_form(order: Order, form: str | None, deps: Deps) -> bool:
    """Whether the request of ``form`` can still apply to ``order`` (any order for others)."""
    if form == "cancel_order_form":
        return orders.can_cancel(order, deps.config.orders.cancellable_statuses).allowed
    if form == "change_address_form":
        return orders.can_change_address(
            order, deps.config.orders.address_changeable_statuses
        ).allowed
    if form in ("return_request_form", "exchange_request_form"):
        window = deps.aftersales.return_window(order, deps.clock())
        # A parcel on its way can still be returned: the return intercepts it.
        in_transit = form == "return_request_form" and order.status in SHIPPED
        return window.state == "open" or in_transit
    return True


def choosable_orders(candidates: list[Order], form: str | None, deps: Deps) -> list[Order]:
    """The recent orders offered as buttons for ``form``, newest first.

    Requests that only some orders allow (cancelling, a new address, a return or an exchange)
    offer just those orders; when none of the recent orders fits, the latest ones are offered
    anyway, and the form's answer explains why the chosen order does not qualify.
    """
    fitting = [order for order in candidates if order_fits_form(order, form, deps)]
    return (fitting or candidates)[:RECENT_ORDERS]


class AskOrderId(Action):
    """Asks for the order number; a known customer gets their latest orders as buttons."""

    def name(self) -> str:
        return "action_ask_order_id"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        customer_id = await current_customer_id(tracker, deps.engine)
        candidates = (
            await orders.list_orders(deps.engine, customer_id, limit=CANDIDATE_ORDERS)
            if customer_id
            else []
        )
        recent = choosable_orders(candidates, tracker.active_loop_name, deps)
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

"""The order forms' validation: the order number, the phone number on the order (linking an
unlinked chat account that proves it is the customer's), the new address; and the helpers the
order flows share.

Every order form asks for the order number, then - only when the customer does not own the
order - for the phone number on the order, then for what the task needs. Access and the
wrong-phone locks are in bot/actions/order_access.py, what the forms ask in
bot/actions/order_asks.py.

An unlinked chat account that gives the phone of the customer who placed the order is linked
to that customer (``access.link_after_phone_check``, bot/services/linking.py).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.entities.answers import address_text, phone_text
from bot.i18n import Lang, t
from bot.services import attempts, customers, linking, orders
from bot.services.aftersales_answers import is_bare_number
from bot.services.types import Order

from ._common import (
    channel_and_external_id,
    current_customer_id,
    lang_of,
    latest_intent,
    latest_text,
)
from ._deps import Deps, get_deps
from .form_replies import (
    CONFIRM_SLOTS,
    form_order_id_before,
    points_back,
    says_yes,
    talked_about,
)
from .order_access import order_access, phone_locked_until, phone_retries, phone_sender
from .order_picking import (
    SHIPPED,
    candidate_orders,
    only_choice,
    pick_by_product,
    pick_in_any_order,
)

__all__ = ["SHIPPED", "OrderFormValidation", "find_order_id", "form_order_id_before", "reset_flow"]

MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
# Wrong phone numbers a customer may try for one order before the form gives up and refuses
# (a new form may try again, up to access.max_wrong per access.window_minutes in all).
MAX_PHONE_TRIES = 3

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

# Requests that are forms of their own: one asked in the middle of another form (not the
# form's own request) drops that form (OrderFormValidation._moved_on).
REQUEST_INTENTS = frozenset(
    {"cancel_order", "change_address", "return_request", "exchange_request", "refund_status"}
)

# Slots an order flow fills; cleared when the flow ends so the next flow starts fresh.
FLOW_SLOTS = ("order_id", "phone", "new_address", "confirm")


def _fills_a_slot(event: EventType) -> bool:
    return event.get("event") == "slot" and event.get("name") != REQUESTED_SLOT


def reset_flow() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FLOW_SLOTS]


ORDER_FORMS = frozenset(
    {
        "order_status_form",
        "cancel_order_form",
        "change_address_form",
        "return_request_form",
        "exchange_request_form",
        "refund_status_form",
    }
)


def drop_unstarted_form(tracker: Tracker) -> list[EventType]:
    """Events that end an order form still asking which order, for an answer that moved on
    to something else (products, recommendations): nothing was collected, and asking "which
    order?" again after every product answer would hold the customer in a request they left.
    Forms further on (the order known) go on after the answer as before."""
    if tracker.active_loop_name not in ORDER_FORMS:
        return []
    if tracker.get_slot(REQUESTED_SLOT) not in (None, "order_id") or tracker.get_slot("order_id"):
        return []
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *reset_flow()]


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


class OrderFormValidation(FormValidationAction, ABC):
    """Validates the order number and phone of an order form and decides what to ask next."""

    # Intents asking for this form's own request: another order named with one of them is the
    # order the customer now means for it ("actually, cancel 2604… instead").
    form_intents: frozenset[str] = frozenset()

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if self._moved_on(tracker):
            return self._drop_for_new_request(dispatcher, tracker, domain)
        events = list(await super().run(dispatcher, tracker, domain))
        if any(_fills_a_slot(event) for event in events):
            return events  # an answer (or another order named: validate_order_id)
        intent = latest_intent(tracker)
        if self._is_own_request(intent) and tracker.get_slot(REQUESTED_SLOT) == "order_id":
            # Asked which order, the customer says the request again without one ("I want to
            # return something"): not a reason to give up; a slot set (to what it was) keeps
            # Rasa from rejecting the form, which asks which order again.
            events.insert(0, SlotSet("order_id", tracker.get_slot("order_id")))
        elif self._asked_again(tracker):
            return await self._ask_again(dispatcher, tracker, domain)
        return events

    def _is_own_request(self, intent: str | None) -> bool:
        """``intent`` asks for this form's own request."""
        return intent in self.form_intents

    def _asked_again(self, tracker: Tracker) -> bool:
        """The form's own request said again once the form has its order, without an order
        number ("ok, continue with the return", "I want to return the rice cooker"): not an
        answer to the question asked, and no reason to give up on the request. (Another
        order's number is taken by ``validate_order_id``.)"""
        intent = latest_intent(tracker)
        return (
            self._is_own_request(intent)
            and tracker.get_slot(REQUESTED_SLOT) not in (None, "order_id", "phone")
            and form_order_id_before(tracker) is not None
            and next(tracker.get_latest_entity_values("order_id"), None) is None
        )

    async def _ask_again(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """A product that only another of the customer's orders has starts the request over
        for that order; at the closing yes/no question an assent answers it; otherwise the form
        goes on and asks its current question again."""
        deps = get_deps()
        current = form_order_id_before(tracker)
        pick = await pick_in_any_order(tracker, deps)
        if pick is not None and pick.order is not None and pick.order.id != current:
            slots: dict[str, Any] = dict.fromkeys((*FLOW_SLOTS, *self.domain_slots(domain)))
            slots.update(order_id=pick.order.id, **self.picked_slots(pick.order, pick.lines))
            events = [SlotSet(slot, value) for slot, value in slots.items()]
        elif tracker.get_slot(REQUESTED_SLOT) in CONFIRM_SLOTS and says_yes(latest_text(tracker)):
            # Asked "Shall I cancel it now?", the customer says "yes, cancel it".
            events = [SlotSet(str(tracker.get_slot(REQUESTED_SLOT)), True)]
        else:
            # A slot set (to what it was) keeps Rasa from rejecting the form for want of an
            # answer: the form then asks its question again.
            events = [SlotSet("order_id", current)]
        tracker.add_slots(events)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, *([next_slot] if next_slot else [])]

    def _moved_on(self, tracker: Tracker) -> bool:
        """The customer asks for another request of its own (a cancellation in the middle of
        a return, or instead of saying which order to return): this form is dropped for it.
        Not while the phone is asked (the answer to a privacy check)."""
        intent = latest_intent(tracker)
        requested = tracker.get_slot(REQUESTED_SLOT)
        return (
            intent in REQUEST_INTENTS
            and intent not in self.form_intents
            and requested not in (None, "phone")
            and (requested == "order_id" or form_order_id_before(tracker) is not None)
        )

    def _drop_for_new_request(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say what is dropped, forget what this form collected (the order too, unless the
        new request names one) and let the new request's form take over."""
        from .conversation import stopped_text

        form = self.form_name()
        previous = form_order_id_before(tracker)
        dispatcher.utter_message(text=stopped_text(form, previous, lang_of(tracker), moved_on=True))
        named = next(tracker.get_latest_entity_values("order_id"), None)
        slots = dict.fromkeys((*FLOW_SLOTS, *self.domain_slots(domain)))
        slots["order_id"] = None if named is None else str(named)
        return [
            *(SlotSet(slot, value) for slot, value in slots.items()),
            SlotSet(REQUESTED_SLOT, None),
            ActionExecutionRejected(form),
        ]

    @staticmethod
    def other_order_named(tracker: Tracker) -> str | None:
        """Another order number than the form's in the latest message, once the form has its
        order and asks something else."""
        if tracker.get_slot(REQUESTED_SLOT) in (None, "order_id", "phone"):
            return None
        previous = form_order_id_before(tracker)
        mentioned = next(tracker.get_latest_entity_values("order_id"), None)
        if previous and mentioned and str(mentioned) != previous:
            return str(mentioned)
        return None

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
        intent = latest_intent(tracker)
        return bool(re.search(r"[0-9]{4,}", text)) or intent not in INTERRUPTING_INTENTS

    async def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "order_id")
        if text and self._is_answer(text, tracker):
            return {"order_id": text}
        intent = latest_intent(tracker)
        if text and self._is_own_request(intent):
            # Asked which order, the customer says the request again with its product ("I want
            # to return the rice cooker"): the product answers when it picks one.
            picked = await self._picked_by_product(text, tracker)
            return picked if picked is not None else {}
        if (
            tracker.get_slot(REQUESTED_SLOT) is None
            and tracker.get_slot("order_id") is None
            and "order_id" not in tracker.slots_to_validate()
        ):
            # The request that started the form may carry a number the entity extractor
            # missed because of its separators: "where is 2603-1500-4217".
            text = latest_text(tracker)
            order_id = find_order_id(text, get_deps().config.nlu.order_id_pattern)
            if order_id:
                return {"order_id": order_id}
            # "I want to return the T-shirt": the product picks the order when only one of
            # the customer's orders that fit the request has it.
            picked = await self._picked_by_product(text, tracker)
            if picked is not None:
                return picked if picked.get("order_id") else {}
            # "when will it arrive?" right after its status: the order talked about.
            if not points_back(text):
                return {}
            earlier, phone = talked_about(tracker)
            if earlier is None:
                return {}
            # A guest who proved the phone for it a moment ago is not asked again (the
            # number is checked again, as any phone given to the form).
            return {"order_id": earlier, **({"phone": phone} if phone else {})}
        return {}

    async def _picked_by_product(self, text: str, tracker: Tracker) -> dict[str, Any] | None:
        """The slots a product named in ``text`` fills: its order when exactly one eligible
        order contains it ({"order_id": None} when it names a product that picks none, so the
        question explains); None when ``text`` names no product."""
        deps = get_deps()
        candidates = await candidate_orders(tracker, deps)
        pick = await pick_by_product(text, candidates, tracker.active_loop_name, deps)
        if pick is None:
            return None
        if pick.order is None:
            return {"order_id": None}
        return {"order_id": pick.order.id, **self.picked_slots(pick.order, pick.lines)}

    def picked_slots(self, order: Order, lines: dict[str, int]) -> dict[str, Any]:
        """Further slots a product named in the request fills once it picked ``order``."""
        return {}

    async def extract_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = self._answer(tracker, "phone")
        if not text or not self._is_answer(text, tracker) or self._names_order(text, tracker):
            return {}
        return {"phone": text}

    @staticmethod
    def _names_order(text: str, tracker: Tracker) -> bool:
        """The reply names an order, not a phone: "where is my order 260315004217" again, or
        the form's own order number on its own. Its digits are not a wrong phone number (they
        would count towards the lock); the form asks for the phone again."""
        pattern = get_deps().config.nlu.order_id_pattern
        if phone_text(text, pattern) is not None:
            return False
        named = find_order_id(text, pattern)
        if named is None:
            return False
        return not is_bare_number(text) or named == str(tracker.get_slot("order_id") or "")

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        deps = get_deps()
        lang = lang_of(tracker)
        other = self.other_order_named(tracker)
        intent = latest_intent(tracker)
        if (
            other is not None
            and intent not in self.form_intents
            and not is_bare_number(latest_text(tracker))
        ):
            # A message about another order in the middle ("the courier of order X was rude",
            # "where is X?"): answered on its own terms, then the form goes on with its own
            # order. A form takes every order number it is given (the message never reaches
            # the interruption rules), so the answer is given here.
            from .switches import answer_about_other_order

            previous = form_order_id_before(tracker)
            if str(slot_value) != previous:
                await answer_about_other_order(str(intent), other, tracker, dispatcher, deps)
            return {"order_id": previous}
        if slot_value is None:  # a product that picked none of the orders: asked again
            return {"order_id": None}
        text = str(slot_value).strip()
        order_id = find_order_id(text, deps.config.nlu.order_id_pattern)
        if order_id is None:
            picked = await self._picked_by_product(text, tracker)
            if picked is not None:
                return picked
            only = await only_choice(text, tracker, deps)
            if only is not None:
                return {"order_id": only}
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
        answer = str(slot_value or "")
        # The number itself when the answer says more ("手机13812345678，订单..."): the entity
        # finders pick it out; otherwise every digit of the answer, as before.
        pattern = get_deps().config.nlu.order_id_pattern
        digits = orders.normalise_phone(phone_text(answer, pattern) or answer)
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
        sender, now = phone_sender(tracker), deps.clock()
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
    form_intents = frozenset({"order_status"})

    def name(self) -> str:
        return "validate_order_status_form"


class ValidateCancelOrderForm(OrderFormValidation):
    form_intents = frozenset({"cancel_order"})

    def name(self) -> str:
        return "validate_cancel_order_form"

    def slots_after_access(self, order: Order, deps: Deps) -> list[str]:
        decision = orders.can_cancel(order, deps.config.orders.cancellable_statuses)
        return ["confirm"] if decision.allowed else []


class ValidateChangeAddressForm(OrderFormValidation):
    form_intents = frozenset({"change_address"})

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
        intent = latest_intent(tracker)
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
        answer = str(slot_value or "")
        # The address the entity finders see, without lead-in or chatter around it; otherwise
        # the answer without its lead-in, as before.
        pattern = get_deps().config.nlu.order_id_pattern
        text = address_text(answer, pattern) or strip_address_lead_in(answer)
        check = orders.validate_address(text)
        if not check.ok:
            key = f"address.{check.problem}"
            if check.problem not in {"too_short", "no_detail", "too_long"}:
                key = "address.invalid"
            dispatcher.utter_message(text=t(key, lang_of(tracker)))
            return {"new_address": None}
        return {"new_address": text}

"""The return and exchange forms: which questions a request still needs, reading the answers
(see :mod:`bot.services.aftersales_answers`) and validating them; the refund status form."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.i18n import t
from bot.services import catalog
from bot.services.aftersales_answers import (
    line_from_text,
    line_value,
    opened_from_text,
    parse_line,
    quantity_from_text,
    reason_from_text,
    skips_photo,
    variant_from_text,
)
from bot.services.aftersales_terms import QUALITY_REASONS, RETURN_REASONS, RequestKind
from bot.services.types import Order

from .._common import lang_of, latest_intent, latest_text
from .._deps import Deps, get_deps
from ..order_access import order_access
from ..order_forms import INTERRUPTING_INTENTS, OrderFormValidation
from ._shared import (
    NO_PHOTO,
    exchange_options,
    item_label,
    like_for_like,
    line_of,
    payload_of,
    photos_of,
    plan_request,
    quantity_of,
    reason_of,
    remaining_quantity,
    supports_photos,
    variant_label,
)

_EXCHANGE_WORDS = re.compile(r"exchang|swap|replace|switch|换", re.IGNORECASE)
_RETURN_WORDS = re.compile(r"return|refund|money back|send (?:it |them )?back|退", re.IGNORECASE)


class AftersalesFormValidation(OrderFormValidation):
    """Order number and phone, then the after-sales questions the request still needs."""

    kind: RequestKind = "return"
    form_intents = frozenset({"return_request", "exchange_request"})

    @abstractmethod
    def name(self) -> str: ...

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        base = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        deps = get_deps()
        found = await order_access(tracker, deps)
        if found is None or not found.granted or found.order.status != "delivered":
            # Unknown, not yours, or not delivered: the submit action explains.
            return base
        return [*base, *await self._after_sales_slots(found.order, tracker, deps)]

    async def _after_sales_slots(self, order: Order, tracker: Tracker, deps: Deps) -> list[str]:
        slots: list[str] = []
        if len(order.items) > 1:
            slots.append("aftersales_line")
        line = line_of(tracker, order)
        if line is None:
            return slots
        if await remaining_quantity(deps.engine, order, line) > 1:
            slots.append("aftersales_quantity")
            if quantity_of(tracker) is None:
                return slots
        slots.append("aftersales_reason")
        reason = reason_of(tracker)
        if reason is None:
            return slots
        item = order.items[line]
        if reason not in QUALITY_REASONS and (
            item.category in deps.config.aftersales.opened_non_returnable_categories
        ):
            slots.append("aftersales_opened")
            if tracker.get_slot("aftersales_opened") is None:
                return slots
        opened = tracker.get_slot("aftersales_opened") == "opened"
        quantity = quantity_of(tracker)
        plan = await plan_request(order, line, self.kind, reason, opened, deps, quantity)
        if not plan.allowed:
            return slots  # refused: the form ends and the submit action says why
        if self.kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            if not like_for_like(product, item, reason):
                if not exchange_options(product, item, reason):
                    return slots  # nothing to exchange to: the submit action offers a return
                slots.append("exchange_variant")
        if reason in QUALITY_REASONS and supports_photos(tracker):
            slots.append("aftersales_photo")
        slots.append("aftersales_confirm")
        return slots

    def _is_own_request(self, intent: str | None) -> bool:
        """The return form's own request is a return, the exchange form's an exchange (the
        other kind is a switch, see :meth:`_is_switch`)."""
        return intent == ("exchange_request" if self.kind == "exchange" else "return_request")

    def _is_interruption(self, tracker: Tracker) -> bool:
        intent = latest_intent(tracker)
        return intent in INTERRUPTING_INTENTS

    def _is_switch(self, tracker: Tracker) -> bool:
        """The customer asks for the other kind of request ("actually, can I exchange it?") or
        mentions another order: never an answer, even when it names a reason or a size."""
        intent = latest_intent(tracker)
        other = "return_request" if self.kind == "exchange" else "exchange_request"
        # The other kind must be named: "尺码不合适" (read as an exchange, at 0.35) answers
        # "why return it?"; "can I exchange it instead?" switches.
        words = _RETURN_WORDS if self.kind == "exchange" else _EXCHANGE_WORDS
        named = words.search(latest_text(tracker)) is not None
        return (intent == other and named) or self._mentions_other_order(tracker)

    def _mentions_other_order(self, tracker: Tracker) -> bool:
        """Another order number in a message answering a later question of the form."""
        return self.other_order_named(tracker) is not None

    def picked_slots(self, order: Order, lines: dict[str, int]) -> dict[str, Any]:
        """The item of a multi-item order the named product is."""
        line = lines.get(order.id)
        if len(order.items) > 1 and line is not None:
            return {"aftersales_line": line_value(order, line)}
        return {}

    async def _form_order(self, tracker: Tracker) -> Order | None:
        found = await order_access(tracker, get_deps())
        return found.order if found is not None and found.granted else None

    # Extraction: answers count only while the form asks for them ---------------------------
    def _typed_answer(
        self, tracker: Tracker, slot: str, parse: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The answer to ``slot`` while the form asks for it: a button's value, else what
        ``parse`` reads in the text, else the raw text (validation re-asks) unless the
        message is an interruption the form should let through."""
        if tracker.get_slot(REQUESTED_SLOT) != slot or self._is_switch(tracker):
            return {}
        chosen = payload_of(tracker, slot)
        if chosen is not None:
            return {slot: chosen}
        text = latest_text(tracker)
        if not text:
            return {}
        parsed = parse(text)
        if parsed is not None:
            return {slot: parsed}
        return {} if self._is_interruption(tracker) else {slot: text}

    async def extract_aftersales_line(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_line" or self._is_switch(tracker):
            return {}
        chosen = payload_of(tracker, "aftersales_line")
        if chosen is not None:
            return {"aftersales_line": chosen}
        text = latest_text(tracker)
        order = await self._form_order(tracker)
        if not text or order is None:
            return {}
        line = line_from_text(order, text)
        if line is not None:
            return {"aftersales_line": str(line)}
        return {} if self._is_interruption(tracker) else {"aftersales_line": text}

    async def extract_aftersales_quantity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._typed_answer(tracker, "aftersales_quantity", quantity_from_text)

    async def validate_aftersales_quantity(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        order = await self._form_order(tracker)
        line = None if order is None else line_of(tracker, order)
        if order is None or line is None:
            return {"aftersales_quantity": None}
        remaining = await remaining_quantity(get_deps().engine, order, line)
        value = str(slot_value or "").strip()
        if value == "all":
            return {"aftersales_quantity": str(remaining)}
        if value.isdigit() and 1 <= int(value) <= remaining:
            return {"aftersales_quantity": value}
        dispatcher.utter_message(
            text=t("aftersales.quantity_unclear", lang_of(tracker), remaining=remaining)
        )
        return {"aftersales_quantity": None}

    async def extract_aftersales_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if "aftersales_reason" in tracker.slots_to_validate():
            return {}
        return self._typed_answer(tracker, "aftersales_reason", reason_from_text)

    async def extract_aftersales_opened(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_opened" or self._is_switch(tracker):
            return {}
        chosen = payload_of(tracker, "aftersales_opened")
        text = latest_text(tracker)
        if chosen is None and text:
            chosen = opened_from_text(text)
            if chosen is None and not self._is_interruption(tracker):
                chosen = text
        return {} if chosen is None else {"aftersales_opened": chosen}

    async def extract_exchange_variant(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "exchange_variant" or self._is_switch(tracker):
            return {}
        chosen = payload_of(tracker, "exchange_variant")
        if chosen is not None:
            return {"exchange_variant": chosen}
        text = latest_text(tracker)
        order = await self._form_order(tracker)
        line = None if order is None else line_of(tracker, order)
        if not text or order is None or line is None:
            return {}
        product = await catalog.get_product(get_deps().engine, order.items[line].product_id)
        variant = variant_from_text(product, text, order.items[line].variant_sku)
        if variant is not None:
            return {"exchange_variant": variant.sku}
        return {} if self._is_interruption(tracker) else {"exchange_variant": text}

    async def extract_aftersales_photo(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_photo" or self._is_switch(tracker):
            return {}
        photos = photos_of(tracker)
        if photos:
            return {"aftersales_photo": " ".join(photos)}
        if payload_of(tracker, "aftersales_photo") == NO_PHOTO:
            return {"aftersales_photo": NO_PHOTO}
        text = latest_text(tracker)
        if text and (skips_photo(text) or not self._is_interruption(tracker)):
            return {"aftersales_photo": NO_PHOTO}
        return {}

    # Validation ----------------------------------------------------------------------------
    async def validate_aftersales_line(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        order = await self._form_order(tracker)
        if order is None:
            return {"aftersales_line": None}
        line = parse_line(slot_value, order)
        if line is None:
            dispatcher.utter_message(text=t("aftersales.line_unclear", lang))
            return {"aftersales_line": None}
        if await remaining_quantity(get_deps().engine, order, line) <= 0:
            item = order.items[line]
            dispatcher.utter_message(
                text=t("aftersales.line_returned", lang, item=item_label(item, lang))
            )
            return {"aftersales_line": None}
        # A different item: its reason, variant and answers are asked again.
        return {
            "aftersales_line": line_value(order, line),
            "aftersales_quantity": None,
            "aftersales_reason": None,
            "exchange_variant": None,
            "aftersales_opened": None,
        }

    async def validate_aftersales_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in RETURN_REASONS:
            return {"aftersales_reason": slot_value}
        reason = reason_from_text(str(slot_value or ""))
        if reason is None:
            dispatcher.utter_message(text=t("aftersales.reason_unclear", lang_of(tracker)))
        return {"aftersales_reason": reason}

    async def validate_aftersales_opened(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in ("opened", "sealed"):
            return {"aftersales_opened": slot_value}
        dispatcher.utter_message(text=t("aftersales.opened_unclear", lang_of(tracker)))
        return {"aftersales_opened": None}

    async def validate_exchange_variant(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        order = await self._form_order(tracker)
        line = None if order is None else line_of(tracker, order)
        if order is None or line is None:
            return {"exchange_variant": None}
        item = order.items[line]
        product = await catalog.get_product(get_deps().engine, item.product_id)
        variant = next(
            (v for v in (product.variants if product else ()) if v.sku == slot_value), None
        )
        if variant is None:
            dispatcher.utter_message(text=t("aftersales.variant_unclear", lang))
            return {"exchange_variant": None}
        if variant.sku == item.variant_sku and reason_of(tracker) not in QUALITY_REASONS:
            dispatcher.utter_message(text=t("aftersales.variant_same", lang))
            return {"exchange_variant": None}
        if variant.stock <= 0:
            dispatcher.utter_message(
                text=t("aftersales.variant_sold_out", lang, variant=variant_label(variant, lang))
            )
            return {"exchange_variant": None}
        return {"exchange_variant": variant.sku}


class ValidateReturnRequestForm(AftersalesFormValidation):
    kind: RequestKind = "return"

    def name(self) -> str:
        return "validate_return_request_form"


class ValidateExchangeRequestForm(AftersalesFormValidation):
    kind: RequestKind = "exchange"

    def name(self) -> str:
        return "validate_exchange_request_form"


class ValidateRefundStatusForm(OrderFormValidation):
    form_intents = frozenset({"refund_status"})

    def name(self) -> str:
        return "validate_refund_status_form"

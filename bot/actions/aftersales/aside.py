"""An order status question in the middle of a return or exchange: answered, then the form goes
on with its own order."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.i18n import t
from bot.services import orders

from .._common import current_customer_id, lang_of, latest_text
from .._deps import Deps, get_deps
from .._render import order_status_text
from ..conversation import resume_text
from ..order_forms import find_order_id
from ..order_picking import pick_in_any_order
from ._shared import form_order_id_before


async def tell_order_status(
    asked: str | None,
    form_order: str | None,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    deps: Deps,
) -> None:
    """The status of order ``asked`` (when this customer may see it), then back to the form."""
    lang = lang_of(tracker)
    order = await orders.get_order(deps.engine, str(asked)) if asked else None
    customer_id = await current_customer_id(tracker, deps.engine)
    phone = tracker.get_slot("phone") if asked == form_order else None
    if order is None:
        dispatcher.utter_message(text=t("order.not_found", lang, order_id=asked or ""))
    elif orders.check_access(order, customer_id, phone) in (
        orders.Access.OWNER,
        orders.Access.VERIFIED,
    ):
        text = order_status_text(order, lang, deps.config.shop.timezone, deps.clock())
        dispatcher.utter_message(text=text)
    else:
        dispatcher.utter_message(text=t("order.phone_mismatch", lang))
    resume = resume_text(tracker.active_loop_name, form_order, lang)
    if resume:
        dispatcher.utter_message(text=resume)


class OrderStatusAside(Action):
    """Answers "where is my order …?" asked during a return or exchange; the form then goes on
    with its own order, which the question's order number does not replace."""

    def name(self) -> str:
        return "action_order_status_aside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        if tracker.get_slot(REQUESTED_SLOT) in ("order_id", "phone"):
            # Still finding the form's order: the message is taken as its answer.
            if tracker.get_slot("order_id") is None:
                found = find_order_id(latest_text(tracker), deps.config.nlu.order_id_pattern)
                return [SlotSet("order_id", found)] if found else []
            return []
        form_order = form_order_id_before(tracker)
        asked = next(tracker.get_latest_entity_values("order_id"), None)
        if asked is None:
            # "where is my earbuds order?": the product picks the order when only one of the
            # customer's recent orders has it; otherwise the form's own order is meant.
            pick = await pick_in_any_order(tracker, deps)
            asked = pick.order.id if pick is not None and pick.order is not None else None
        asked = asked or form_order
        await tell_order_status(asked, form_order, tracker, dispatcher, deps)
        return [SlotSet("order_id", form_order)] if asked != form_order else []

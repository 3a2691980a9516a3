"""After-sales: returns, exchanges, refund status and complaints.

Returns, exchanges and refund lookups use the same order form steps as the order actions
(order number, then the phone if the customer does not own the order). Requests are recorded
as tickets for the team; the full after-sales flows build on them.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.core.language import Lang
from bot.i18n import (
    carrier_name,
    fmt_date,
    money,
    status_name,
    t,
    ticket_kind_name,
    ticket_status_name,
)
from bot.services import orders, tickets
from bot.services.types import Order

from ._common import current_customer_id, lang_of, message_key, record_ticket
from ._deps import Deps, get_deps
from .orders import SHIPPED, OrderAction, OrderFormValidation, accessible_order, reset_flow
from .policy import return_window

REFUND_KINDS = ("cancellation", "return", "refund")


class ValidateReturnRequestForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_return_request_form"


class ValidateExchangeRequestForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_exchange_request_form"


class ValidateRefundStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_refund_status_form"


def _item_payload(order: Order) -> list[dict[str, object]]:
    return [
        {"product_id": item.product_id, "sku": item.variant_sku, "quantity": item.quantity}
        for item in order.items
    ]


async def _window_request(
    kind: str,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    deps: Deps,
) -> None:
    """Record a return or exchange request when the order is inside its 7-day window."""
    lang = lang_of(tracker)
    order = await accessible_order(tracker, dispatcher, deps)
    if order is None:
        return
    tz = deps.config.shop.timezone
    window = return_window(order, deps.clock())
    status = status_name(order.status, lang)
    if window.state == "closed":
        dispatcher.utter_message(text=t(f"{kind}.closed", lang, order_id=order.id, status=status))
        return
    if window.state == "not_delivered" and kind == "return" and order.status in SHIPPED:
        await _intercept_in_transit(order, tracker, dispatcher, deps)
        return
    if window.state == "not_delivered":
        dispatcher.utter_message(
            text=t(f"{kind}.not_delivered", lang, order_id=order.id, status=status)
        )
        return
    if order.delivered_at is None or window.deadline is None:
        raise ValueError(f"order {order.id} is delivered but has no delivery time")
    date = fmt_date(order.delivered_at, lang, tz)
    deadline = fmt_date(window.deadline, lang, tz)
    if window.state == "expired":
        dispatcher.utter_message(
            text=t(f"{kind}.expired", lang, order_id=order.id, date=date, deadline=deadline)
        )
        return
    ticket = await record_ticket(
        tracker,
        deps.engine,
        kind=kind,
        status="requested",
        order_id=order.id,
        category="within_7_days",
        customer_id=order.customer_id,
        lang=lang,
        key=f"{kind}:{order.id}",
        details={
            "items": _item_payload(order),
            "delivered_at": order.delivered_at.isoformat(),
            "deadline": window.deadline.isoformat(),
        },
    )
    dispatcher.utter_message(
        text=t(
            f"{kind}.eligible",
            lang,
            order_id=order.id,
            date=date,
            deadline=deadline,
            ticket_id=ticket.id,
        )
    )


async def _intercept_in_transit(
    order: Order, tracker: Tracker, dispatcher: CollectingDispatcher, deps: Deps
) -> None:
    """A return of a parcel still on its way: staff have the carrier send it back."""
    lang = lang_of(tracker)
    ticket = await record_ticket(
        tracker,
        deps.engine,
        kind="return",
        status="requested",
        order_id=order.id,
        category="intercept_in_transit",
        customer_id=order.customer_id,
        lang=lang,
        key=f"return:{order.id}",
        details={
            "items": _item_payload(order),
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
        },
    )
    carrier = carrier_name(order.carrier, lang) if order.carrier else ""
    dispatcher.utter_message(
        text=t(
            "return.in_transit",
            lang,
            order_id=order.id,
            status=status_name(order.status, lang),
            carrier=carrier,
            ticket_id=ticket.id,
            amount=money(order.total_cents),
        )
    )


class ReturnRequest(Action):
    """Checks the 7-day window and records a return request."""

    def name(self) -> str:
        return "action_return_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await _window_request("return", tracker, dispatcher, get_deps())
        return [*reset_flow(), SlotSet("offered", None)]


class ExchangeRequest(Action):
    """Checks the 7-day window and records an exchange request."""

    def name(self) -> str:
        return "action_exchange_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        await _window_request("exchange", tracker, dispatcher, get_deps())
        return reset_flow()


class RefundStatus(OrderAction):
    """Lists the cancellation, return and refund tickets of an order."""

    def name(self) -> str:
        return "action_refund_status"

    async def act(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> list[EventType]:
        found = [
            ticket
            for ticket in await tickets.list_tickets(deps.engine, order_id=order.id)
            if ticket.kind in REFUND_KINDS
        ]
        if not found:
            dispatcher.utter_message(text=t("refund.none", lang, order_id=order.id))
            return reset_flow()
        lines = [t("refund.header", lang, order_id=order.id)]
        tz = deps.config.shop.timezone
        for ticket in sorted(found, key=lambda item: item.created_at):
            lines.append(
                t(
                    "refund.line",
                    lang,
                    kind=ticket_kind_name(ticket.kind, lang),
                    ticket_id=ticket.id,
                    date=fmt_date(ticket.created_at, lang, tz),
                    status=ticket_status_name(ticket.status, lang),
                )
            )
        lines.append(t("refund.timing", lang))
        dispatcher.utter_message(text="\n".join(lines))
        return reset_flow()


async def _owned_order_id(tracker: Tracker, deps: Deps) -> str | None:
    """An order number in the latest message that belongs to this customer."""
    order_id = next(tracker.get_latest_entity_values("order_id"), None)
    if not order_id:
        return None
    order = await orders.get_order(deps.engine, str(order_id))
    customer_id = await current_customer_id(tracker, deps.engine)
    if order is None or orders.check_access(order, customer_id, None) != orders.Access.OWNER:
        return None
    return order.id


class Complaint(Action):
    """Records a complaint for the customer care team and apologises."""

    def name(self) -> str:
        return "action_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang: Lang = lang_of(tracker)
        ticket = await record_ticket(
            tracker,
            deps.engine,
            kind="complaint",
            status="open",
            order_id=await _owned_order_id(tracker, deps),
            customer_id=await current_customer_id(tracker, deps.engine),
            lang=lang,
            key=message_key("complaint", tracker),
        )
        dispatcher.utter_message(text=t("complaint.recorded", lang, ticket_id=ticket.id))
        return []

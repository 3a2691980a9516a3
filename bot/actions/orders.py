"""The order actions: status, cancellation, address change (the forms are in
:mod:`bot.actions.order_forms`).

Every order form asks for the order number, then - only when the customer does not own the
order - for the phone number on the order, then for what the task needs. The submit actions
check access again before they say or change anything, so a wrong phone number never reveals
an order's details, not even its status.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import Lang, carrier_name, fmt_date, money, payment_name, status_name, t
from bot.payloads import button
from bot.services import orders
from bot.services.types import Order, Ticket

from ._common import channel_and_external_id
from ._deps import Deps
from ._render import order_status_text
from ._turn import OrderTurn
from .order_forms import SHIPPED, reset_flow


class OrderAction(Action, ABC):
    """An action on the order the form collected; without access to it the flow ends."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = await OrderTurn.start(tracker, dispatcher)
        if turn is None:
            return reset_flow()
        return await self.act(turn)

    @abstractmethod
    async def act(self, turn: OrderTurn) -> list[EventType]:
        """Answer about ``turn.order``, which this customer may see."""


class OrderStatus(OrderAction):
    """Status, carrier, tracking number, latest shipment event and ETA of an order."""

    def name(self) -> str:
        return "action_order_status"

    async def act(self, turn: OrderTurn) -> list[EventType]:
        timezone = turn.deps.config.shop.timezone
        turn.say(order_status_text(turn.order, turn.lang, timezone, turn.deps.clock()))
        return reset_flow()


def return_offer_button(order_id: str, lang: Lang) -> dict[str, str]:
    return button(t("return.button", lang), "return_request", order_id=order_id)


class _OrderChange(OrderAction, ABC):
    """A change the customer confirmed: refused when the order does not allow it, kept when
    not confirmed, failed when the order changed in the meantime; else done, with a ticket."""

    texts = ""  # the prefix of the change's "kept", "failed" texts

    async def act(self, turn: OrderTurn) -> list[EventType]:
        refused = self.refuse(turn)
        if refused is not None:
            return refused
        order, lang = turn.order, turn.lang
        if not self.confirmed(turn.tracker):
            turn.say(t(f"{self.texts}.kept", lang, order_id=order.id))
            return reset_flow()
        channel, _ = channel_and_external_id(turn.tracker)
        try:
            ticket = await self.change(turn, channel)
        except orders.OrderStateError:
            turn.say(t(f"{self.texts}.failed", lang, order_id=order.id))
            return reset_flow()
        turn.say(self.done_text(turn, ticket))
        return reset_flow()

    @abstractmethod
    def refuse(self, turn: OrderTurn) -> list[EventType] | None:
        """Say why the order does not allow the change (and end); None when it does."""

    def confirmed(self, tracker: Tracker) -> bool:
        return tracker.get_slot("confirm") is True

    @abstractmethod
    async def change(self, turn: OrderTurn, channel: str) -> Ticket:
        """Change the order; :class:`orders.OrderStateError` when it no longer allows it."""

    @abstractmethod
    def done_text(self, turn: OrderTurn, ticket: Ticket) -> str: ...


class CancelOrder(_OrderChange):
    """Cancels an order that has not shipped; afterwards explains and offers a return."""

    texts = "cancel"

    def name(self) -> str:
        return "action_cancel_order"

    def refuse(self, turn: OrderTurn) -> list[EventType] | None:
        statuses = turn.deps.config.orders.cancellable_statuses
        if orders.can_cancel(turn.order, statuses).allowed:
            return None
        return self._refuse(turn)

    async def change(self, turn: OrderTurn, channel: str) -> Ticket:
        return await orders.cancel_order(
            turn.deps.engine,
            turn.order,
            channel=channel,
            sender_id=turn.tracker.sender_id,
            reason=None,
            cancellable_statuses=turn.deps.config.orders.cancellable_statuses,
            timezone=turn.deps.config.shop.timezone,
        )

    def done_text(self, turn: OrderTurn, ticket: Ticket) -> str:
        order, lang = turn.order, turn.lang
        lines = [t("cancel.done", lang, order_id=order.id, ticket_id=ticket.id)]
        if order.paid_at is not None:
            lines.append(
                t(
                    "cancel.refund",
                    lang,
                    amount=money(order.total_cents),
                    method=payment_name(order.payment_method, lang),
                )
            )
        else:
            lines.append(t("cancel.no_charge", lang))
        return "\n".join(lines)

    @staticmethod
    def _refuse(turn: OrderTurn) -> list[EventType]:
        order, lang, deps = turn.order, turn.lang, turn.deps
        status = status_name(order.status, lang)
        window = deps.aftersales.return_window(order, deps.clock())
        if window.state == "expired" and order.delivered_at and window.deadline:
            # Too late for a return as well: don't offer one only to refuse it next.
            tz = deps.config.shop.timezone
            text = t(
                "cancel.refused_expired",
                lang,
                order_id=order.id,
                date=fmt_date(order.delivered_at, lang, tz),
                deadline=fmt_date(window.deadline, lang, tz),
            )
            turn.say(text)
            return reset_flow()
        if order.status in SHIPPED or order.status == "delivered":
            if order.status == "delivered" and order.delivered_at is not None:
                date = fmt_date(order.delivered_at, lang, deps.config.shop.timezone)
                text = t("cancel.refused_delivered", lang, order_id=order.id, date=date)
            else:
                text = t("cancel.refused_shipped", lang, order_id=order.id, status=status)
            turn.say(text, [return_offer_button(order.id, lang)])
            # Keep the order in the slots so a plain "yes" starts the return for it.
            return [
                SlotSet("new_address", None),
                SlotSet("confirm", None),
                SlotSet("offered", "return"),
            ]
        if order.status == "cancelled":
            text = t("cancel.refused_cancelled", lang, order_id=order.id)
        elif order.status == "returned":
            text = t("cancel.refused_returned", lang, order_id=order.id)
        else:
            text = t("cancel.refused_other", lang, order_id=order.id, status=status)
        turn.say(text)
        return reset_flow()


class ChangeAddress(_OrderChange):
    """Changes the delivery address of an order that has not shipped."""

    texts = "address"

    def name(self) -> str:
        return "action_change_address"

    def refuse(self, turn: OrderTurn) -> list[EventType] | None:
        statuses = turn.deps.config.orders.address_changeable_statuses
        if orders.can_change_address(turn.order, statuses).allowed:
            return None
        turn.say(self._refusal(turn.order, turn.lang, turn.deps))
        return reset_flow()

    def confirmed(self, tracker: Tracker) -> bool:
        return super().confirmed(tracker) and bool(tracker.get_slot("new_address"))

    async def change(self, turn: OrderTurn, channel: str) -> Ticket:
        return await orders.change_address(
            turn.deps.engine,
            turn.order,
            str(turn.tracker.get_slot("new_address")),
            channel=channel,
            sender_id=turn.tracker.sender_id,
            changeable_statuses=turn.deps.config.orders.address_changeable_statuses,
            timezone=turn.deps.config.shop.timezone,
        )

    def done_text(self, turn: OrderTurn, ticket: Ticket) -> str:
        return t(
            "address.done",
            turn.lang,
            order_id=turn.order.id,
            address=turn.tracker.get_slot("new_address"),
            ticket_id=ticket.id,
        )

    @staticmethod
    def _refusal(order: Order, lang: Lang, deps: Deps) -> str:
        status = status_name(order.status, lang)
        if order.status in SHIPPED:
            return t(
                "address.refused_shipped",
                lang,
                order_id=order.id,
                status=status,
                carrier=carrier_name(order.carrier, lang) if order.carrier else "",
                tracking=order.tracking_number or "",
            )
        if order.status == "delivered" and order.delivered_at is not None:
            date = fmt_date(order.delivered_at, lang, deps.config.shop.timezone)
            return t("address.refused_delivered", lang, order_id=order.id, date=date)
        return t("address.refused_closed", lang, order_id=order.id, status=status)

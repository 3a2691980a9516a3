"""Submitting a return or exchange (the policy decides, the ticket is made or refused), a return
of a parcel still in transit, and the refund status of an order."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import (
    Lang,
    carrier_name,
    fmt_date,
    money,
    payment_name,
    status_name,
    t,
    ticket_kind_name,
    ticket_status_name,
)
from bot.payloads import button
from bot.payloads import payload as build_payload
from bot.services import catalog, orders, tickets
from bot.services.aftersales import (
    Replacement,
    Requester,
    attach_evidence,
    open_exchange,
    open_return,
)
from bot.services.aftersales_terms import Decision, Plan, RequestKind
from bot.services.types import Order, Ticket

from .._common import channel_and_external_id, current_customer_id, record_ticket
from .._turn import OrderTurn
from ..order_forms import SHIPPED
from ..orders import OrderAction
from ._shared import (
    NO_PHOTO,
    chosen_variant,
    end_request,
    exchange_options,
    item_label,
    like_for_like,
    line_of,
    plan_request,
    policy_of,
    quantity_of,
    reason_of,
    request_text,
    reset_flow_keep_item,
    variant_label,
)

REFUND_KINDS = ("cancellation", "return", "exchange", "refund")


def _alternative_buttons(order: Order, decision: Decision, lang: Lang) -> list[dict[str, str]]:
    buttons = []
    for alternative in decision.alternatives:
        if alternative.kind == "exchange":
            payload = build_payload("exchange_request", order_id=order.id)
        elif alternative.kind == "cancel_order":
            payload = build_payload("cancel_order", order_id=order.id)
        elif alternative.kind == "warranty_repair":
            # Repairs are arranged by a colleague (the handoff takes the conversation).
            payload = "/request_human"
        else:
            continue
        buttons.append(
            {"title": t(f"aftersales.alt_button.{alternative.kind}", lang), "payload": payload}
        )
    return buttons


class _AftersalesRequest(Action, ABC):
    """Submits a return or exchange form: the policy decides, the ticket is made or refused."""

    kind: RequestKind = "return"

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = await OrderTurn.start(tracker, dispatcher)
        if turn is None:
            return [*end_request(), SlotSet("offered", None)]
        if turn.order.status != "delivered" or turn.order.delivered_at is None:
            await self._not_delivered(turn)
            return [*end_request(), SlotSet("offered", None)]
        return await self._delivered(turn)

    async def _not_delivered(self, turn: OrderTurn) -> None:
        order, lang, deps, dispatcher = turn.order, turn.lang, turn.deps, turn.dispatcher
        status = status_name(order.status, lang)
        if order.status in ("cancelled", "returned"):
            dispatcher.utter_message(
                text=t(f"{self.kind}.closed", lang, order_id=order.id, status=status)
            )
        elif self.kind == "return" and order.status in SHIPPED:
            await _intercept_in_transit(turn)
        else:
            buttons = []
            if (
                self.kind == "return"
                and orders.can_cancel(order, deps.config.orders.cancellable_statuses).allowed
            ):
                title = t("aftersales.alt_button.cancel_order", lang)
                buttons.append(button(title, "cancel_order", order_id=order.id))
            dispatcher.utter_message(
                text=t(f"{self.kind}.not_delivered", lang, order_id=order.id, status=status),
                buttons=buttons,
            )

    async def _delivered(self, turn: OrderTurn) -> list[EventType]:
        order, lang, deps = turn.order, turn.lang, turn.deps
        dispatcher, tracker = turn.dispatcher, turn.tracker
        line = line_of(tracker, order)
        reason = reason_of(tracker)
        if line is None or reason is None:
            # The form ended without the item or the reason (should not happen): ask again.
            dispatcher.utter_message(text=t("form.stopped", lang))
            return end_request()
        opened = tracker.get_slot("aftersales_opened") == "opened"
        quantity = quantity_of(tracker)
        plan = await plan_request(order, line, self.kind, reason, opened, deps, quantity)
        if not plan.allowed:
            decision = plan.refused[0]
            dispatcher.utter_message(
                text=decision.message(lang), buttons=_alternative_buttons(order, decision, lang)
            )
            # The item stays chosen, so an offered exchange goes on with it.
            return [*reset_flow_keep_item(), SlotSet("offered", None)]
        item = order.items[line]
        replacement: Replacement | None = None
        if self.kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            options = exchange_options(product, item, reason)
            if like_for_like(product, item, reason):
                color = item.color_zh if lang == "zh" else item.color_en
                replacement = Replacement(item.variant_sku, item.size, color)
            elif not options:
                dispatcher.utter_message(
                    text=t("aftersales.no_variants", lang, item=item_label(item, lang)),
                    buttons=[button(t("return.button", lang), "return_request", order_id=order.id)],
                )
                return [*reset_flow_keep_item(), SlotSet("offered", "return")]
            variant = None if replacement else chosen_variant(product, tracker)
            if replacement is None and (variant is None or variant not in options):
                # Sold out since it was chosen: the exchange button starts over with the item.
                shown = variant_label(variant, lang) if variant else ""
                dispatcher.utter_message(
                    text=t("aftersales.variant_sold_out", lang, variant=shown),
                    buttons=[
                        button(
                            t("aftersales.alt_button.exchange", lang),
                            "exchange_request",
                            order_id=order.id,
                        )
                    ],
                )
                return [*reset_flow_keep_item(), SlotSet("offered", None)]
            if variant is not None:
                replacement = Replacement(
                    variant.sku,
                    variant.size,
                    variant.color_zh if lang == "zh" else variant.color_en,
                )
        if tracker.get_slot("aftersales_confirm") is not True:
            dispatcher.utter_message(text=t("form.stopped", lang))
            return [*end_request(), SlotSet("offered", None)]
        channel, _ = channel_and_external_id(tracker)
        requester = Requester(
            customer_id=await current_customer_id(tracker, deps.engine) or order.customer_id,
            channel=channel,
            sender_id=tracker.sender_id,
            lang=lang,
            text=request_text(tracker),
        )
        policy = policy_of(deps)
        now = deps.clock()
        if replacement is None:
            ticket = await open_return(deps.engine, policy, order, plan, requester, now=now)
        else:
            ticket = await open_exchange(
                deps.engine, policy, order, plan, requester, {line: replacement}, now=now
            )
        photo = tracker.get_slot("aftersales_photo")
        if photo and photo != NO_PHOTO:
            ticket = await attach_evidence(deps.engine, ticket.id, str(photo).split())
        dispatcher.utter_message(text=self._done_text(ticket, plan, lang, replacement))
        return [*end_request(), SlotSet("offered", None)]

    def _done_text(
        self, ticket: Ticket, plan: Plan, lang: Lang, replacement: Replacement | None
    ) -> str:
        sep = "" if lang == "zh" else " "
        decision = plan.allowed[0]
        status = "done" if ticket.status == "approved" else "requested"
        parts = [t(f"aftersales.{self.kind}_{status}", lang, ticket_id=ticket.id)]
        if replacement is not None:
            label = " ".join(p for p in (replacement.color, replacement.size) if p)
            parts.append(t("aftersales.replacement", lang, variant=label or replacement.sku))
        parts.append(decision.reason(lang))
        if plan.return_shipping_paid_by is not None:
            parts.append(t(f"aftersales.shipping.{plan.return_shipping_paid_by}", lang))
        if plan.refund is not None:
            parts.append(plan.refund.text(lang))
        text = sep.join(parts)
        instructions = ticket.payload.get("instructions")
        if isinstance(instructions, dict) and isinstance(instructions.get(lang), str):
            text += "\n" + instructions[lang]
        return text


async def _intercept_in_transit(turn: OrderTurn) -> None:
    """A return of a parcel still on its way: staff have the carrier send it back."""
    order, lang = turn.order, turn.lang
    ticket = await record_ticket(
        turn.tracker,
        turn.deps.engine,
        kind="return",
        status="requested",
        order_id=order.id,
        category="intercept_in_transit",
        customer_id=order.customer_id,
        lang=lang,
        key=f"return:{order.id}",
        timezone=turn.deps.config.shop.timezone,
        details={
            "items": [
                {
                    "line": i,
                    "product_id": it.product_id,
                    "sku": it.variant_sku,
                    "quantity": it.quantity,
                }
                for i, it in enumerate(order.items)
            ],
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
        },
    )
    carrier = carrier_name(order.carrier, lang) if order.carrier else ""
    turn.say(
        t(
            "return.in_transit",
            lang,
            order_id=order.id,
            status=status_name(order.status, lang),
            carrier=carrier,
            ticket_id=ticket.id,
            amount=money(order.total_cents),
        )
    )


class ReturnRequest(_AftersalesRequest):
    """Return: approved with RMA number and instructions, or refused with the alternatives."""

    kind: RequestKind = "return"

    def name(self) -> str:
        return "action_return_request"


class ExchangeRequest(_AftersalesRequest):
    """Exchange to another size or colour in stock, or refused with the alternatives."""

    kind: RequestKind = "exchange"

    def name(self) -> str:
        return "action_exchange_request"


class RefundStatus(OrderAction):
    """Lists the cancellation, return, exchange and refund tickets of an order."""

    def name(self) -> str:
        return "action_refund_status"

    async def act(self, turn: OrderTurn) -> list[EventType]:
        order, lang, deps = turn.order, turn.lang, turn.deps
        found = [
            ticket
            for ticket in await tickets.list_tickets(deps.engine, order_id=order.id)
            if ticket.kind in REFUND_KINDS
        ]
        if not found:
            turn.say(t("refund.none", lang, order_id=order.id))
            return end_request()
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
            refund = ticket.payload.get("refund")
            if isinstance(refund, dict) and isinstance(refund.get("total_cents"), int):
                lines.append(
                    t(
                        "refund.amount",
                        lang,
                        amount=money(int(refund["total_cents"])),
                        method=payment_name(str(refund.get("method") or ""), lang),
                    )
                )
        lines.append(t("refund.timing", lang))
        turn.say("\n".join(lines))
        return end_request()

"""The after-sales questions (``action_ask_<slot>``), with buttons for the answers."""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import money, t
from bot.payloads import button
from bot.services import catalog
from bot.services.aftersales import returned_so_far
from bot.services.aftersales_answers import line_value
from bot.services.aftersales_terms import RETURN_REASONS

from .._turn import OrderTurn
from ..order_forms import yes_no_buttons
from ._shared import (
    NO_PHOTO,
    chosen_variant,
    exchange_options,
    item_label,
    kind_of_form,
    line_of,
    plan_request,
    quantity_of,
    reason_of,
    remaining_quantity,
    variant_label,
)

MAX_QUANTITY_BUTTONS = 10


def _button(title: str, key: str, value: str) -> dict[str, str]:
    return button(title, "inform", {key: value})


class _AskAftersales(Action, ABC):
    """Asks one after-sales question about the form's order and item."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = await OrderTurn.start(tracker, dispatcher)
        if turn is not None:
            await self.ask(turn)
        return []

    @abstractmethod
    async def ask(self, turn: OrderTurn) -> None:
        """Ask about ``turn.order``, which this customer may see."""


def _chosen_line(turn: OrderTurn) -> int:
    """The order line the form chose (the first line until one is chosen)."""
    return line_of(turn.tracker, turn.order) or 0


class AskAftersalesLine(_AskAftersales):
    slot = "aftersales_line"

    async def ask(self, turn: OrderTurn) -> None:
        order, lang = turn.order, turn.lang
        returned = await returned_so_far(turn.deps.engine, order)
        buttons = [
            _button(
                t(
                    "aftersales.line_button",
                    lang,
                    number=index + 1,
                    item=item_label(item, lang),
                    quantity=item.quantity,
                    price=money(item.unit_price_cents),
                ),
                "aftersales_line",
                line_value(order, index),
            )
            for index, item in enumerate(order.items)
            if returned.get(index, 0) < item.quantity
        ]
        key = f"aftersales.ask_line.{kind_of_form(turn.tracker.active_loop_name)}"
        turn.say(t(key, lang, order_id=order.id), buttons)


class AskAftersalesQuantity(_AskAftersales):
    slot = "aftersales_quantity"

    async def ask(self, turn: OrderTurn) -> None:
        line = _chosen_line(turn)
        remaining = await remaining_quantity(turn.deps.engine, turn.order, line)
        shown = range(1, min(remaining, MAX_QUANTITY_BUTTONS) + 1)
        turn.say(
            t(
                "aftersales.ask_quantity",
                turn.lang,
                item=item_label(turn.order.items[line], turn.lang),
                remaining=remaining,
            ),
            [_button(str(n), "aftersales_quantity", str(n)) for n in shown],
        )


class AskAftersalesReason(_AskAftersales):
    slot = "aftersales_reason"

    async def ask(self, turn: OrderTurn) -> None:
        lang = turn.lang
        item = turn.order.items[_chosen_line(turn)]
        kind = kind_of_form(turn.tracker.active_loop_name)
        reasons = [r for r in RETURN_REASONS if kind == "return" or r != "no_reason"]
        turn.say(
            t(f"aftersales.ask_reason.{kind}", lang, item=item_label(item, lang)),
            [
                _button(t(f"aftersales.reason_name.{r}", lang), "aftersales_reason", r)
                for r in reasons
            ],
        )


class AskAftersalesOpened(_AskAftersales):
    slot = "aftersales_opened"

    async def ask(self, turn: OrderTurn) -> None:
        lang = turn.lang
        item = turn.order.items[_chosen_line(turn)]
        turn.say(
            t("aftersales.ask_opened", lang, item=item_label(item, lang)),
            [
                _button(t("aftersales.sealed", lang), "aftersales_opened", "sealed"),
                _button(t("aftersales.opened", lang), "aftersales_opened", "opened"),
            ],
        )


class AskExchangeVariant(_AskAftersales):
    slot = "exchange_variant"

    async def ask(self, turn: OrderTurn) -> None:
        lang = turn.lang
        item = turn.order.items[_chosen_line(turn)]
        product = await catalog.get_product(turn.deps.engine, item.product_id)
        turn.say(
            t("aftersales.ask_variant", lang, item=item_label(item, lang)),
            [
                _button(variant_label(v, lang), "exchange_variant", v.sku)
                for v in exchange_options(product, item, reason_of(turn.tracker))
            ],
        )


class AskAftersalesPhoto(_AskAftersales):
    slot = "aftersales_photo"

    async def ask(self, turn: OrderTurn) -> None:
        skip = _button(t("aftersales.skip_photo", turn.lang), "aftersales_photo", NO_PHOTO)
        turn.say(t("aftersales.ask_photo", turn.lang), [skip])


class AskAftersalesConfirm(_AskAftersales):
    """Sums the request up with the policy's decision (and the refund) before the ticket."""

    slot = "aftersales_confirm"

    async def ask(self, turn: OrderTurn) -> None:
        order, lang, deps, tracker = turn.order, turn.lang, turn.deps, turn.tracker
        line = line_of(tracker, order)
        reason = reason_of(tracker)
        if line is None or reason is None:
            return
        kind = kind_of_form(tracker.active_loop_name)
        opened = tracker.get_slot("aftersales_opened") == "opened"
        plan = await plan_request(order, line, kind, reason, opened, deps, quantity_of(tracker))
        if not plan.allowed:
            return
        decision = plan.allowed[0]
        item = order.items[line]
        parts = []
        photo = tracker.get_slot("aftersales_photo")
        if photo and photo != NO_PHOTO:
            parts.append(t("aftersales.photo_received", lang, count=len(str(photo).split())))
        values: dict[str, object] = {
            "order_id": order.id,
            "item": item_label(item, lang),
            "quantity": decision.quantity,
            "reason": t(f"aftersales.reason_name.{reason}", lang),
        }
        if kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            variant = chosen_variant(product, tracker)
            values["variant"] = variant_label(variant, lang) if variant else ""
        parts.append(t(f"aftersales.confirm.{kind}", lang, **values))
        parts.append(decision.reason(lang))
        if plan.refund is not None:
            parts.append(plan.refund.text(lang))
        turn.say(
            ("" if lang == "zh" else " ").join(parts),
            yes_no_buttons(lang, "aftersales.yes", "aftersales.no"),
        )

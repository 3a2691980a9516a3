"""Which order a complaint is about: the one its own message names, never silently the order
of a form the complaint interrupted.

- An order number in the complaint (entity or typed with separators) wins; someone else's
  order is not linked.
- Outside a form: the order the conversation is about (slot ``order_id``), as before.
- During a form (a return of order Y): an order the customer named themselves in this form
  other than Y ("the courier of order X was rude", then the details), else the customer's
  only order; otherwise the complaint asks which order it is about, with the customer's
  recent orders and "not about an order" as buttons (``/complaint{"complaint_order": …}``),
  and is recorded once the customer picks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Tracker

from bot.i18n import Lang, t
from bot.payloads import button
from bot.services import orders
from bot.services.types import Order

from .._common import events_in_form, latest_text
from .._deps import Deps
from .._render import order_button
from ..order_forms import find_order_id
from ..order_picking import RECENT_ORDERS, candidate_orders
from ._shared import form_order_id_before

COMPLAINT_ORDER = "complaint_order"  # the entity of the "which order?" buttons
NOT_ABOUT_AN_ORDER = "none"


@dataclass(frozen=True)
class ComplaintOrder:
    """The complaint's order (None: about no order) or, when unclear, the orders to ask about."""

    order_id: str | None = None
    ask: list[Order] = field(default_factory=list)


def named_order_id(tracker: Tracker, deps: Deps) -> str | None:
    """The order number the latest message names: its entity, else one typed with separators."""
    entity = next(tracker.get_latest_entity_values("order_id"), None)
    if entity:
        return str(entity)
    return find_order_id(latest_text(tracker), deps.config.nlu.order_id_pattern)


async def _owned(order_id: str | None, customer_id: str | None, deps: Deps) -> str | None:
    if not order_id or not customer_id:
        return None
    order = await orders.get_order(deps.engine, str(order_id))
    if order is None or orders.check_access(order, customer_id, None) != orders.Access.OWNER:
        return None
    return order.id


def _named_in_form(tracker: Tracker, form_order: str | None) -> list[str]:
    """Order numbers the customer named in earlier messages of the current form, other than
    the form's own."""
    named: list[str] = []
    for event in events_in_form(tracker):
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            value = str(entity.get("value") or "")
            if entity.get("entity") == "order_id" and value and value != form_order:
                named.append(value)
    return list(dict.fromkeys(named))


async def complaint_order(tracker: Tracker, customer_id: str | None, deps: Deps) -> ComplaintOrder:
    """The order the complaint in the latest message is about (see the module's rules)."""
    chosen = next(tracker.get_latest_entity_values(COMPLAINT_ORDER), None)
    if chosen is not None:
        picked = None if chosen == NOT_ABOUT_AN_ORDER else str(chosen)
        return ComplaintOrder(await _owned(picked, customer_id, deps))
    named = named_order_id(tracker, deps)
    if named:
        return ComplaintOrder(await _owned(named, customer_id, deps))
    if tracker.active_loop_name is None:
        return ComplaintOrder(await _owned(tracker.get_slot("order_id"), customer_id, deps))
    if not customer_id:
        return ComplaintOrder()
    earlier = _named_in_form(tracker, form_order_id_before(tracker))
    owned = [order_id for order_id in earlier if await _owned(order_id, customer_id, deps)]
    if len(owned) == 1:
        return ComplaintOrder(owned[0])
    candidates = await candidate_orders(tracker, deps)
    if len(candidates) == 1:
        return ComplaintOrder(candidates[0].id)
    if not candidates:
        return ComplaintOrder()
    return ComplaintOrder(ask=candidates[:RECENT_ORDERS])


def ask_buttons(choices: list[Order], lang: Lang) -> list[dict[str, str]]:
    """One button per order, and one for a complaint about no order in particular."""
    found: list[dict[str, str]] = []
    for order in choices:
        shown = order_button(order, lang)
        found.append(button(shown["title"], "complaint", {COMPLAINT_ORDER: order.id}))
    found.append(
        button(t("complaint.no_order", lang), "complaint", {COMPLAINT_ORDER: NOT_ABOUT_AN_ORDER})
    )
    return found


def clarified_message(tracker: Tracker) -> dict[str, Any] | None:
    """The unclear message a fallback suggestion ("did you mean: complaint?") was picked for:
    the customer's message before this button, when NLU could not tell what it was."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    # Rasa's two-stage fallback logs the picked button twice (the press, reverted, and its
    # clarified copy): the message before the press is the first one that is not the button.
    picked = users[-1].get("text")
    earlier = [e for e in users[:-1] if e.get("text") != picked]
    if not earlier:
        return None
    before = earlier[-1]
    intent = (before.get("parse_data") or {}).get("intent") or {}
    text = str(before.get("text") or "").strip()
    if intent.get("name") == "nlu_fallback" and text and not text.startswith("/"):
        return before
    return None


def complained_before(tracker: Tracker) -> dict[str, Any] | None:
    """The customer's message the "which order?" buttons were about: the latest typed one
    before this button."""
    seen_latest = False
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if not seen_latest:
            seen_latest = True
            continue
        text = str(event.get("text") or "").strip()
        if text and not text.startswith("/"):
            return event
    return None

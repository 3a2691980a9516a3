"""Access to an order in an order form: whether the customer owns it or gave the phone number
on it, and whether wrong phone numbers locked it for this sender.

Wrong phone numbers are counted per sender and order in the database (bot/services/attempts.py):
``access.max_wrong`` within ``access.window_minutes`` lock the order for that sender for
``access.lock_minutes``, across forms and restarts. The forms themselves are in
bot/actions/order_forms.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import Lang, fmt_datetime, t
from bot.services import attempts, orders
from bot.services.types import Order

from ._common import channel_and_external_id, current_customer_id, events_in_form, lang_of
from ._deps import Deps


def _bot_texts_in_form(tracker: Tracker) -> list[str]:
    """What the bot said since the current form started (oldest first)."""
    return [
        str(e["text"]) for e in events_in_form(tracker) if e.get("event") == "bot" and e.get("text")
    ]


def phone_retries(tracker: Tracker) -> int:
    """How many wrong phone numbers the customer already sent in the current form."""
    retry = {t("order.phone_retry", lang) for lang in ("en", "zh")}
    return sum(1 for text in _bot_texts_in_form(tracker) if text in retry)


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


def phone_sender(tracker: Tracker) -> str:
    """Who is trying phone numbers: the attempts subject of the chat account."""
    return attempts.subject_of(*channel_and_external_id(tracker))


async def phone_locked_until(tracker: Tracker, deps: Deps, order_id: str) -> datetime | None:
    """When this sender may try phone numbers for ``order_id`` again; None: they may now.

    Locked by the sender's own wrong numbers, or by everybody's (``access.max_wrong_per_order``).
    """
    settings = deps.config.access
    limits = attempts.Limits.from_config(settings)
    engine, now = deps.engine, deps.clock()
    mine = await attempts.locked_until(
        engine, attempts.PHONE, phone_sender(tracker), order_id, now=now, limits=limits
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

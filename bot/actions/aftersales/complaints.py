"""Complaints: classified, rated for severity and recorded with their deadline (severe ones go
to a person); questions about earlier complaints get their status."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.handoff.rules import handoff_request
from bot.i18n import Lang, fmt_datetime, t, ticket_status_name
from bot.services import customers, ticket_states, tickets
from bot.services.aftersales import Requester, complaint_count, open_complaint
from bot.services.aftersales_answers import asks_complaint_status, reason_from_text
from bot.services.complaint_classifier import load_classifier
from bot.services.complaints import Severity, assess
from bot.services.types import Ticket

from .._common import (
    channel_and_external_id,
    current_customer_id,
    lang_of,
    latest_text,
    message_id_of,
    message_key,
)
from .._deps import Deps, get_deps
from ..conversation import resume_text
from ._shared import AFTERSALES_FORMS, form_order_id_before
from .complaint_orders import (
    COMPLAINT_ORDER,
    ask_buttons,
    clarified_message,
    complained_before,
    complaint_order,
)


@functools.cache
def _sentiment_model() -> Any:
    """The sentiment model, or None when it has not been trained (severity goes without)."""
    from bot.sentiment.scoring import ModelFormatError, ModelNotFoundError, SentimentModel

    try:
        return SentimentModel.load()
    except (ModelNotFoundError, ModelFormatError):
        return None


def sentiment_of(text: str) -> float | None:
    model = _sentiment_model()
    return None if model is None or not text else float(model.score(text))


class Complaint(Action):
    """Classifies a complaint, rates its severity, records it with its deadline; severe ones go
    to a person. Asked about earlier complaints, it tells their status instead."""

    def name(self) -> str:
        return "action_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang: Lang = lang_of(tracker)
        text = latest_text(tracker)
        if (
            tracker.active_loop_name in AFTERSALES_FORMS
            and tracker.get_slot(REQUESTED_SLOT) == "aftersales_reason"
        ):
            # "The sole came off" answers the form's question about the reason.
            reason = reason_from_text(text)
            if reason is not None:
                return [SlotSet("aftersales_reason", reason)]
        customer_id = await current_customer_id(tracker, deps.engine)
        if text and asks_complaint_status(text):
            await self._status(customer_id, lang, tracker, dispatcher, deps)
            return []
        key = message_key("complaint", tracker)
        unclear = clarified_message(tracker) if not text else None
        if unclear is not None:
            # "Complaint" picked from the fallback's suggestions: the complaint is what the
            # customer wrote, not the button.
            text = str(unclear.get("text") or "")
            key = f"complaint:{tracker.sender_id}:{message_id_of(unclear)}"
        if next(tracker.get_latest_entity_values(COMPLAINT_ORDER), None) is not None:
            # The answer to "which order is it about?": the complaint is the message before.
            earlier = complained_before(tracker)
            if earlier is None:
                return _back_to_form(tracker, dispatcher, lang)
            text = str(earlier.get("text") or "")
            key = f"complaint:{tracker.sender_id}:{message_id_of(earlier)}"
        about = await complaint_order(tracker, customer_id, deps)
        # A serious complaint goes to a person at once, about no order rather than later.
        if about.ask and not (await _severity(text, customer_id, deps)).needs_human:
            dispatcher.utter_message(
                text=t("complaint.which_order", lang), buttons=ask_buttons(about.ask, lang)
            )
            return _back_to_form(tracker, dispatcher, lang)
        await self.record(text, about.order_id, key, customer_id, lang, tracker, dispatcher, deps)
        return _back_to_form(tracker, dispatcher, lang)

    @staticmethod
    async def record(
        text: str,
        order_id: str | None,
        key: str,
        customer_id: str | None,
        lang: Lang,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        deps: Deps,
    ) -> None:
        now = deps.clock()
        severity = await _severity(text, customer_id, deps)
        channel, _ = channel_and_external_id(tracker)
        ticket = await open_complaint(
            deps.engine,
            severity,
            Requester(customer_id, channel, tracker.sender_id, lang, text),
            order_id=order_id,
            key=key,
            now=now,
            timezone=deps.config.shop.timezone,
        )
        parts = [
            t(
                "ticket.notify.complaint_requested",
                lang,
                topic=t(f"complaint.type.{severity.complaint_type}", lang),
                ticket_id=ticket.id,
                due=_due(ticket, lang, deps),
            )
        ]
        if severity.needs_human:
            parts.append(t("complaint.severe", lang))
        dispatcher.utter_message(text=("" if lang == "zh" else " ").join(parts))
        if severity.needs_human:
            dispatcher.utter_message(
                json_message=handoff_request(
                    "severe_complaint", severity=severity.level, ticket_id=ticket.id
                )
            )

    @staticmethod
    async def _status(
        customer_id: str | None,
        lang: Lang,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        deps: Deps,
    ) -> None:
        found = await tickets.list_tickets(
            deps.engine, customer_id=customer_id, kind="complaint", limit=1000
        )
        mine = [
            ticket
            for ticket in found
            if (customer_id and ticket.customer_id == customer_id)
            or ticket.sender_id == tracker.sender_id
        ]
        if not mine:
            dispatcher.utter_message(text=t("complaint.status_none", lang))
            return
        lines = [t("complaint.status_header", lang)]
        for ticket in sorted(mine, key=lambda item: item.created_at)[-5:]:
            lines.append(
                t(
                    "complaint.status_line",
                    lang,
                    ticket_id=ticket.id,
                    topic=t(f"complaint.type.{ticket.category or 'other'}", lang),
                    status=ticket_status_name(
                        ticket_states.effective_status("complaint", ticket.status), lang
                    ),
                    due=_due(ticket, lang, deps),
                )
            )
        dispatcher.utter_message(text="\n".join(lines))


async def _severity(text: str, customer_id: str | None, deps: Deps) -> Severity:
    """How serious the complaint is (type, sentiment, segment, earlier complaints)."""
    customer = await customers.get_customer(deps.engine, customer_id) if customer_id else None
    return assess(
        load_classifier().classify(text),
        text=text,
        sentiment=sentiment_of(text),
        segment=customer.segment if customer else None,
        prior_complaints=await complaint_count(
            deps.engine,
            customer_id,
            days=deps.config.aftersales.complaint_history_days,
            now=deps.clock(),
        ),
        rules=deps.config.aftersales,
    )


def _due(ticket: Ticket, lang: Lang, deps: Deps) -> str:
    due: datetime | None = ticket.sla_due_at
    if due is None:
        return t("ticket.due_soon", lang)
    return fmt_datetime(due, lang, deps.config.shop.timezone)


def _back_to_form(
    tracker: Tracker, dispatcher: CollectingDispatcher, lang: Lang
) -> list[EventType]:
    """Back to the form the complaint interrupted, with the form's own order (an order number
    in the complaint replaced it in slot ``order_id``)."""
    form = tracker.active_loop_name
    form_order = form_order_id_before(tracker) if form else None
    if form is None or form_order is None:
        return []  # no form, or one still finding its order: a number given is its answer
    resume = resume_text(form, form_order, lang)
    if resume:
        dispatcher.utter_message(text=resume)
    if tracker.get_slot("order_id") != form_order:
        return [SlotSet("order_id", form_order)]
    return []


async def complain_about_order(
    order_id: str, tracker: Tracker, dispatcher: CollectingDispatcher, deps: Deps
) -> None:
    """Record the complaint in the latest message about ``order_id``, which it names (linked
    only when it is the customer's own order)."""
    customer_id = await current_customer_id(tracker, deps.engine)
    about = await complaint_order(tracker, customer_id, deps)
    linked = about.order_id if about.order_id == order_id else None
    await Complaint.record(
        latest_text(tracker),
        linked,
        message_key("complaint", tracker),
        customer_id,
        lang_of(tracker),
        tracker,
        dispatcher,
        deps,
    )

"""Conversation actions: a human colleague, feedback, data deletion, FAQ buttons, stopping."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.handoff.rules import handoff_request
from bot.i18n import faq_topics, t

from ._common import current_customer_id, lang_of, message_key, record_ticket
from ._deps import get_deps
from .order_forms import reset_flow


class RequestHuman(Action):
    """Asks the gateway to hand the conversation to staff.

    The gateway owns the channels and the staff side (bot/handoff/service.py), so it decides what
    happens: a Slack thread and "connecting you", an offer to leave a message outside service
    hours, or a message ticket when no staff desk is set up. The custom message itself never
    reaches the customer.
    """

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(json_message=handoff_request("customer_request"))
        return []


class GiveFeedback(Action):
    """Thanks the customer and records the feedback."""

    def name(self) -> str:
        return "action_give_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        ticket = await record_ticket(
            tracker,
            deps.engine,
            kind="feedback",
            status="received",
            customer_id=await current_customer_id(tracker, deps.engine),
            lang=lang,
            key=message_key("feedback", tracker),
            timezone=deps.config.shop.timezone,
        )
        dispatcher.utter_message(text=t("feedback.recorded", lang, ticket_id=ticket.id))
        return []


class DeleteMyData(Action):
    """Explains what is deleted and records a data deletion request (one per customer)."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        customer_id = await current_customer_id(tracker, deps.engine)
        ticket = await record_ticket(
            tracker,
            deps.engine,
            kind="data_deletion",
            status="requested",
            customer_id=customer_id,
            lang=lang,
            key=f"data_deletion:{customer_id or tracker.sender_id}",
            timezone=deps.config.shop.timezone,
        )
        key = "data.recorded" if customer_id else "data.unknown_customer"
        dispatcher.utter_message(text=t(key, lang, ticket_id=ticket.id))
        return []


class StopForm(Action):
    """After the customer called off a form: confirm and forget what it collected."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=t("form.stopped", lang_of(tracker)))
        return reset_flow()


class AnswerFaq(Action):
    """Answers an FAQ picked from a clarification button (``/faq{"faq_topic": ...}``).

    A payload skips the NLU pipeline, so the ResponseSelector never chose an answer; the
    topic travels as an entity and names the domain response ``utter_faq/<topic>``.
    """

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        topic = next(tracker.get_latest_entity_values("faq_topic"), None)
        if topic in faq_topics():
            dispatcher.utter_message(response=f"utter_faq/{topic}")
        else:
            dispatcher.utter_message(response="utter_ask_rephrase")
        return []

"""Conversation actions: a human colleague, feedback, data deletion, FAQ buttons, stopping."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.config import resolve_repo_path
from bot.handoff.rules import handoff_request
from bot.i18n import Lang, faq_topics, t
from bot.payloads import button
from bot.services import privacy_data, privacy_erase

from ._common import current_customer_id, lang_of, message_key, record_ticket
from ._deps import get_deps
from .aftersales._shared import end_request
from .order_forms import ORDER_FORMS


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
        if tracker.active_loop_name is None:
            return []
        # A form waiting for an answer is dropped: the customer wants a person now, and the
        # form must not ask its question again (nor keep its order for a later request).
        return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *end_request()]


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


# The form that asks before erasing (rasa_project/domain/other.yml) and its yes/no slot.
DELETE_DATA_FORM = "delete_my_data_form"
DELETE_DATA_SLOT = "data_erase_confirm"


class AskDataEraseConfirm(Action):
    """Asks whether to erase the customer's data now, with Yes / No buttons."""

    def name(self) -> str:
        return f"action_ask_{DELETE_DATA_SLOT}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        customer_id = await current_customer_id(tracker, get_deps().engine)
        dispatcher.utter_message(
            text=t("privacy.confirm" if customer_id else "privacy.confirm_guest", lang),
            buttons=[
                button(t("privacy.yes", lang), "affirm"),
                button(t("privacy.no", lang), "deny"),
            ],
        )
        return []


class DeleteMyData(Action):
    """After the confirmation: erases the customer's personal data (bot/services/privacy_erase.py)
    and says what was erased and what was kept; "no" erases nothing.

    The action server shares the shop database with the gateway and Rasa's tracker store, so
    the erasure runs here, in one transaction. A chat not linked to a customer gets a ticket
    for staff instead (nobody's data can be found from it alone).
    """

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        done = [SlotSet(DELETE_DATA_SLOT, None)]
        if tracker.get_slot(DELETE_DATA_SLOT) is not True:
            dispatcher.utter_message(text=t("privacy.cancelled", lang))
            return done
        customer_id = await current_customer_id(tracker, deps.engine)
        if customer_id:
            try:
                report = await privacy_erase.erase(
                    deps.engine,
                    customer_id,
                    actor="customer",
                    media_dir=resolve_repo_path(deps.config.channels.media_dir),
                )
            except privacy_data.UnknownCustomer:
                pass
            else:
                dispatcher.utter_message(text=erasure_reply(report, lang))
                return done
        ticket = await record_ticket(
            tracker,
            deps.engine,
            kind="data_deletion",
            status="requested",
            customer_id=None,
            lang=lang,
            key=f"data_deletion:{tracker.sender_id}",
            timezone=deps.config.shop.timezone,
        )
        dispatcher.utter_message(text=t("data.unknown_customer", lang, ticket_id=ticket.id))
        return done


def erasure_reply(report: privacy_erase.ErasureReport, lang: Lang) -> str:
    """What was erased and what was kept, and why."""
    if report.total == 0:
        lines = [t("privacy.nothing_left", lang)]
    else:
        lines = [
            t(
                "privacy.erased",
                lang,
                chats=report.count("inbox", "outbox", "messages"),
                photos=report.count("media_files"),
                staff=report.count("handoff_messages"),
                interactions=report.count("interactions"),
                accounts=report.count("identities"),
            )
        ]
    orders = report.kept.get(privacy_erase.KEPT_ORDERS, 0)
    if orders:
        lines.append(t("privacy.kept", lang, orders=orders))
    lines.append(t("privacy.unlinked", lang))
    return "\n".join(lines)


class StopForm(Action):
    """After the customer called off a form: confirm and forget what it collected."""

    def name(self) -> str:
        return "action_stop_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form, order_id = stopped_form(tracker), tracker.get_slot("order_id")
        dispatcher.utter_message(text=stopped_text(form, order_id, lang_of(tracker), False))
        return end_request()


def stopped_form(tracker: Tracker) -> str | None:
    """The form the customer just called off (the latest one that was active)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            return str(event["name"])
    return None


def stopped_text(form: str | None, order_id: str | None, lang: Lang, moved_on: bool) -> str:
    """ "OK, I've stopped the return for order …": what was dropped, with its order (shorter
    when the customer ``moved_on`` to another request, which follows at once)."""
    if form not in ORDER_FORMS:  # the forms whose name the confirmation gives (form.what.*)
        return t("form.stopped", lang)
    what = t(f"form.what.{form}", lang)
    if order_id:
        what = t("form.what_of_order", lang, what=what, order_id=order_id)
    return t("form.dropped_for_new" if moved_on else "form.stopped_what", lang, what=what)


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


def resume_text(form: str | None, order_id: str | None, lang: Lang) -> str | None:
    """ "Now, back to your return:" after a message that interrupted ``form`` (None when
    ``form`` is not one of the named forms)."""
    if form == "exchange_request_form":
        return t("aftersales.resume.exchange", lang)
    if form == "return_request_form":
        return t("aftersales.resume.return", lang)
    if form not in ORDER_FORMS:
        return None
    what = t(f"form.what.{form}", lang)
    if order_id:
        what = t("form.what_of_order", lang, what=what, order_id=order_id)
    return t("form.resume", lang, what=what)

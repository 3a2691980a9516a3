"""The two-stage fallback: offer the likely intents as buttons, and when the customer is still
not understood, ask the gateway to hand the conversation to a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.handoff.rules import handoff_request
from bot.i18n import Lang, faq_title, intent_title, t
from bot.payloads import payload as build_payload

from ._common import lang_of
from .review import collect_gave_up

MAX_SUGGESTIONS = 3
MIN_CONFIDENCE = 0.02
# Entities worth carrying from the unclear message into the suggested intent's payload.
CARRIED_ENTITIES = ("order_id", "product", "phone", "email")


def _faq_topic(message: dict[str, Any]) -> str | None:
    """The FAQ answer the ResponseSelector picked for the message ("shipping_time")."""
    selector = message.get("response_selector") or {}
    response = (selector.get("faq") or {}).get("response") or {}
    key = str(response.get("intent_response_key") or "")
    prefix = "faq/"
    return key[len(prefix) :] if key.startswith(prefix) else None


def suggestion_buttons(message: dict[str, Any], lang: Lang) -> list[dict[str, str]]:
    """Buttons for the most likely intents of ``message`` (Rasa's ``latest_message``).

    Retrieval intents cannot be sent as ``/faq/<topic>`` (Rasa 3.6 only accepts domain
    intents in payloads, and a payload skips the ResponseSelector), so an FAQ becomes
    ``/faq{"faq_topic": "<topic>"}``, answered by ``action_answer_faq``.
    """
    entities: dict[str, str] = {}
    for entity in message.get("entities") or []:
        name = entity.get("entity")
        if name in CARRIED_ENTITIES and name not in entities and entity.get("value"):
            entities[name] = str(entity["value"])
    buttons: list[dict[str, str]] = []
    for ranked in message.get("intent_ranking") or []:
        name = str(ranked.get("name") or "")
        if float(ranked.get("confidence") or 0.0) < MIN_CONFIDENCE:
            continue
        if name == "faq":
            topic = _faq_topic(message)
            title = faq_title(topic, lang) if topic else None
            if topic is None or title is None:
                continue
            payload = build_payload("faq", faq_topic=topic)
        else:
            title = intent_title(name, lang)
            if title is None:
                continue
            payload = build_payload(name, entities)
        buttons.append({"title": title, "payload": payload})
        if len(buttons) == MAX_SUGGESTIONS:
            break
    return buttons


class AskAffirmation(Action):
    """Replaces Rasa's default "Did you mean 'intent'?" with buttons in the customer's language."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        buttons = suggestion_buttons(tracker.latest_message, lang)
        if not buttons:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        buttons.append({"title": t("fallback.something_else", lang), "payload": "/out_of_scope"})
        dispatcher.utter_message(text=t("fallback.ask_affirmation", lang), buttons=buttons)
        return []


NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def last_intents(events: list[dict[str, Any]], count: int) -> list[str | None]:
    """The intents of the latest ``count`` user turns, newest first, as Rasa's two-stage
    fallback counts them (a reverted turn counts as a turn without an intent)."""
    names: list[str | None] = []
    for event in reversed(events):
        if event.get("event") == "restart":
            break
        if event.get("event") == "rewind":
            names.append(None)
        elif event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            names.append(intent.get("name"))
        if len(names) == count:
            break
    return names


def fallback_gave_up(events: list[dict[str, Any]]) -> bool:
    """Rasa's two-stage fallback gives up (and runs ``action_default_fallback``) after two
    unclear messages in a row, or when the customer turned down the suggestions twice."""
    return last_intents(events, 2) == [NLU_FALLBACK, NLU_FALLBACK] or last_intents(events, 3) == [
        OUT_OF_SCOPE,
        NLU_FALLBACK,
        OUT_OF_SCOPE,
    ]


class DefaultFallback(Action):
    """Replaces Rasa's ``action_default_fallback``.

    After the two-stage fallback gave up, it adds the message to the review queue and asks the
    gateway for a handoff (reason ``two_fallbacks``); the gateway offers a "talk to a person"
    button instead when that trigger is off. After a low-confidence dialogue prediction it says
    ``utter_default`` as Rasa does. Either way the unclear message is reverted, like Rasa's own
    action.
    """

    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if fallback_gave_up(tracker.events):
            await collect_gave_up(tracker)
            dispatcher.utter_message(json_message=handoff_request("two_fallbacks"))
        else:
            dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]

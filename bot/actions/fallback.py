"""The two-stage fallback: offer the likely intents as buttons, and when the customer is still
not understood, ask the gateway to hand the conversation to a person."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.handoff.rules import handoff_request
from bot.i18n import Lang, faq_title, intent_title, t
from bot.payloads import payload as build_payload

from ._common import lang_of, latest_text
from ._deps import get_deps
from .review import collect_gave_up

log = logging.getLogger(__name__)
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


async def grounded_answer(tracker: Tracker, lang: Lang) -> str | None:
    """The large model's answer to the customer's latest message from the shop's facts
    (bot/llm/answer.py), or None: the assist is off, the question is not about the shop, the
    model failed or timed out, or the guard blocked its answer."""
    long_tail = get_deps().long_tail
    if not long_tail.enabled:
        return None
    try:
        found = await long_tail.answer(latest_text(tracker), lang)
    except Exception:  # the assist must never break the fallback
        log.exception("llm long tail failed; answering without it")
        return None
    return None if found is None else found.text


class AskAffirmation(Action):
    """Replaces Rasa's default "Did you mean 'intent'?" with buttons in the customer's language.

    With the large-model assist on, a question the shop's facts answer is answered from them
    instead (README "Large-model assist (optional)").
    """

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        answer = await grounded_answer(tracker, lang)
        if answer is not None:
            dispatcher.utter_message(text=answer)
            return []
        buttons = suggestion_buttons(tracker.latest_message, lang)
        if not buttons:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        buttons.append({"title": t("fallback.something_else", lang), "payload": "/out_of_scope"})
        dispatcher.utter_message(text=t("fallback.ask_affirmation", lang), buttons=buttons)
        return []


NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"


def previous_action(events: list[dict[str, Any]]) -> str | None:
    """The bot's last action before the customer's latest message (action_listen aside)."""
    seen_user = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action":
            name = event.get("name")
            if name != "action_listen":
                return str(name)
    return None


class OutOfScope(Action):
    """Answers a message NLU reads as out of scope: from the shop's facts when the large-model
    assist is on and the question is about the shop; else as before, ``utter_out_of_scope``,
    and ``utter_default`` (which offers a person) for a second one in a row."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answer = await grounded_answer(tracker, lang_of(tracker))
        if answer is not None:
            dispatcher.utter_message(text=answer)
        elif previous_action(tracker.events) == self.name():
            dispatcher.utter_message(response="utter_default")
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []


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

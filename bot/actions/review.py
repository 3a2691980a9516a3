"""Collecting the turns the assistant failed on into the review queue (bot/services/review.py).

- :func:`collect_unclear`: called by ``action_validate_slot_mappings``, which runs once after
  every customer message: an NLU fallback (kind ``nlu_fallback``) or a top intent less sure
  than ``studio.review_confidence`` (``low_confidence``; not while a form asks a question, whose
  answers are read by the form, nor a message without letters). One place, so one row per
  message.
- ``action_default_fallback`` adds the message the two-stage fallback gave up on (``fallback``).
- ``action_not_helpful`` (intent ``not_helpful``: "that didn't help", "没用") adds the customer's
  previous message with the answer that did not help (``not_helpful``), says sorry and offers a
  person.

A failure to write the row is logged and never stops the action: the customer gets the answer.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.i18n import detect_language, t
from bot.services import review
from bot.services.redact import redact

from ._common import lang_of, latest_metadata, latest_text, message_id
from ._deps import get_deps

logger = logging.getLogger(__name__)

NLU_FALLBACK = "nlu_fallback"
MAX_ANSWER = 500


def top_intent(message: dict[str, Any]) -> tuple[str | None, float | None]:
    """The model's most likely intent of ``message`` other than ``nlu_fallback``."""
    for ranked in message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name and name != NLU_FALLBACK:
            return str(name), float(ranked.get("confidence") or 0.0)
    intent = message.get("intent") or {}
    name = intent.get("name")
    if not name or name == NLU_FALLBACK:
        return None, None
    return str(name), float(intent.get("confidence") or 0.0)


def message_language(tracker: Tracker, text: str) -> str:
    language = latest_metadata(tracker).get("language")
    if language in ("zh", "en"):
        return str(language)
    return detect_language(text, lang_of(tracker))


async def _collect(tracker: Tracker, **values: Any) -> int | None:
    try:
        return await review.collect(get_deps().engine, conversation_id=tracker.sender_id, **values)
    except Exception:  # the queue is for later; the customer's answer comes first
        logger.exception("could not add %s to the review queue", values.get("kind"))
        return None


async def collect_unclear(tracker: Tracker) -> int | None:
    """The latest message, when it was an NLU fallback or its intent was not sure enough."""
    text = latest_text(tracker)
    if not text:
        return None  # a button payload
    message = tracker.latest_message
    intent = (message.get("intent") or {}).get("name")
    confidence = float((message.get("intent") or {}).get("confidence") or 0.0)
    if intent == NLU_FALLBACK:
        kind = "nlu_fallback"
    elif tracker.active_loop.get("name") or not any(c.isalpha() for c in text):
        return None  # a form's answer (an order number, "2", "yes") is read by the form
    elif confidence < get_deps().config.studio.review_confidence:
        kind = "low_confidence"
    else:
        return None
    predicted, score = top_intent(message)
    return await _collect(
        tracker,
        kind=kind,
        text=text,
        language=message_language(tracker, text),
        message_key=f"{tracker.sender_id}:{message_id(tracker)}",
        intent=predicted,
        confidence=score,
    )


async def collect_gave_up(tracker: Tracker) -> int | None:
    """The message the two-stage fallback gave up on (before it is reverted)."""
    text = latest_text(tracker)
    if not text:
        return None
    predicted, score = top_intent(tracker.latest_message)
    return await _collect(
        tracker,
        kind="fallback",
        text=text,
        language=message_language(tracker, text),
        message_key=f"{tracker.sender_id}:{message_id(tracker)}",
        intent=predicted,
        confidence=score,
        detail={"reason": "two_fallbacks"},
    )


def previous_turn(events: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    """The customer's message before the latest one and what the bot answered to it."""
    users = 0
    answer: list[str] = []
    for event in reversed(events):
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            break
        if kind == "user":
            users += 1
            if users == 2:
                return event, " ".join(reversed(answer))
        elif kind == "bot" and users == 1 and event.get("text"):
            answer.append(str(event["text"]))
    return None, ""


class NotHelpful(Action):
    """The customer says the answer did not help: the question goes to the review queue."""

    def name(self) -> str:
        return "action_not_helpful"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lang = lang_of(tracker)
        event, answer = previous_turn(tracker.events)
        text = str((event or {}).get("text") or "").strip()
        if event is not None and text and not text.startswith("/"):
            predicted, score = top_intent(event.get("parse_data") or {})
            said = latest_text(tracker)
            await _collect(
                tracker,
                kind="not_helpful",
                text=text,
                language=detect_language(text, lang),
                message_key=f"{tracker.sender_id}:{message_id(tracker)}",
                intent=predicted,
                confidence=score,
                detail={"answer": redact(answer)[:MAX_ANSWER], "feedback": redact(said)},
            )
        dispatcher.utter_message(
            text=t("review.not_helpful", lang),
            buttons=[
                {"title": t("review.talk_to_person", lang), "payload": "/request_human"},
            ],
        )
        return []

"""Slots filled on every message: the customer's language and a pending offer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.i18n import detect_language

from ._common import latest_metadata
from .review import collect_unclear

# Slots with a custom mapping that this action fills; other global slots use Rasa's mappings.
CUSTOM_SLOTS = ("language", "offered")


def last_typed_text(events: list[dict[str, Any]]) -> str:
    """The text of the latest user message that was typed, not a button payload."""
    for event in reversed(events):
        if event.get("event") == "user":
            text = str(event.get("text") or "").strip()
            if text and not text.startswith("/"):
                return text
    return ""


def offer_is_pending(events: list[dict[str, Any]]) -> bool:
    """True when the ``offered`` slot was set after the customer's previous message.

    An offer ("say yes to start a return") only applies to the very next message.
    """
    seen_latest_user = False
    for event in reversed(events):
        if event.get("event") == "user":
            if seen_latest_user:
                return False
            seen_latest_user = True
        elif event.get("event") == "slot" and event.get("name") == "offered":
            return seen_latest_user and event.get("value") is not None
    return False


class ValidateSlotMappings(ValidationAction):
    """Runs after every customer message (Rasa's ``action_validate_slot_mappings``); it also
    adds an unclear message (NLU fallback, low confidence) to the review queue."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        await collect_unclear(tracker)
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return [slot for slot in CUSTOM_SLOTS if slot in domain_slots]

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The gateway's language for the message, else detected from its text.

        A button payload has no language of its own: it takes the language of the latest
        typed message. That message may have been reverted (the two-stage fallback replaces
        an unclear message with the clarification), taking its slot value with it, so it is
        looked up in the raw events rather than taken from the slot.
        """
        language = latest_metadata(tracker).get("language")
        if language in ("zh", "en"):
            return {"language": language}
        previous = tracker.get_slot("language")
        text = last_typed_text(tracker.events)
        return {"language": detect_language(text, previous if previous in ("zh", "en") else None)}

    async def extract_offered(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("offered") is None or offer_is_pending(tracker.events):
            return {}
        return {"offered": None}

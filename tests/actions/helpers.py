"""Building rasa-sdk trackers and reading what the actions said."""

from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    *,
    sender_id: str = "web:demo-liwei",
    text: str = "",
    intent: str = "",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    active_loop: str | None = None,
    events_before: list[dict[str, Any]] | None = None,
    slot_candidates: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker whose latest user message is ``text`` / ``intent`` with ``entities``.

    ``slot_candidates`` become slot events after the message, the way Rasa hands freshly
    extracted values to a validation action.
    """
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.9}],
        **(extra or {}),
    }
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": latest,
        "metadata": metadata or {},
        "message_id": hashlib.sha1(f"{sender_id}|{text}".encode()).hexdigest()[:16],
    }
    events = [*(events_before or []), {"event": "action", "name": "action_listen"}, user_event]
    events += [
        {"event": "slot", "name": name, "value": value}
        for name, value in (slot_candidates or {}).items()
    ]
    all_slots = {"language": "en", **(slots or {}), **(slot_candidates or {})}
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> str:
    """Everything the actions said, joined, for assertions."""
    return "\n".join(str(message.get("text") or "") for message in dispatcher.messages)


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


async def new_tickets(engine: Any, kind: str) -> list[Any]:
    """Tickets of ``kind`` the test made: the demo shop's seeded complaints (``TKS-...``,
    bot/shop/generator/tickets.py) aside."""
    from bot.services.tickets import list_tickets

    found = await list_tickets(engine, kind=kind, limit=100_000)
    return [t for t in found if not t.id.startswith("TKS-")]

"""Helpers every action uses: the customer's language, who the customer is, message ids,
recording a ticket."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import Lang, as_lang, detect_language
from bot.services import customers, tickets
from bot.services.types import Ticket

DEFAULT_CHANNEL = "web"


def latest_user_event(tracker: Tracker) -> dict[str, Any] | None:
    """The most recent ``user`` event of the conversation, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return event
    return None


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the gateway sent with the latest message (channel, customer, language)."""
    event = latest_user_event(tracker)
    metadata = (event or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def latest_text(tracker: Tracker) -> str:
    """Text of the latest message; empty for a button payload ("/intent{...}")."""
    text = str(tracker.latest_message.get("text") or "").strip()
    return "" if text.startswith("/") else text


def latest_intent(tracker: Tracker) -> str | None:
    """The intent Rasa read in the latest message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def message_id(tracker: Tracker) -> str:
    """An id of the latest user message, stable when it is handled again.

    The gateway's inbox id (in the message metadata) when there is one: Rasa gives each
    delivery of a message a new random ``message_id``, so a message the gateway sends again
    (after a Rasa timeout, the action server down) would otherwise repeat its side effects.
    Without the gateway (``rasa shell``, tests): Rasa's message id, else the timestamp.
    """
    return message_id_of(latest_user_event(tracker) or {})


def message_id_of(event: dict[str, Any]) -> str:
    """The id of one ``user`` event (see :func:`message_id`)."""
    metadata = event.get("metadata")
    inbox_id = metadata.get("inbox_id") if isinstance(metadata, dict) else None
    if isinstance(inbox_id, str) and inbox_id.isdigit():
        inbox_id = int(inbox_id)
    if isinstance(inbox_id, int) and not isinstance(inbox_id, bool):
        # The second and later requests of one message (bot.core.multi_intent) are their own
        # messages: their side effects are keyed apart from the first's.
        part = metadata.get("part") if isinstance(metadata, dict) else None
        if isinstance(part, int) and not isinstance(part, bool) and part > 0:
            return f"inbox-{inbox_id}-{part}"
        return f"inbox-{inbox_id}"
    return str(event.get("message_id") or event.get("timestamp") or "")


def lang_of(tracker: Tracker) -> Lang:
    """The language of the customer's latest message (slot ``language``)."""
    slot = tracker.get_slot("language")
    if slot in ("zh", "en"):
        return as_lang(slot)
    return detect_language(latest_text(tracker))


def channel_and_external_id(tracker: Tracker) -> tuple[str, str]:
    """Split a sender id "<channel>:<external_id>"; a bare id is a web chat user."""
    metadata = latest_metadata(tracker)
    channel = metadata.get("channel")
    external_id = metadata.get("external_id")
    if isinstance(channel, str) and isinstance(external_id, str) and channel and external_id:
        return channel, external_id
    sender = tracker.sender_id or ""
    if ":" in sender:
        channel, _, external_id = sender.partition(":")
        return channel, external_id
    return DEFAULT_CHANNEL, sender


async def current_customer_id(tracker: Tracker, engine: AsyncEngine) -> str | None:
    """The shop customer behind this conversation, or None for a guest.

    The gateway puts a known customer's id in the message metadata; otherwise the sender id
    is looked up as a channel identity.
    """
    customer_id = latest_metadata(tracker).get("customer_id")
    if isinstance(customer_id, str) and customer_id:
        return customer_id
    channel, external_id = channel_and_external_id(tracker)
    if not external_id:
        return None
    customer = await customers.resolve_customer(engine, channel, external_id)
    return None if customer is None else customer.id


def message_key(prefix: str, tracker: Tracker) -> str:
    """An idempotency key for one request per user message: "<prefix>:<sender>:<message id>"
    (the gateway's inbox id, see :func:`message_id`)."""
    return f"{prefix}:{tracker.sender_id}:{message_id(tracker)}"


async def record_ticket(
    tracker: Tracker,
    engine: AsyncEngine,
    *,
    kind: str,
    status: str,
    customer_id: str | None,
    lang: Lang,
    key: str,
    order_id: str | None = None,
    category: str | None = None,
    details: dict[str, Any] | None = None,
    timezone: str = tickets.DEFAULT_TIMEZONE,
) -> Ticket:
    """Record a ticket from this conversation (same ``key`` again: the existing ticket).

    The payload is ``details`` followed by the customer's text and language; the ticket's id
    carries the day in ``timezone`` (the shop's configured ``shop.timezone``).
    """
    channel, _ = channel_and_external_id(tracker)
    return await tickets.create_ticket(
        engine,
        kind=kind,
        order_id=order_id,
        customer_id=customer_id,
        status=status,
        category=category,
        payload={**(details or {}), "text": latest_text(tracker), "language": lang},
        channel=channel,
        sender_id=tracker.sender_id,
        idempotency_key=key,
        timezone=timezone,
    )


def events_in_form(tracker: Tracker) -> list[dict[str, Any]]:
    """The tracker's events since the current form started (or the session), oldest first."""
    found: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind in ("restart", "session_started") or (
            kind == "active_loop" and not event.get("name")
        ):
            break
        found.append(event)
    found.reverse()
    return found

"""Side effects are keyed on the gateway's inbox id: a message Rasa handles twice (the gateway
sent it again after a timeout) makes one ticket, although Rasa gives each delivery a new id."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._common import message_id, message_key
from bot.actions._deps import Deps
from bot.actions.aftersales.complaints import Complaint

from .helpers import make_tracker, new_tickets

TEXT = "the courier was rude and the box was crushed"


def delivery(inbox_id: int | None, rasa_message_id: str, sender: str = "web:guest-9") -> Tracker:
    """The tracker of one delivery of a message, as the action server gets it."""
    metadata = {"channel": "web", "external_id": sender[4:], "language": "en"}
    if inbox_id is not None:
        metadata["inbox_id"] = inbox_id  # type: ignore[assignment]
    tracker = make_tracker(sender_id=sender, text=TEXT, intent="complaint", metadata=metadata)
    for event in tracker.events:
        if event.get("event") == "user":
            event["message_id"] = rasa_message_id
    return tracker


def test_the_key_is_the_inbox_id_when_the_gateway_sent_one() -> None:
    assert message_id(delivery(41, "rasa-a")) == "inbox-41"
    assert message_key("complaint", delivery(41, "rasa-b")) == "complaint:web:guest-9:inbox-41"
    assert message_id(delivery(None, "rasa-a")) == "rasa-a"  # rasa shell: Rasa's own id


async def test_a_message_handled_twice_makes_one_ticket(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    await Complaint().run(dispatcher, delivery(7, "rasa-first"), {})
    await Complaint().run(CollectingDispatcher(), delivery(7, "rasa-after-timeout"), {})
    assert len(await new_tickets(deps.engine, "complaint")) == 1
    # Another message (another inbox row) is another complaint.
    await Complaint().run(CollectingDispatcher(), delivery(8, "rasa-next"), {})
    assert len(await new_tickets(deps.engine, "complaint")) == 2

"""Asking for a person, feedback, data deletion, FAQ buttons and stopping a form."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.conversation import (
    AnswerFaq,
    DeleteMyData,
    GiveFeedback,
    RequestHuman,
    StopForm,
)
from bot.services import tickets

from .helpers import make_tracker, slot_events, texts


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_request_human_asks_the_gateway_for_a_handoff(
    deps: Deps, dispatcher: CollectingDispatcher, lang: str
) -> None:
    tracker = make_tracker(text="I want to talk to a real person", slots={"language": lang})
    assert await RequestHuman().run(dispatcher, tracker, {}) == []
    # The gateway decides (Slack thread, message offer, or a ticket without staff desk).
    assert [m["custom"] for m in dispatcher.messages] == [
        {"type": "handoff", "reason": "customer_request"}
    ]
    assert texts(dispatcher) == ""
    assert await tickets.list_tickets(deps.engine, kind="message") == []


async def test_feedback_is_recorded(deps: Deps, dispatcher: CollectingDispatcher) -> None:
    text = "the website search could be faster"
    await GiveFeedback().run(dispatcher, make_tracker(text=text), {})
    [ticket] = await tickets.list_tickets(deps.engine, kind="feedback")
    assert ticket.payload["text"] == text
    assert ticket.id in texts(dispatcher)


@pytest.mark.parametrize(
    ("sender", "customer_id", "expected"),
    [("web:demo-emma", "C0002", "15 working days"), ("web:guest-9", None, "phone number")],
)
async def test_data_deletion_is_explained_and_recorded_once(
    deps: Deps, sender: str, customer_id: str | None, expected: str
) -> None:
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        await DeleteMyData().run(
            dispatcher, make_tracker(sender_id=sender, text="delete my data"), {}
        )
    [ticket] = await tickets.list_tickets(deps.engine, kind="data_deletion")
    assert ticket.customer_id == customer_id
    assert expected in texts(dispatcher) and ticket.id in texts(dispatcher)


@pytest.mark.parametrize(
    ("topic", "response"),
    [
        ("shipping_fee", "utter_faq/shipping_fee"),
        ("bogus", "utter_ask_rephrase"),
        (None, "utter_ask_rephrase"),
    ],
)
async def test_faq_button_names_the_domain_response(topic: str | None, response: str) -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "faq_topic", "value": topic}] if topic else []
    tracker = make_tracker(text="/faq", intent="faq", entities=entities)
    await AnswerFaq().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == [response]


async def test_stop_form_forgets_the_flow(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots={"order_id": "260420000009", "language": "zh"})
    events = await StopForm().run(dispatcher, tracker, {})
    assert slot_events(events) == {
        "order_id": None,
        "phone": None,
        "new_address": None,
        "confirm": None,
    }
    assert "取消" in texts(dispatcher)

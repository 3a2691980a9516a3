"""Asking for a person, feedback, data deletion, FAQ buttons and stopping a form."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.aftersales._shared import AFTERSALES_SLOTS
from bot.actions.conversation import (
    DELETE_DATA_SLOT,
    AnswerFaq,
    AskDataEraseConfirm,
    DeleteMyData,
    GiveFeedback,
    RequestHuman,
    StopForm,
)
from bot.actions.order_forms import FLOW_SLOTS
from bot.services import privacy_data, tickets
from bot.services.customers import get_customer, resolve_customer
from tests.factory import Customer, ShopFactory

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


async def test_request_human_drops_the_form_waiting_for_an_answer(
    deps: Deps, dispatcher: CollectingDispatcher
) -> None:
    """ "Just give me a human" while a form asks which order: the form does not ask again
    after the handoff, and keeps nothing for a later request."""
    tracker = make_tracker(
        text="just give me a human",
        intent="request_human",
        slots={"order_id": "260411555501", "requested_slot": "phone"},
        active_loop="refund_status_form",
    )
    events = await RequestHuman().run(dispatcher, tracker, {})
    assert [e for e in events if e["event"] == "active_loop"] == [ActiveLoop(None)]
    slots = slot_events(events)
    assert slots["requested_slot"] is None and slots["order_id"] is None
    assert [m["custom"] for m in dispatcher.messages] == [
        {"type": "handoff", "reason": "customer_request"}
    ]


async def test_feedback_is_recorded(deps: Deps, dispatcher: CollectingDispatcher) -> None:
    text = "the website search could be faster"
    await GiveFeedback().run(dispatcher, make_tracker(text=text), {})
    [ticket] = await tickets.list_tickets(deps.engine, kind="feedback")
    assert ticket.payload["text"] == text
    assert ticket.id in texts(dispatcher)


@pytest.mark.parametrize(
    ("sender", "lang", "expected"),
    [
        ("web:demo-emma", "en", "Shall I erase your personal data now?"),
        ("web:demo-liwei", "zh", "现在为您删除个人数据吗？"),
        ("web:guest-9", "en", "isn't linked to a customer account"),
    ],
)
async def test_data_deletion_asks_first_with_yes_no_buttons(
    deps: Deps, sender: str, lang: str, expected: str
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(sender_id=sender, text="delete my data", slots={"language": lang})
    assert await AskDataEraseConfirm().run(dispatcher, tracker, {}) == []
    [message] = dispatcher.messages
    assert expected in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    yes = {"en": "Yes, erase it", "zh": "确认删除"}[lang]
    assert message["buttons"][0]["title"] == yes


def answered(customer: Customer, intent: str, value: bool, lang: str = "en") -> Any:
    return make_tracker(
        sender_id=f"web:{customer.sender}",
        text="/" + intent,
        intent=intent,
        slots={DELETE_DATA_SLOT: value, "language": lang},
        metadata={"channel": "web", "external_id": customer.sender, "customer_id": customer.id},
        active_loop=None,
    )


async def test_no_erases_nothing(deps: Deps, shop: ShopFactory) -> None:
    customer = shop.customer("en")
    dispatcher = CollectingDispatcher()
    events = await DeleteMyData().run(dispatcher, answered(customer, "deny", False), {})
    assert texts(dispatcher) == "OK, nothing was deleted. Is there anything else I can help with?"
    assert slot_events(events) == {DELETE_DATA_SLOT: None}
    profile = await get_customer(deps.engine, customer.id)
    assert profile is not None and profile.phone == customer.phone
    assert await privacy_data.audit_log(deps.engine, customer.id) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_yes_erases_and_says_what_was_kept(deps: Deps, shop: ShopFactory, lang: str) -> None:
    customer = shop.customer(lang)
    shop.order(customer)
    shop.order(customer, status="cancelled")
    dispatcher = CollectingDispatcher()
    events = await DeleteMyData().run(dispatcher, answered(customer, "affirm", True, lang), {})
    said = texts(dispatcher)
    if lang == "en":
        assert said.startswith("Done: your personal data is erased.")
        assert "linked chat accounts: 1" in said and "your orders (2)" in said
        assert "tax and accounting law" in said and "no longer linked" in said
    else:
        assert said.startswith("已删除您的个人数据") and "您的 2 个订单" in said
    assert slot_events(events) == {DELETE_DATA_SLOT: None}
    profile = await get_customer(deps.engine, customer.id)
    assert profile is not None and profile.phone is None
    assert profile.name == privacy_data.PLACEHOLDER
    assert await resolve_customer(deps.engine, "web", customer.sender) is None
    [audit] = await privacy_data.audit_log(deps.engine, customer.id)
    assert (audit["action"], audit["actor"]) == ("erase", "customer")

    # Rasa retries the action: nothing is left, and the reply says so.
    again = CollectingDispatcher()
    await DeleteMyData().run(again, answered(customer, "affirm", True, lang), {})
    if lang == "en":
        assert texts(again).startswith("There is no personal data of yours left to erase.")


async def test_yes_from_a_guest_chat_records_a_request_once(deps: Deps) -> None:
    for _ in range(2):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            sender_id="web:guest-9", text="yes", intent="affirm", slots={DELETE_DATA_SLOT: True}
        )
        await DeleteMyData().run(dispatcher, tracker, {})
    [ticket] = await tickets.list_tickets(deps.engine, kind="data_deletion")
    assert ticket.customer_id is None
    assert "phone number" in texts(dispatcher) and ticket.id in texts(dispatcher)


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
    # The order flow's slots and the after-sales answers: a stale reason never carries over.
    assert slot_events(events) == dict.fromkeys((*FLOW_SLOTS, *AFTERSALES_SLOTS))
    assert "取消" in texts(dispatcher)

"""action_validate_slot_mappings: the language slot and the one-turn offer slot."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.language import ValidateSlotMappings, offer_is_pending

from .helpers import make_tracker, slot_events


async def extracted(domain: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    events = await ValidateSlotMappings().run(
        CollectingDispatcher(), make_tracker(**kwargs), domain
    )
    return slot_events(events)


@pytest.mark.parametrize(
    ("text", "metadata", "previous", "expected"),
    [
        ("我的订单到哪了", {}, "en", "zh"),
        ("where is my order", {}, "zh", "en"),
        ("我的iPhone壳还没到", {}, "en", "zh"),
        ("260315004217", {}, "zh", "zh"),  # digits keep the previous language
        ('/inform{"order_id":"260315004217"}', {}, "zh", "zh"),  # so does a button
        ("where is my order", {"language": "zh"}, "en", "zh"),  # the gateway decides
        ("你好", {"language": "en"}, "zh", "en"),
        ("hello", {"language": "fr"}, "zh", "en"),  # unknown metadata: detect
    ],
)
async def test_language_of_the_latest_message(
    deps: Deps,
    domain: dict[str, Any],
    text: str,
    metadata: dict[str, Any],
    previous: str,
    expected: str,
) -> None:
    slots = await extracted(domain, text=text, metadata=metadata, slots={"language": previous})
    assert slots["language"] == expected


async def test_a_button_after_a_reverted_message_keeps_that_messages_language(
    domain: dict[str, Any],
) -> None:
    # The two-stage fallback reverted "hmm the thing from before" and its slot value, so the
    # slot still says "zh" from an earlier message; the button answer belongs to the English one.
    before = [
        {"event": "user", "text": "推荐几款耳机"},
        {"event": "slot", "name": "language", "value": "zh"},
        {"event": "user", "text": "hmm the thing from before"},
        {"event": "slot", "name": "language", "value": "en"},
        {"event": "rewind"},
    ]
    slots = await extracted(
        domain,
        text='/faq{"faq_topic":"shipping_time"}',
        events_before=before,
        slots={"language": "zh"},
    )
    assert slots["language"] == "en"


def test_the_action_fills_the_global_custom_slots(domain: dict[str, Any]) -> None:
    """Custom slots outside forms are this action's; form slots belong to validate_<form>."""
    custom = {
        name
        for name, slot in domain["slots"].items()
        if any(m["type"] == "custom" and not m.get("conditions") for m in slot["mappings"])
    }
    assert custom == {"language", "offered"}


OFFER = {"event": "slot", "name": "offered", "value": "return"}
BOT = {"event": "action", "name": "action_cancel_order"}
USER = {"event": "user", "text": "cancel it"}


@pytest.mark.parametrize(
    ("before", "pending"),
    [
        ([USER, BOT, OFFER], True),  # offered right before this message
        ([USER, BOT, OFFER, USER, {"event": "action", "name": "utter_no_problem"}], False),
        ([USER], False),
    ],
)
async def test_an_offer_lasts_one_message(
    deps: Deps, domain: dict[str, Any], before: list[dict[str, Any]], pending: bool
) -> None:
    tracker = make_tracker(text="yes", intent="affirm", events_before=before)
    assert offer_is_pending(tracker.events) is pending
    slots = await extracted(
        domain, text="yes", intent="affirm", events_before=before, slots={"offered": "return"}
    )
    if pending:
        assert "offered" not in slots
    else:
        assert slots["offered"] is None

"""The clarification buttons of the two-stage fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.fallback import AskAffirmation, suggestion_buttons
from bot.services import review

from .helpers import make_tracker


def unclear_message(
    ranking: list[tuple[str, float]],
    entities: list[dict[str, Any]] | None = None,
    faq: str | None = "faq/shipping_fee",
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "text": "hmm the thing",
        "intent": {"name": "nlu_fallback", "confidence": 0.3},
        "intent_ranking": [{"name": name, "confidence": conf} for name, conf in ranking],
        "entities": entities or [],
    }
    if faq:
        message["response_selector"] = {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": faq, "confidence": 0.8}},
        }
    return message


@pytest.mark.parametrize(
    ("lang", "ranking", "expected"),
    [
        (
            "en",
            [("nlu_fallback", 0.3), ("order_status", 0.25), ("faq", 0.2), ("cancel_order", 0.1)],
            [
                ("Track an order", "/order_status"),
                ("Shipping fees", '/faq{"faq_topic":"shipping_fee"}'),
                ("Cancel an order", "/cancel_order"),
            ],
        ),
        (
            "zh",
            # inform, affirm and deny make no sense as a suggestion; at most three are offered.
            [
                ("nlu_fallback", 0.3),
                ("inform", 0.28),
                ("affirm", 0.2),
                ("refund_status", 0.15),
                ("return_request", 0.1),
                ("complaint", 0.08),
                ("request_human", 0.05),
            ],
            [
                ("查询退款进度", "/refund_status"),
                ("申请退货", "/return_request"),
                ("投诉", "/complaint"),
            ],
        ),
        ("en", [("nlu_fallback", 0.3), ("greet", 0.01)], []),
    ],
)
def test_suggestions_follow_the_ranking(
    lang: str, ranking: list[tuple[str, float]], expected: list[tuple[str, str]]
) -> None:
    buttons = suggestion_buttons(unclear_message(ranking), lang)  # type: ignore[arg-type]
    assert [(b["title"], b["payload"]) for b in buttons] == expected


def test_order_number_travels_with_the_suggestion() -> None:
    message = unclear_message(
        [("nlu_fallback", 0.3), ("order_status", 0.2)],
        entities=[{"entity": "order_id", "value": "260315004217"}],
    )
    [button] = suggestion_buttons(message, "en")
    assert button["payload"].startswith("/order_status{")
    assert json.loads(button["payload"].removeprefix("/order_status")) == {
        "order_id": "260315004217"
    }


def test_faq_without_a_selected_answer_is_skipped() -> None:
    message = unclear_message([("nlu_fallback", 0.3), ("faq", 0.25), ("thank", 0.2)], faq=None)
    assert [b["payload"] for b in suggestion_buttons(message, "en")] == ["/thank"]


@pytest.mark.parametrize(("lang", "question"), [("en", "Did you mean"), ("zh", "哪一项")])
async def test_ask_affirmation_adds_something_else(lang: str, question: str, deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"language": lang},
        extra=unclear_message([("nlu_fallback", 0.3), ("product_inquiry", 0.2)]),
    )
    await AskAffirmation().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert question in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/product_inquiry", "/out_of_scope"]


async def test_nothing_likely_asks_to_rephrase(deps: Deps) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(extra=unclear_message([("nlu_fallback", 0.9)], faq=None))
    await AskAffirmation().run(dispatcher, tracker, {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_ask_rephrase"]


def _turn(intent: str) -> list[dict[str, Any]]:
    return [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "…", "parse_data": {"intent": {"name": intent}}},
    ]


@pytest.mark.parametrize(
    ("intents", "gave_up"),
    [
        (["greet", "nlu_fallback", "nlu_fallback"], True),  # two unclear messages in a row
        (["out_of_scope", "nlu_fallback", "out_of_scope"], True),  # suggestions refused twice
        (["nlu_fallback", "greet"], False),
        (["nlu_fallback"], False),
        (["order_status"], False),  # a low-confidence dialogue prediction
    ],
)
async def test_default_fallback_hands_off_only_when_the_two_stage_fallback_gave_up(
    deps: Deps, intents: list[str], gave_up: bool
) -> None:
    from bot.actions.fallback import DefaultFallback, fallback_gave_up

    events = [e for intent in intents for e in _turn(intent)]
    assert fallback_gave_up(events) is gave_up
    tracker = make_tracker(
        text="what about the thing i asked", intent=intents[-1], events_before=events[:-2]
    )
    dispatcher = CollectingDispatcher()
    result = await DefaultFallback().run(dispatcher, tracker, {})
    assert result == [{"event": "rewind", "timestamp": None}]  # the unclear turn is reverted
    [message] = dispatcher.messages
    collected, _total = await review.items(deps.engine, kind="fallback")
    if gave_up:
        assert message["custom"] == {"type": "handoff", "reason": "two_fallbacks"}
        assert [i["text"] for i in collected] == ["what about the thing i asked"]
    else:
        assert message["response"] == "utter_default" and not message["custom"]
        assert collected == []


def test_a_reverted_turn_breaks_two_fallbacks_in_a_row() -> None:
    from bot.actions.fallback import fallback_gave_up

    events = [*_turn("nlu_fallback"), {"event": "rewind"}, *_turn("nlu_fallback")]
    assert not fallback_gave_up(events)

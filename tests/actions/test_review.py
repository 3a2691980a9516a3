"""The actions' part of the review queue: NLU fallbacks and low-confidence turns (once per
message, from action_validate_slot_mappings), the two-stage fallback giving up, and
"that didn't help" (action_not_helpful) in both languages."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.fallback import DefaultFallback
from bot.actions.language import ValidateSlotMappings
from bot.actions.review import NotHelpful, previous_turn
from bot.services import review

from .helpers import make_tracker


def _parsed(intent: str, confidence: float, ranking: list[tuple[str, float]]) -> dict[str, Any]:
    return {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
    }


async def _validate(domain: dict[str, Any], **kwargs: Any) -> None:
    await ValidateSlotMappings().run(CollectingDispatcher(), make_tracker(**kwargs), domain)


async def test_low_confidence_and_nlu_fallback_turns_are_collected_once(
    deps: Deps, domain: dict[str, Any]
) -> None:
    unsure = _parsed("order_status", 0.45, [("order_status", 0.45), ("refund_status", 0.3)])
    for _ in range(2):  # Rasa may call the action twice for one message: one row
        await _validate(domain, text="where's my stuff at 13812345678", extra=unsure)
    unclear = _parsed("nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("faq", 0.22)])
    await _validate(domain, text="那个东西怎么弄", extra=unclear, sender_id="web:u2")
    sure = _parsed("greet", 0.95, [("greet", 0.95)])
    await _validate(domain, text="hello there", extra=sure)
    await _validate(domain, text='/order_status{"order_id":"1"}', extra=unsure)  # a button

    found, total = await review.items(deps.engine)
    assert total == 2
    by_kind = {item["kind"]: item for item in found}
    low = by_kind["low_confidence"]
    assert low["text"] == "where's my stuff at <phone>"
    assert (low["intent"], low["confidence"], low["language"]) == ("order_status", 0.45, "en")
    assert low["count"] == 1 and low["conversation_id"] == "web:demo-liwei"
    fallback = by_kind["nlu_fallback"]
    assert (fallback["intent"], fallback["confidence"]) == ("faq", 0.22)  # the best real intent
    assert fallback["language"] == "zh"


async def test_the_threshold_comes_from_config(deps: Deps, domain: dict[str, Any]) -> None:
    assert deps.config.studio.review_confidence == 0.6
    await _validate(domain, text="cancel it", extra=_parsed("cancel_order", 0.61, []))
    await _validate(domain, text="cancel that", extra=_parsed("cancel_order", 0.59, []))
    # A form's answers are the form's to read: not collected however unsure the classifier.
    answer = _parsed("inform", 0.3, [("inform", 0.3)])
    await _validate(domain, text="the blue one", extra=answer, active_loop="return_form")
    await _validate(domain, text="260315004217", extra=answer, sender_id="web:u3")
    found, _ = await review.items(deps.engine)
    assert [item["text"] for item in found] == ["cancel that"]


async def test_the_two_stage_fallback_giving_up_is_collected(
    deps: Deps, domain: dict[str, Any]
) -> None:
    unclear = _parsed("nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("complaint", 0.2)])
    before = [
        {"event": "user", "text": "blorp", "parse_data": unclear},
        {"event": "bot", "text": "Did you mean one of these?"},
    ]
    tracker = make_tracker(text="blorp again mail me a@b.cn", extra=unclear, events_before=before)
    dispatcher = CollectingDispatcher()
    await DefaultFallback().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["custom"]["reason"] == "two_fallbacks"
    [item], _ = await review.items(deps.engine, kind="fallback")
    assert item["text"] == "blorp again mail me <email>"
    assert item["detail"] == {"reason": "two_fallbacks"} and item["intent"] == "complaint"


def test_previous_turn_finds_the_question_and_the_answer() -> None:
    events = [
        {"event": "user", "text": "old one"},
        {"event": "user", "text": "how long is the warranty", "parse_data": {}},
        {"event": "bot", "text": "One year."},
        {"event": "bot", "text": "Anything else?"},
        {"event": "user", "text": "that didn't help"},
    ]
    event, answer = previous_turn(events)
    assert event is not None and event["text"] == "how long is the warranty"
    assert answer == "One year. Anything else?"
    assert previous_turn([{"event": "user", "text": "no help"}]) == (None, "")


async def test_not_helpful_collects_the_question_before_it(
    deps: Deps, domain: dict[str, Any]
) -> None:
    question = _parsed("faq", 0.8, [("faq", 0.8), ("order_status", 0.1)])
    for lang, asked, answer, said in [
        ("en", "do you ship to 1 Main Street", "We ship everywhere.", "that didn't help"),
        ("zh", "保修多久，电话13812345678", "数码产品保修一年。", "没用"),
    ]:
        before = [
            {"event": "user", "text": asked, "parse_data": question},
            {"event": "bot", "text": answer},
        ]
        tracker = make_tracker(
            sender_id=f"web:{lang}",
            text=said,
            intent="not_helpful",
            slots={"language": lang},
            events_before=before,
        )
        dispatcher = CollectingDispatcher()
        await NotHelpful().run(dispatcher, tracker, domain)
        [message] = dispatcher.messages
        assert message["buttons"][0]["payload"] == "/request_human"
        assert ("抱歉" in message["text"]) == (lang == "zh")
    found, _ = await review.items(deps.engine, kind="not_helpful")
    by_lang = {item["language"]: item for item in found}
    assert by_lang["en"]["text"] == "do you ship to <address>"
    assert by_lang["en"]["detail"] == {
        "answer": "We ship everywhere.",
        "feedback": "that didn't help",
    }
    assert by_lang["zh"]["text"] == "保修多久，电话<phone>"
    assert (by_lang["zh"]["intent"], by_lang["zh"]["confidence"]) == ("faq", 0.8)

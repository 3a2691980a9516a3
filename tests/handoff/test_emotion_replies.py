"""Emotion-aware replies on the real pipeline with a scripted Rasa: an upset customer's answer
starts with an apology, loses unasked-for recommendations and offers a person; a calm
customer's answer is left alone (bot/handoff/emotion_replies.py)."""

from __future__ import annotations

from bot.core.message import OutgoingMessage
from bot.services.emotion import is_apology
from tests.handoff.harness import MakeHarness


def texts(replies: list[OutgoingMessage]) -> list[str | None]:
    return [r.text for r in replies]


def payloads(replies: list[OutgoingMessage]) -> list[str]:
    return [b.payload for r in replies for b in r.buttons]


async def test_a_calm_customer_gets_the_answer_unchanged(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False)
    replies = await h.say("where is my order")
    assert replies[0].text == "Which order? (where is my order)"
    assert not any(is_apology(t) for t in texts(replies))
    assert "/request_human" not in payloads(replies)


async def test_an_angry_customer_gets_an_apology_first_and_a_person_offer(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness(desk=False)
    replies = await h.say("this is terrible, where is my order")
    assert is_apology(replies[0].text)
    assert replies[1].text == "Which order? (this is terrible, where is my order)"
    assert replies[-1].buttons[0].title == "Talk to a person"
    assert replies[-1].buttons[0].payload == "/request_human"


async def test_chinese_anger_gets_a_chinese_apology_and_offer(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False)
    replies = await h.say("气死了，我的订单到底在哪")
    assert is_apology(replies[0].text)
    assert any(ord(c) > 0x4E00 for c in replies[0].text or "")
    assert replies[1].text == "请问是哪个订单？（气死了，我的订单到底在哪）"
    assert replies[-1].buttons[0].title == "转人工客服"


async def test_upset_customers_get_no_recommendations_they_did_not_ask_for(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness(desk=False)
    calm = await h.say("show me a card", user="601")
    assert any(r.product_cards for r in calm)  # the scripted bot recommends
    angry = await h.say("useless shop, show me a card", user="602")
    assert not any(r.product_cards for r in angry)
    assert is_apology(angry[0].text)
    # Asked for in so many words (Rasa read recommend_products): the cards stay.
    h.rasa.intents["awful, recommend a card then"] = "recommend_products"
    asked = await h.say("awful, recommend a card then", user="603")
    assert any(r.product_cards for r in asked)


async def test_no_apology_twice_in_a_row(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False)
    first = await h.say("terrible service")
    second = await h.say("still terrible")
    third = await h.say("awful, awful")
    assert is_apology(first[0].text)
    assert not any(is_apology(t) for t in texts(second))
    assert is_apology(third[0].text)
    # The person offer stays on every upset turn: it is what they may want.
    assert all("/request_human" in payloads(r) for r in (first, second, third))


async def test_cues_without_a_model_count(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False, sentiment=False)
    replies = await h.say("WHERE IS MY ORDER, THIRD TIME I ASK!!!")
    assert is_apology(replies[0].text)
    calm = await h.say("where is my order please", user="502")
    assert not is_apology(calm[0].text)


async def test_a_complaint_intent_makes_a_neutral_message_upset(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness(desk=False, sentiment=False)
    h.rasa.intents["the courier threw my parcel"] = "complaint"
    replies = await h.say("the courier threw my parcel")
    assert is_apology(replies[0].text)


async def test_switched_off_in_the_settings(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False, emotion_replies=False, offer_person_when_upset=False)
    replies = await h.say("this is terrible, show me a card")
    assert not is_apology(replies[0].text)
    assert any(r.product_cards for r in replies)
    assert "/request_human" not in payloads(replies)


async def test_offer_only_when_configured(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False, offer_person_when_upset=False)
    replies = await h.say("this is terrible")
    assert is_apology(replies[0].text)
    assert "/request_human" not in payloads(replies)


async def test_staff_snapshot_keeps_each_recent_score(make_harness: MakeHarness) -> None:
    h = await make_harness()
    await h.say("where is my order")
    await h.say("this is terrible")
    await h.say("real person")
    record = await h.record()
    assert record.snapshot["sentiment_scores"] == [0.2, -0.9, 0.2]


async def test_unclear_messages_in_a_row_count_on_any_gateway(make_harness: MakeHarness) -> None:
    # Two gateways on one database and one Rasa: the run of unclear messages is read from
    # Rasa's tracker, so the second gateway knows about the first one's unclear message.
    first = await make_harness(desk=False, sentiment=False)
    second = await make_harness(desk=False, sentiment=False)
    for text in ("blorp the zxq", "flim qwv, you know"):
        first.rasa.intents[text] = "nlu_fallback"
    once = await first.say("blorp the zxq")
    assert not any(is_apology(t) for t in texts(once))
    twice = await second.say("flim qwv, you know")
    assert is_apology(twice[0].text) and "/request_human" in payloads(twice)
    # Understood again: the run is over.
    first.rasa.intents["where is my order"] = "order_status"
    calm = await first.say("where is my order")
    assert not any(is_apology(t) for t in texts(calm))
    # Another customer's unclear message starts its own run.
    other = await second.say("blorp the zxq", user="502")
    assert not any(is_apology(t) for t in texts(other))

"""The emotion judgement (bot/services/emotion.py): scores, cues, complaint signals, trend."""

from __future__ import annotations

import pytest

from bot.services.emotion import (
    APOLOGY_VARIANTS,
    Thresholds,
    apology,
    cues,
    is_apology,
    judge,
    mood_of,
    trend_line,
)


def test_mood_of_a_score() -> None:
    assert mood_of(0.3) == "calm"
    assert mood_of(-0.5) == "annoyed"
    assert mood_of(-0.69) == "annoyed"
    assert mood_of(-0.7) == "angry"
    assert mood_of(-0.5, Thresholds(upset_at=-0.6, angry_at=-0.9)) == "calm"


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="angry_at < upset_at"):
        Thresholds(upset_at=-0.8, angry_at=-0.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is my order", ()),
        ("WHERE IS MY ORDER", ("shouting",)),
        ("OK", ()),  # too short to be shouting
        ("where is it!!!", ("exclaiming",)),
        ("what?!", ("exclaiming",)),
        ("this is the third time I ask", ("repeating",)),
        ("I already told you the number", ("repeating",)),
        ("第三次了，还没发货", ("repeating",)),
        ("问了好几遍了", ("repeating",)),
        ("气死我了", ("angry_words",)),
        ("this is unacceptable", ("angry_words",)),
        ("什么破快递！！", ("exclaiming", "angry_words")),
        ("", ()),
        (None, ()),
    ],
)
def test_cues(text: str | None, expected: tuple[str, ...]) -> None:
    assert cues(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to make a complaint about my delivery", ()),
        ("我要投诉，快递晚了两天", ()),
        ("I want to complain, this is ridiculous", ("angry_words",)),
        ("我要投诉，气死我了", ("angry_words",)),
        ("complaint number three, still no answer!!", ("exclaiming", "repeating")),
    ],
)
def test_cues_without_the_complaint_words(text: str, expected: tuple[str, ...]) -> None:
    assert cues(text, complaint_words=False) == expected
    assert "angry_words" in cues(text)  # in a conversation, saying so is a signal


def test_a_calm_question_is_calm() -> None:
    mood = judge([0.1], "where is my order")
    assert mood.mood == "calm" and not mood.upset and mood.signals == ()


def test_no_scores_and_no_signals_is_calm() -> None:
    mood = judge([], "where is my order")
    assert mood.mood == "calm" and mood.score is None


def test_the_latest_message_weighs_most() -> None:
    # Calm before, a very negative latest message: not softened below angry.
    assert judge([0.2, 0.2, -0.9], "terrible, just terrible").mood == "angry"
    # A one-word answer's score does not count.
    assert judge([0.2, 0.2, -0.9], "no").mood == "calm"
    # A neutral question after two outbursts is still read with them.
    mood = judge([-0.9, -0.9, 0.0], "so where is it", thresholds=Thresholds(upset_at=-0.3))
    assert mood.mood == "annoyed"
    assert mood.score == pytest.approx(-0.36)
    assert judge([-0.9, -0.9, 0.0], "so where is it").mood == "calm"  # default line -0.5
    # Recovered: positive now, mildly negative before.
    assert judge([-0.4, 0.8], "thanks, that helps").mood == "calm"


def test_complaint_signals_raise_the_mood() -> None:
    assert judge([0.1], "the courier threw my parcel", intent="complaint").mood == "annoyed"
    assert judge([0.1], "where is my order", fallbacks=2).mood == "annoyed"
    assert judge([0.1], "where is my order", fallbacks=1).mood == "calm"
    # Annoyed by the score plus two signals: angry.
    assert judge([-0.5], "third time I ask!!").mood == "angry"
    # Three signals make anyone angry, even with a neutral score.
    mood = judge([0.0], "WHERE IS MY PARCEL, THIRD TIME!!!", intent="complaint")
    assert mood.mood == "angry"
    assert mood.signals == ("shouting", "exclaiming", "repeating", "complaint")


def test_a_plain_request_is_not_upset_by_its_words_alone() -> None:
    # "我要退货" reads below 0 to a model trained on reviews: as a request, it is calm...
    assert judge([-0.56], "我要退货", intent="return_request").mood == "calm"
    assert judge([-0.65], "I'd like to exchange these", intent="exchange_request").mood == "calm"
    # ...unless the score is angry, or a cue says the customer is upset.
    assert judge([-0.8], "I want to return this junk", intent="return_request").mood == "angry"
    assert judge([-0.56], "我要退货，第三次说了", intent="return_request").upset
    # The same score without a request intent is annoyed.
    assert judge([-0.56], "这东西不太行").mood == "annoyed"


def test_chinese_frustration_without_a_negative_score() -> None:
    mood = judge([0.1], "我的订单到底在哪，第三次问了，气死了")
    assert mood.upset
    assert set(mood.signals) == {"repeating", "angry_words"}


def test_scores_are_clipped() -> None:
    assert judge([-3.0], "x").scores == (-1.0,)


def test_apologies_vary_and_are_recognised() -> None:
    for lang in ("en", "zh"):
        lines = {apology(lang, turn) for turn in range(APOLOGY_VARIANTS)}
        assert len(lines) == APOLOGY_VARIANTS
        assert all(is_apology(line) for line in lines)
    assert not is_apology("Which order?")
    assert not is_apology(None)


def test_trend_line_in_both_languages() -> None:
    scores = [-0.2, -0.6, -0.9]
    assert trend_line(scores, "en") == "mood: calm -> annoyed -> angry (-0.20, -0.60, -0.90)"
    assert trend_line(scores, "zh") == "情绪：平静 -> 不满 -> 愤怒（-0.20, -0.60, -0.90）"
    assert trend_line([], "en") == "mood: not scored"

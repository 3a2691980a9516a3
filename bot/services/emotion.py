"""How upset is this customer: one judgement from the sentiment scores of their latest and
recent messages plus complaint signals, used for the apology, the suppressed recommendations,
the early offer of a person and the mood trend staff see.

Pure functions, no I/O: the gateway scores the messages (``bot.sentiment``), knows Rasa's
intent and how many fallbacks came in a row, and asks :func:`judge`.

- A message's *mood* from its score alone (:func:`mood_of`): ``calm`` above the "upset"
  threshold, ``annoyed`` down to the "angry" one, ``angry`` below it.
- *Cues* in the text (:func:`cues`): shouting in capitals, ``!!!``, "third time I ask",
  第三次了, 气死, "unacceptable", ... Each is a complaint signal that the model's score may
  miss or underrate (a message in capitals reads the same to it).
- :func:`judge` combines the latest score (weighted most), the mean of the recent ones, the
  cues, a complaint intent and repeated fallbacks into one :class:`Emotion`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.i18n import Lang, t

Mood = Literal["calm", "annoyed", "angry"]
MOODS: tuple[Mood, ...] = ("calm", "annoyed", "angry")

UPSET_AT = -0.5  # a score at or below this: annoyed
ANGRY_AT = -0.7  # at or below this: angry
LATEST_WEIGHT = 0.6  # the latest message's share of the judged score (the rest: earlier ones)
COMPLAINT_INTENTS = frozenset({"complaint"})
FALLBACKS_UPSET = 2  # this many unclear messages in a row count as a complaint signal
# Plain service requests: "我要退货", "I want to return these shoes" use the words reviews use in
# complaints, so the sentiment model scores them below 0. Without any cue, such a request's score
# only makes the customer upset when it reaches the angry threshold.
REQUEST_INTENTS = frozenset(
    {
        "order_status",
        "cancel_order",
        "change_address",
        "return_request",
        "exchange_request",
        "refund_status",
    }
)

# Phrases of frustration in either language (normalised: NFKC, lower case).
_REPEAT = re.compile(
    r"(third|3rd|fourth|fifth|\d+(st|nd|rd|th)) time|again and again|how many times|"
    r"(still|yet) (no|not|nothing)|already (asked|told|said)|"
    r"第[二三四五六七八九十2-9]+次|[好几多]+[次遍]了|[说问催]了[好几多]+[次遍]|又是|还是没"
)
_FURY_WORDS = (
    r"\b(unacceptable|ridiculous|outrageous|furious|angry|pissed|disgusting|fed up|"
    r"worst|useless|scam|rip ?off|wtf)\b|"
    r"气死|生气|愤怒|垃圾|坑人|骗子|太差|差劲|无语|离谱|什么破|搞什么|恶心|忍无可忍"
)
# Saying "complaint" is a signal in a conversation (the customer is unhappy), but it is no
# sign of frustration inside a complaint, where every message says it.
_COMPLAINT_WORDS = r"\bcomplain(t)?\b|投诉"
_ANGER = re.compile(f"{_FURY_WORDS}|{_COMPLAINT_WORDS}")
_FURY = re.compile(_FURY_WORDS)
_EXCLAIM = re.compile(r"[!！]{2,}|[?？][!！]|[!！][?？]")
_LETTERS = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Thresholds:
    """Where a score turns annoyed and angry (config.yml ``handoff.emotion_*``)."""

    upset_at: float = UPSET_AT
    angry_at: float = ANGRY_AT

    def __post_init__(self) -> None:
        if not -1.0 <= self.angry_at < self.upset_at <= 1.0:
            raise ValueError(
                f"need -1 <= angry_at < upset_at <= 1, got {self.angry_at} and {self.upset_at}"
            )


@dataclass(frozen=True)
class Emotion:
    """The judgement of one turn: its mood, the score it rests on and the signals seen."""

    mood: Mood
    score: float | None  # the judged score (latest weighted with the recent), None unscored
    scores: tuple[float, ...] = ()  # the recent messages' scores, oldest first
    signals: tuple[str, ...] = field(default=())  # cue names, "complaint", "fallbacks"

    @property
    def upset(self) -> bool:
        """Annoyed or angry: apologise, no recommendations, offer a person."""
        return self.mood != "calm"


def mood_of(score: float, thresholds: Thresholds = Thresholds()) -> Mood:
    """A single score's mood."""
    if score <= thresholds.angry_at:
        return "angry"
    if score <= thresholds.upset_at:
        return "annoyed"
    return "calm"


def _shouting(text: str) -> bool:
    """Mostly capitals over at least 8 Latin letters ("WHERE IS MY ORDER")."""
    letters = _LETTERS.findall(text)
    if len(letters) < 8:
        return False
    return sum(1 for c in letters if c.isupper()) / len(letters) >= 0.7


def cues(text: str | None, *, complaint_words: bool = True) -> tuple[str, ...]:
    """The frustration cues in one message: ``shouting``, ``exclaiming``, ``repeating``,
    ``angry_words`` (in that order, each at most once).

    With ``complaint_words=False`` the words "complain"/"complaint"/投诉 are not angry words:
    the frustration a complaint shows beyond being one (bot.services.complaints.assess).
    """
    if not text:
        return ()
    raw = unicodedata.normalize("NFKC", text)
    lowered = raw.lower()
    found = []
    if _shouting(raw):
        found.append("shouting")
    if _EXCLAIM.search(raw):
        found.append("exclaiming")
    if _REPEAT.search(lowered):
        found.append("repeating")
    if (_ANGER if complaint_words else _FURY).search(lowered):
        found.append("angry_words")
    return tuple(found)


_WORD = re.compile(r"[A-Za-z']+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def too_short_to_judge(text: str | None) -> bool:
    """One English word or up to two Chinese characters ("no", "first", 不是): an answer to a
    question, not a mood (the model reads "no" as -0.9)."""
    if not text:
        return True
    return len(_WORD.findall(text)) < 2 and len(_CJK.findall(text)) < 3


def judge(
    scores: Sequence[float],
    latest_text: str | None,
    *,
    intent: str | None = None,
    fallbacks: int = 0,
    thresholds: Thresholds = Thresholds(),
) -> Emotion:
    """How upset the customer is now.

    ``scores``: sentiment scores of their recent messages, oldest first, the latest last
    (empty when no model scored them); ``latest_text``: the latest message; ``intent``: Rasa's
    reading of it; ``fallbacks``: unclear messages in a row up to and including it.

    The judged score is the latest one weighted :data:`LATEST_WEIGHT` against the mean of the
    earlier ones (a calm question after an outburst is still read with it). Complaint signals
    then raise the mood: any signal makes a calm customer annoyed; two or more make an
    annoyed one angry, three or more anyone.
    """
    recent = tuple(max(-1.0, min(1.0, float(s))) for s in scores)
    score: float | None = None
    if recent:
        earlier = recent[:-1]
        score = recent[-1]
        if earlier:
            score = LATEST_WEIGHT * score + (1 - LATEST_WEIGHT) * (sum(earlier) / len(earlier))
        # A single strongly negative message is not softened by calm earlier ones.
        score = min(score, recent[-1]) if recent[-1] <= thresholds.angry_at else score
    signals = list(cues(latest_text))
    if intent in COMPLAINT_INTENTS:
        signals.append("complaint")
    if fallbacks >= FALLBACKS_UPSET:
        signals.append("fallbacks")
    # A one-word answer ("no", "first", 不是) says nothing about mood: its score does not count.
    scored = score is not None and not too_short_to_judge(latest_text)
    base = mood_of(score, thresholds) if scored and score is not None else "calm"
    if base == "annoyed" and intent in REQUEST_INTENTS and not signals:
        base = "calm"  # a plain request (see REQUEST_INTENTS)
    level = MOODS.index(base)
    if signals:
        level = max(level, 1)
    if (len(signals) >= 2 and base != "calm") or len(signals) >= 3:
        level = 2
    mood = MOODS[level]
    return Emotion(mood, None if score is None else round(score, 3), recent, tuple(signals))


# --- texts ---------------------------------------------------------------------------------

APOLOGY_VARIANTS = 4  # emotion.apology.1 .. .4 in bot/i18n/conversation.py


def apology(lang: Lang, turn: int) -> str:
    """One of the apology lines, varied by ``turn`` (any integer, e.g. the inbox id)."""
    return t(f"emotion.apology.{turn % APOLOGY_VARIANTS + 1}", lang)


def is_apology(text: str | None) -> bool:
    """Whether a bot message is one of the apology lines (either language)."""
    if not text:
        return False
    return any(
        text == t(f"emotion.apology.{n}", lang)
        for n in range(1, APOLOGY_VARIANTS + 1)
        for lang in ("en", "zh")
    )


def trend_line(scores: Sequence[float], lang: Lang, thresholds: Thresholds = Thresholds()) -> str:
    """The mood trend staff see: "mood: calm -> annoyed -> angry (-0.20, -0.60, -0.90)"."""
    if not scores:
        return t("emotion.trend.none", lang)
    moods = " -> ".join(t(f"emotion.mood.{mood_of(s, thresholds)}", lang) for s in scores)
    values = ", ".join(f"{s:+.2f}" for s in scores)
    return t("emotion.trend", lang, moods=moods, scores=values)

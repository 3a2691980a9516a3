"""The rules of handing a conversation to staff, as plain functions (no database, no Slack).

- the life cycle of a handoff (:data:`TRANSITIONS`);
- the handoff request actions send through Rasa: a custom message
  ``{"type": "handoff", "reason": "customer_request"}`` (:func:`handoff_request`);
- the triggers the gateway checks itself: strongly negative sentiment over the recent
  messages, a VIP customer, a mentioned order above a value limit;
- service hours, "back to bot" phrases, the 1-5 rating payloads, the expected wait;
- the stars of a rating (the texts customers and staff see are in bot/i18n/handoff.py).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Config, ConfigError

Reason = Literal[
    "customer_request",  # the customer asked for a person (intent request_human)
    "two_fallbacks",  # the bot did not understand twice in a row
    "negative_sentiment",  # the recent messages are strongly negative
    "severe_complaint",  # a complaint rated high or critical
    "vip",  # admin rule: the customer's segment
    "order_value",  # admin rule: a mentioned order above the value limit
]
REASONS: tuple[Reason, ...] = get_args(Reason)
# Reasons an action sends through Rasa; the others the gateway finds itself.
BOT_REASONS: frozenset[str] = frozenset({"customer_request", "two_fallbacks", "severe_complaint"})

Status = Literal["waiting", "active", "message", "resolved", "closed", "cancelled", "expired"]
STATUSES: tuple[Status, ...] = get_args(Status)
OPEN_STATUSES: tuple[Status, ...] = ("waiting", "active", "message")
# waiting: nobody has claimed it yet; active: a staff member has it; message: nobody came in
# time (or outside service hours), the customer was offered to leave a message.
# resolved: staff handed back to the bot; closed: staff ended it; cancelled: the customer went
# back to the bot; expired: the offer to leave a message was taken (ticket) or lapsed.
TRANSITIONS: Mapping[str, frozenset[Status]] = {
    "waiting": frozenset({"active", "message", "resolved", "closed", "cancelled"}),
    "message": frozenset({"active", "expired", "resolved", "closed", "cancelled"}),
    "active": frozenset({"resolved", "closed", "cancelled"}),
    "resolved": frozenset(),
    "closed": frozenset(),
    "cancelled": frozenset(),
    "expired": frozenset(),
}

HANDOFF_TYPE = "handoff"  # the ``type`` of the custom message that asks for a handoff
CANCEL_PAYLOAD = "/handoff_cancel"
RATING_INTENT = "handoff_rating"
RATINGS = (1, 2, 3, 4, 5)
NOTE_PREFIXES = ("note:", "note：", "备注:", "备注：")


def can_transition(current: str, to: str) -> bool:
    """Whether a handoff in ``current`` may go to ``to``."""
    return any(to == s for s in TRANSITIONS.get(current, frozenset()))


def sources_of(to: Status) -> tuple[Status, ...]:
    """The statuses a handoff may go to ``to`` from."""
    return tuple(s for s in STATUSES if to in TRANSITIONS[s])


# --- handoff requests from actions --------------------------------------------------------------


@dataclass(frozen=True)
class HandoffRequest:
    """Why a conversation should go to a person, and what the trigger knows about it."""

    reason: Reason
    detail: Mapping[str, Any] = field(default_factory=dict)


def handoff_request(reason: Reason, **detail: Any) -> dict[str, Any]:
    """The custom message an action sends (``dispatcher.utter_message(json_message=...)``) to
    ask the gateway for a handoff; the gateway decides whether one starts and never shows
    the message itself. ``detail`` travels along (``severity``, ``ticket_id``)."""
    if reason not in BOT_REASONS:
        raise ValueError(
            f"actions ask for a handoff with one of {sorted(BOT_REASONS)}, got {reason!r}"
        )
    return {"type": HANDOFF_TYPE, "reason": reason, **detail}


def parse_request(custom: Mapping[str, Any] | None) -> HandoffRequest | None:
    """The handoff request in a custom message, or None when it is something else."""
    if custom is None or custom.get("type") != HANDOFF_TYPE:
        return None
    raw = custom.get("reason")
    # An unknown reason still means: get a person.
    default: Reason = "customer_request"
    reason = next((r for r in REASONS if r == raw and r in BOT_REASONS), default)
    detail = {k: v for k, v in custom.items() if k not in ("type", "reason")}
    return HandoffRequest(reason, detail)


def is_handoff_message(custom: Mapping[str, Any] | None) -> bool:
    return custom is not None and custom.get("type") == HANDOFF_TYPE


# --- service hours ------------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class ServiceHours:
    """When staff are at work: daily ranges in the shop's timezone ("09:00-21:00"; several
    separated by commas; a range past midnight like "22:00-02:00" is allowed)."""

    ranges: tuple[tuple[time, time | None], ...]  # None end: up to midnight ("24:00")
    timezone: ZoneInfo
    text: str

    @classmethod
    def parse(cls, text: str, timezone: str) -> ServiceHours:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"`shop.timezone` must be an IANA zone like Asia/Shanghai, got {timezone!r}"
            ) from None
        ranges: list[tuple[time, time | None]] = []
        for part in text.split(","):
            match = _RANGE.match(part)
            if match is None:
                raise ConfigError(
                    f"`shop.service_hours` must look like 09:00-21:00 (several separated by "
                    f"commas), got {text!r}"
                )
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
                raise ConfigError(f"`shop.service_hours` has an impossible time in {part!r}")
            ranges.append((time(h1, m1), None if h2 == 24 else time(h2, m2)))
        return cls(tuple(ranges), zone, text.strip())

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls within the service hours."""
        if now.tzinfo is None:
            raise ValueError(f"`now` must be timezone-aware, got {now!r}")
        local = now.astimezone(self.timezone).time().replace(tzinfo=None)
        for start, end in self.ranges:
            if end is None:
                if local >= start:
                    return True
            elif start <= end:
                if start <= local < end:
                    return True
            elif local >= start or local < end:  # past midnight
                return True
        return False


# --- what the customer typed -----------------------------------------------------------------

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise_phrase(text: str) -> str:
    """Lower case without spaces and punctuation, full-width folded: "Back to BOT!" ->
    "backtobot", "返回 机器人。" -> "返回机器人"."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).casefold())


def is_cancel(text: str | None, payload: str | None, phrases: Iterable[str]) -> bool:
    """The customer wants the bot back: the button, or one of ``phrases`` as the whole
    message (a sentence that merely contains the words does not count)."""
    if payload is not None:
        return payload.split("{", 1)[0] == CANCEL_PAYLOAD
    if not text:
        return False
    said = normalise_phrase(text)
    return bool(said) and any(said == normalise_phrase(p) for p in phrases)


def rating_payload(handoff_id: int, rating: int) -> str:
    return f"/{RATING_INTENT}" + json.dumps(
        {"handoff_id": handoff_id, "rating": rating}, separators=(",", ":")
    )


@dataclass(frozen=True)
class Rating:
    rating: int
    handoff_id: int | None  # None: a bare digit, meant for the latest handoff


_STARS = re.compile(r"^[⭐★]{1,5}$")


def parse_rating(text: str | None, payload: str | None) -> Rating | None:
    """A rating the customer gave: a rating button's payload, or (when one was just asked
    for) a bare 1-5 or a row of stars. None for anything else."""
    if payload is not None:
        intent, _, raw = payload.partition("{")
        if intent != f"/{RATING_INTENT}":
            return None
        try:
            data = json.loads("{" + raw) if raw else {}
        except ValueError:
            return None
        value, handoff_id = data.get("rating"), data.get("handoff_id")
        if not isinstance(value, int) or value not in RATINGS:
            return None
        return Rating(value, handoff_id if isinstance(handoff_id, int) else None)
    if text is None:
        return None
    said = unicodedata.normalize("NFKC", text).strip()
    if said.isdigit() and int(said) in RATINGS:
        return Rating(int(said), None)
    if _STARS.match(said):
        return Rating(len(said), None)
    return None


def is_rating_payload(payload: str | None) -> bool:
    return payload is not None and payload.split("{", 1)[0] == f"/{RATING_INTENT}"


def staff_note(text: str) -> str | None:
    """The note of a staff reply that starts with ``note:`` (stays internal), else None."""
    stripped = text.lstrip()
    for prefix in NOTE_PREFIXES:
        if stripped[: len(prefix)].casefold() == prefix:
            return stripped[len(prefix) :].strip()
    return None


def mentioned_order_ids(text: str | None, pattern: str, limit: int = 3) -> list[str]:
    """Order numbers in a message (the shop's ``nlu.order_id_pattern``), first ``limit``."""
    if not text:
        return []
    found: list[str] = []
    for match in re.finditer(rf"(?<![0-9A-Za-z])(?:{pattern})(?![0-9A-Za-z])", text):
        if match.group(0) not in found:
            found.append(match.group(0))
        if len(found) == limit:
            break
    return found


# --- triggers -----------------------------------------------------------------------------------


def sentiment_mean(scores: Sequence[float], window: int, min_messages: int) -> float | None:
    """The mean of the latest ``window`` scores (newest last); None with fewer than
    ``min_messages``."""
    recent = list(scores)[-window:]
    if len(recent) < max(1, min_messages):
        return None
    return sum(recent) / len(recent)


def sentiment_triggers(
    scores: Sequence[float], *, threshold: float, window: int, min_messages: int
) -> float | None:
    """The mean when the recent customer messages are negative enough to get a person."""
    mean = sentiment_mean(scores, window, min_messages)
    return mean if mean is not None and mean < threshold else None


def severe_enough(severity: object, levels: Iterable[str]) -> bool:
    return isinstance(severity, str) and severity in set(levels)


def expected_wait_s(
    claim_waits_s: Sequence[float], *, ahead: int, default_s: float, cap_s: float
) -> float:
    """How long a new customer will likely wait: the median of recent waits until a claim
    (``default_s`` without history), longer by half of it for each customer waiting ahead,
    at most ``cap_s`` (the claim timeout, after which they are offered to leave a message)."""
    base = statistics.median(claim_waits_s) if claim_waits_s else default_s
    return max(0.0, min(cap_s, base * (1 + 0.5 * max(0, ahead))))


def wait_minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def sentiment_label(score: float | None) -> str:
    if score is None:
        return "unknown"
    if score <= -0.3:
        return "negative"
    if score >= 0.3:
        return "positive"
    return "neutral"


# --- settings -----------------------------------------------------------------------------------


def check_settings(cfg: Config) -> ServiceHours:
    """Check the ``handoff`` section (ConfigError naming the key); returns the service hours."""
    h = cfg.handoff
    if h.staff_language not in ("en", "zh"):
        raise ConfigError(f"`handoff.staff_language` must be en or zh, got {h.staff_language!r}")
    if not -1.0 <= h.sentiment_threshold <= 1.0:
        raise ConfigError(
            f"`handoff.sentiment_threshold` must be in [-1, 1], got {h.sentiment_threshold}"
        )
    if h.sentiment_window < 1 or not 1 <= h.sentiment_min_messages <= h.sentiment_window:
        raise ConfigError(
            "`handoff.sentiment_window` must be at least 1 and `handoff.sentiment_min_messages` "
            f"between 1 and it, got {h.sentiment_window} and {h.sentiment_min_messages}"
        )
    if not -1.0 <= h.emotion_angry_at < h.emotion_upset_at <= 1.0:
        raise ConfigError(
            "`handoff.emotion_angry_at` must be below `handoff.emotion_upset_at`, both in "
            f"[-1, 1], got {h.emotion_angry_at} and {h.emotion_upset_at}"
        )
    levels = ("low", "medium", "high", "critical")
    unknown = [lv for lv in h.severe_complaint_levels if lv not in levels]
    if unknown:
        raise ConfigError(
            f"`handoff.severe_complaint_levels` may hold {', '.join(levels)}; got {unknown}"
        )
    for key in ("claim_timeout_s", "leave_message_timeout_s", "member_cache_s"):
        if getattr(h, key) <= 0:
            raise ConfigError(f"`handoff.{key}` must be positive, got {getattr(h, key)}")
    for key in ("cooldown_s", "default_wait_s", "order_value_limit"):
        if getattr(h, key) < 0:
            raise ConfigError(f"`handoff.{key}` must not be negative, got {getattr(h, key)}")
    if not any(normalise_phrase(p) for p in h.cancel_phrases):
        raise ConfigError("`handoff.cancel_phrases` needs at least one phrase, e.g. back to bot")
    return ServiceHours.parse(cfg.shop.service_hours, cfg.shop.timezone)


# --- texts (bot/i18n/handoff.py holds the customer and staff texts) -----------------------


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)

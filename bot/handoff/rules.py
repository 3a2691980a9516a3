"""The rules of handing a conversation to staff, as plain functions (no database, no Slack).

- the life cycle of a handoff (:data:`TRANSITIONS`);
- the handoff request actions send through Rasa: a custom message
  ``{"type": "handoff", "reason": "customer_request"}`` (:func:`handoff_request`);
- the triggers the gateway checks itself: strongly negative sentiment over the recent
  messages, a VIP customer, a mentioned order above a value limit;
- service hours, "back to bot" phrases, the 1-5 rating payloads, the expected wait;
- the texts customers (zh/en) and staff see.
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
from bot.core.language import Lang

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


# --- texts --------------------------------------------------------------------------------------

CUSTOMER_TEXTS: dict[str, dict[Lang, str]] = {
    "connecting": {
        "en": "I'm connecting you with a member of our team. Expected wait: about {minutes} "
        "min. Meanwhile just write here; your messages go straight to them. Type “back to "
        "bot” to return to the assistant at any time.",
        "zh": "正在为您转接人工客服，预计等待约 {minutes} 分钟。等待期间您可以直接在这里"
        "留言，客服会看到。随时输入“返回机器人”即可回到智能助手。",
    },
    "offline": {
        "en": "Our team is not available right now (service hours {hours}, {zone} time). "
        "Would you like to leave a message? Just write it here and we'll reply in this chat; "
        "or type “back to bot” to continue with the assistant.",
        "zh": "抱歉，现在不是人工客服的服务时间（{zone} 时间 {hours}）。您可以直接在这里留言，"
        "我们会在此回复您；或输入“返回机器人”继续与智能助手对话。",
    },
    "timeout": {
        "en": "Sorry, all our colleagues are busy at the moment. Would you like to leave a "
        "message? Just write it here and we'll reply in this chat; or type “back to bot” to "
        "continue with the assistant.",
        "zh": "抱歉，客服同事暂时都在忙。您可以直接在这里留言，我们会尽快在此回复您；"
        "或输入“返回机器人”继续与智能助手对话。",
    },
    "message_left": {
        "en": "Thank you, your message is recorded (ticket {ticket_id}). Our team will reply "
        "in this chat during service hours ({hours}). The assistant is back if you need "
        "anything else.",
        "zh": "谢谢，您的留言已记录（工单号 {ticket_id}），客服会在服务时间（{hours}）内在"
        "这里回复您。如有其他问题，智能助手随时为您服务。",
    },
    "claimed": {
        "en": "{name} from our team is here to help you now.",
        "zh": "客服 {name} 已接入，为您服务。",
    },
    "resolved": {
        "en": "You're back with the assistant. How satisfied were you with our colleague's "
        "help? Please rate from 1 (poor) to 5 (excellent).",
        "zh": "已为您转回智能助手。您对本次人工服务满意吗？请打分：1（很差）到 5（非常满意）。",
    },
    "closed": {
        "en": "The conversation with our team has ended. The assistant is here if you need "
        "anything else.",
        "zh": "本次人工服务已结束。如有其他问题，智能助手随时为您服务。",
    },
    "cancelled": {
        "en": "OK, you're back with the assistant. How can I help?",
        "zh": "好的，已为您转回智能助手。请问还有什么可以帮您？",
    },
    "back_button": {"en": "Back to the assistant", "zh": "返回机器人"},
    "thanks_rating": {
        "en": "Thank you for your rating ({stars})! It helps us improve.",
        "zh": "感谢您的评价（{stars}）！我们会继续改进。",
    },
    "fallback_offer": {
        "en": "I'm sorry, I still can't help with that. Would you like to talk to a member "
        "of our team?",
        "zh": "抱歉，这个问题我还是帮不上忙。需要为您转接人工客服吗？",
    },
    "fallback_button": {"en": "Talk to a person", "zh": "转人工客服"},
}


def customer_text(key: str, lang: Lang, **values: object) -> str:
    return CUSTOMER_TEXTS[key][lang].format(**values)


STAFF_TEXTS: dict[str, dict[Lang, str]] = {
    "title": {"en": "*Handoff #{id}* · {status}", "zh": "*转人工 #{id}* · {status}"},
    "status.waiting": {"en": "waiting for a colleague", "zh": "等待接入"},
    "status.active": {"en": "claimed by {staff}", "zh": "{staff} 已接入"},
    "status.message": {
        "en": "nobody claimed in time; the customer was offered to leave a message",
        "zh": "无人及时接入，已请客户留言",
    },
    "status.resolved": {
        "en": "resolved by {staff}, back to the bot",
        "zh": "{staff} 已解决，转回机器人",
    },
    "status.closed": {"en": "closed by {staff}", "zh": "{staff} 已关闭"},
    "status.cancelled": {"en": "the customer went back to the bot", "zh": "客户已返回机器人"},
    "status.expired": {"en": "expired", "zh": "已过期"},
    "status.expired_ticket": {
        "en": "expired; message left as ticket {ticket}",
        "zh": "已过期，客户留言工单 {ticket}",
    },
    "rating": {"en": "rating {stars}", "zh": "评分 {stars}"},
    "reason.customer_request": {"en": "the customer asked for a person", "zh": "客户要求转人工"},
    "reason.two_fallbacks": {
        "en": "the bot did not understand twice in a row",
        "zh": "机器人连续两次没听懂",
    },
    "reason.negative_sentiment": {"en": "strongly negative messages", "zh": "客户情绪明显负面"},
    "reason.severe_complaint": {"en": "a severe complaint", "zh": "严重投诉"},
    "reason.vip": {"en": "VIP customer (segment {segment})", "zh": "VIP 客户（{segment}）"},
    "reason.order_value": {
        "en": "order {order_id} of {total}",
        "zh": "订单 {order_id}，金额 {total}",
    },
    "customer": {"en": "Customer", "zh": "客户"},
    "guest": {"en": "guest (not a known customer)", "zh": "访客（未识别的客户）"},
    "channel": {"en": "Channel", "zh": "渠道"},
    "language": {"en": "Language", "zh": "语言"},
    "reason": {"en": "Why", "zh": "原因"},
    "sentiment": {"en": "Sentiment", "zh": "情绪"},
    "sentiment.value": {
        "en": "{score} ({label}, mean of the latest {n})",
        "zh": "{score}（{label}，最近 {n} 条的平均）",
    },
    "sentiment.none": {"en": "not scored", "zh": "未评分"},
    "orders": {"en": "Latest orders", "zh": "最近订单"},
    "no_orders": {"en": "no orders", "zh": "无订单"},
    "turns": {"en": "Last {n} messages", "zh": "最近 {n} 条消息"},
    "no_turns": {"en": "no earlier messages", "zh": "此前没有消息"},
    "since": {"en": "Started {time} · {age} ago", "zh": "开始于 {time} · {age}前"},
    "claim": {"en": "Claim", "zh": "接入"},
    "resolve": {"en": "Resolve (back to bot)", "zh": "解决（转回机器人）"},
    "close": {"en": "Close", "zh": "关闭"},
    "hint": {
        "en": "Reply in this thread to answer the customer; start with `note:` for an "
        "internal note.",
        "zh": "在本话题中回复即发给客户；以 `note:` 开头的回复只留作内部备注。",
    },
    "from_customer": {"en": "Customer", "zh": "客户"},
    "photo": {"en": "Customer photo", "zh": "客户图片"},
    "note.claimed": {"en": "{staff} claimed this conversation.", "zh": "{staff} 已接入本会话。"},
    "note.timeout": {
        "en": "Nobody claimed within {minutes} min; the customer was offered to leave a "
        "message. You can still claim.",
        "zh": "{minutes} 分钟内无人接入，已请客户留言。仍可接入。",
    },
    "note.cancelled": {"en": "The customer went back to the bot.", "zh": "客户已返回机器人。"},
    "note.message_left": {
        "en": "The customer left a message: ticket {ticket}.",
        "zh": "客户已留言：工单 {ticket}。",
    },
    "note.lapsed": {
        "en": "The customer did not leave a message; the offer lapsed.",
        "zh": "客户未留言，已过期。",
    },
    "note.rated": {"en": "The customer rated the help {stars}.", "zh": "客户评分 {stars}。"},
    "refuse.member": {
        "en": "Only members of <#{channel}> can claim, reply to or resolve handoffs.",
        "zh": "只有 <#{channel}> 的成员才能接入、回复或解决转人工会话。",
    },
    "refuse.unknown": {
        "en": "This thread is not a handoff conversation.",
        "zh": "这个话题不是转人工会话。",
    },
    "refuse.ended": {
        "en": "Handoff #{id} is {status}; the customer is with the bot again, so this was "
        "not sent.",
        "zh": "转人工 #{id} 已{status}，客户已回到机器人，此消息未发送。",
    },
    "refuse.taken": {"en": "Handoff #{id} is already {status}.", "zh": "转人工 #{id} 已{status}。"},
    "refuse.check": {
        "en": "Could not check the members of <#{channel}> right now; please try again.",
        "zh": "暂时无法确认 <#{channel}> 的成员，请稍后再试。",
    },
    "list.title": {"en": "Handoff conversations", "zh": "转人工会话"},
    "list.waiting": {"en": "Waiting ({n})", "zh": "等待中（{n}）"},
    "list.active": {"en": "Active ({n})", "zh": "处理中（{n}）"},
    "list.none": {"en": "none", "zh": "无"},
    "list.usage": {
        "en": "Usage: /handoff [waiting | active]",
        "zh": "用法：/handoff [waiting | active]",
    },
    "sent_image": {"en": "[image]", "zh": "[图片]"},
    "sent_cards": {"en": "[product cards: {names}]", "zh": "[商品卡片：{names}]"},
    "sent_buttons": {"en": "[buttons: {titles}]", "zh": "[按钮：{titles}]"},
}


def staff_text(key: str, lang: Lang, **values: object) -> str:
    return STAFF_TEXTS[key][lang].format(**values)


def age_text(seconds: float, lang: Lang) -> str:
    """A short duration: "45 s", "12 min", "3 h 5 min" / "45 秒", "12 分钟", "3 小时 5 分钟"."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s" if lang == "en" else f"{s} 秒"
    minutes = s // 60
    if minutes < 60:
        return f"{minutes} min" if lang == "en" else f"{minutes} 分钟"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min" if lang == "en" else f"{hours} 小时 {rest} 分钟"
    return f"{hours // 24} d" if lang == "en" else f"{hours // 24} 天"


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)

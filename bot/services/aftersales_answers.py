"""Reading the customer's typed answers in a return or exchange: which item, how many units,
the reason, whether the item was opened, the replacement size or colour, skipping the photo,
and button payloads. Pure functions of the text (and of the order or product it is about); the
actions in :mod:`bot.actions.aftersales` decide when an answer counts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal

from rapidfuzz import fuzz

from bot.services.aftersales_terms import ReturnReason
from bot.services.complaint_classifier import Classification, load_classifier
from bot.services.types import Order, Product, Variant

Opened = Literal["opened", "sealed"]

# A line picked by name needs at least this rapidfuzz partial-ratio score.
MIN_ITEM_SCORE = 70.0
# The complaint classifier's type counts as a return reason above this confidence.
MIN_REASON_CONFIDENCE = 0.5
# A reply of assent or acknowledgement alone ("yes", "是的", "ok sure") names no reason; the
# classifier would read one into it ("yes" as a quality problem, "是的" as a wrong item).
_ONLY_ASSENT = re.compile(
    r"^[\W_]*(?:(?:yes|yeah|yep|yup|ok|okay|sure|right|correct|please|fine|是的?|对的?|好的?|"
    r"嗯+|行|可以|没错|好吧)[\W_]*)+$",
    re.IGNORECASE,
)

# Words that name a return reason, checked in this order (a defect outranks a size problem).
REASON_WORDS: tuple[tuple[ReturnReason, tuple[str, ...]], ...] = (
    (
        "wrong_item",
        (
            "发错",
            "寄错",
            "错发",
            "不是我买的",
            "不是我下单",
            "wrong item",
            "wrong product",
            "sent the wrong",
            "not what i ordered",
            "not the one i ordered",
        ),
    ),
    (
        "damaged_in_transit",
        (
            "压坏",
            "摔坏",
            "碎了",
            "破损",
            "运输",
            "快递弄坏",
            "arrived damaged",
            "arrived broken",
            "damaged in transit",
            "damaged in shipping",
            "crushed",
            "box was smashed",
            "cracked",
        ),
    ),
    (
        "quality_problem",
        (
            "质量",
            "坏了",
            "故障",
            "不能用",
            "用不了",
            "开胶",
            "掉色",
            "起球",
            "破洞",
            "瑕疵",
            "不工作",
            "开不了机",
            "充不进电",
            "漏水",
            "defect",
            "faulty",
            "broken",
            "doesn't work",
            "does not work",
            "stopped working",
            "not working",
            "quality",
            "falling apart",
            "leaks",
            "won't turn on",
            "won't charge",
            "ripped",
            "torn",
        ),
    ),
    (
        "not_as_described",
        (
            "与描述不符",
            "和描述不",
            "跟描述不",
            "和图片不",
            "色差",
            "货不对板",
            "not as described",
            "different from the picture",
            "doesn't match the description",
            "looks different",
        ),
    ),
    (
        "size_or_fit",
        (
            "尺码",
            "尺寸",
            "大了",
            "小了",
            "不合身",
            "偏大",
            "偏小",
            "颜色不喜欢",
            "不合适",
            "size",
            "too small",
            "too big",
            "too large",
            "too tight",
            "too loose",
            "doesn't fit",
            "does not fit",
            "fit",
            "colour",
            "color",
        ),
    ),
    (
        "no_reason",
        (
            "不想要",
            "不要了",
            "不喜欢",
            "七天无理由",
            "7天无理由",
            "无理由",
            "买多了",
            "买重复",
            "changed my mind",
            "change of mind",
            "don't need",
            "do not need",
            "don't want",
            "no longer need",
            "don't like",
            "no reason",
        ),
    ),
)
# Complaint types of the classifier that are also return reasons.
COMPLAINT_REASONS: dict[str, ReturnReason] = {
    "quality_defect": "quality_problem",
    "damaged_in_transit": "damaged_in_transit",
    "wrong_or_missing_item": "wrong_item",
}
OPENED_WORDS = ("已拆", "拆了", "拆开", "打开了", "用过", "试用", "opened", "used", "unsealed")
SEALED_WORDS = (
    "未拆",
    "没拆",
    "没有拆",
    "没打开",
    "没开封",
    "未开封",
    "全新",
    "sealed",
    "unopened",
    "not opened",
    "never opened",
    "brand new",
)
SKIP_WORDS = ("跳过", "没有照片", "不用", "skip", "no photo", "later")
# "How is my complaint going?" rather than a new complaint.
STATUS_QUERY = re.compile(
    r"进度|进展|处理得?怎么样|怎么样了|到哪一?步|有结果|回复了吗|状态|"
    r"\bstatus\b|\bprogress\b|\bupdate on\b|any news|heard back|what happened (?:to|with) my",
    re.IGNORECASE,
)


def payload_value(raw: str, key: str) -> str | None:
    """``key`` of a button payload like ``/inform{"aftersales_line":"1"}``, if it has one."""
    raw = raw.strip()
    start = raw.find("{")
    if not raw.startswith("/") or start < 0:
        return None
    try:
        values = json.loads(raw[start:])
    except ValueError:
        return None
    value = values.get(key) if isinstance(values, dict) else None
    return None if value is None else str(value)


def mentions(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` contains one of ``words`` (lower case), ignoring case."""
    lowered = text.lower()
    return any(word in lowered for word in words)


def reason_from_text(
    text: str, classify: Callable[[str], Classification] | None = None
) -> ReturnReason | None:
    """The return reason a customer's words name, by keywords, else by the complaint classifier
    (``classify``; default: the trained complaint classifier)."""
    if not text.strip():
        return None
    for reason, words in REASON_WORDS:
        if mentions(text, words):
            return reason
    if _ONLY_ASSENT.match(text):
        return None
    verdict = (classify or load_classifier().classify)(text)
    if verdict.confidence >= MIN_REASON_CONFIDENCE:
        return COMPLAINT_REASONS.get(verdict.complaint_type)
    return None


def line_from_text(order: Order, text: str) -> int | None:
    """The order line a reply names: its number ("2", "第2件") or the item's name."""
    number = re.fullmatch(r"\s*(?:第\s*)?(\d{1,2})\s*(?:件|个|号|\.|)?\s*", text)
    if number:
        index = int(number.group(1)) - 1
        return index if 0 <= index < len(order.items) else None
    best, best_score = None, 0.0
    for index, item in enumerate(order.items):
        for name in (item.name_zh, item.name_en):
            score = fuzz.partial_ratio(text.lower(), name.lower())
            if score > best_score:
                best, best_score = index, score
    return best if best_score >= MIN_ITEM_SCORE else None


def line_value(order: Order, line: int) -> str:
    """Slot value of a chosen line: "<order id>#<index>", so it never applies to another order."""
    return f"{order.id}#{line}"


def parse_line(value: object, order: Order) -> int | None:
    """The line index in a slot value or button payload ("<order id>#<index>" or "<index>")."""
    order_id, _, index = str(value).rpartition("#")
    if order_id and order_id != order.id:
        return None
    try:
        line = int(index)
    except ValueError:
        return None
    return line if 0 <= line < len(order.items) else None


def variant_from_text(
    product: Product | None, text: str, current_sku: str | None = None
) -> Variant | None:
    """The variant a reply names ("42", "黑色 L", "navy M"), in stock or not. Where it names
    only some of a variant's traits ("the 42"), the others stay those of ``current_sku`` (the
    item bought) when a variant has them."""
    if product is None or not text.strip():
        return None
    words = set(re.findall(r"[0-9a-z.]+|[\u3400-\u9fff]+", text.lower()))
    current = next((v for v in product.variants if v.sku == current_sku), None)
    best, best_score = None, 0
    for variant in product.variants:
        parts = [p.lower() for p in (variant.size, variant.color_en, variant.color_zh) if p]
        hits = sum(1 for part in parts if part in words or (len(part) > 1 and part in text.lower()))
        if not hits:
            continue
        kept = current is not None and (
            variant.color_en == current.color_en or variant.size == current.size
        )
        score = hits * 2 + kept
        if score > best_score:
            best, best_score = variant, score
    return best


_CHINESE_NUMBERS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_ENGLISH_NUMBERS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
ALL_WORDS = ("all", "every", "both", "全部", "都", "所有")


def quantity_from_text(text: str) -> str | None:
    """How many units a reply names: "2", "两件", "all of them" (-> "all"), else None."""
    digits = re.search(r"\d+", text)
    if digits:
        return digits.group(0)
    for char in text:
        if char in _CHINESE_NUMBERS:
            return str(_CHINESE_NUMBERS[char])
    words = re.findall(r"[a-z]+", text.lower())
    named = next((_ENGLISH_NUMBERS[w] for w in words if w in _ENGLISH_NUMBERS), None)
    if named is not None:
        return str(named)
    return "all" if mentions(text, ALL_WORDS) else None


def opened_from_text(text: str) -> Opened | None:
    """Whether a reply says the item was opened or is still sealed, else None."""
    # "not opened" names both: the sealed words are checked first.
    if mentions(text, SEALED_WORDS):
        return "sealed"
    if mentions(text, OPENED_WORDS):
        return "opened"
    return None


def skips_photo(text: str) -> bool:
    """Whether a reply declines to send a photo ("skip", "没有照片")."""
    return mentions(text, SKIP_WORDS)


def asks_complaint_status(text: str) -> bool:
    """Whether a message asks how an earlier complaint is going rather than making one."""
    return STATUS_QUERY.search(text) is not None


def is_bare_number(text: str) -> bool:
    """Digits only (with spaces or dashes): an order number typed on its own."""
    return re.fullmatch(r"[\s\d\-]+", text) is not None

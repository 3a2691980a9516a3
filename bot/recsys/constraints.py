"""What a recommendation request asks for, in Chinese or English, as category and price filters.

"something for my mom under 200 yuan" -> recipient "mother" (a gift; soft category hints),
max price 200 yuan. "200元以内的耳机" -> max price 200 yuan, product type "耳机".
"预算五百左右" -> a budget around 500 yuan (±25%).

Hard filters: categories named outright ("electronics", "数码"), product types named outright
(matched against the catalogue's aliases by the caller) and prices. Recipients only add
preferred categories, which re-order but never exclude.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.entities.answers import money_amounts
from bot.entities.numbers import parse_number

# Words for a whole category; checked in this order (the first words are the most specific).
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("underwear", ("underwear", "lingerie", "bra", "内衣", "内裤", "文胸")),
    ("shoes", ("shoes", "footwear", "sneakers", "boots", "鞋")),
    ("electronics", ("electronics", "electronic", "gadget", "digital", "数码", "电子产品")),
    ("appliances", ("appliance", "家电", "电器")),
    ("clothing", ("clothes", "clothing", "apparel", "衣服", "服装", "服饰")),
    (
        "beauty",
        ("beauty", "skincare", "skin care", "makeup", "cosmetic", "美妆", "护肤", "化妆", "个护"),
    ),
    ("food", ("food", "snack", "drinks", "零食", "食品", "吃的", "饮料", "特产")),
    ("sports", ("sport", "outdoor", "fitness", "workout", "运动", "户外", "健身")),
    ("home", ("household", "home goods", "homeware", "家居", "日用")),
    ("books", ("book", "novel", "reading", "图书", "书籍", "小说", "看书", "本书", "好书", "书单")),
)
# Words that name a category only when no other category is named ("kitchen appliances" are
# appliances, "something for the kitchen" is home goods).
WEAK_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (("home", ("kitchen", "厨房")),)

# Who a gift is for -> categories such gifts usually come from (preferences, not filters).
RECIPIENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "grandparent",
        ("grandma", "grandpa", "grandmother", "grandfather", "grandparent", "elderly"),
        ("home", "appliances", "food"),
    ),
    ("mother", ("mom", "mum", "mother", "mommy", "mama"), ("beauty", "home", "appliances")),
    ("father", ("dad", "father", "daddy", "papa"), ("electronics", "sports", "home")),
    ("partner_f", ("girlfriend", "wife", "fiancee"), ("beauty", "clothing", "electronics")),
    ("partner_m", ("boyfriend", "husband", "fiance"), ("electronics", "sports", "clothing")),
    (
        "child",
        ("kid", "child", "children", "son", "daughter", "boy", "girl", "teenager", "teen"),
        ("books", "sports", "food"),
    ),
    ("friend", ("friend", "colleague", "coworker", "boss", "teacher"), ()),
)
RECIPIENTS_ZH: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grandparent", ("奶奶", "爷爷", "外婆", "外公", "姥姥", "姥爷", "老人", "长辈")),
    ("mother", ("妈妈", "母亲", "老妈", "婆婆", "岳母", "丈母娘")),
    ("father", ("爸爸", "父亲", "老爸", "公公", "岳父", "老丈人")),
    ("partner_f", ("女朋友", "女友", "老婆", "妻子", "媳妇", "太太")),
    ("partner_m", ("男朋友", "男友", "老公", "丈夫")),
    ("child", ("孩子", "小孩", "儿子", "女儿", "宝宝", "小朋友")),
    ("friend", ("朋友", "同事", "闺蜜", "兄弟", "领导", "老师")),
)
GIFT_WORDS = re.compile(
    r"\b(?:gift|gifts|present|presents|birthday|anniversary|christmas|valentine)"
    r"|礼物|礼品|送礼|送人|送给|生日|纪念日|节日|过年",
    re.IGNORECASE,
)

_NUMBER = r"(\d+(?:\.\d+)?\s*[kK千万]?|[零〇一二两三四五六七八九十百千万]+)"
_MONEY = r"(?:\s*(?:yuan|rmb|cny|kuai|元|块钱|块|人民币))"
_CURRENCY = _MONEY + "?"
_PRICE = _NUMBER + _CURRENCY


@dataclass(frozen=True)
class Constraints:
    """Filters and preferences parsed from one request (prices in cents)."""

    categories: tuple[str, ...] = ()
    max_price_cents: int | None = None
    min_price_cents: int | None = None
    recipient: str | None = None
    gift: bool = False
    preferred_categories: tuple[str, ...] = ()
    type_words: tuple[str, ...] = ()  # catalogue aliases named in the request

    @property
    def is_empty(self) -> bool:
        return self == Constraints()

    @property
    def has_price(self) -> bool:
        return self.max_price_cents is not None or self.min_price_cents is not None

    def price_distance(self, price_cents: int) -> int:
        """How far (in cents) a price lies outside the asked range; 0 inside it."""
        if self.max_price_cents is not None and price_cents > self.max_price_cents:
            return price_cents - self.max_price_cents
        if self.min_price_cents is not None and price_cents < self.min_price_cents:
            return self.min_price_cents - price_cents
        return 0

    def price_ok(self, price_cents: int) -> bool:
        if self.max_price_cents is not None and price_cents > self.max_price_cents:
            return False
        return self.min_price_cents is None or price_cents >= self.min_price_cents


def _cents(number: str) -> int | None:
    value = parse_number(number)
    return None if value is None or value <= 0 else round(value * 100)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# (pattern, kind); kind: "max" | "min" | "around" | "range". Checked in order; first wins
# per kind. English patterns need a cue word; Chinese ones a cue or a currency after the number.
_PRICE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (rf"between\s*(?:¥|rmb\s*)?{_PRICE}\s*(?:and|to|-)\s*(?:¥|rmb\s*)?{_PRICE}", "range"),
        # A bare "38-40" may be a shoe size: a range needs a currency on one side.
        (rf"(?:¥|rmb\s*){_NUMBER}\s*(?:-|~|to|到|至)\s*(?:¥|rmb\s*)?{_PRICE}", "range"),
        (rf"{_NUMBER}\s*(?:-|~|to|到|至)\s*{_NUMBER}{_MONEY}", "range"),
        (
            rf"(?:under|below|(?<!no )(?<!not )less than|cheaper than|max(?:imum)?|at most|"
            rf"up to|within|"
            rf"no more than|not more than|budget(?: is| of)?|budget:?)\s*(?:¥|rmb\s*)?{_PRICE}",
            "max_or_around",
        ),
        (rf"(?:¥|rmb\s*)?{_PRICE}\s*(?:or less|or under|or below|max\b|tops\b)", "max"),
        (
            rf"(?:over|above|more than|at least|no less than|not less than|min(?:imum)?)"
            rf"\s*(?:¥|rmb\s*)?{_PRICE}",
            "min",
        ),
        (rf"(?:around|about|roughly|approximately|~)\s*(?:¥|rmb\s*)?{_PRICE}", "around"),
        (
            rf"(?:不超过|不高于|低于|少于|便宜于|最多|预算|控制在){_PRICE}\s*(左右|上下)?",
            "max_or_around",
        ),
        (rf"{_PRICE}\s*(?:以内|以下|之内|内|封顶)", "max"),
        (rf"(?:(?<!不)高于|(?<!不)超过|不低于|至少){_PRICE}", "min"),
        (rf"{_PRICE}\s*(?:以上|起)", "min"),
        (rf"{_NUMBER}{_CURRENCY}\s*(?:左右|上下)", "around"),
        # A price with a currency and no cue ("a 200 yuan gift", "两百块的耳机"): about that.
        (rf"(?:¥\s*{_NUMBER}|{_NUMBER}{_MONEY})", "around"),
    )
)
_AROUND_TAIL = re.compile(r"^\s*(?:左右|上下|or so|ish)")


def _cents_of(value: object) -> int | None:
    return round(float(value) * 100) if isinstance(value, int | float) and value > 0 else None


def parse_price(text: str) -> tuple[int | None, int | None]:
    """(min_cents, max_cents) named in ``text``; None where not named.

    The entity extractor's money finder reads it first ("两百以内", "between 50 and 80",
    "¥100-200", "一百块左右"); a single amount ("a 200 yuan gift") means about that (±25%).
    What it does not see ("budget 300", "300 or less") the patterns below read.
    """
    norm = _normalise(text)
    found = [
        (_cents_of(e.value.get("min")), _cents_of(e.value.get("max")))
        for e in money_amounts(norm)
        if isinstance(e.value, dict)
    ]
    bounds = [(low, high) for low, high in found if low != high]
    if bounds:  # "100块以上200块以下": the first lower and the first upper bound
        low = next((b[0] for b in bounds if b[0] is not None), None)
        high = next((b[1] for b in bounds if b[1] is not None), None)
        return (min(low, high), max(low, high)) if low and high else (low, high)
    if found and found[0][0] is not None:
        amount = found[0][0]
        return round(amount * 0.75), round(amount * 1.25)
    return _parse_price_patterns(norm)


def _parse_price_patterns(norm: str) -> tuple[int | None, int | None]:
    low: int | None = None
    high: int | None = None
    for pattern, kind in _PRICE_PATTERNS:
        match = pattern.search(norm)
        if match is None:
            continue
        numbers = [g for g in match.groups() if g and parse_number(g) is not None]
        if kind == "range" and len(numbers) >= 2:
            a, b = _cents(numbers[0]), _cents(numbers[1])
            if a is not None and b is not None:
                return min(a, b), max(a, b)
            continue
        value = _cents(numbers[0]) if numbers else None
        if value is None:
            continue
        around = kind == "around" or (
            kind == "max_or_around"
            and (
                any(g in ("左右", "上下") for g in match.groups() if g)
                or _AROUND_TAIL.match(norm[match.end() :])
            )
        )
        if around:
            if low is None and high is None:
                return round(value * 0.75), round(value * 1.25)
            continue
        if kind in ("max", "max_or_around") and high is None:
            high = value
        elif kind == "min" and low is None:
            low = value
    return low, high


def _has_word(text: str, word: str) -> bool:
    """``word`` in ``text``; Latin words whole (plural allowed: "book" finds "books")."""
    if word.isascii():
        return re.search(rf"(?<![a-z]){re.escape(word)}(?:s|es)?(?![a-z])", text) is not None
    return word in text


def parse_constraints(text: str, type_vocabulary: Iterable[str] = ()) -> Constraints:
    """Parse a request; ``type_vocabulary`` holds the catalogue's product-type aliases."""
    norm = _normalise(text)
    categories: list[str] = []
    for key, words in CATEGORY_WORDS:
        if any(_has_word(norm, _normalise(w)) for w in words) and key not in categories:
            categories.append(key)
    if not categories:
        for key, words in WEAK_CATEGORY_WORDS:
            if any(_has_word(norm, w) for w in words):
                categories.append(key)
    recipient: str | None = None
    preferred: tuple[str, ...] = ()
    for key, words, hints in RECIPIENTS:
        if any(_has_word(norm, w) for w in words):
            recipient, preferred = key, hints
            break
    if recipient is None:
        for key, words in RECIPIENTS_ZH:
            if any(w in norm for w in words):
                recipient = key
                preferred = next(h for k, _, h in RECIPIENTS if k == key)
                break
    gift = bool(GIFT_WORDS.search(norm)) or recipient is not None
    low, high = parse_price(norm)
    types = _type_words(norm, type_vocabulary)
    return Constraints(
        categories=tuple(categories),
        max_price_cents=high,
        min_price_cents=low,
        recipient=recipient,
        gift=gift,
        preferred_categories=preferred,
        type_words=types,
    )


def _type_words(norm: str, vocabulary: Iterable[str]) -> tuple[str, ...]:
    """The longest catalogue aliases found in the text (a shorter one inside a longer is
    dropped: "无线耳机" hides "耳机")."""
    found = sorted(
        {w for w in (_normalise(v) for v in vocabulary) if len(w) >= 2 and _has_word(norm, w)},
        key=len,
        reverse=True,
    )
    kept: list[str] = []
    for word in found:
        if not any(word in longer for longer in kept):
            kept.append(word)
    return tuple(sorted(kept))

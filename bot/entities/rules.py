"""Rule finders: order numbers, phones, e-mails, money, quantities and sizes, in Chinese and
English. Each finder takes the text and returns :class:`Entity` finds (overlaps are settled by
the pipeline). Digit runs are matched whole: a 12-digit order number is never an 11-digit phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.entities.numbers import DIGITS, EN_NUM_WORDS, NUM, NUM_START, ZH_NUM, parse_number, plain
from bot.entities.types import Entity

DEFAULT_ORDER_ID_PATTERN = "[0-9]{12}"

EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Mobile numbers of mainland China (+86 / 0086 optional), 138 1234 5678 and 138-1234-5678 too.
CN_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d{9}(?!\d)"
)
# Landlines: 010-12345678, (021) 1234 5678, 0755-1234567.
CN_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[ -])\d{3,4}[ -]?\d{4}(?!\d)")
# North American and international: +1 (555) 123-4567, 555-123-4567, +44 20 7946 0958.
INTL_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"
    r"|(?<![\w(])\(\d{3}\)[ .-]?\d{3}[ .-]?\d{4}(?!\d)"
    r"|(?<![\w-])\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"
)


def order_id_regex(pattern: str) -> re.Pattern[str]:
    """The configured order number pattern, never inside a longer run of letters or digits."""
    return re.compile(rf"(?<![0-9A-Za-z])(?:{pattern})(?![0-9])")


def _entity(kind: str, match: re.Match[str], value: object, group: int = 0) -> Entity:
    return Entity(kind, match.group(group), match.start(group), match.end(group), value)


def find_order_ids(text: str, pattern: re.Pattern[str]) -> Iterator[Entity]:
    for match in pattern.finditer(text):
        yield _entity("order_id", match, match.group(0))


def phone_value(text: str) -> str:
    """Digits only; a Chinese mobile without its +86, other international numbers with '+'."""
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith(("+86", "0086")) and len(digits) in (13, 15):
        return digits[-11:]
    return ("+" if text.lstrip().startswith("+") else "") + digits


def find_contacts(text: str) -> Iterator[Entity]:
    for match in EMAIL.finditer(text):
        yield _entity("email", match, match.group(0).lower())
    for pattern in (CN_MOBILE, CN_LANDLINE, INTL_PHONE):
        for match in pattern.finditer(text):
            yield _entity("phone", match, phone_value(match.group(0)))


# --- money ---------------------------------------------------------------------------------
_ZH_UNIT = r"(?:元|块钱|块|人民币|圆)"
_EN_CNY = r"(?:yuan|rmb|cny|kuai|RMB|CNY)"
_EN_USD = r"(?:dollars?|bucks|usd|USD)"
_SYMBOL = r"(?:US\$|\$|¥|￥)"
_UNIT = rf"(?:\s*(?:{_ZH_UNIT}|(?:{_EN_CNY}|{_EN_USD})\b))"
_AMOUNT = rf"{_SYMBOL}?\s*{NUM}{_UNIT}?"
# Units after a bare number that say it is not money.
_NOT_MONEY = re.compile(
    r"\s*(?:天|周|个|件|年|月|小时|分钟|次|%|号|日|岁|位|斤|公斤|米|度|秒|人|页|楼|层|码|寸|"
    r"kg|g\b|ml|l\b|cm|mm|m\b|w\b|days?|weeks?|"
    r"months?|years?|hours?|minutes?|times|pieces?|items?|pairs?|percent|%|x\b|gb|tb)",
    re.IGNORECASE,
)
# Two neighbouring digits before a unit: "两三百" is 200 to 300.
_ZH_NEIGHBOURS = r"(?:一二|两三|二三|三四|四五|五六|六七|七八|八九)[十百千万]"
# Words before a bare amount that say it is money: "少了20", "refund's short by 20".
_AMOUNT_CUES = (
    r"(?:少了|多了|多收了?|少退了?|差了|贵了|便宜了|花了|付了|退了我?|补了?我?|"
    r"short by|overcharged(?: me)? by|charged(?: me)?|paid|refund of|priced at|price is|costs?)"
)
_MONEY_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), kind)
    for p, kind in (
        # 块 with the tenths after it: "八十九块九" is 89.9.
        (
            rf"({NUM})\s*块\s*([一二三四五六七八九]|\d)(?![\d十百千万])[毛角]?",
            "jiao",
        ),
        (rf"between\s+{_AMOUNT}\s+(?:and|to)\s+{_AMOUNT}", "range"),
        # A bare "38-40" may be a shoe size and "2026-03" a date: a currency must be named,
        # or a word after the range must say it is a price ("100 to 200 range", "200到500之间").
        (
            rf"{_SYMBOL}\s*{NUM}\s*(?:-|~|～|—|到|至|to)\s*{_AMOUNT}"
            rf"|{NUM}{_UNIT}?\s*(?:-|~|～|—|到|至|to)\s*{NUM}{_UNIT}"
            rf"|{NUM}\s*(?:-|~|～|—|到|至|to)\s*{NUM}(?=\s*(?:之间|之内|区间|价位|的价|"
            r"(?:price\s+)?range|budget))",
            "range",
        ),
        (rf"{NUM_START}({_ZH_NEIGHBOURS}){_UNIT}?", "neighbours"),
        (
            r"(?:under|below|(?<!no )(?<!not )less than|cheaper than|at most|up to|no more than|"
            r"not more than|sub-|"
            rf"max(?:imum)?|不超过|不高于|低于|少于|不到|最多|控制在)\s*(?:花|给|出|付|用)?\s*"
            rf"{_AMOUNT}",
            "max",
        ),
        (rf"{_AMOUNT}\s*(?:以内|以下|之内|封顶|or less|or under|max\b)", "max"),
        (
            rf"(?:over|above|more than|at least|no less than|不低于|至少|高于|超过)\s*{_AMOUNT}",
            "min",
        ),
        (rf"{_AMOUNT}\s*(?:以上|起|or more|plus\b)", "min"),
        (rf"{_AMOUNT}\s*(?:左右|上下|or so|ish\b)", "around"),
        (rf"(?:around|about|roughly|approximately|大概|大约|差不多)\s*{_AMOUNT}", "around"),
        # "一千出头" is a little over a thousand; "三百多" between 300 and 400.
        (rf"{_AMOUNT}\s*出头", "over_a_little"),
        (rf"{NUM}多{_UNIT}?(?![\d零〇一二两俩三四五六七八九十百千万])", "and_more"),
        (rf"满\s*({NUM})\s*减\s*({NUM})", "threshold"),
        (rf"{_SYMBOL}\s*{NUM}|{NUM}{_UNIT}", "exact"),
        # A bare amount after a word of paying or refunding, before 的 ("299的吹风机") or in
        # "the 299 one": the number alone.
        (rf"{_AMOUNT_CUES}\s*{NUM_START}({DIGITS})(?![\d]|[,.]\d)", "cued"),
        (r"(?<![\d.,])((?!19\d\d|20\d\d)[1-9]\d{2,4})(?=的(?!码|尺码|号|尺寸))", "cued"),
        (r"\bthe\s+([1-9]\d{2,4})(?=\s+ones?\b)", "cued"),
    )
)
_NUMBER_IN = re.compile(NUM)
_USD = re.compile(rf"\$|{_EN_USD}", re.IGNORECASE)
# A bare number (no currency) counts as money only with a cue word; the cue must then not be
# followed by a unit of something else ("more than 3 days").
_HAS_CURRENCY = re.compile(rf"{_SYMBOL}|{_UNIT}", re.IGNORECASE)


def _money_value(low: float | None, high: float | None, text: str) -> dict[str, object]:
    return {
        "min": None if low is None else plain(low),
        "max": None if high is None else plain(high),
        "currency": "USD" if _USD.search(text) else "CNY",
    }


def find_money(text: str) -> Iterator[Entity]:
    taken: list[tuple[int, int]] = []
    for pattern, kind in _MONEY_RULES:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            if kind == "threshold":
                for group in (1, 2):
                    value = parse_number(match.group(group))
                    if value:
                        taken.append(match.span(group))
                        yield _entity(
                            "money", match, _money_value(value, value, match.group(0)), group
                        )
                continue
            if kind == "cued":
                value = parse_number(match.group(1))
                before = text[max(0, start - 4) : start]
                if (
                    value
                    and not _NOT_MONEY.match(text[end:])
                    and not _NOT_PRICE_BEFORE.search(before)
                ):
                    taken.append((start, end))
                    yield _entity("money", match, _money_value(value, value, match.group(0)), 1)
                continue
            if kind == "jiao":
                whole, tenths = parse_number(match.group(1)), parse_number(match.group(2))
                if whole is not None and tenths is not None:
                    value = whole + tenths / 10
                    taken.append((start, end))
                    yield Entity(
                        "money", match.group(0), start, end, _money_value(value, value, "")
                    )
                continue
            span = match.group(0)
            if kind != "exact" and not _HAS_CURRENCY.search(span) and _NOT_MONEY.match(text[end:]):
                continue
            if kind == "neighbours":
                if _NOT_MONEY.match(text[end:]):
                    continue
                first, last = _neighbours(match.group(1))
                taken.append((start, end))
                yield Entity("money", span, start, end, _money_value(first, last, span))
                continue
            numbers = [parse_number(n) for n in _NUMBER_IN.findall(span)]
            values = [n for n in numbers if n is not None and n > 0]
            if not values or (kind == "range" and len(values) < 2):
                continue
            if kind == "and_more" and (_NOT_MONEY.match(text[end:]) or values[0] < 10):
                continue
            if kind == "exact" and _NOT_MONEY.match(text[end:]) and not _SYMBOL_RE.search(span):
                continue
            low: float | None
            high: float | None
            if kind == "range":
                low, high = min(values[:2]), max(values[:2])
            elif kind == "max":
                low, high = None, values[0]
            elif kind == "min":
                low, high = values[0], None
            elif kind == "around":
                low, high = values[0] * 0.75, values[0] * 1.25
            elif kind == "over_a_little":
                low, high = values[0], values[0] * 1.25
            elif kind == "and_more":
                low, high = values[0], values[0] + _place(values[0])
            else:
                low = high = values[0]
            taken.append((start, end))
            yield Entity("money", span, start, end, _money_value(low, high, span))


_SYMBOL_RE = re.compile(_SYMBOL)
# A number after these is a tail of digits, a model or a room, not a price ("尾号1234的").
_NOT_PRICE_BEFORE = re.compile(r"(?:尾号|单号|编号|号码|账号|卡号|房间|[号第楼室栋#])\s*$")


def _neighbours(text: str) -> tuple[float, float]:
    """ "两三百" -> (200, 300)."""
    unit = {"十": 10, "百": 100, "千": 1000, "万": 10000}[text[-1]]
    low = parse_number(text[0]) or 0
    return low * unit, (low + 1) * unit


def _place(value: float) -> float:
    """The place of a round number's first digit: 300 -> 100, 1000 -> 1000, 20 -> 10."""
    place = 1.0
    while value >= place * 10 and value % (place * 10) == 0:
        place *= 10
    return place


# --- quantities ----------------------------------------------------------------------------
_ZH_CLASSIFIER = "件|个|双|瓶|盒|台|条|只|支|套|包|袋|本|份|箱|把|根|张|副|顶|罐|片|对|部|款"
# "一个月", "两个星期", "三个小时" are durations, not quantities.
_ZH_QUANTITY = re.compile(
    rf"(?<![第\d.]){NUM_START}(\d{{1,4}}|{ZH_NUM})\s*(?:{_ZH_CLASSIFIER})"
    r"(?!月|星期|礼拜|小时|钟头|工作日|多月|半月|多小时|以上|以内|左右)"
)
_EN_UNIT = r"pairs?|pieces?|pcs|units?|items?|boxes|box|packs?|sets?|bottles?|bags?|cans?"
_EN_COUNT = rf"\d{{1,3}}|{EN_NUM_WORDS}"
# Counts said in words of their own: "a couple of", "half a dozen".
_EN_COUNT_PHRASE = r"half a dozen|a dozen|a couple"
# 俩 and 仨 are two and three on their own ("给我来俩马克杯"; 我俩 / 他们俩 are people).
_ZH_PAIR = re.compile(r"(?<![我你他她它咱们])(俩|仨)(?=[\u4e00-\u9fffA-Za-z])")
_EN_QUANTITY = (
    re.compile(rf"\b({_EN_COUNT})\s+(?:{_EN_UNIT})\b", re.IGNORECASE),
    re.compile(
        rf"\b({_EN_COUNT_PHRASE}|{_EN_COUNT})(?=\s+of\s+(?:them|these|those|it|each)\b)",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:quantity|qty|amount)\s*(?:to|is|of|:|=)?\s*(\d{1,3})\b", re.IGNORECASE),
    re.compile(
        r"\b(?:got|received|ordered|bought|buy|need|want|order|send|take|get|returned|return|"
        r"kept|keep|exchanged?|cancell?ed|cancel)\s+"
        rf"(?:only\s+)?({_EN_COUNT})\b(?!\s*(?:days?|weeks?|months?|years?|hours?|minutes?|"
        r"yuan|dollars?|bucks|rmb|%|percent|times|am|pm|o'clock|[-:./]\d))",
        re.IGNORECASE,
    ),
    # "only two arrived"
    re.compile(
        rf"\b({_EN_COUNT})(?=\s+(?:of\s+them\s+)?(?:arrived|came|showed up|were delivered)\b)",
        re.IGNORECASE,
    ),
)
_EN_UNIT_RE = re.compile(rf"\b({_EN_COUNT})\s+(?:{_EN_UNIT})\b", re.IGNORECASE)


def find_quantities(text: str) -> Iterator[Entity]:
    for match in _ZH_PAIR.finditer(text):
        yield _entity("quantity", match, 2 if match.group(1) == "俩" else 3, 1)
    for match in _ZH_QUANTITY.finditer(text):
        value = parse_number(match.group(1))
        if value and value.is_integer():
            yield Entity("quantity", match.group(0), match.start(), match.end(), int(value))
    for i, pattern in enumerate(_EN_QUANTITY):
        for match in pattern.finditer(text):
            value = parse_number(match.group(1))
            if not value or not value.is_integer():
                continue
            group = 0 if i == 0 else 1
            yield _entity("quantity", match, int(value), group)


def count_before(text: str, start: int) -> Entity | None:
    """A count right before a product name ("four T-shirts", "3 mugs", "2 of the mugs", "a
    couple of mugs", "a dozen towels"), or None."""
    match = re.search(
        rf"(?<![\w.,$¥])({_EN_COUNT_PHRASE}|{_EN_COUNT})\s+"
        r"(?:of\s+(?:the\s+|these\s+|those\s+)?)?$",
        text[:start],
        re.IGNORECASE,
    )
    if not match:
        return None
    value = parse_number(match.group(1))
    if not value or not value.is_integer():
        return None
    return _entity("quantity", match, int(value), 1)


# --- sizes -----------------------------------------------------------------------------------
_LETTER = r"(?:[2-5]XL|XXXL|XXL|XXS|XS|XL|S|M|L)"
_WORD_SIZES = {
    "small": "S",
    "medium": "M",
    "large": "L",
    "x-large": "XL",
    "extra large": "XL",
    "extra small": "XS",
}
# Letter sizes written with a number: 2XL is XXL, 3XL is XXXL.
_LETTER_VALUES = {"2XL": "XXL", "3XL": "XXXL"}
_ONE_SIZE = "one size"
_SIZE_RULES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"(?<![\dA-Za-z.])(\d{2}(?:\.5)?)\s*(?:码|號|号)(?!楼|室|线)"), 1),
    (re.compile(rf"(?<![A-Za-z])({_LETTER})\s*(?:码|號|号)"), 1),
    (re.compile(rf"\bsize\s*:?\s*({_LETTER}|\d{{1,2}}(?:\.5)?)(?![\w.])", re.IGNORECASE), 1),
    (re.compile(rf"(?<![A-Za-z0-9'’&-])({_LETTER})(?![A-Za-z0-9'’&.-])"), 1),
    (re.compile(r"(?<![A-Za-z\d])((?:6[5-9]|[7-9]\d|1[01]\d)[A-F])(?![A-Za-z\d])"), 1),
    (
        re.compile(
            r"\b(?:in\s+(?:a\s+|an\s+)?|a\s+|an\s+|the\s+)(small|medium|large|x-large|extra large|"
            r"extra small)\b(?=\s*(?:$|[,.!?;)]|not\b|instead\b|but\b|please\b|size\b|one\b))",
            re.IGNORECASE,
        ),
        1,
    ),
    # A shoe size before 的码 ("39的码"), after "I wear" / "usually a" ("I'm usually a 39").
    (re.compile(r"(?<![\d.])(\d{2}(?:\.5)?)(?=\s*的\s*(?:码|尺码))"), 1),
    (
        re.compile(
            r"\b(?:wears?(?:\s+an?)?|(?:usually|normally|always|I'm|I am)\s+an?)\s+(?:size\s+)?"
            r"(\d{1,2}(?:\.5)?)\b(?!\s*(?:years?|yo|kg|lbs?|cm|ft|foot|feet|inch|%|\"|'))",
            re.IGNORECASE,
        ),
        1,
    ),
    # Sizing systems named: "EU 42", "US 9", 欧码42; one size for all: 均码, "one size".
    (re.compile(r"(?<![A-Za-z])(?:EU|US|UK)\s?(\d{1,2}(?:\.5)?)(?![\d.])"), 0),
    (re.compile(r"(?:欧码|美码|英码)\s*(\d{1,2}(?:\.5)?)(?![\d.])"), 0),
    (re.compile(r"均码|(?i:\bone[ -]size\b|\bfree size\b)"), 0),
)


def find_sizes(text: str) -> Iterator[Entity]:
    for pattern, group in _SIZE_RULES:
        for match in pattern.finditer(text):
            if not match.groups():
                yield _entity("size", match, _ONE_SIZE)
                continue
            raw = match.group(1)
            value = _WORD_SIZES.get(raw.lower(), raw.upper())
            value = _LETTER_VALUES.get(value, value)
            # "size M" keeps its cue word in the span; "42码" its unit.
            whole = pattern.pattern.startswith(r"\bsize") or "码" in match.group(0)
            whole = whole or "号" in match.group(0) or "號" in match.group(0)
            yield _entity("size", match, value, 0 if whole else group)


DIGIT_RUN = re.compile(DIGITS)

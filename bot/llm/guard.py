"""The guard every model-written answer passes before a customer (or staff) sees it.

:func:`check_answer` lists what in the answer is not backed by the facts it was written from:

- every number must appear in the facts: prices (¥199 = 199元 = 199.00 = RMB 199), percentages
  (20% = 百分之二十, 8折 = 80%), durations with their unit (七天 = 7天 = 7 days; 1 year =
  365 days; 1-3 days is 1 day and 3 days), clock times and dates (12月6日 = Dec 6 = 2026-12-06)
  and bare numbers;
- every policy term (free shipping / 包邮, no-reason returns / 无理由, warranty / 保修,
  cash on delivery / 货到付款, price protection / 保价, ...) must be in the facts, in either
  language;
- order numbers, phone numbers, e-mail addresses, ID and card numbers and street addresses are
  rejected unless that very value is in the facts (the shop's own returns hotline) or in
  ``allowed_text`` (what the conversation itself said, for staff suggestions).

Anything it cannot read as backed is a problem: a false alarm costs one model answer (the
assistant answers as it does without a model), a miss could promise what the shop never said.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot.llm.facts import Fact
from bot.services.redact import ADDRESS, CARD, ID_NUMBER, redact


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    problems: list[str] = field(default_factory=list)


# --- normalisation -----------------------------------------------------------------------------
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_ZH_DIGITS |= {"七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_ZH_NUM = "零〇一二三四五六七八九两十百千万"
# A Chinese numeral counts as a number only before a unit (统一 and 一张 stay words).
_ZH_UNIT_AFTER = r"(?=\s*(?:天|日|个|小时|年|元|块|周|星期|折|成|件|次|倍|%|分钟|秒|岁|号|月))"
_ZH_NUMERAL = re.compile(rf"[{_ZH_NUM}]+{_ZH_UNIT_AFTER}")
_ZH_PERCENT = re.compile(rf"百分之([{_ZH_NUM}]+|\d+(?:\.\d+)?)")
_EN_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip
_EN_NUMBER_WORD = re.compile(
    r"\b(" + "|".join(_EN_WORDS) + r")(?=[\s-]+(?:days?|hours?|years?|months?|weeks?|working"
    r"|business|minutes?|percent|yuan)\b)",
    re.IGNORECASE,
)
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def _zh_int(text: str) -> int | None:
    """一百九十九 -> 199, 十五 -> 15, 七 -> 7, 三十 -> 30; None for what is not a numeral."""
    if all(ch in _ZH_DIGITS for ch in text):
        return int("".join(str(_ZH_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            unit = _ZH_UNITS[ch]
            if unit == 10000:
                total = (total + (current or 0)) * unit
            else:
                total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


def normalise(text: str) -> str:
    """Full-width to half-width, Chinese and English number words to digits, dashes and
    thousands separators plain: the form claims are read from."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[–—~～]", "-", text)
    text = _ZH_PERCENT.sub(
        lambda m: f"{_zh_int(m.group(1)) if not m.group(1)[0].isdigit() else m.group(1)}%", text
    )
    text = _ZH_NUMERAL.sub(lambda m: str(_zh_int(m.group(0)) or m.group(0)), text)
    text = _EN_NUMBER_WORD.sub(lambda m: str(_EN_WORDS[m.group(1).lower()]), text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return text


def _num(raw: str) -> str:
    """199.00 -> 199, 0.5 -> 0.5: one spelling per value."""
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return raw
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


# --- claims ------------------------------------------------------------------------------------
_N = r"(\d+(?:\.\d+)?)"
_RANGE = r"(\d+(?:\.\d+)?)(?:\s*(?:-|to|or|至|到)\s*(\d+(?:\.\d+)?))?"
_MONEY = (
    re.compile(rf"(?:¥|￥|rmb\s*|cny\s*|yuan\s*)\s*{_N}", re.IGNORECASE),
    re.compile(rf"{_N}\s*(?:元|块钱|块|yuan\b|rmb\b|cny\b)", re.IGNORECASE),
)
_PERCENT = (
    re.compile(rf"{_N}\s*(?:%|percent\b|per cent\b)", re.IGNORECASE),
    re.compile(rf"{_N}\s*折"),  # 8折 = 80% of the price, 8.5折 = 85%
)
_UNITS: tuple[tuple[str, str], ...] = (
    ("workday", r"(?:working|business)\s+days?|个?工作日"),
    ("day", r"days?\b|天|日"),
    ("hour", r"hours?\b|hrs?\b|h\b|小时|个小时"),
    ("minute", r"minutes?\b|mins?\b|分钟"),
    ("week", r"weeks?\b|周|星期|个星期"),
    ("month", r"months?\b|个月"),
    ("year", r"years?\b|yrs?\b|年(?!\d)"),
)
_DURATION = re.compile(
    rf"{_RANGE}\s*-?\s*(" + "|".join(f"(?P<{name}>{rx})" for name, rx in _UNITS) + ")",
    re.IGNORECASE,
)
_TO_DAYS = {"week": 7, "year": 365}
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)")
_DATE_ISO = re.compile(r"(?<!\d)(20\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DATE_ZH = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})[日号]")
_DATE_EN = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_LONG_DIGITS = re.compile(r"(?<![\d])\+?\d[\d ()-]{5,}\d(?!\d)")
# The fact numbers a model cites: [1], [2, 3], [F1].
CITATION = re.compile(r"\[\s*F?\d+(?:\s*[,，、]\s*F?\d+)*\s*\]")
_CUSTOMER_ID = re.compile(r"\bC\d{4,}\b")

# Policy terms: a group's words in either language; an answer that uses one needs a fact that
# uses one of the same group.
POLICY_TERMS: dict[str, tuple[str, ...]] = {
    "free shipping": ("free shipping", "ships free", "shipping is free", "free delivery",
                      "包邮", "免运费", "免邮", "运费全免"),
    "free return pickup": ("free pickup", "picked up free", "pick them up for free",
                           "免费上门取件", "免费取件"),
    "no-reason return": ("no-reason", "no reason", "without giving a reason",
                         "without a reason", "无理由"),
    "warranty": ("warranty", "guarantee", "保修", "质保", "保固"),
    "refund": ("refund", "money back", "退款"),
    "exchange": ("exchange", "换货"),
    "price protection": ("price protection", "price match", "price guarantee", "保价", "价保"),
    "cash on delivery": ("cash on delivery", "pay on delivery", "货到付款"),
    "installments": ("instalment", "installment", "interest-free", "分期", "免息", "花呗"),
    "compensation": ("compensation", "compensate", "赔偿", "赔付", "补偿"),
    "coupon": ("coupon", "voucher", "优惠券", "代金券"),
    "gift": ("free gift", "gift", "赠品", "送礼"),
    "lifetime": ("lifetime", "forever", "终身", "永久"),
    "same-day shipping": ("same day", "当天发", "当日发"),
    "24/7": ("24/7", "around the clock", "7×24", "7x24", "全天"),
    "membership": ("member", "vip", "会员"),
}  # fmt: skip


@dataclass(frozen=True)
class Claims:
    money: frozenset[str]
    percent: frozenset[str]
    durations: frozenset[tuple[str, str]]  # (value, unit)
    times: frozenset[str]
    dates: frozenset[tuple[int, int]]  # (month, day)
    numbers: frozenset[str]  # every number, whatever it counts
    terms: frozenset[str]  # POLICY_TERMS groups


def _durations(text: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    text = _DATE_ZH.sub(" ", _DATE_ISO.sub(" ", text))  # 12月6日 is a date, not 6 days
    for m in _DURATION.finditer(text):
        unit = next(name for name, _ in _UNITS if m.group(name))
        for raw in (m.group(1), m.group(2)):
            if raw is None:
                continue
            value = _num(raw)
            found.add((value, unit))
            if unit in _TO_DAYS:
                found.add((_num(str(Decimal(value) * _TO_DAYS[unit])), "day"))
    return found


def claims(text: str) -> Claims:
    """What ``text`` states in numbers and policy terms (see the module's doc)."""
    norm = normalise(text)
    low = norm.lower()
    money = {_num(m.group(1)) for rx in _MONEY for m in rx.finditer(norm)}
    percent = {_num(m.group(1)) for m in _PERCENT[0].finditer(norm)}
    for m in _PERCENT[1].finditer(norm):
        value = Decimal(m.group(1))
        percent.add(_num(str(value * (10 if value < 10 else 1))))
    times = {f"{int(h):02d}:{mm}" for h, mm in _TIME.findall(norm)}
    dates = {(int(mo), int(d)) for _, mo, d in _DATE_ISO.findall(norm)}
    dates |= {(int(mo), int(d)) for mo, d in _DATE_ZH.findall(norm)}
    for m in _DATE_EN.finditer(norm):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        dates.add((_MONTHS[month[:3].lower()], int(day)))
    numbers = {_num(n) for n in re.findall(r"\d+(?:\.\d+)?", norm)}
    terms = {g for g, words in POLICY_TERMS.items() if any(w in low for w in words)}
    return Claims(
        frozenset(money),
        frozenset(percent),
        frozenset(_durations(norm)),
        frozenset(times),
        frozenset(dates),
        frozenset(numbers),
        frozenset(terms),
    )


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _personal_data(answer: str, backed: str) -> list[str]:
    """Order numbers, phones, e-mails, IDs, cards, customer ids and addresses of ``answer``
    that ``backed`` (the facts and the allowed text) does not hold."""
    problems: list[str] = []
    backed_digits = {_digits(m.group(0)) for m in _LONG_DIGITS.finditer(backed)}
    backed_low = backed.lower()
    for m in _EMAIL.finditer(answer):
        if m.group(0).lower() not in backed_low:
            problems.append(f"e-mail address {m.group(0)} is not in the facts")
    for m in _LONG_DIGITS.finditer(answer):
        digits = _digits(m.group(0))
        if len(digits) >= 7 and digits not in backed_digits:
            kind = (
                "order number"
                if len(digits) >= 12 and not m.group(0).startswith("+")
                else "phone or account number"
            )
            problems.append(f"{kind} {m.group(0).strip()} is not in the facts")
    for m in _CUSTOMER_ID.finditer(answer):
        if m.group(0) not in backed:
            problems.append(f"customer id {m.group(0)} is not in the facts")
    redacted = redact(answer)
    for marker, name in ((ID_NUMBER, "ID number"), (CARD, "card number")):
        if marker in redacted:
            problems.append(f"an answer must not hold a {name}")
    if ADDRESS in redacted and ADDRESS not in redact(backed):
        problems.append("a street address that is not in the facts")
    return problems


def check_answer(
    answer: str, facts: Sequence[Fact], *, lang: str, allowed_text: str = ""
) -> GuardResult:
    """Whether ``answer`` states only what ``facts`` (and ``allowed_text``) back; see the
    module's doc. ``lang`` is the answer's language (the facts may be in either)."""
    if not answer.strip():
        return GuardResult(False, ["the answer is empty"])
    backed_text = "\n".join([*(f.text for f in facts), allowed_text])
    answer = CITATION.sub(" ", answer)
    said, known = claims(answer), claims(backed_text)
    problems = _personal_data(normalise(answer), normalise(backed_text))
    plain = known.numbers
    for value in sorted(said.money):
        if value not in known.money and value not in plain:
            problems.append(f"price {value} is not in the facts")
    for value in sorted(said.percent):
        if value not in known.percent:
            problems.append(f"percentage {value}% is not in the facts")
    for value, unit in sorted(said.durations):
        if (value, unit) not in known.durations:
            problems.append(f"{value} {unit}(s) is not in the facts")
    for clock in sorted(said.times):
        if clock not in known.times:
            problems.append(f"time {clock} is not in the facts")
    for month, day in sorted(said.dates):
        if (month, day) not in known.dates:
            problems.append(f"date {month}/{day} is not in the facts")
    reported = said.money | said.percent | {value for value, _ in said.durations}
    reported |= {_num(part) for clock in said.times for part in clock.split(":")}
    reported |= {str(part) for date in said.dates for part in date}
    reported |= {_digits(m.group(0)) for m in _LONG_DIGITS.finditer(normalise(answer))}
    for value in sorted(said.numbers - plain - reported):
        problems.append(f"number {value} is not in the facts")
    for term in sorted(said.terms - known.terms):
        problems.append(f"policy term '{term}' is not in the facts")
    return GuardResult(not problems, problems)

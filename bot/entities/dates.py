"""Dates, absolute and relative, in Chinese and English, resolved to ISO dates against a
reference day (the shop's today, in its timezone; the caller passes it).

Weekdays: "上周二" is Tuesday of the previous calendar week (weeks start on Monday) and "last
Tuesday" the most recent Tuesday before today; "this Saturday", "本周六", "周五" and a bare
"Monday" are that day of the current week; "next Monday" and "下周一" that day of the next
week. A month and day without a year ("May 5", "5月5号") are in the reference year.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

from bot.entities.numbers import EN_NUM_WORDS, NUM_START, ZH_NUM, parse_number
from bot.entities.types import Entity

_ZH_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_ZH_WEEKDAY |= {str(i + 1): i for i in range(7)}
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_WEEKDAY = {name: i for i, name in enumerate(_EN_WEEKDAYS)}
_EN_WEEKDAY |= {name[:3]: i for i, name in enumerate(_EN_WEEKDAYS)}
_EN_WEEKDAY |= {"tues": 1, "thur": 3, "thurs": 3}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = {name: i + 1 for i, name in enumerate(_MONTHS)}
_MONTH |= {name[:3]: i + 1 for i, name in enumerate(_MONTHS)} | {"sept": 9}
_MONTH_RE = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_EN_WEEKDAY_RE = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|"
    r"sat(?:urday)?|sun(?:day)?)"
)
_ZH_DAY = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_ZH_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_ZH_RELATIVE |= {"昨天": -1, "昨日": -1, "前天": -2, "大前天": -3}
_EN_RELATIVE = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "yesterday": -1,
    "the day before yesterday": -2,
    "the day after tomorrow": 2,
}

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)"),
        "ymd",
    ),
    (
        re.compile(
            rf"(?<![\d年])(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*{_ZH_DAY}\s*[日号]"
        ),
        "md",
    ),
    (re.compile(r"(大前天|大后天|今天|今日|明天|明日|后天|昨天|昨日|前天)"), "zh_rel"),
    (
        re.compile(r"(上上|上|这|本|下下|下)?\s*(?:个)?(?:周|星期|礼拜)([一二三四五六日天1-7])"),
        "zh_weekday",
    ),
    (
        re.compile(
            rf"{NUM_START}(\d{{1,3}}|{ZH_NUM})\s*(天|日|周|个星期|个礼拜|星期|个月)(?:以)?前"
        ),
        "zh_ago",
    ),
    (
        re.compile(
            r"\b(the day before yesterday|the day after tomorrow|today|tonight|tomorrow|"
            r"yesterday)\b",
            re.IGNORECASE,
        ),
        "en_rel",
    ),
    (
        re.compile(rf"\b(?:(last|this|next|coming)\s+)?({_EN_WEEKDAY_RE})\b\.?", re.IGNORECASE),
        "en_weekday",
    ),
    (
        re.compile(rf"\b(\d{{1,3}}|{EN_NUM_WORDS}|a|an)\s+(days?|weeks?|months?)\s+ago\b", re.I),
        "en_ago",
    ),
    (
        re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)", re.IGNORECASE),
        "en_md",
    ),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_RE})\b", re.IGNORECASE),
        "en_dm",
    ),
)
_NOT_A_WEEKDAY_AFTER = re.compile(r"^\s*(?:-|morning|night|market)", re.IGNORECASE)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _week_day(today: date, weeks: int, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks, days=weekday)


def _months_back(today: date, months: int) -> date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        found = _day(year, month, day)
        if found:
            return found
    return today


def _resolve(kind: str, match: re.Match[str], today: date) -> date | None:
    g = match.groups()
    if kind == "ymd":
        return _day(int(g[0]), int(g[1]), int(g[2]))
    if kind == "md":
        month, day = parse_number(g[0]), parse_number(g[1])
        return _day(today.year, int(month), int(day)) if month and day else None
    if kind == "zh_rel":
        return today + timedelta(days=_ZH_RELATIVE[g[0]])
    if kind == "zh_weekday":
        weeks = {"上上": -2, "上": -1, "下": 1, "下下": 2}.get(g[0] or "", 0)
        return _week_day(today, weeks, _ZH_WEEKDAY[g[1]])
    if kind == "zh_ago":
        count = parse_number(g[0])
        if not count or count > 400:
            return None
        if g[1] == "个月":
            return _months_back(today, int(count))
        return today - timedelta(days=int(count) * (1 if g[1] in ("天", "日") else 7))
    if kind == "en_rel":
        return today + timedelta(days=_EN_RELATIVE[" ".join(g[0].lower().split())])
    if kind == "en_weekday":
        if match.group(0)[:1].islower() and g[0] is None and len(g[1]) <= 3:
            return None  # "sat", "sun", "wed" in lower case are words, not days
        weekday = _EN_WEEKDAY[g[1].lower()]
        which = (g[0] or "").lower()
        if which == "last":
            back = (today.weekday() - weekday) % 7 or 7
            return today - timedelta(days=back)
        return _week_day(today, 1 if which in ("next", "coming") else 0, weekday)
    if kind == "en_ago":
        count = 1 if g[0].lower() in ("a", "an") else parse_number(g[0])
        if not count:
            return None
        unit = g[1].lower().rstrip("s")
        if unit == "month":
            return _months_back(today, int(count))
        return today - timedelta(days=int(count) * (7 if unit == "week" else 1))
    if kind == "en_md":
        return _day(
            today.year, _MONTH[g[0].lower()[:3] if g[0].lower() != "sept" else "sep"], int(g[1])
        )
    if kind == "en_dm":
        return _day(today.year, _MONTH[g[1].lower()[:3]], int(g[0]))
    return None


def find_dates(text: str, today: date) -> Iterator[Entity]:
    for pattern, kind in _RULES:
        for match in pattern.finditer(text):
            if kind == "en_weekday" and _NOT_A_WEEKDAY_AFTER.match(text[match.end() :]):
                continue
            if (
                kind == "en_md"
                and match.group(1).lower() == "may"
                and not match.group(1)[0].isupper()
            ):
                continue  # "you may 2 ..." is a verb
            resolved = _resolve(kind, match, today)
            if resolved is None:
                continue
            span = match.group(0).rstrip(". ")
            yield Entity(
                "date", span, match.start(), match.start() + len(span), resolved.isoformat()
            )

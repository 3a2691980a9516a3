"""Dates, absolute and relative, in Chinese and English, resolved to ISO dates against a
reference day (the shop's today, in its timezone; the caller passes it).

Weekdays: "上周二" is Tuesday of the previous calendar week (weeks start on Monday) and "last
Tuesday" the most recent Tuesday before today; "this Saturday", "本周六", "周五" and a bare
"Monday" are that day of the current week; "next Monday" and "下周一" that day of the next
week; told in the past ("shipped on Sunday", "周日收到的"), a bare weekday still to come this
week is the one before. A month and day without a year ("May 5", "5月5号", "03/02" month
first, "3.15买的") are in the reference year; a day alone ("12号下单的", "by the 25th") in the
reference month, "下个月5号" in the next; 月底 is the month's last day.
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
# What follows a bare day number ("12号下单的", "3.15买的") when it is a date.
_ZH_DAY_CONTEXT = (
    r"(?:下单|下的单|买|到|发|签收|收到|收的|寄|退|付|送|之前|以前|前|以后|后|那天|当天|晚上|"
    r"上午|下午|早上|中午)"
)
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
    # A day of a month: "下个月5号", or a bare "12号" when what follows says it is a day
    # ("12号下单的"; "42号" and "12号楼" are a size and a building).
    (
        re.compile(
            rf"(?<![\d月])(上个?月|下个?月|这个月|本月)\s*{_ZH_DAY}\s*[号日]"
            rf"|(?<![\d月.])()(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*[号日](?={_ZH_DAY_CONTEXT})"
        ),
        "zh_day",
    ),
    (re.compile(r"(下个?|这个|本)?月底"), "month_end"),
    # Month and day with a slash ("03/02", "3/8") or, before a word of buying or delivery,
    # a dot ("3.15买的"; "12.5元" is money).
    (
        re.compile(
            r"(?<![\d./])(\d{1,2})/(\d{1,2})(?![\d./%])(?!\s*(?:stars?|分|星|price|off))"
            rf"|(?<![\d./])(\d{{1,2}})\.(\d{{1,2}})(?![\d.%])(?=\s*[号日]?\s*{_ZH_DAY_CONTEXT})"
        ),
        "numeric_md",
    ),
    # "by the 25th", "on the 3rd": that day of this month.
    (
        re.compile(
            r"\b(?:on|by|before|after|until|till|since|from)\s+(the\s+(\d{1,2})(?:st|nd|rd|th))\b"
            r"(?!\s+(?:of|one|floor|item|time|order|day|week|month|place)\b)",
            re.IGNORECASE,
        ),
        "en_nth",
    ),
)
_NOT_A_WEEKDAY_AFTER = re.compile(r"^\s*(?:-|morning|night|market)", re.IGNORECASE)
# A bare weekday told in the past ("shipped on Sunday", "周日收到的") is the latest one, not
# this week's when that is still to come.
_EN_PAST = re.compile(
    r"\b(?:shipped|ordered|bought|arrived|came|delivered|received|got|sent|placed|returned|"
    r"paid|was|were|did|called|emailed|purchased|dispatched)\b[^.!?;]*$",
    re.IGNORECASE,
)
_ZH_PAST_AFTER = re.compile(
    r"^[^，,。！？!?；;]{0,8}?(?:收到|到的|到了|买的|买了|下的单|下单的|下单了|签收|发的|发了|寄的|"
    r"寄了|退的|退了|付的|付了)"
)


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
    if kind == "zh_day":
        shift = 0
        if g[0]:
            shift = -1 if g[0].startswith("上") else 1 if g[0].startswith("下") else 0
        day = parse_number(g[1] or g[3])
        year, month = _month_shift(today, shift)
        return _day(year, month, int(day)) if day else None
    if kind == "month_end":
        year, month = _month_shift(today, 1 if (g[0] or "").startswith("下") else 0)
        return _month_shift_end(year, month)
    if kind == "numeric_md":
        first, second = (g[0], g[1]) if g[0] else (g[2], g[3])
        return _day(today.year, int(first), int(second))  # month first, as in the US
    if kind == "en_nth":
        return _day(today.year, today.month, int(g[1]))
    return None


def _month_shift(today: date, months: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def _month_shift_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


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
            if resolved > today and _told_in_the_past(kind, match, text):
                resolved -= timedelta(weeks=1)
            group = 1 if kind == "en_nth" else 0
            span = match.group(group).rstrip(". ")
            start = match.start(group)
            yield Entity("date", span, start, start + len(span), resolved.isoformat())


def _told_in_the_past(kind: str, match: re.Match[str], text: str) -> bool:
    """A bare weekday (no last / next / 上 / 下) in a sentence told in the past."""
    if kind == "en_weekday" and match.group(1) is None:
        return bool(_EN_PAST.search(text[: match.start()]))
    if kind == "zh_weekday" and match.group(1) is None:
        return bool(_ZH_PAST_AFTER.match(text[match.end() :]))
    return False

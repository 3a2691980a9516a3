"""Amounts, dates, durations and lists as customers and staff read them, in zh or en."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n.language import Lang, as_lang
from bot.i18n.lookup import t


def money(cents: int) -> str:
    """CNY amount from integer fen: 12999 -> "¥129.99"."""
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(cents), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def fmt_datetime(value: datetime, lang: str, tz: str) -> str:
    """Date and time in the shop's timezone: "28 Nov 14:05" / "11月28日 14:05"."""
    local = value.astimezone(ZoneInfo(tz))
    if as_lang(lang) == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %H:%M}"


def fmt_date(value: datetime, lang: str, tz: str) -> str:
    """Date in the shop's timezone: "28 Nov" / "11月28日"."""
    local = value.astimezone(ZoneInfo(tz))
    if as_lang(lang) == "zh":
        return f"{local.month}月{local.day}日"
    return f"{local.day} {local:%b}"


def join_list(parts: list[str], lang: str) -> str:
    return ("、" if as_lang(lang) == "zh" else ", ").join(parts)


def age_text(seconds: float, lang: Lang) -> str:
    """A short duration: "45 s", "12 min", "3 h 5 min" / "45 秒", "12 分钟", "3 小时 5 分钟"."""
    s = max(0, int(seconds))
    if s < 60:
        return t("staff.age.seconds", lang, n=s)
    minutes = s // 60
    if minutes < 60:
        return t("staff.age.minutes", lang, n=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t("staff.age.hours", lang, hours=hours, minutes=rest)
    return t("staff.age.days", lang, n=hours // 24)

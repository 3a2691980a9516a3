"""Personal data out of text before it leaves the conversation (README "PII redaction").

:func:`redact` replaces phone numbers, e-mail addresses, ID numbers (Chinese resident ID cards,
US social security numbers), payment card numbers, street addresses (Chinese and English) and
recipients' names with a marker (``<phone>``, ``<email>``, ``<id_number>``, ``<card>``,
``<address>``, ``<name>``). Order numbers (12 digits such as 260315004217), prices, quantities
and dates are left as they are: readers need them to see what the customer asked. Of an
address the street, house number, unit and postcode go; province, city and district stay.

Addresses and names are found by the entity extractor's finders
(:mod:`bot.entities.address`), plus the patterns below for what they leave (lower-case English
streets, a building and room without a street). Digit runs are matched whole (never inside a
longer run), so a 12-digit order number is never read as an 11-digit mobile number; card
numbers must pass the Luhn check and ID card numbers their birth date and check digit.
Nothing here loads spaCy: the log formatter calls it on every line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.entities.address import private_spans

PHONE = "<phone>"
EMAIL = "<email>"
ID_NUMBER = "<id_number>"
CARD = "<card>"
ADDRESS = "<address>"
NAME = "<name>"
MARKERS = (PHONE, EMAIL, ID_NUMBER, CARD, ADDRESS, NAME)

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Chinese resident ID: 6-digit area, birth date (yyyymmdd), 3 digits, a check digit or X.
_CN_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
_CN_ID_OLD = re.compile(r"(?<!\d)\d{6}(\d{6})\d{3}(?!\d)")  # 15 digits, yymmdd
_SSN = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
# 13-19 digits, maybe grouped by spaces or dashes (4-4-4-4, 4-6-5, ...).
_CARD = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Mobile numbers of mainland China (with +86 / 0086), 138 1234 5678 and 138-1234-5678 too.
_CN_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d{9}(?!\d)"
)
# Landlines: 010-12345678, (021) 1234 5678, 0755-1234567.
_CN_LANDLINE = re.compile(r"(?<!\d)(?:\(0\d{2,3}\)\s?|0\d{2,3}[ -])\d{3,4}[ -]?\d{4}(?!\d)")
# North American and international: +1 (555) 123-4567, 555-123-4567, (555) 123 4567,
# +44 20 7946 0958.
_INTL_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}(?!\d)"
    r"|(?<![\w(])\(\d{3}\)[ .-]?\d{3}[ .-]?\d{4}(?!\d)"
    r"|(?<![\w-])\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"
)
# Chinese street addresses: a road, street or lane with a house number, and what follows it
# (building, unit, floor, room); the road's name is taken back to a city or district name.
_ROAD = re.compile(
    r"(?:大道|路|街|巷|弄|胡同|道)\s*(?:\d+|[一二三四五六七八九十百]+)\s*(?:号|號)"
    r"(?:\s*(?:\d+|[A-Za-z]|[一二三四五六七八九十]+)\s*(?:号楼|栋|幢|座|单元|层|楼|室|号|户))*"
)
_BUILDING = re.compile(
    r"(?<![\dA-Za-z])(?:\d+|[A-Za-z])\s*(?:号楼|栋|幢|座)"
    r"(?:\s*\d+\s*(?:单元|层|楼|室|号|户))*"
    r"|(?<!\d)\d+\s*单元\s*\d+\s*(?:室|号|户)?"
    r"|(?<!\d)\d{3,5}\s*室"
)
_ROAD_NAME_STOP = set("省市区县镇乡村是在到成为住寄送址改:：,，。 　的")
_ROAD_NAME_MAX = 10
# English street addresses: "221B Baker Street", "1600 Pennsylvania Ave NW, Apt 4".
_STREET_WORDS = r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|highway|hwy)"
_STREET_CAPS = r"(?:Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Square|Sq|Parkway|Pkwy)"
_EN_ADDRESS = re.compile(
    r"(?<![\w#-])\d{1,6}[A-Za-z]?\s+(?:[A-Za-z][A-Za-z'.-]*\s+){1,4}"
    r"(?:(?i:" + _STREET_WORDS + r")|" + _STREET_CAPS + r")\b\.?"
    r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"(?:,?\s*(?i:apt|apartment|suite|ste|unit|flat|room)\.?\s*#?\s*[\w-]+|,?\s*#\s*[\w-]+)?"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _cn_id(match: re.Match[str]) -> str:
    body = "".join(match.group(1, 2, 3))
    born = match.group(2)
    if not _real_date(int(born[:4]), int(born[4:6]), int(born[6:])) or born[:2] not in ("19", "20"):
        return match.group(0)
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return ID_NUMBER if match.group(4).upper() == check else match.group(0)


def _cn_id_old(match: re.Match[str]) -> str:
    born = match.group(1)
    ok = _real_date(1900 + int(born[:2]), int(born[2:4]), int(born[4:]))
    return ID_NUMBER if ok else match.group(0)


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


def _road(text: str) -> str:
    """Chinese road addresses, the road's name included (back to a stop character)."""
    out: list[str] = []
    last = 0
    for match in _ROAD.finditer(text):
        start = match.start()
        while (
            start > last
            and match.start() - start < _ROAD_NAME_MAX
            and text[start - 1] not in _ROAD_NAME_STOP
            and not text[start - 1].isspace()
            and text[start - 1] not in "<>"
        ):
            start -= 1
        if start == match.start():
            continue  # "道3号" without a name before it: not an address we can tell
        out.append(text[last:start])
        out.append(ADDRESS)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


_STEPS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, EMAIL),
    (_CN_ID, _cn_id),
    (_CN_ID_OLD, _cn_id_old),
    (_SSN, ID_NUMBER),
    (_CARD, _card),
    (_CN_MOBILE, PHONE),
    (_CN_LANDLINE, PHONE),
    (_INTL_PHONE, PHONE),
    (_EN_ADDRESS, ADDRESS),
)


def _extracted(text: str) -> str:
    """Addresses' private parts and recipients' names found by the entity finders."""
    out: list[str] = []
    last = 0
    for start, end, kind in sorted(private_spans(text)):
        out += [text[last:start], NAME if kind == "recipient" else ADDRESS]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with personal data replaced by markers (see the module's doc)."""
    for pattern, replacement in _STEPS[:8]:  # e-mails, ID, card and phone numbers first
        text = pattern.sub(replacement, text)
    text = _extracted(text)
    for pattern, replacement in _STEPS[8:]:
        text = pattern.sub(replacement, text)
    text = _road(text)
    text = _BUILDING.sub(ADDRESS, text)
    return re.sub(r"(?:<address>\s*){2,}", ADDRESS, text)

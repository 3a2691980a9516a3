"""Numbers as customers write them: digits ("1,299", "12.5", "1.5k"), Chinese numerals ("两百",
"三千五", "十二", "一百五十") and English number words ("two", "twelve", "a dozen").
"""

from __future__ import annotations

import re

ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5}
ZH_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
EN_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "dozen": 12,
    "a dozen": 12,
    "a couple of": 2,
    "a couple": 2,
    "couple": 2,
    "half a dozen": 6,
    "a few": 3,
}
# Regex pieces other modules build on.
ZH_NUM = "[零〇一二两俩三四五六七八九十百千万]+"
DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"
EN_NUM_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
)
# Never starts inside a longer number: one attempt per run of digits or numerals keeps the
# patterns built on it linear on a line of 5000 digits.
NUM_START = r"(?<![\d.,零〇一二两俩三四五六七八九十百千万])"
NUM = rf"{NUM_START}(?:{DIGITS}\s*[kK](?![A-Za-z])|{DIGITS}|{ZH_NUM})"

_DIGITS_RE = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?)\s*([kK千万])?")


def _zh_numeral(text: str) -> float | None:
    total, section, digit = 0, 0, None
    last_unit = 1
    for char in text:
        if char in ZH_DIGITS:
            if digit is not None:  # "一二" is not a number we read
                return None
            digit = ZH_DIGITS[char]
        elif char in ZH_UNITS:
            unit = ZH_UNITS[char]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
            last_unit = unit
        else:
            return None
    if digit is not None:
        # "三千五" is 3500 and "一百五" 150: a trailing digit counts in the unit below the last.
        section += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return float(total + section)


def parse_number(text: str) -> float | None:
    """ "200", "1,299", "1.5k", "两百", "三千五", "十二", "3万", "twelve" -> a number; None when the
    text is not one."""
    text = text.strip()
    if not text:
        return None
    lowered = " ".join(text.lower().split())
    if lowered in EN_WORDS:
        return float(EN_WORDS[lowered])
    compact = text.replace(" ", "")
    match = _DIGITS_RE.fullmatch(compact)
    if match:
        value = float(match.group(1).replace(",", ""))
        multiplier = {"k": 1000, "K": 1000, "千": 1000, "万": 10000}.get(match.group(2) or "")
        return value * multiplier if multiplier else value
    if re.fullmatch(ZH_NUM, compact):
        return _zh_numeral(compact)
    return None


def plain(value: float) -> int | float:
    """12.0 -> 12, 12.5 -> 12.5 (JSON reads better without trailing .0)."""
    return int(value) if float(value).is_integer() else round(value, 2)

"""Language of a customer message: Chinese or English."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Lang = Literal["zh", "en"]

# Han ideographs only: full-width punctuation ("？？") says nothing about the language.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def known_language(value: object) -> Lang | None:
    """``value`` as a language when it is one ("zh" or "en"), else None."""
    if value == "zh":
        return "zh"
    if value == "en":
        return "en"
    return None


def as_lang(value: object) -> Lang:
    """The language for a slot value: "zh" when it says so, English otherwise."""
    return "zh" if value == "zh" else "en"


# Each language in its own words, the same for every reader (the staff desk's "Language" field).
LANGUAGE_NAMES: dict[Lang, str] = {"zh": "中文 (zh)", "en": "English (en)"}


def language_name(lang: Lang) -> str:
    """``lang`` in its own words: "中文 (zh)", "English (en)"."""
    return LANGUAGE_NAMES[lang]


def detect_language(text: str, previous: Lang | None = None) -> Lang:
    """Guess zh or en from the script of ``text``.

    Any Han character makes a message Chinese unless Latin letters clearly dominate
    ("我的iPhone壳" is Chinese; "my order 订单" is still mostly English words, but a
    customer who mixes in Chinese reads Chinese, so Han wins ties). Messages without
    letters (order numbers, phone numbers, emoji, button payloads) keep ``previous``.
    """
    if text.startswith("/"):
        # A button clicked before anything was typed: its values ("/product_inquiry{"product":
        # "电饭煲"}") are the only hint.
        return previous or ("zh" if _HAN.search(text) else "en")
    normalised = unicodedata.normalize("NFKC", text)  # full-width letters are Latin too
    han = len(_HAN.findall(normalised))
    latin = len(_LATIN.findall(normalised))
    if han == 0 and latin == 0:
        return previous or "en"
    if han == 0:
        return "en"
    # One Han character weighs about as much as a short English word.
    return "zh" if han * 3 >= latin else "en"

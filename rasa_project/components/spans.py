"""Pure span rules for entity extraction (no Rasa import, so the 3.11 test suite covers them)."""

from __future__ import annotations

from typing import Any


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def cuts_latin_word(text: str, start: int, end: int) -> bool:
    """True when text[start:end] starts or ends with a Latin letter that continues a word.

    "dress" in "address" and "tee" in "guarantee" are cut; "电饭煲" in "买电饭煲", "iPhone壳" in
    "我的iPhone壳" and the digits of "order260315004217" are not.
    """
    first, last = text[start], text[end - 1]
    if start > 0 and first.isascii() and first.isalpha() and _is_word_char(text[start - 1]):
        return True
    return end < len(text) and last.isascii() and last.isalpha() and _is_word_char(text[end])


def keep_longest(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop entities overlapped by a longer one of the same type."""
    kept: list[dict[str, Any]] = []
    for ent in sorted(entities, key=lambda e: (e["start"] - e["end"], e["start"])):
        if not any(
            k["entity"] == ent["entity"] and k["start"] < ent["end"] and ent["start"] < k["end"]
            for k in kept
        ):
            kept.append(ent)
    return sorted(kept, key=lambda e: e["start"])

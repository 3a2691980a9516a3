"""When a phrasing counts as trained on: held-out phrasings must never enter training.

A phrasing counts as trained on when, after normalisation (Unicode NFKC, case, punctuation and
white space removed, every digit run replaced by one 0, entity annotations ``[text](entity)``
reduced to their text), it equals a training example or is at least 90% similar to one
(rapidfuzz's ``ratio``). A bare number (an order number typed alone) is exempt: every one of
them normalises to the same text, and the entity extractor, not the classifier, reads it.

Used by tests/test_nlu_disjoint.py (the held-out file and the test stories stay out of the
training data) and by the studio, which refuses a training example that is a held-out phrasing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

SIMILAR = 90.0
MIN_CHARS = 6  # "hi", "好的", "yes": too short for similarity to mean anything

_ANNOTATION = re.compile(r"\[([^\]]*)\]\((?:[^)]*)\)|\[([^\]]*)\]\{[^}]*\}")
_DIGITS = re.compile(r"\d+")
_DROP = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    text = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _DIGITS.sub("0", text)
    return _DROP.sub("", text)


def block_examples(block: str) -> list[str]:
    """The ``- example`` lines of a Rasa NLU ``examples: |`` block."""
    found = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            found.append(line[2:].strip())
    return found


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, example) of every intent block in a Rasa NLU file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (str(item["intent"]), example)
        for item in doc.get("nlu") or []
        if "intent" in item
        for example in block_examples(item.get("examples") or "")
    ]


def story_user_turns(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        str(step["user"]).strip()
        for story in doc.get("stories") or []
        for step in story.get("steps") or []
        if "user" in step
    ]


def index(phrasings: Iterable[str]) -> dict[str, str]:
    """normalised text -> the first original phrasing with that text."""
    found: dict[str, str] = {}
    for phrase in phrasings:
        found.setdefault(normalise(phrase), phrase)
    return found


def training_examples(training_dir: Path) -> dict[str, str]:
    """normalised text -> the original training example, over every NLU file under the folder."""
    return index(
        example
        for path in sorted(training_dir.rglob("*.yml"))
        for _intent, example in nlu_examples(path)
    )


def overlap(phrase: str, known: dict[str, str], keys: list[str] | None = None) -> str | None:
    """Why ``phrase`` counts as one of ``known`` (normalised -> original), or None."""
    key = normalise(phrase)
    if not key or key == "0":
        return None  # a bare number: the regex extractor reads it, not the classifier
    if key in known:
        return f"{phrase!r} is {known[key]!r}"
    if len(key) < MIN_CHARS:
        return None
    best = process.extractOne(
        key, keys if keys is not None else list(known), scorer=fuzz.ratio, score_cutoff=SIMILAR
    )
    if best is not None:
        return f"{phrase!r} is {best[1]:.0f}% like {known[best[0]]!r}"
    return None


def overlaps(phrasings: Iterable[str], training: dict[str, str]) -> list[str]:
    """Why each of ``phrasings`` counts as trained on (empty: none does)."""
    keys = list(training)
    return [why for phrase in phrasings if (why := overlap(phrase, training, keys)) is not None]

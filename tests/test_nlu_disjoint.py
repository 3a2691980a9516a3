"""The held-out NLU file and the test stories' user turns stay out of the training data.

A phrasing counts as trained on when, after normalisation (Unicode NFKC, case, punctuation and
white space removed, every digit run replaced by one 0, entity annotations ``[text](entity)``
reduced to their text), it equals a training example or is at least 90% similar to one
(rapidfuzz's ``ratio``). A bare number (an order number typed alone) is exempt: every one of
them normalises to the same text, and the entity extractor, not the classifier, reads it.
Held-out misses are reported by ``make eval``, never copied into
training: a copied miss fails this test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
TRAINING_DIR = ROOT / "rasa_project" / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
TEST_STORIES = ROOT / "rasa_project" / "tests" / "test_stories.yml"
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


def _examples(block: str) -> Iterable[str]:
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("- "):
            yield line[2:].strip()


def nlu_examples(path: Path) -> list[tuple[str, str]]:
    """(intent, example) of every intent block in a Rasa NLU file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        (str(item["intent"]), example)
        for item in doc.get("nlu") or []
        if "intent" in item
        for example in _examples(item.get("examples") or "")
    ]


def story_user_turns(path: Path) -> list[str]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        str(step["user"]).strip()
        for story in doc.get("stories") or []
        for step in story.get("steps") or []
        if "user" in step
    ]


def training_examples() -> dict[str, str]:
    """normalised text -> the original training example."""
    found: dict[str, str] = {}
    for path in sorted(TRAINING_DIR.rglob("*.yml")):
        for _intent, example in nlu_examples(path):
            found.setdefault(normalise(example), example)
    return found


def overlaps(phrasings: Iterable[str], training: dict[str, str]) -> list[str]:
    keys = list(training)
    found = []
    for phrase in phrasings:
        key = normalise(phrase)
        if not key or key == "0":
            continue  # a bare number: the regex extractor reads it, not the classifier
        if key in training:
            found.append(f"{phrase!r} is the training example {training[key]!r}")
            continue
        if len(key) < MIN_CHARS:
            continue
        best = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=SIMILAR)
        if best is not None:
            found.append(f"{phrase!r} is {best[1]:.0f}% like {training[best[0]]!r}")
    return found


@pytest.fixture(scope="module")
def training() -> dict[str, str]:
    examples = training_examples()
    assert len(examples) > 1000
    return examples


def test_no_held_out_phrasing_is_a_training_example(training: dict[str, str]) -> None:
    held_out = [example for _intent, example in nlu_examples(HOLDOUT)]
    assert len(held_out) > 400
    assert overlaps(held_out, training) == []


def test_no_test_story_user_turn_is_a_training_example(training: dict[str, str]) -> None:
    turns = story_user_turns(TEST_STORIES)
    assert len(turns) > 50
    assert overlaps(turns, training) == []


def test_normalisation_and_similarity_catch_near_copies() -> None:
    training = {
        normalise(x): x for x in ["Where is my order 260315004217?", "我要退货，衣服太小了"]
    }
    assert overlaps(["where is my ORDER 123456789012"], training)  # case, digits, punctuation
    assert overlaps(["我要退货 衣服太小了！"], training)  # punctuation and spaces
    assert overlaps(["where's my order 260315004217"], training)  # over 90% alike
    assert overlaps(["[260315004217](order_id) where is my order"], training)  # annotation
    assert overlaps(["can I change the delivery address"], training) == []

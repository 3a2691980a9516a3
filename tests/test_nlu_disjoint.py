"""The held-out NLU files and the test stories' user turns stay out of the training data.

The rule lives in bot/studio/overlap.py (the studio refuses such training examples too):

A phrasing counts as trained on when, after normalisation (Unicode NFKC, case, punctuation and
white space removed, every digit run replaced by one 0, entity annotations ``[text](entity)``
reduced to their text), it equals a training example or is at least 90% similar to one
(rapidfuzz's ``ratio``). A bare number (an order number typed alone) is exempt: every one of
them normalises to the same text, and the entity extractor, not the classifier, reads it.
Held-out misses are reported by ``make eval``, never copied into
training: a copied miss fails this test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.studio import overlap
from bot.studio.overlap import nlu_examples, normalise, overlaps, story_user_turns

ROOT = Path(__file__).resolve().parents[1]
TRAINING_DIR = ROOT / "rasa_project" / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
NOISY_HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout_noisy.yml"  # slang, typos, code-switching
TEST_STORIES = ROOT / "rasa_project" / "tests" / "test_stories.yml"


def training_examples() -> dict[str, str]:
    """normalised text -> the original training example."""
    return overlap.training_examples(TRAINING_DIR)


@pytest.fixture(scope="module")
def training() -> dict[str, str]:
    examples = training_examples()
    assert len(examples) > 1000
    return examples


@pytest.mark.parametrize(("path", "least"), [(HOLDOUT, 400), (NOISY_HOLDOUT, 300)])
def test_no_held_out_phrasing_is_a_training_example(
    training: dict[str, str], path: Path, least: int
) -> None:
    held_out = [example for _intent, example in nlu_examples(path)]
    assert len(held_out) > least
    assert overlaps(held_out, training) == []


def test_the_studio_refuses_every_held_out_file() -> None:
    """The studio's config lists both files, so it refuses their phrasings as training data."""
    studio = load_config(path=ROOT / "config.yml", env={}).studio
    listed = {(ROOT / path).resolve() for path in (studio.holdout, *studio.extra_holdouts)}
    assert listed == {HOLDOUT, NOISY_HOLDOUT}


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


def test_no_training_example_is_written_twice() -> None:
    """A phrasing written twice (in two files or under two intents) weighs double in training
    and makes the studio refuse the intent's next edit as a duplicate. Variants that differ
    only in punctuation or emoji ("thanks" / "thanks!!") are kept on purpose: the featurizers
    see them."""
    seen: dict[str, tuple[str, str]] = {}
    twice = []
    for path in sorted(TRAINING_DIR.glob("*.yml")):
        for intent, example in nlu_examples(path):
            key = " ".join(example.casefold().split())
            if key in seen:
                twice.append(f"{example!r} ({path.name}, {intent}) also in {seen[key]}")
            else:
                seen[key] = (path.name, intent)
    assert twice == []

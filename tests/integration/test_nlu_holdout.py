"""Held-out phrasings (never trained on) through the real Rasa server's /model/parse
(the scoring is :mod:`bot.nlu_holdout`, which ``make eval`` writes into reports/nlu.json)."""

from __future__ import annotations

import pytest

from bot.launcher import Stack
from bot.nlu_holdout import NOISY_HOLDOUT_PATH, load_holdout, rasa_parse, score

pytestmark = pytest.mark.integration


def test_holdout_intent_accuracy_and_order_ids(stack: Stack) -> None:
    examples = load_holdout()
    assert len(examples) >= 300, "the held-out set should cover every intent in both languages"
    result = score(examples, rasa_parse(stack.rasa_url, stack.rasa_auth_token))
    print(f"held-out intent accuracy {result.accuracy:.3f} on {result.examples} examples")
    print(f"faq sub-intent accuracy {result.faq_correct}/{result.faq_total}")
    print("most common confusions:", result.misses.most_common(10))
    assert result.accuracy >= 0.90, result.misses.most_common(15)
    assert result.ids_total >= 20
    assert result.ids_found == result.ids_total, (
        f"order ids extracted {result.ids_found}/{result.ids_total}"
    )


def test_noisy_holdout_per_language_and_order_ids(stack: Stack) -> None:
    """The second, noisy held-out file (phone-typed phrasings): scored per language; a floor
    against regressions, well below the goal of 0.95 per language (issue 18)."""
    examples = load_holdout(NOISY_HOLDOUT_PATH)
    assert len(examples) >= 300
    result = score(examples, rasa_parse(stack.rasa_url, stack.rasa_auth_token))
    for lang in ("zh", "en"):
        print(f"noisy held-out {lang}: {result.language_accuracy(lang):.3f}")
    assert sorted(result.per_language) == ["en", "zh"]
    assert result.ids_total >= 15
    assert result.ids_found == result.ids_total, f"order ids {result.ids_found}/{result.ids_total}"
    assert result.accuracy >= 0.80, result.missed

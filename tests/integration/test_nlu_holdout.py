"""Held-out phrasings (never trained on) through the real Rasa server's /model/parse
(the scoring is :mod:`bot.nlu_holdout`, which ``make eval`` writes into reports/nlu.json)."""

from __future__ import annotations

import pytest

from bot.launcher import Stack
from bot.nlu_holdout import load_holdout, rasa_parse, score

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

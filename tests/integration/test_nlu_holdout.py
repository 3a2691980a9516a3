"""Held-out phrasings (never trained on) through the real Rasa server's /model/parse."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest
import yaml

from bot.launcher import Stack
from tests.integration.helpers import http_json, repo_path

pytestmark = pytest.mark.integration

_ENTITY = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>[a-z_]+)\)")


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # full retrieval intent for faq, e.g. "faq/shipping_time"
    entities: tuple[tuple[str, str], ...]  # (entity, value)


def load_holdout() -> list[Example]:
    doc = yaml.safe_load(repo_path("tests", "data", "nlu_holdout.yml").read_text(encoding="utf-8"))
    examples: list[Example] = []
    for block in doc["nlu"]:
        if "intent" not in block:
            continue
        for line in str(block["examples"]).splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            marked = line[2:].strip()
            entities = tuple((m["entity"], m["text"]) for m in _ENTITY.finditer(marked))
            text = _ENTITY.sub(lambda m: m["text"], marked)
            examples.append(Example(text, block["intent"], entities))
    return examples


def test_holdout_intent_accuracy_and_order_ids(stack: Stack) -> None:
    examples = load_holdout()
    assert len(examples) >= 300, "the held-out set should cover every intent in both languages"
    correct = 0
    faq_total = faq_correct = 0
    ids_total = ids_found = 0
    misses: Counter[str] = Counter()
    parse_url = f"{stack.rasa_url}/model/parse?token={stack.rasa_auth_token}"
    for ex in examples:
        result = http_json("POST", parse_url, {"text": ex.text})
        assert result.status == 200, result.body
        parsed = result.body
        predicted = parsed["intent"]["name"]
        expected_top = ex.intent.split("/")[0]
        if predicted == expected_top:
            correct += 1
        else:
            misses[f"{ex.intent} -> {predicted}"] += 1
        if expected_top == "faq":
            faq_total += 1
            selected = (
                parsed.get("response_selector", {})
                .get("faq", {})
                .get("response", {})
                .get("intent_response_key")
            )
            faq_correct += int(predicted == "faq" and selected == ex.intent)
        for entity, value in ex.entities:
            if entity != "order_id":
                continue
            ids_total += 1
            found = {(e["entity"], str(e["value"])) for e in parsed.get("entities", [])}
            ids_found += int((entity, value) in found)
    accuracy = correct / len(examples)
    print(f"held-out intent accuracy {accuracy:.3f} on {len(examples)} examples")
    print(f"faq sub-intent accuracy {faq_correct}/{faq_total}")
    print("most common confusions:", misses.most_common(10))
    assert accuracy >= 0.90, misses.most_common(15)
    assert ids_total >= 20
    assert ids_found == ids_total, f"order ids extracted {ids_found}/{ids_total}"

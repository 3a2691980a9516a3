"""The held-out NLU phrasings (never trained on), scored through a running Rasa server's
``/model/parse`` exactly as the assistant sees them: a fallback or any other intent counts as
wrong, FAQ answers must pick the right response, order numbers must be extracted. Two files:
tests/data/nlu_holdout.yml (tidy phrasings) and tests/data/nlu_holdout_noisy.yml (as typed on
phones: slang, typos, code-switching, Taobao register, long messages). Each score is split by
language (the assistant's own detection) and lists its misses, which are reported, never copied
into training.

Used by ``make eval`` (:mod:`bot.eval_nlu`, which starts a seeded stack for it) and by
``tests/integration/test_nlu_holdout.py`` (which scores against its session's stack).
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.i18n.language import detect_language
from bot.launcher import seeded_stack

HOLDOUT_PATH = REPO_ROOT / "tests" / "data" / "nlu_holdout.yml"
NOISY_HOLDOUT_PATH = REPO_ROOT / "tests" / "data" / "nlu_holdout_noisy.yml"
_ENTITY = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<entity>[a-z_]+)\)")

Parse = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Example:
    text: str
    intent: str  # full retrieval intent for faq, e.g. "faq/shipping_time"
    entities: tuple[tuple[str, str], ...]  # (entity, value)


def load_holdout(path: Path = HOLDOUT_PATH) -> list[Example]:
    """The examples of a Rasa NLU YAML file, entity annotations resolved to plain text."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
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


@dataclass(frozen=True)
class Miss:
    text: str
    lang: str
    expected: str
    predicted: str | None


@dataclass
class HoldoutScore:
    examples: int = 0
    correct: int = 0
    faq_total: int = 0
    faq_correct: int = 0
    ids_total: int = 0
    ids_found: int = 0
    misses: Counter[str] = field(default_factory=Counter)
    per_intent: dict[str, list[int]] = field(default_factory=dict)  # intent -> [correct, n]
    per_language: dict[str, list[int]] = field(default_factory=dict)  # "zh"/"en" -> [correct, n]
    missed: list[Miss] = field(default_factory=list)  # wrong intents and FAQ answers, in order

    @property
    def accuracy(self) -> float:
        return self.correct / self.examples if self.examples else 0.0

    def language_accuracy(self, lang: str) -> float:
        ok, n = self.per_language.get(lang, (0, 0))
        return ok / n if n else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "correct": self.correct,
            "accuracy": round(self.accuracy, 4),
            "faq_total": self.faq_total,
            "faq_correct": self.faq_correct,
            "order_ids_total": self.ids_total,
            "order_ids_found": self.ids_found,
            "recall_per_intent": {
                intent: round(ok / n, 4) for intent, (ok, n) in sorted(self.per_intent.items())
            },
            "confusions": dict(self.misses.most_common()),
            "per_language": {
                lang: {"examples": n, "correct": ok, "accuracy": round(ok / n, 4)}
                for lang, (ok, n) in sorted(self.per_language.items())
            },
            "misses": [
                {"text": m.text, "lang": m.lang, "expected": m.expected, "predicted": m.predicted}
                for m in self.missed
            ],
        }


def score(examples: Sequence[Example], parse: Parse) -> HoldoutScore:
    """Each example through ``parse`` (a ``/model/parse`` call): intent, FAQ answer, order ids."""
    result = HoldoutScore()
    for ex in examples:
        parsed = parse(ex.text)
        predicted = (parsed.get("intent") or {}).get("name")
        expected_top = ex.intent.split("/")[0]
        hit = predicted == expected_top
        result.examples += 1
        result.correct += int(hit)
        tally = result.per_intent.setdefault(expected_top, [0, 0])
        tally[0] += int(hit)
        tally[1] += 1
        lang = detect_language(ex.text)
        by_lang = result.per_language.setdefault(lang, [0, 0])
        by_lang[0] += int(hit)
        by_lang[1] += 1
        if not hit:
            result.misses[f"{ex.intent} -> {predicted}"] += 1
            result.missed.append(Miss(ex.text, lang, ex.intent, predicted))
        if expected_top == "faq":
            result.faq_total += 1
            selected = (
                parsed.get("response_selector", {})
                .get("faq", {})
                .get("response", {})
                .get("intent_response_key")
            )
            result.faq_correct += int(hit and selected == ex.intent)
            if hit and selected != ex.intent:  # the right intent, the wrong FAQ answer
                result.missed.append(Miss(ex.text, lang, ex.intent, selected))
        for entity, value in ex.entities:
            if entity != "order_id":
                continue
            result.ids_total += 1
            found = {(e["entity"], str(e["value"])) for e in parsed.get("entities", [])}
            result.ids_found += int((entity, value) in found)
    return result


def rasa_parse(rasa_url: str, token: str, timeout_s: float = 60.0) -> Parse:
    """A ``/model/parse`` call on a running Rasa server; a non-200 answer raises."""

    def parse(text: str) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{rasa_url}/model/parse?token={token}",
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout_s) as resp:
                body: dict[str, Any] = json.loads(resp.read())
                return body
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"/model/parse answered {exc.code} for {text!r}") from exc

    return parse


@contextmanager
def live_parse(tmp: Path, model: Path | None = None) -> Iterator[Parse]:
    """The assistant as ``make run`` starts it (a freshly seeded SQLite shop in ``tmp``, free
    loopback ports), yielding its Rasa server's ``/model/parse``."""
    # The gateway refuses to start without these; nothing here uses them.
    secrets_env = {
        "WEB_IDENTITY_SECRET": secrets.token_urlsafe(32),
        "ADMIN_TOKEN": secrets.token_urlsafe(32),
    }
    with seeded_stack(tmp, secrets_env, model) as stack:
        yield rasa_parse(stack.rasa_url, stack.rasa_auth_token)

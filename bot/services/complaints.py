"""Complaints: what the customer complains about, how severe it is, and by when to answer.

- :class:`~bot.services.complaint_classifier.ComplaintClassifier` is a multinomial logistic
  regression on TF-IDF features of the message (:mod:`bot.services.complaint_classifier`).
- :class:`~bot.services.complaint_keywords.KeywordClassifier` is the baseline it is measured
  against: hand-picked keywords per type, most hits wins.
- :func:`assess` turns the type, the message's sentiment (a score in [-1, 1] from any
  sentiment model), the customer's value and their complaint history into a severity, an SLA
  deadline (``aftersales.complaint_sla_hours``) and whether a human should take over.

``python -m bot.services.complaints --report`` evaluates both classifiers on a held-out split
and writes ``reports/complaints.md`` (:mod:`bot.services.complaint_evaluation`).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, get_args

from bot.config import AftersalesConfig
from bot.report_stamp import stamp
from bot.services.complaint_classifier import (
    DATA_PATH,
    Classification,
    ComplaintType,
    load_classifier,
    load_examples,
    normalise,
)
from bot.services.complaint_evaluation import evaluate, render_report, report_json
from bot.services.complaint_keywords import keyword_pattern
from bot.services.emotion import cues

Level = Literal["low", "medium", "high", "critical"]
LEVELS: tuple[Level, ...] = get_args(Level)

# Severity --------------------------------------------------------------------------------------
# Points per type: what the complaint costs the customer (money stuck, goods unusable) counts
# more than an inconvenience.
TYPE_POINTS: Mapping[ComplaintType, int] = {
    "delivery_delay": 1,
    "damaged_in_transit": 2,
    "quality_defect": 2,
    "wrong_or_missing_item": 2,
    "service_attitude": 2,
    "courier_conduct": 1,
    "refund_delay": 2,
    "price_or_promotion": 1,
    "other": 0,
}
LEVEL_FLOOR: Mapping[Level, int] = {"low": 0, "medium": 2, "high": 4, "critical": 6}
# Words that make any complaint urgent: a danger to the customer's health or safety
# (critical), or a threat to go to regulators, courts or the press (at least high).
SAFETY_WORDS = (
    "起火",
    "着火",
    "冒烟",
    "爆炸",
    "炸了",
    "漏电",
    "触电",
    "烫伤",
    "烧伤",
    "受伤",
    "中毒",
    "过敏",
    "住院",
    "fire",
    "smoke",
    "smoking",
    "explode",
    "exploded",
    "electric shock",
    "burned",
    "burnt",
    "injured",
    "poisoning",
    "allergic reaction",
    "hospital",
)
ESCALATION_WORDS = (
    "12315",
    "消协",
    "消费者协会",
    "工商",
    "市场监管",
    "律师",
    "起诉",
    "法院",
    "曝光",
    "媒体",
    "lawyer",
    "solicitor",
    "sue ",
    "court",
    "trading standards",
    "consumer protection",
    "ombudsman",
    "chargeback",
    "the press",
    "journalist",
)


@dataclass(frozen=True)
class Severity:
    """How urgent a complaint is and why."""

    complaint_type: ComplaintType
    confidence: float
    sentiment: float | None
    points: int
    level: Level
    sla: timedelta  # the shop's answer is due this long after the complaint
    factors: tuple[str, ...]  # why: "type:refund_delay", "very_negative", "vip", ...

    @property
    def needs_human(self) -> bool:
        """High and critical complaints go to a person (handoff) or are flagged for staff."""
        return self.level in ("high", "critical")


def assess(
    classification: Classification,
    *,
    text: str,
    sentiment: float | None,
    segment: str | None,
    prior_complaints: int,
    rules: AftersalesConfig,
) -> Severity:
    """Severity from the type, the customer's frustration, value and history.

    ``sentiment`` is a score in [-1, 1] (negative below 0) or None when unknown;
    ``prior_complaints`` counts the customer's complaints in the configured history window.
    """
    if sentiment is not None and not -1.0 <= sentiment <= 1.0:
        raise ValueError(f"sentiment must be in [-1, 1] or None, got {sentiment}")
    if prior_complaints < 0:
        raise ValueError(f"prior_complaints must be 0 or more, got {prior_complaints}")
    kind = classification.complaint_type
    points = TYPE_POINTS[kind]
    factors = [f"type:{kind}"]
    # The sentiment model reads nearly every complaint as negative, calm ones included (measured
    # -0.18 to -0.98 on calm ones, -0.90 to -1.0 on angry ones), so its score alone cannot tell
    # them apart: it counts only when the words show frustration (shouting, "!!", "third time",
    # angry words), and such words count once even when the model missed them.
    frustration = cues(text, complaint_words=False)
    if frustration:
        factors.extend(f"cue:{cue}" for cue in frustration)
        if sentiment is not None and sentiment <= -0.75:
            points += 2
            factors.append("very_negative")
        else:
            points += 1
            factors.append("negative" if sentiment is not None and sentiment <= -0.35 else "upset")
    if segment and segment in rules.vip_segments:
        points += 1
        factors.append(f"segment:{segment}")
    if prior_complaints >= 3:
        points += 2
        factors.append(f"history:{prior_complaints}")
    elif prior_complaints >= 1:
        points += 1
        factors.append(f"history:{prior_complaints}")
    level = _level(points)
    norm = normalise(text)
    if _mentions(norm, ESCALATION_WORDS):
        factors.append("escalation_threat")
        level = _max_level(level, "high")
    if _mentions(norm, SAFETY_WORDS):
        factors.append("safety")
        level = "critical"
    return Severity(
        complaint_type=kind,
        confidence=classification.confidence,
        sentiment=sentiment,
        points=points,
        level=level,
        sla=timedelta(hours=rules.complaint_sla_hours[level]),
        factors=tuple(factors),
    )


@functools.cache
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(keyword_pattern(word) for word in words)


def _mentions(norm: str, words: tuple[str, ...]) -> bool:
    return any(pattern.search(norm) for pattern in _patterns(words))


def _level(points: int) -> Level:
    level: Level = "low"
    for name in LEVELS:
        if points >= LEVEL_FLOOR[name]:
            level = name
    return level


def _max_level(a: Level, b: Level) -> Level:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--report", action="store_true", help="evaluate and write the report")
    parser.add_argument("--out", default="reports/complaints.md", help="report path")
    parser.add_argument("--data", default=str(DATA_PATH), help="labelled messages (YAML)")
    parser.add_argument("text", nargs="*", help="messages to classify")
    args = parser.parse_args(argv)
    if args.report:
        examples = load_examples(Path(args.data))
        result = evaluate(examples)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        stamped = stamp()
        out.write_text(render_report(result, examples, stamped), encoding="utf-8")
        out.with_suffix(".json").write_text(
            json.dumps(report_json(result, examples, stamped), indent=2) + "\n",
            encoding="utf-8",
        )
        print(
            f"macro-F1 held-out: model {result.model_f1:.3f}, keyword baseline "
            f"{result.baseline_f1:.3f}; report written to {out}"
        )
        return 0
    if not args.text:
        parser.error("give messages to classify, or --report")
    model = load_classifier()
    for text in args.text:
        verdict = model.classify(text)
        print(f"{verdict.complaint_type}\t{verdict.confidence:.2f}\t{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How well the complaint classifier and the keyword baseline do: macro-F1 on a held-out split
and in cross-validation, and the report ``reports/complaints.md``."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.report_stamp import format_stamp
from bot.services.complaint_classifier import (
    COMPLAINT_TYPES,
    DEFAULT_SEED,
    TEST_FRACTION,
    ComplaintClassifier,
    Example,
    split_examples,
)
from bot.services.complaint_keywords import KeywordClassifier


# Metrics ---------------------------------------------------------------------------------------
def f1_per_class(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = COMPLAINT_TYPES
) -> dict[str, float]:
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    scores: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        scores[label] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return scores


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of the per-type F1 scores (every type counts the same)."""
    scores = f1_per_class(truth, predicted)
    return sum(scores.values()) / len(scores)


# Report ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    model_f1: float
    baseline_f1: float
    model_by_lang: Mapping[str, float]
    baseline_by_lang: Mapping[str, float]
    model_per_class: Mapping[str, float]
    baseline_per_class: Mapping[str, float]
    confusion: Mapping[tuple[str, str], int]
    n_train: int
    n_test: int
    cv_model: tuple[float, ...]
    cv_baseline: tuple[float, ...]
    train_seconds: float


def evaluate(examples: Sequence[Example], seed: int = DEFAULT_SEED, folds: int = 5) -> Evaluation:
    """Held-out macro-F1 of the model and the keyword baseline, plus k-fold CV scores."""
    train, test = split_examples(examples, seed=seed)
    started = time.perf_counter()
    model = ComplaintClassifier().fit([e.text for e in train], [e.label for e in train])
    seconds = time.perf_counter() - started
    baseline = KeywordClassifier()
    truth = [e.label for e in test]
    predicted = model.predict([e.text for e in test])
    base_predicted = baseline.predict([e.text for e in test])

    def by_lang(pred: Sequence[str]) -> dict[str, float]:
        out = {}
        for lang in ("zh", "en"):
            idx = [i for i, e in enumerate(test) if e.lang == lang]
            out[lang] = macro_f1([truth[i] for i in idx], [pred[i] for i in idx])
        return out

    cv_model: list[float] = []
    cv_base: list[float] = []
    rng = random.Random(seed)
    shuffled = list(examples)
    rng.shuffle(shuffled)
    for k in range(folds):
        held = [e for i, e in enumerate(shuffled) if i % folds == k]
        rest = [e for i, e in enumerate(shuffled) if i % folds != k]
        fold_model = ComplaintClassifier().fit([e.text for e in rest], [e.label for e in rest])
        held_truth = [e.label for e in held]
        cv_model.append(macro_f1(held_truth, fold_model.predict([e.text for e in held])))
        cv_base.append(macro_f1(held_truth, baseline.predict([e.text for e in held])))
    return Evaluation(
        model_f1=macro_f1(truth, predicted),
        baseline_f1=macro_f1(truth, base_predicted),
        model_by_lang=by_lang(predicted),
        baseline_by_lang=by_lang(base_predicted),
        model_per_class=f1_per_class(truth, predicted),
        baseline_per_class=f1_per_class(truth, base_predicted),
        confusion=Counter(zip(truth, predicted, strict=True)),
        n_train=len(train),
        n_test=len(test),
        cv_model=tuple(cv_model),
        cv_baseline=tuple(cv_base),
        train_seconds=seconds,
    )


def report_json(
    result: Evaluation, examples: Sequence[Example], stamped: dict[str, Any]
) -> dict[str, Any]:
    """reports/complaints.json: the headline numbers of the Markdown report, stamped."""
    return {
        "stamp": stamped,
        "messages": len(examples),
        "n_train": result.n_train,
        "n_test": result.n_test,
        "model_macro_f1": round(result.model_f1, 4),
        "baseline_macro_f1": round(result.baseline_f1, 4),
        "model_macro_f1_by_lang": {k: round(v, 4) for k, v in result.model_by_lang.items()},
        "baseline_macro_f1_by_lang": {k: round(v, 4) for k, v in result.baseline_by_lang.items()},
        "cv_model_mean": round(float(np.mean(result.cv_model)), 4),
        "cv_baseline_mean": round(float(np.mean(result.cv_baseline)), 4),
        "train_seconds": round(result.train_seconds, 2),
    }


def render_report(result: Evaluation, examples: Sequence[Example], stamped: dict[str, Any]) -> str:
    counts = Counter((e.label, e.lang) for e in examples)
    lines = [
        "# Complaint classifier",
        "",
        format_stamp(stamped),
        "",
        "Written by `python -m bot.services.complaints --report` from "
        "`bot/services/data/complaints.yml` "
        f"({len(examples)} hand-written messages, {len(COMPLAINT_TYPES)} types, "
        "Chinese and English).",
        "",
        f"Held-out split: {int(TEST_FRACTION * 100)}% of each type and language "
        f"(seed {DEFAULT_SEED}); {result.n_train} training and {result.n_test} test messages. "
        "Model: logistic regression on TF-IDF of character 1-3-grams, jieba words and word "
        f"bigrams (trained in {result.train_seconds:.1f} s). Baseline: keyword hits per type.",
        "",
        "## Macro-F1 on the held-out split",
        "",
        "| | all | zh | en |",
        "|---|---|---|---|",
        f"| model | {result.model_f1:.3f} | {result.model_by_lang['zh']:.3f} "
        f"| {result.model_by_lang['en']:.3f} |",
        f"| keyword baseline | {result.baseline_f1:.3f} | {result.baseline_by_lang['zh']:.3f} "
        f"| {result.baseline_by_lang['en']:.3f} |",
        "",
        f"5-fold cross-validation over all messages: model "
        f"{np.mean(result.cv_model):.3f} ± {np.std(result.cv_model):.3f}, baseline "
        f"{np.mean(result.cv_baseline):.3f} ± {np.std(result.cv_baseline):.3f}.",
        "",
        "## F1 per type (held-out)",
        "",
        "| type | messages (zh/en) | model | baseline |",
        "|---|---|---|---|",
    ]
    for label in COMPLAINT_TYPES:
        lines.append(
            f"| {label} | {counts[(label, 'zh')]}/{counts[(label, 'en')]} "
            f"| {result.model_per_class[label]:.3f} | {result.baseline_per_class[label]:.3f} |"
        )
    short = {label: label.split("_")[0][:8] for label in COMPLAINT_TYPES}
    lines += [
        "",
        "## Confusion of the model (rows: true type, columns: predicted)",
        "",
        "| | " + " | ".join(short[label] for label in COMPLAINT_TYPES) + " |",
        "|---" * (len(COMPLAINT_TYPES) + 1) + "|",
    ]
    for truth in COMPLAINT_TYPES:
        cells = [str(result.confusion.get((truth, p), 0)) for p in COMPLAINT_TYPES]
        lines.append(f"| {truth} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Severity is not learned: it is a rule over the type, the sentiment score, the "
        "customer segment and the number of earlier complaints, raised to high for threats "
        "to go to regulators or the press and to critical for safety hazards "
        "(`bot/services/complaints.py`, `assess`).",
        "",
    ]
    return "\n".join(lines)

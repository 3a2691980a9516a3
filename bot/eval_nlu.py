"""`make eval`: NLU cross-validation and held-out evaluation, summarised into reports/.

Runs Rasa's own 5-fold cross-validation (`rasa test nlu --cross-validation`) on the training
data in the Rasa environment, then scores the two held-out sets (tests/data/nlu_holdout.yml and
the noisy tests/data/nlu_holdout_noisy.yml, never trained on) through one live server's
``/model/parse`` (:mod:`bot.nlu_holdout`: a fallback counts as wrong). Writes
reports/nlu_report.md (per-intent precision, recall and F1 and the confusions of the
cross-validation; for each held-out set its accuracy per language, recall per intent, confusions
and every miss) and reports/nlu.json (the headline numbers: ``holdout`` and ``holdout_noisy``),
both stamped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from bot.nlu_holdout import (
    HOLDOUT_PATH,
    NOISY_HOLDOUT_PATH,
    HoldoutScore,
    live_parse,
    load_holdout,
    score,
)
from bot.report_stamp import format_stamp, stamp

RASA_DIR = REPO_ROOT / "rasa_project"
RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


def _rasa(args: list[str]) -> None:
    env = dict(os.environ, PYTHONPATH=str(RASA_DIR), RASA_TELEMETRY_ENABLED="false")
    subprocess.run([str(RASA_BIN), *args], cwd=RASA_DIR, env=env, check=True)


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def confusion(
    successes: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> Counter[tuple[str, str]]:
    """(true intent, predicted intent) counts from Rasa's successes and errors files."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in [*successes, *errors]:
        predicted = (row.get("intent_prediction") or {}).get("name") or "None"
        counts[(row["intent"], predicted)] += 1
    return counts


def render_section(title: str, out_dir: Path) -> list[str]:
    report = _load(out_dir / "intent_report.json")
    if report is None:
        return [f"## {title}", "", f"(no report in {out_dir})", ""]
    lines = [f"## {title}", ""]
    overall = report.get("weighted avg", {})
    acc = report.get("accuracy")
    if acc is not None:
        lines.append(f"Accuracy **{acc:.3f}**, weighted F1 **{overall.get('f1-score', 0):.3f}**, ")
        lines.append(f"macro F1 **{report.get('macro avg', {}).get('f1-score', 0):.3f}**.")
        lines.append("")
    lines += ["| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for intent, row in sorted(report.items()):
        if not isinstance(row, dict) or intent.endswith(" avg"):
            continue
        lines.append(
            f"| {intent} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['f1-score']:.3f} | {row['support']} |"
        )
    selection = _load(out_dir / "response_selection_report.json")
    if isinstance(selection, dict) and "accuracy" in selection:
        lines += ["", f"FAQ response selection accuracy **{selection['accuracy']:.3f}**."]
    counts = confusion(
        _load(out_dir / "intent_successes.json") or [], _load(out_dir / "intent_errors.json") or []
    )
    off_diagonal = sorted(((n, t, p) for (t, p), n in counts.items() if t != p), reverse=True)
    lines += ["", "Confusions (true -> predicted, count):", ""]
    lines += [f"- {t} -> {p}: {n}" for n, t, p in off_diagonal[:30]] or ["- none"]
    image = out_dir / "intent_confusion_matrix.png"
    if image.exists():
        # Rasa's result folders are not committed; the picture is, next to this report.
        kept = out_dir.parent / f"{out_dir.name}-confusion.png"
        shutil.copyfile(image, kept)
        lines += ["", f"![Intent confusion matrix ({title})]({kept.name})", ""]
    return lines


def cv_summary(out_dir: Path, folds: int) -> dict[str, Any] | None:
    """The headline numbers of Rasa's cross-validation reports, or None without them."""
    report = _load(out_dir / "intent_report.json")
    if report is None:
        return None
    selection = _load(out_dir / "response_selection_report.json")
    return {
        "folds": folds,
        "examples": sum(
            int(row.get("support", 0))
            for key, row in report.items()
            if isinstance(row, dict) and not key.endswith(" avg")
        ),
        "accuracy": round(float(report["accuracy"]), 4),
        "macro_f1": round(float(report["macro avg"]["f1-score"]), 4),
        "weighted_f1": round(float(report["weighted avg"]["f1-score"]), 4),
        "faq_selection_accuracy": (
            round(float(selection["accuracy"]), 4)
            if isinstance(selection, dict) and "accuracy" in selection
            else None
        ),
    }


def render_holdout(result: HoldoutScore, path: Path = HOLDOUT_PATH) -> list[str]:
    name = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    by_lang = sorted(result.per_language.items())
    languages = "; ".join(f"{lang} **{ok / n:.3f}** ({ok}/{n})" for lang, (ok, n) in by_lang)
    lines = [
        f"## Held-out set ({name}, through the live server's /model/parse)",
        "",
        f"Accuracy **{result.accuracy:.3f}** ({result.correct}/{result.examples}; a fallback "
        f"counts as wrong); FAQ answer {result.faq_correct}/{result.faq_total}; order numbers "
        f"extracted {result.ids_found}/{result.ids_total}.",
        "",
        f"Per language: {languages or 'none'}.",
        "",
        "| intent | recall | examples |",
        "|---|---|---|",
    ]
    lines += [
        f"| {intent} | {ok / n:.3f} | {n} |"
        for intent, (ok, n) in sorted(result.per_intent.items())
    ]
    lines += ["", "Confusions (expected -> predicted, count):", ""]
    lines += [f"- {miss}: {n}" for miss, n in result.misses.most_common(30)] or ["- none"]
    # Reported so they can be read, never copied into training (tests/test_nlu_disjoint.py).
    lines += ["", "Misses (language, phrasing, expected -> predicted):", ""]
    lines += [f"- {m.lang} `{m.text}`: {m.expected} -> {m.predicted}" for m in result.missed] or [
        "- none"
    ]
    return [*lines, ""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--cv-results",
        type=Path,
        help="a finished `rasa test nlu --cross-validation --successes` output folder to report "
        "instead of running the cross-validation again (it is the slow part)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    cv_dir = out / "nlu-cv"
    if args.cv_results is not None:
        if not (args.cv_results / "intent_report.json").is_file():
            parser.error(f"--cv-results {args.cv_results}: no intent_report.json there")
        if args.cv_results.resolve() != cv_dir:
            shutil.rmtree(cv_dir, ignore_errors=True)
            shutil.copytree(args.cv_results, cv_dir)
    else:
        _run_cv(args.folds, cv_dir)
    _report(out, cv_dir, args.folds)
    return 0


def _run_cv(folds: int, cv_dir: Path) -> None:
    _rasa(
        [
            "test",
            "nlu",
            "--nlu",
            "data/nlu",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(folds),
            "--successes",
            "--out",
            str(cv_dir),
        ]
    )


def _report(out: Path, cv_dir: Path, folds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, live_parse(Path(tmp)) as parse:
        holdout = score(load_holdout(HOLDOUT_PATH), parse)
        noisy = score(load_holdout(NOISY_HOLDOUT_PATH), parse)
    stamped = stamp()
    lines = ["# NLU evaluation", "", format_stamp(stamped), ""]
    lines += render_section(f"{folds}-fold cross-validation (training data)", cv_dir)
    lines += render_holdout(holdout, HOLDOUT_PATH)
    lines += render_holdout(noisy, NOISY_HOLDOUT_PATH)
    summary = {
        "stamp": stamped,
        "cross_validation": cv_summary(cv_dir, folds),
        "holdout": holdout.to_json(),
        "holdout_noisy": noisy.to_json(),
    }
    (out / "nlu.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "nlu_report.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out / 'nlu_report.md'} and {out / 'nlu.json'}")


if __name__ == "__main__":
    raise SystemExit(main())

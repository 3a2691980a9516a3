"""`make eval`: NLU cross-validation and held-out evaluation, summarised into reports/.

Runs Rasa's own evaluation (`rasa test nlu`) in the Rasa environment, then writes
reports/nlu_report.md with per-intent precision, recall and F1 and a text confusion matrix for
both the 5-fold cross-validation on the training data and the held-out set
(tests/data/nlu_holdout.yml, never trained on).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT

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
    lines += ["", f"Confusion-matrix image: `{out_dir.name}/intent_confusion_matrix.png`", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    cv_dir, holdout_dir = out / "nlu-cv", out / "nlu-holdout"
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
            str(args.folds),
            "--successes",
            "--out",
            str(cv_dir),
        ]
    )
    _rasa(
        [
            "test",
            "nlu",
            "--nlu",
            str(REPO_ROOT / "tests" / "data" / "nlu_holdout.yml"),
            "--model",
            "models/shop.tar.gz",
            "--successes",
            "--out",
            str(holdout_dir),
        ]
    )
    lines = ["# NLU evaluation", ""]
    lines += render_section(f"{args.folds}-fold cross-validation (training data)", cv_dir)
    lines += render_section("Held-out set (tests/data/nlu_holdout.yml)", holdout_dir)
    (out / "nlu_report.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {out / 'nlu_report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

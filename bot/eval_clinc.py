"""`make eval-clinc DATA=<data_full.json>`: the shop's NLU pipeline at scale, on CLINC150.

CLINC150 (Larson et al., 2019; not in the repository: pass its ``data_full.json``) has 150
intents with 100 training phrasings each, plus out-of-scope queries. The NLU part of
rasa_project/config.yml (the same components and settings; the FAQ ResponseSelector, which only
serves the shop's ``faq`` intent, and the dialogue policies are left out) is trained on
``train`` with ``oos_train`` as ``out_of_scope``, timed, and scored on ``test`` and ``oos_test``:

- in-scope accuracy: the classifier's top intent is right (and, beside it, right *and* above the
  FallbackClassifier's threshold, as the assistant would act on it);
- out-of-scope recall: an ``oos_test`` query is predicted ``out_of_scope`` or falls below the
  threshold (the assistant's fallback).

Writes reports/clinc.json and reports/clinc.md, stamped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.report_stamp import format_stamp, stamp

RASA_DIR = REPO_ROOT / "rasa_project"
RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
OUT_OF_SCOPE = "out_of_scope"
LEFT_OUT = frozenset({"ResponseSelector"})


def load_clinc(path: Path) -> dict[str, list[tuple[str, str]]]:
    """The splits of CLINC150's ``data_full.json`` as (text, intent) pairs; ``oos`` becomes
    ``out_of_scope``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    for split in ("train", "oos_train", "test", "oos_test"):
        if not isinstance(raw.get(split), list):
            raise ValueError(f"{path}: no {split!r} list; is this CLINC150's data_full.json?")
    return {
        split: [(str(text), OUT_OF_SCOPE if label == "oos" else str(label)) for text, label in rows]
        for split, rows in raw.items()
        if isinstance(rows, list)
    }


def pipeline_config(config: dict[str, Any]) -> dict[str, Any]:
    """The NLU part of the project's Rasa config: its pipeline without the FAQ selector."""
    pipeline = [c for c in config.get("pipeline") or [] if c.get("name") not in LEFT_OUT]
    return {
        "recipe": config.get("recipe", "default.v1"),
        "language": config.get("language", "en"),
        "assistant_id": "clinc150-eval",
        "pipeline": pipeline,
    }


def _clean(text: str) -> str:
    """One training line: Rasa reads ``[text](entity)`` as an annotation, and lines break."""
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def nlu_yaml(examples: Iterable[tuple[str, str]]) -> str:
    """Rasa's NLU training format for (text, intent) pairs."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in examples:
        cleaned = _clean(text)
        if cleaned:
            by_intent.setdefault(intent, []).append(cleaned)
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in sorted(by_intent.items()):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in texts]
    return "\n".join(lines) + "\n"


def score(
    labels: Sequence[str], predictions: Sequence[tuple[str, float]], threshold: float | None
) -> dict[str, Any]:
    """In-scope accuracy and out-of-scope recall (see the module docstring)."""
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions")
    floor = threshold if threshold is not None else 0.0
    inside = [(y, p) for y, p in zip(labels, predictions, strict=True) if y != OUT_OF_SCOPE]
    outside = [p for y, p in zip(labels, predictions, strict=True) if y == OUT_OF_SCOPE]
    right = sum(1 for y, (intent, _) in inside if intent == y)
    acted = sum(1 for y, (intent, conf) in inside if intent == y and conf >= floor)
    caught = sum(1 for intent, conf in outside if intent == OUT_OF_SCOPE or conf < floor)
    return {
        "in_scope_examples": len(inside),
        "in_scope_accuracy": round(right / len(inside), 4) if inside else None,
        "in_scope_accuracy_above_threshold": round(acted / len(inside), 4) if inside else None,
        "oos_examples": len(outside),
        "oos_recall": round(caught / len(outside), 4) if outside else None,
        "fallback_threshold": threshold,
    }


def run_pipeline(
    config: dict[str, Any], train: list[tuple[str, str]], texts: list[str]
) -> dict[str, Any]:
    """Train the pipeline in Rasa's environment and parse ``texts`` (rasa_project/nlu_bench.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
        (folder / "nlu.yml").write_text(nlu_yaml(train), encoding="utf-8")
        (folder / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
        env = dict(os.environ, PYTHONPATH=str(RASA_DIR), RASA_TELEMETRY_ENABLED="false")
        subprocess.run(
            [
                str(RASA_PYTHON),
                "nlu_bench.py",
                *("--config", str(folder / "config.yml")),
                *("--nlu", str(folder / "nlu.yml")),
                *("--texts", str(folder / "texts.json")),
                *("--out", str(folder / "result.json")),
            ],
            cwd=RASA_DIR,
            env=env,
            check=True,
        )
        result: dict[str, Any] = json.loads((folder / "result.json").read_text("utf-8"))
        return result


def render(summary: dict[str, Any]) -> str:
    s = summary["scores"]
    components = ", ".join(summary["pipeline"])
    return "\n".join(
        [
            "# CLINC150 with the shop's NLU pipeline",
            "",
            format_stamp(summary["stamp"]),
            "",
            f"Data: `{summary['data']}` ({summary['train_examples']} training examples: "
            f"{summary['intents']} intents with `oos_train` as `{OUT_OF_SCOPE}`).",
            f"Pipeline (rasa_project/config.yml without {', '.join(sorted(LEFT_OUT))}): "
            f"{components}.",
            "",
            "| what | number |",
            "|---|---|",
            f"| NLU training time (Rasa's `train_nlu`, wall clock) | "
            f"**{summary['training_seconds']:.0f} s** |",
            f"| NLU training CPU time (the training process, all threads; the fair measure "
            f"when other work shares the cores) | {summary['training_cpu_seconds']:.0f} s |",
            f"| in-scope accuracy ({s['in_scope_examples']} test queries, top intent) | "
            f"**{s['in_scope_accuracy'] * 100:.1f} %** |",
            f"| in-scope accuracy above the fallback threshold ({s['fallback_threshold']}) | "
            f"{s['in_scope_accuracy_above_threshold'] * 100:.1f} % |",
            f"| out-of-scope recall ({s['oos_examples']} `oos_test` queries predicted "
            f"`{OUT_OF_SCOPE}` or below the threshold) | **{s['oos_recall'] * 100:.1f} %** |",
            "",
            f"Command: `{summary['command']}` ({summary['total_seconds']:.0f} s in all; load "
            f"average {summary['load_average']} when it ended).",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="CLINC150's data_full.json")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "clinc.json")
    parser.add_argument("--config", type=Path, default=RASA_DIR / "config.yml")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")
    started = time.perf_counter()
    splits = load_clinc(args.data)
    train = splits["train"] + splits["oos_train"]
    test = splits["test"] + splits["oos_test"]
    config = pipeline_config(yaml.safe_load(args.config.read_text(encoding="utf-8")))
    result = run_pipeline(config, train, [text for text, _ in test])
    predictions = [(str(i), float(c)) for i, c in result["predictions"]]
    summary = {
        "stamp": stamp(),
        # The data set's folder and file, not this machine's path to it.
        "command": f"make eval-clinc DATA=<...>/{args.data.parent.name}/{args.data.name}",
        "data": args.data.name,
        "train_examples": len(train),
        "intents": len({intent for _, intent in train}),
        "pipeline": [str(c["name"]).rsplit(".", 1)[-1] for c in config["pipeline"]],
        "training_seconds": float(result["training_seconds"]),
        "training_cpu_seconds": float(result.get("training_cpu_seconds") or 0.0),
        "scores": score([i for _, i in test], predictions, result.get("threshold")),
    }
    summary["total_seconds"] = round(time.perf_counter() - started, 1)
    summary["load_average"] = round(os.getloadavg()[0], 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(render(summary), encoding="utf-8")
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

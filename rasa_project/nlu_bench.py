"""Train an NLU-only Rasa model and parse a list of texts with it (Rasa's environment).

Run by :mod:`bot.eval_clinc` as ``.venv-rasa/bin/python nlu_bench.py`` from rasa_project/ (the
pipeline's custom components and jieba dictionary are found from there)::

    nlu_bench.py --config C.yml --nlu train.yml --texts texts.json --out result.json

Writes ``{"training_seconds", "training_cpu_seconds", "threshold", "predictions": [[intent,
confidence], ...]}``: the wall-clock and CPU time (this process, all threads) of the training,
and the classifier's top intent and confidence for each text (before the FallbackClassifier,
whose threshold is reported beside them). On a busy machine the CPU time is the fairer measure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

FALLBACK = "nlu_fallback"


def _threshold(config: Path) -> float | None:
    import yaml

    pipeline = yaml.safe_load(config.read_text(encoding="utf-8")).get("pipeline") or []
    for component in pipeline:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return None


def _top(parsed: dict[str, Any]) -> tuple[str, float]:
    for entry in parsed.get("intent_ranking") or []:
        if entry.get("name") != FALLBACK:
            return str(entry["name"]), float(entry.get("confidence") or 0.0)
    intent = parsed.get("intent") or {}
    return str(intent.get("name")), float(intent.get("confidence") or 0.0)


async def _parse_all(model: Path, texts: list[str]) -> list[tuple[str, float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [_top(await agent.parse_message(text)) for text in texts]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--nlu", type=Path, required=True)
    parser.add_argument("--texts", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from rasa.model_training import train_nlu

    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), time.process_time()
        model = train_nlu(str(args.config), str(args.nlu), tmp, fixed_model_name="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if not model:
            raise SystemExit("training produced no model")
        predictions = asyncio.run(_parse_all(Path(model), texts))
    result = {
        "training_seconds": round(seconds, 1),
        "training_cpu_seconds": round(cpu, 1),
        "threshold": _threshold(args.config),
        "predictions": predictions,
    }
    args.out.write_text(json.dumps(result) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`make eval-recsys DATA=<file> OUT=<json>`: the model against the baselines, in one run.

Protocol (see :class:`bot.recsys.data.Protocol`): each user's last item is the test item,
ranked against every item the user has not had. Hyper-parameters of the baselines (item-kNN
neighbours; ALS alpha, factors and regularization) are chosen on a validation split (a seeded
sample of users' second-to-last items), never on the test items; the model early-stops on the
same validation users. Each method is then scored once on the test items.

Writes the contract's JSON to ``--out`` and, next to it, ``<stem>.png`` (a plot) and
``<stem>-details.json`` (chosen settings, timings, the model's training curve).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from bot.recsys.baselines import ALSParams, ImplicitALS, ItemKNN, Popularity
from bot.recsys.data import Protocol, SequenceData, history_matrix, load_sequences, make_protocol
from bot.recsys.metrics import RankingResult, Scorer, evaluate
from bot.recsys.model import EpochLog, SASRecConfig, SequentialRecommender

logger = logging.getLogger(__name__)

K = 10  # the contract reports HR@10 and NDCG@10
METHODS = ("model", "popularity", "itemknn", "als")
KNN_NEIGHBOURS = (20, 50, 100, 200)
ALS_ALPHAS = (1.0, 10.0, 40.0)
ALS_FACTORS = (64, 128, 256, 512)
ALS_REGULARIZATION = (0.1, 1.0, 10.0)


# One method's entry of the contract's JSON.
MethodScores = TypedDict("MethodScores", {"hr@10": float, "ndcg@10": float})


@dataclass(frozen=True)
class MethodResult:
    name: str
    test: RankingResult
    valid: RankingResult | None
    fit_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvaluationReport:
    data: str
    users: int
    items: int
    interactions: int
    valid_users: int
    results: tuple[MethodResult, ...]
    model_log: tuple[EpochLog, ...]
    tuning: dict[str, list[dict[str, Any]]]

    def result(self, name: str) -> MethodResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)

    def contract_json(self) -> dict[str, MethodScores]:
        """``{"model": {"hr@10": x, "ndcg@10": y}, "popularity": ..., ...}``."""
        out: dict[str, MethodScores] = {}
        for name in METHODS:
            test = self.result(name).test
            out[name] = {"hr@10": round(test.hr, 6), "ndcg@10": round(test.ndcg, 6)}
        return out


def _timed(fit: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def tune(
    protocol: Protocol,
    n_items: int,
    candidates: Sequence[Any],
    build: Callable[[Any], Any],
    label: Callable[[Any], dict[str, Any]],
) -> tuple[Any, list[dict[str, Any]]]:
    """The candidate with the best validation NDCG@10 (fitted on ``fit_sequences``)."""
    matrix = history_matrix(protocol.fit_sequences, n_items)
    trials: list[dict[str, Any]] = []
    best, best_ndcg = candidates[0], -1.0
    for candidate in candidates:
        method = build(candidate)
        seconds = _timed(partial(method.fit, matrix))
        result = evaluate(method.scores, protocol.valid, K)
        trials.append({**label(candidate), **result.as_json(), "fit_seconds": round(seconds, 2)})
        logger.info("tuning %s: %s", label(candidate), result.as_json())
        if result.ndcg > best_ndcg:
            best, best_ndcg = candidate, result.ndcg
    return best, trials


def _final(
    name: str,
    method: Any,
    protocol: Protocol,
    n_items: int,
    settings: dict[str, Any],
    valid: RankingResult | None,
) -> MethodResult:
    matrix = history_matrix(protocol.test_sequences, n_items)
    seconds = _timed(lambda: method.fit(matrix))
    scorer: Scorer = method.scores
    return MethodResult(name, evaluate(scorer, protocol.test, K), valid, seconds, settings)


def _best_valid(trials: list[dict[str, Any]]) -> RankingResult:
    best = max(trials, key=lambda trial: trial[f"ndcg@{K}"])
    return RankingResult(best[f"hr@{K}"], best[f"ndcg@{K}"], K, 0)


def run_evaluation(
    data: SequenceData,
    *,
    seed: int = 0,
    valid_users: int = 5000,
    model_config: SASRecConfig | None = None,
    knn_neighbours: Sequence[int] = KNN_NEIGHBOURS,
    als_alphas: Sequence[float] = ALS_ALPHAS,
    als_factors: Sequence[int] = ALS_FACTORS,
    als_regularization: Sequence[float] = ALS_REGULARIZATION,
    source: str = "",
) -> EvaluationReport:
    """Tune the baselines on validation, train the model, score everything on the test items."""
    protocol = make_protocol(data, valid_users, seed)
    n_items = data.n_items
    results: list[MethodResult] = []
    tuning: dict[str, list[dict[str, Any]]] = {}

    results.append(_final("popularity", Popularity(), protocol, n_items, {}, None))

    neighbours, tuning["itemknn"] = tune(
        protocol, n_items, list(knn_neighbours), ItemKNN, lambda k: {"neighbours": k}
    )
    results.append(
        _final(
            "itemknn",
            ItemKNN(neighbours),
            protocol,
            n_items,
            {"neighbours": neighbours},
            _best_valid(tuning["itemknn"]),
        )
    )

    # ALS: alpha first at a middle size, then factors x regularization at that alpha.
    def als(params: ALSParams) -> ImplicitALS:
        return ImplicitALS(params, seed=seed)

    middle = ALSParams(factors=128, regularization=1.0)
    best_alpha, alpha_trials = tune(
        protocol,
        n_items,
        [replace(middle, alpha=a) for a in als_alphas],
        als,
        asdict,
    )
    grid = [
        replace(best_alpha, factors=f, regularization=r)
        for f in als_factors
        for r in als_regularization
    ]
    best_als, grid_trials = tune(protocol, n_items, grid, als, asdict)
    tuning["als"] = alpha_trials + grid_trials
    results.append(
        _final(
            "als", als(best_als), protocol, n_items, asdict(best_als), _best_valid(tuning["als"])
        )
    )

    model = SequentialRecommender(n_items, model_config, seed=seed)
    model.fit(
        protocol.fit_sequences,
        valid=protocol.valid,
        progress=lambda e: logger.info(
            "model epoch %d: %.1f s, loss %.3f, valid ndcg@10 %.4f",
            e.epoch,
            e.seconds,
            e.loss,
            e.valid_ndcg,
        ),
    )
    best_epoch = max(model.log, key=lambda e: e.valid_ndcg)
    results.insert(
        0,
        MethodResult(
            "model",
            evaluate(model.scores, protocol.test, K),
            RankingResult(
                best_epoch.valid_hr, best_epoch.valid_ndcg, K, len(protocol.valid.targets)
            ),
            model.train_seconds,
            {**asdict(model.config), "epochs": len(model.log), "best_epoch": best_epoch.epoch},
        ),
    )
    return EvaluationReport(
        data=source,
        users=data.n_users,
        items=n_items,
        interactions=data.n_interactions,
        valid_users=len(protocol.valid.targets),
        results=tuple(results),
        model_log=tuple(model.log),
        tuning=tuning,
    )


def format_table(report: EvaluationReport) -> str:
    """The results as a Markdown table (test HR@10 / NDCG@10, validation NDCG@10, fit time)."""
    lines = [
        f"{report.data}: {report.users} users, {report.items} items, "
        f"{report.interactions} interactions; full ranking, last item left out",
        "",
        "| method | HR@10 | NDCG@10 | valid NDCG@10 | fit s | settings |",
        "|---|---|---|---|---|---|",
    ]
    for result in report.results:
        valid = f"{result.valid.ndcg:.4f}" if result.valid is not None else "-"
        settings = _short_settings(result)
        lines.append(
            f"| {result.name} | {result.test.hr:.4f} | {result.test.ndcg:.4f} | {valid} "
            f"| {result.fit_seconds:.1f} | {settings} |"
        )
    return "\n".join(lines)


def _short_settings(result: MethodResult) -> str:
    if result.name == "model":
        s = result.settings
        return (
            f"SASRec d={s['dim']} L={s['layers']} neg={s['negatives']}, "
            f"{s['epochs']} epochs (best {s['best_epoch']})"
        )
    return ", ".join(f"{k}={v}" for k, v in result.settings.items() if k != "iterations")


def details_json(report: EvaluationReport) -> dict[str, Any]:
    return {
        "data": report.data,
        "users": report.users,
        "items": report.items,
        "interactions": report.interactions,
        "valid_users": report.valid_users,
        "results": {
            r.name: {
                "test": r.test.as_json(),
                "valid": None if r.valid is None else r.valid.as_json(),
                "fit_seconds": round(r.fit_seconds, 2),
                "settings": r.settings,
            }
            for r in report.results
        },
        "model_log": [asdict(e) for e in report.model_log],
        "tuning": report.tuning,
    }


def plot(report: EvaluationReport, path: Path) -> None:
    """Bars of HR@10 / NDCG@10 per method, and the model's validation curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (bars, curve) = plt.subplots(1, 2, figsize=(11, 4))
    names = [r.name for r in report.results]
    x = np.arange(len(names))
    bars.bar(x - 0.2, [r.test.hr for r in report.results], 0.4, label="HR@10")
    bars.bar(x + 0.2, [r.test.ndcg for r in report.results], 0.4, label="NDCG@10")
    bars.set_xticks(x, names)
    bars.set_title(f"Test, full ranking ({Path(report.data).name})")
    bars.legend()
    epochs = [e.epoch for e in report.model_log]
    curve.plot(epochs, [e.valid_hr for e in report.model_log], label="model HR@10")
    curve.plot(epochs, [e.valid_ndcg for e in report.model_log], label="model NDCG@10")
    colours = {"itemknn": "tab:green", "als": "tab:red"}
    for result in report.results[1:]:
        if result.valid is not None:
            curve.axhline(
                result.valid.ndcg,
                linestyle=":",
                color=colours.get(result.name, "grey"),
                label=f"{result.name} NDCG@10 (tuned)",
            )
    curve.set_xlabel("epoch")
    curve.set_title("Validation (model early-stops on it)")
    curve.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None, model_config: SASRecConfig | None = None) -> int:
    """The command line; ``model_config`` replaces the model's settings (tests use a small one)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.recsys.evaluate",
        description="HR@10 / NDCG@10 (full ranking, last item left out) of the sequential model "
        "and the popularity, item-kNN and implicit-ALS baselines.",
    )
    parser.add_argument("--data", required=True, help="'user item1 item2 ...' lines, time order")
    parser.add_argument("--out", required=True, help="where to write the results JSON")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--valid-users", type=int, default=5000)
    parser.add_argument(
        "--time-budget", type=float, default=SASRecConfig.time_budget_s, help="model training s"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    try:
        data = load_sequences(args.data)
    except (OSError, ValueError) as exc:
        print(f"cannot read --data: {exc}", file=sys.stderr)
        return 2
    report = run_evaluation(
        data,
        seed=args.seed,
        valid_users=args.valid_users,
        model_config=model_config or SASRecConfig(time_budget_s=args.time_budget),
        source=Path(args.data).name,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report.contract_json(), indent=2) + "\n", encoding="utf-8")
    stem = out.with_suffix("")
    Path(f"{stem}-details.json").write_text(
        json.dumps(details_json(report), indent=2) + "\n", encoding="utf-8"
    )
    plot(report, Path(f"{stem}.png"))
    table = format_table(report)
    Path(f"{stem}.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {out}, {stem}-details.json, {stem}.md and {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

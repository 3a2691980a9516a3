"""`make eval-recsys DATA=<file> OUT=<json>`: the model against the baselines, in one run.

Protocol (see :class:`bot.recsys.data.Protocol`): each user's last item is the test item,
ranked against every item the user has not had. Hyper-parameters of the baselines (item-kNN
neighbours and shrinkage; ALS alpha, regularization, iterations and factors) are searched on a
validation split (a seeded sample of users' second-to-last items), never on the test items, by
:func:`bot.recsys.search.edge_search` (a grid extended past any edge winner); the model
early-stops on the same validation users. Every method gets the same search budget and metric.
Each method is then refitted and scored once on the test items.

Writes the contract's JSON to ``--out`` and, next to it, ``<stem>.png`` (a plot),
``<stem>.md`` (the table) and ``<stem>-details.json`` (chosen settings, timings, the model's
training curve and every method's whole search: each configuration with its validation scores
and seconds, and whether each chosen value is interior).
"""

from __future__ import annotations

import argparse
import hashlib
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
import scipy.sparse as sp

from bot.recsys.baselines import ALSParams, ImplicitALS, ItemKNN, Popularity
from bot.recsys.data import (
    Protocol,
    SequenceData,
    Split,
    history_matrix,
    load_sequences,
    make_protocol,
)
from bot.recsys.metrics import RankingResult, Scorer, evaluate
from bot.recsys.model import BUDGET_CLOCKS, EpochLog, SASRecConfig, SequentialRecommender
from bot.recsys.search import AT_BOUND, AT_EDGE, INTERIOR, Axis, Config, Objective, edge_search

logger = logging.getLogger(__name__)

K = 10  # the contract reports HR@10 and NDCG@10
METRIC = f"ndcg@{K}"  # what every method's search maximises on the validation split
METHODS = ("model", "popularity", "itemknn", "als")
# Every method's search budget: CPU seconds of this process (all threads) for fitting and
# validation scoring, so that other work on a shared machine does not shrink it. With 2
# threads, 960 CPU seconds are about 8 minutes on an idle machine.
BUDGET_S = 960.0
BUDGET_CLOCK = "cpu"
# Coarse grids; edge_search extends any edge winner by the factor until it is interior.
KNN_AXES = (
    Axis("neighbours", (50, 100, 200), factor=2.0, lower=1, integer=True),
    Axis("shrinkage", (0.0, 10.0, 100.0), factor=10.0, lower=0.0),
)
ALS_AXES = (
    Axis("alpha", (10.0, 40.0, 160.0), factor=4.0, lower=0.01),
    Axis("regularization", (3.0, 10.0, 30.0), factor=3.0, lower=1e-4),
    Axis("iterations", (8, 15, 30), factor=2.0, lower=1, integer=True),
    Axis("factors", (128, 256, 512), factor=2.0, lower=8, upper=4096, integer=True),
)


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
    search: dict[str, dict[str, Any]]  # method -> its search (protocol, trials, positions)

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


@dataclass(frozen=True)
class SearchProtocol:
    """What every method's search shares: the validation split, the metric and the budget."""

    valid: Split
    fit_matrix: sp.csr_matrix
    n_items: int
    budget_s: float

    def as_json(self) -> dict[str, Any]:
        users = self.valid.users
        return {
            "valid_users": len(users),
            "valid_users_digest": hashlib.sha256(users.tobytes()).hexdigest()[:16],
            "metric": METRIC,
            "budget_s": self.budget_s,
            "budget_clock": BUDGET_CLOCK,
        }

    def objective(self, build: Callable[[Config], Any]) -> Objective:
        """Fit ``build(config)`` on the tuning matrix, score it on the validation split."""

        def score(config: Config) -> tuple[float, dict[str, Any]]:
            start = time.perf_counter()
            method = build(config)
            seconds = _timed(partial(method.fit, self.fit_matrix))
            result = evaluate(method.scores, self.valid, K)
            wall = time.perf_counter() - start
            logger.info(
                "search %s: %s (fit %.1f s, %.1f s in all)", config, result.as_json(), seconds, wall
            )
            return result.ndcg, {
                **result.as_json(),
                "fit_wall_seconds": round(seconds, 2),
                "wall_seconds": round(wall, 2),
            }

        return score


def _timed(fit: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


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


def _searched(
    name: str,
    search: SearchProtocol,
    axes: Sequence[Axis],
    build: Callable[[Config], Any],
) -> tuple[Config, RankingResult, dict[str, Any]]:
    """The best configuration of ``axes``, its validation result and the search's record."""
    result = edge_search(
        axes,
        search.objective(build),
        budget_s=search.budget_s,
        clock=BUDGET_CLOCKS[BUDGET_CLOCK],
        clock_name=BUDGET_CLOCK,
    )
    best = max(result.trials, key=lambda t: t.score)
    valid = RankingResult(best.metrics[f"hr@{K}"], best.score, K, len(search.valid.targets))
    logger.info("%s: chose %s (%s), %s", name, result.best, result.position, result.stopped)
    return result.best, valid, {"protocol": search.as_json(), **result.as_json()}


def _knn(config: Config) -> ItemKNN:
    return ItemKNN(int(config.get("neighbours", 100)), float(config.get("shrinkage", 0.0)))


def _als_params(config: Config) -> ALSParams:
    """ALS settings from a search configuration (settings not searched keep their default)."""
    default = ALSParams()
    return ALSParams(
        factors=int(config.get("factors", default.factors)),
        regularization=float(config.get("regularization", default.regularization)),
        alpha=float(config.get("alpha", default.alpha)),
        iterations=int(config.get("iterations", default.iterations)),
    )


def model_search(model: SequentialRecommender, search: SearchProtocol) -> dict[str, Any]:
    """The model's search record: one trial per epoch; the chosen value is the best epoch."""
    best = max(model.log, key=lambda e: e.valid_ndcg)
    if best.epoch < len(model.log):
        where = INTERIOR  # later epochs were scored and were worse
    elif model.stopped == "max_epochs":
        where = AT_BOUND
    else:
        where = AT_EDGE
    return {
        "protocol": search.as_json(),
        "chosen": {"epochs": best.epoch},
        "chosen_score": round(best.valid_ndcg, 6),
        "position": {"epochs": where},
        "stopped": model.stopped,
        "budget_s": search.budget_s,
        "clock": "wall",  # the epochs' times below; the budget counted BUDGET_CLOCK
        "seconds": round(model.train_seconds, 2),
        "trials": [
            {
                "epochs": e.epoch,
                f"hr@{K}": round(e.valid_hr, 6),
                METRIC: round(e.valid_ndcg, 6),
                "score": round(e.valid_ndcg, 6),
                "seconds": round(e.seconds, 2),
            }
            for e in model.log
        ],
    }


def run_evaluation(
    data: SequenceData,
    *,
    seed: int = 0,
    valid_users: int = 5000,
    model_config: SASRecConfig | None = None,
    budget_s: float = BUDGET_S,
    knn_axes: Sequence[Axis] | None = None,
    als_axes: Sequence[Axis] | None = None,
    source: str = "",
) -> EvaluationReport:
    """Search every method on validation under one budget, score everything on the test items.

    Every method is searched on the same validation users with the same metric (NDCG@10) and
    the same ``budget_s``; the model's search is its number of epochs (early stopping), and its
    training time budget is ``budget_s`` with the same rule (no epoch starts after it).
    """
    protocol = make_protocol(data, valid_users, seed)
    n_items = data.n_items
    search = SearchProtocol(
        protocol.valid, history_matrix(protocol.fit_sequences, n_items), n_items, budget_s
    )
    results: list[MethodResult] = []
    searches: dict[str, dict[str, Any]] = {}

    pop_valid = evaluate(Popularity().fit(search.fit_matrix).scores, protocol.valid, K)
    searches["popularity"] = {
        "protocol": search.as_json(),
        "chosen": {},
        "position": {},
        "note": "no hyper-parameters",
        "trials": [pop_valid.as_json()],
    }
    results.append(_final("popularity", Popularity(), protocol, n_items, {}, pop_valid))

    knn_best, knn_valid, searches["itemknn"] = _searched(
        "itemknn", search, knn_axes or KNN_AXES, _knn
    )
    results.append(_final("itemknn", _knn(knn_best), protocol, n_items, knn_best, knn_valid))

    def als(config: Config) -> ImplicitALS:
        return ImplicitALS(_als_params(config), seed=seed)

    als_best, als_valid, searches["als"] = _searched("als", search, als_axes or ALS_AXES, als)
    results.append(_final("als", als(als_best), protocol, n_items, als_best, als_valid))

    config = replace(
        model_config or SASRecConfig(),
        time_budget_s=budget_s,
        budget_clock=BUDGET_CLOCK,
        valid_users=len(protocol.valid.targets),
    )
    model = SequentialRecommender(n_items, config, seed=seed)
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
    searches["model"] = model_search(model, search)
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
        search=searches,
    )


def format_table(report: EvaluationReport) -> str:
    """The results as a Markdown table (test HR@10 / NDCG@10, validation NDCG@10, fit time)."""
    lines = [
        f"{report.data}: {report.users} users, {report.items} items, "
        f"{report.interactions} interactions; full ranking, last item left out",
        "",
        "| method | HR@10 | NDCG@10 | valid NDCG@10 | fit s | search | settings |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in report.results:
        valid = f"{result.valid.ndcg:.4f}" if result.valid is not None else "-"
        settings = _short_settings(result)
        search = report.search.get(result.name, {})
        spent = "-"
        if "seconds" in search:
            unit = "epochs" if result.name == "model" else "trials"
            spent = f"{len(search['trials'])} {unit}, {search['seconds']:.0f} s"
            spent += f", {search['stopped']}"
        lines.append(
            f"| {result.name} | {result.test.hr:.4f} | {result.test.ndcg:.4f} | {valid} "
            f"| {result.fit_seconds:.1f} | {spent} | {settings} |"
        )
    lines += ["", "Chosen values (search budget per method, same validation users and metric):", ""]
    for name, search in report.search.items():
        for axis, where in search.get("position", {}).items():
            lines.append(f"- {name} {axis} = {search['chosen'][axis]}: {where}")
    return "\n".join(lines)


def _short_settings(result: MethodResult) -> str:
    if result.name == "model":
        s = result.settings
        return (
            f"SASRec d={s['dim']} L={s['layers']} neg={s['negatives']}, "
            f"{s['epochs']} epochs (best {s['best_epoch']})"
        )
    return ", ".join(f"{k}={v}" for k, v in result.settings.items())


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
        "search": report.search,
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
        "--budget",
        type=float,
        default=BUDGET_S,
        help="CPU seconds of search per method (baseline trials; the model's training)",
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
        model_config=model_config,
        budget_s=args.budget,
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
    picture = f"![HR@10 and NDCG@10 per method; the model's validation curve]({stem.name}.png)"
    Path(f"{stem}.md").write_text(f"{table}\n\n{picture}\n", encoding="utf-8")
    print(table)
    print(f"\nwrote {out}, {stem}-details.json, {stem}.md and {stem}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

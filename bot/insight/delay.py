"""Delivery-delay risk: the chance a parcel arrives after the promised date, scored at handover.

Input is the public Olist orders schema (:data:`bot.insight.shopdata.OLIST_COLUMNS`). A parcel
is late when it is delivered on a later calendar day than ``order_estimated_delivery_date``.
Features use only what is known when the carrier takes the parcel: the purchase, approval and
handover times, the promised date, calendar features, and how the deliveries that *finished
before the handover* went (recent late rate and transit time).

The model is a histogram gradient-boosted tree ensemble; its hyper-parameters are chosen on a
time-ordered validation split inside the training part only. It is compared with the slack rule
(risk = fewer days left between handover and the promised date) and the prior (the base rate).
Reasons are occlusion contributions: how much the log-odds drop when one feature is set to its
typical (training median) value, stated in words in Chinese and English.

``python -m bot.insight.delay --data orders.csv --out reports/delay.json`` evaluates a file.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import pickle
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from bot.insight.shopdata import OLIST_COLUMNS
from bot.insight.tabular import (
    CsvSchemaError,
    ReadStats,
    parse_datetime,
    read_rows,
    single_threaded,
)
from bot.report_stamp import stamp, stamp_lines

TEST_FRACTION = 0.2
VALIDATION_FRACTION = 0.2
RECENT_DAYS = 14
SEED = 15

FEATURES = (
    "slack_days",
    "promise_days",
    "approval_lag_h",
    "handling_days",
    "handover_weekday",
    "handover_hour",
    "purchase_month",
    "purchase_weekday",
    "recent_late_rate",
    "recent_transit_days",
)

# How each feature is said in a reason: (English, Chinese), with the value and the typical value.
_WORDS: dict[str, tuple[str, str]] = {
    "slack_days": (
        "{v:.1f} days left to the promised date (typical {t:.1f})",
        "距承诺送达日还剩 {v:.1f} 天（通常 {t:.1f} 天）",
    ),
    "promise_days": (
        "a {v:.0f}-day delivery promise (typical {t:.0f})",
        "承诺 {v:.0f} 天送达（通常 {t:.0f} 天）",
    ),
    "approval_lag_h": (
        "payment approved after {v:.1f} h (typical {t:.1f} h)",
        "付款审核用了 {v:.1f} 小时（通常 {t:.1f} 小时）",
    ),
    "handling_days": (
        "{v:.1f} days from approval to handover (typical {t:.1f})",
        "审核到交给快递用了 {v:.1f} 天（通常 {t:.1f} 天）",
    ),
    "handover_weekday": ("handed over on {day_en}", "{day_zh}交给快递"),
    "handover_hour": ("handed over at {v:.0f}:00", "{v:.0f} 点交给快递"),
    "purchase_month": ("bought in month {v:.0f}", "{v:.0f} 月下单"),
    "purchase_weekday": ("bought on {day_en}", "{day_zh}下单"),
    "recent_late_rate": (
        "{p:.0f}% of recent deliveries were late (typical {tp:.0f}%)",
        "近期 {p:.0f}% 的包裹晚到（通常 {tp:.0f}%）",
    ),
    "recent_transit_days": (
        "recent parcels took {v:.1f} days in transit (typical {t:.1f})",
        "近期包裹在途 {v:.1f} 天（通常 {t:.1f} 天）",
    ),
}
_DAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "learning_rate": (0.05, 0.1),
    "max_leaf_nodes": (3, 7, 15, 31),
    "l2_regularization": (1.0, 10.0),
}


@dataclass(frozen=True)
class Handover:
    """What is known when the carrier takes the parcel."""

    purchased: datetime
    approved: datetime | None
    handover: datetime
    estimated: datetime


@dataclass(frozen=True)
class Shipment:
    """A delivered order: its handover facts and the outcome."""

    order_id: str
    known: Handover
    delivered: datetime

    @property
    def late(self) -> bool:
        return self.delivered.date() > self.known.estimated.date()


# Reading ----------------------------------------------------------------------------------------
_REQUIRED_DATES = (
    "order_purchase_timestamp",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
)


def load_olist(path: Path) -> tuple[list[Shipment], ReadStats]:
    """Delivered orders of an Olist-schema file, by purchase time; skipped rows are counted."""
    return parse_olist(read_rows(path, OLIST_COLUMNS))


def parse_olist(rows: Iterable[Mapping[str, str]]) -> tuple[list[Shipment], ReadStats]:
    """Delivered orders of Olist-schema rows (see :func:`load_olist`)."""
    stats = ReadStats()
    out: list[Shipment] = []
    for row in rows:
        stats.rows += 1
        shipment = _shipment(row, stats)
        if shipment is not None:
            out.append(shipment)
    stats.kept = len(out)
    out.sort(key=lambda s: (s.known.purchased, s.order_id))
    return out, stats


def _shipment(row: Mapping[str, str], stats: ReadStats) -> Shipment | None:
    if row["order_status"].strip().lower() != "delivered":
        stats.skip("not_delivered")
        return None
    stamps: dict[str, datetime] = {}
    for column in _REQUIRED_DATES:
        raw = row[column].strip()
        value = parse_datetime(raw)
        if value is None:
            stats.skip("missing_date" if not raw else "unparseable_date")
            return None
        stamps[column] = value
    approved = parse_datetime(row["order_approved_at"])
    purchased = stamps["order_purchase_timestamp"]
    handover = stamps["order_delivered_carrier_date"]
    delivered = stamps["order_delivered_customer_date"]
    if not purchased <= handover <= delivered:
        stats.skip("dates_out_of_order")
        return None
    known = Handover(purchased, approved, handover, stamps["order_estimated_delivery_date"])
    return Shipment(row["order_id"].strip(), known, delivered)


# Features ---------------------------------------------------------------------------------------
class History:
    """Deliveries that finished, indexed by delivery time, to ask "what happened before t"."""

    def __init__(self, shipments: Sequence[Shipment]) -> None:
        done = sorted(shipments, key=lambda s: s.delivered)
        self.delivered = [s.delivered for s in done]
        late = [1.0 if s.late else 0.0 for s in done]
        transit = [(s.delivered - s.known.handover).total_seconds() / 86400 for s in done]
        self.cum_late = [0.0, *itertools.accumulate(late)]
        self.cum_transit = [0.0, *itertools.accumulate(transit)]

    def recent(self, at: datetime) -> tuple[float, float]:
        """(late rate, mean transit days) of deliveries finished before ``at``; NaN if none."""
        lo = bisect.bisect_left(self.delivered, at - timedelta(days=RECENT_DAYS))
        hi = bisect.bisect_left(self.delivered, at)
        n = hi - lo
        rate = (self.cum_late[hi] - self.cum_late[lo]) / n if n else math.nan
        transit = (self.cum_transit[hi] - self.cum_transit[lo]) / n if n else math.nan
        return rate, transit


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def handover_features(known: Handover, history: History) -> list[float]:
    """The feature vector of :data:`FEATURES` for one parcel at its handover."""
    start = known.approved or known.purchased
    lag = _days(known.purchased, known.approved) * 24 if known.approved else math.nan
    rate, transit = history.recent(known.handover)
    return [
        _days(known.handover, known.estimated),
        _days(known.purchased, known.estimated),
        lag,
        _days(start, known.handover),
        float(known.handover.weekday()),
        float(known.handover.hour),
        float(known.purchased.month),
        float(known.purchased.weekday()),
        rate,
        transit,
    ]


def feature_matrix(shipments: Sequence[Shipment], history: History) -> np.ndarray:
    return np.array([handover_features(s.known, history) for s in shipments], dtype=float)


def slack_score(matrix: np.ndarray) -> np.ndarray:
    """The slack rule: fewer days left between handover and promise, higher risk."""
    return np.asarray(-matrix[:, FEATURES.index("slack_days")])


# Model ------------------------------------------------------------------------------------------
def _classifier(params: Mapping[str, float]) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=float(params["learning_rate"]),
        max_leaf_nodes=int(params["max_leaf_nodes"]),
        l2_regularization=float(params["l2_regularization"]),
        max_iter=200,
        min_samples_leaf=40,
        early_stopping=False,
        random_state=SEED,
        # Less time left before the promise never lowers the risk.
        monotonic_cst=[-1 if name == "slack_days" else 0 for name in FEATURES],
    )


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else math.nan


def tune(
    x: np.ndarray, y: np.ndarray, grid: Mapping[str, Sequence[float]]
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Best parameters by ROC AUC on the last part (in time) of the training rows."""
    cut = int(len(y) * (1 - VALIDATION_FRACTION))
    trials: list[dict[str, Any]] = []
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        params = dict(zip(names, (float(v) for v in values), strict=True))
        model = _classifier(params).fit(x[:cut], y[:cut])
        auc = _auc(y[cut:], model.predict_proba(x[cut:])[:, 1])
        trials.append({**params, "validation_roc_auc": round(auc, 4)})
    best = max(
        trials,
        key=lambda t: -1.0 if math.isnan(t["validation_roc_auc"]) else t["validation_roc_auc"],
    )
    return {n: float(best[n]) for n in names}, trials


@dataclass
class DelayModel:
    """A trained model with the typical feature values its reasons are measured against."""

    classifier: HistGradientBoostingClassifier
    reference: list[float]
    params: dict[str, float]
    base_rate: float
    n_train: int

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.classifier.predict_proba(rows)[:, 1])

    @single_threaded
    def score(self, known: Handover, history: Sequence[Shipment] = ()) -> DelayRisk:
        """Risk and reasons for one parcel; ``history``: deliveries finished before handover."""
        row = np.array([handover_features(known, History(history))], dtype=float)
        return DelayRisk(float(self.probability(row)[0]), self.reasons(row[0]))

    def reasons(self, row: np.ndarray, top: int = 3) -> list[Reason]:
        """The features that raise this parcel's risk most above a typical parcel's."""
        base = _logit(float(self.probability(row[None, :])[0]))
        probes = np.repeat(row[None, :], len(FEATURES), axis=0)
        for i, value in enumerate(self.reference):
            probes[i, i] = value
        lifted = [base - _logit(p) for p in self.probability(probes)]
        order = sorted(range(len(FEATURES)), key=lambda i: -lifted[i])
        return [
            _reason(FEATURES[i], float(row[i]), self.reference[i], lifted[i])
            for i in order[:top]
            if lifted[i] > 0.01 and not math.isnan(row[i])
        ]


@dataclass(frozen=True)
class Reason:
    feature: str
    contribution: float  # log-odds above a typical parcel
    en: str
    zh: str


@dataclass(frozen=True)
class DelayRisk:
    probability: float
    reasons: list[Reason]


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def _reason(feature: str, value: float, typical: float, lift: float) -> Reason:
    en, zh = _WORDS[feature]
    day = int(value) % 7
    slots = {
        "v": value,
        "t": typical,
        "p": value * 100,
        "tp": typical * 100,
        "day_en": _DAYS_EN[day],
        "day_zh": _DAYS_ZH[day],
    }
    return Reason(feature, round(lift, 3), en.format(**slots), zh.format(**slots))


@single_threaded
def fit(
    x: np.ndarray, y: np.ndarray, grid: Mapping[str, Sequence[float]] = DEFAULT_GRID
) -> tuple[DelayModel, list[dict[str, Any]]]:
    """Tune on the time-ordered tail of (x, y), then refit on all of it."""
    params, trials = tune(x, y, grid)
    classifier = _classifier(params).fit(x, y)
    reference = [float(np.nanmedian(col)) if np.isfinite(col).any() else 0.0 for col in x.T]
    model = DelayModel(classifier, reference, params, float(y.mean()), len(y))
    return model, trials


def save(model: DelayModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))


def load(path: Path) -> DelayModel:
    """The artefact written by :func:`save` (this project's own file; never load foreign ones)."""
    model = pickle.loads(path.read_bytes())
    if not isinstance(model, DelayModel):
        raise ValueError(f"{path} is not a delay model")
    return model


# Evaluation -------------------------------------------------------------------------------------
def _scores(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": round(_auc(y, score), 4),
        "pr_auc": round(float(average_precision_score(y, score)), 4) if y.any() else math.nan,
    }


@single_threaded
def evaluate(
    shipments: Sequence[Shipment], grid: Mapping[str, Sequence[float]] = DEFAULT_GRID
) -> dict[str, Any]:
    """Train on the earlier 80% by purchase time, test on the rest; model vs slack vs prior."""
    if len(shipments) < 50:
        raise ValueError(f"only {len(shipments)} delivered orders; at least 50 are needed")
    ordered = sorted(shipments, key=lambda s: (s.known.purchased, s.order_id))
    x = feature_matrix(ordered, History(ordered))
    y = np.array([s.late for s in ordered], dtype=int)
    cut = int(len(y) * (1 - TEST_FRACTION))
    model, trials = fit(x[:cut], y[:cut], grid)
    x_test, y_test = x[cut:], y[cut:]
    prior_rate = float(y[:cut].mean())
    inner = int(cut * (1 - VALIDATION_FRACTION))
    slack_validation = _auc(y[inner:cut], slack_score(x[inner:cut]))
    importance = _mean_lift(model, x_test)
    return {
        "model": {
            **_scores(y_test, model.probability(x_test)),
            "n_test": len(y_test),
            "n_train": cut,
            "params": model.params,
            "tuning": trials,
            "validation_roc_auc": max(t["validation_roc_auc"] for t in trials),
            "slack_rule_validation_roc_auc": round(slack_validation, 4),
            "mean_reason_lift": importance,
        },
        "slack_rule": {**_scores(y_test, slack_score(x_test)), "n_test": len(y_test)},
        "prior": {
            "rate_train": round(prior_rate, 4),
            "rate_test": round(float(y_test.mean()), 4),
            "roc_auc": 0.5,
            "pr_auc": round(float(y_test.mean()), 4),
            "n_test": len(y_test),
        },
        "split": {
            "train_until": ordered[cut - 1].known.purchased.isoformat(),
            "test_from": ordered[cut].known.purchased.isoformat(),
        },
    }


def _mean_lift(model: DelayModel, x: np.ndarray, sample: int = 300) -> dict[str, float]:
    """Mean occlusion lift per feature over a sample of test parcels (a global importance)."""
    rng = np.random.default_rng(SEED)
    rows = x[rng.choice(len(x), size=min(sample, len(x)), replace=False)]
    base = np.array([_logit(p) for p in model.probability(rows)])
    lifts: dict[str, float] = {}
    for i, name in enumerate(FEATURES):
        probe = rows.copy()
        probe[:, i] = model.reference[i]
        moved = np.array([_logit(p) for p in model.probability(probe)])
        lifts[name] = round(float(np.mean(np.abs(base - moved))), 4)
    return dict(sorted(lifts.items(), key=lambda kv: -kv[1]))


def evaluate_file(path: Path, grid: Mapping[str, Sequence[float]] = DEFAULT_GRID) -> dict[str, Any]:
    shipments, stats = load_olist(path)
    result = evaluate(shipments, grid)
    result["data"] = {"path": str(path), **stats.to_json()}
    return result


def markdown(
    results: Mapping[str, Mapping[str, Any]], command: str, stamped: dict[str, Any] | None = None
) -> str:
    """The report: one table per file, the tuning grid and the strongest reasons."""
    lines = [
        "# Delivery-delay risk at carrier handover",
        "",
        *stamp_lines(stamped),
        f"Regenerate: `{command}`.",
        "",
        "Late = delivered on a later day than `order_estimated_delivery_date`. Time split: train "
        "on the earlier 80% of delivered orders by purchase time, test on the later 20%; "
        "hyper-parameters chosen on the last 20% (in time) of the training part only.",
        "",
    ]
    for name, result in results.items():
        data, model = result["data"], result["model"]
        lines += [
            f"## {name}",
            "",
            f"File `{data['path']}`: {data['rows']} rows, {data['kept']} delivered orders used, "
            f"skipped {json.dumps(data['skipped'])}. Train until {result['split']['train_until']}, "
            f"test from {result['split']['test_from']} ({model['n_test']} orders, "
            f"{result['prior']['rate_test']:.1%} late; train {result['prior']['rate_train']:.1%}).",
            "",
            "| scorer | ROC AUC | PR AUC |",
            "| --- | --- | --- |",
            f"| model (gradient-boosted trees) | {model['roc_auc']:.4f} | {model['pr_auc']:.4f} |",
            f"| slack rule (days left to promise) | {result['slack_rule']['roc_auc']:.4f} | "
            f"{result['slack_rule']['pr_auc']:.4f} |",
            f"| prior (base rate) | 0.5000 | {result['prior']['pr_auc']:.4f} |",
            "",
            f"Chosen parameters: `{json.dumps(model['params'])}` out of "
            f"{len(model['tuning'])} tried. Mean reason lift (|log-odds| when a feature is set to "
            "its typical value), strongest first: "
            + ", ".join(f"{k} {v}" for k, v in list(model["mean_reason_lift"].items())[:6])
            + ".",
            "",
            _verdict(result),
            "",
        ]
    return "\n".join(lines) + "\n"


def _verdict(result: Mapping[str, Any]) -> str:
    model, slack = result["model"], result["slack_rule"]
    if model["roc_auc"] > slack["roc_auc"]:
        return (
            f"The model beats the slack rule on ROC AUC by "
            f"{model['roc_auc'] - slack['roc_auc']:.4f}."
        )
    return (
        "The model does NOT beat the slack rule on this file (validation inside the training "
        f"part: model {model['validation_roc_auc']}, slack rule "
        f"{model['slack_rule_validation_roc_auc']}): the Olist columns known at handover add "
        "nothing to the days left here, and the trees approximate the slack ranking with noise; "
        "score such a shop with the slack rule."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate delay risk on an Olist-schema file.")
    parser.add_argument("--data", type=Path, required=True, help="orders CSV (Olist schema)")
    parser.add_argument("--out", type=Path, required=True, help="JSON report; .md written beside")
    parser.add_argument("--name", default="file", help="the data's name in the report")
    parser.add_argument(
        "--also", action="append", default=[], metavar="NAME=CSV", help="more files to report"
    )
    parser.add_argument("--command", default="", help="the command that regenerates the report")
    args = parser.parse_args(argv)
    try:
        result = evaluate_file(args.data)
        results = {args.name: result}
        extra: dict[str, Any] = {}
        for spec in args.also:
            name, _, path = spec.partition("=")
            extra[name] = evaluate_file(Path(path))
            results[name] = extra[name]
    except (CsvSchemaError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if extra:
        result["also"] = extra
    result["stamp"] = stamp()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    command = args.command or f"python -m bot.insight.delay --data {args.data} --out {args.out}"
    args.out.with_suffix(".md").write_text(
        markdown(results, command, result["stamp"]), encoding="utf-8"
    )
    for name, res in results.items():
        print(
            f"{name}: model ROC AUC {res['model']['roc_auc']}, slack rule "
            f"{res['slack_rule']['roc_auc']}, prior rate {res['prior']['rate_test']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

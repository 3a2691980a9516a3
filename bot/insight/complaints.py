"""Complaint risk: the chance a customer opens a complaint ticket in the next 14 days.

Features are taken as of a cut-off instant T from records strictly before T (orders, their
deliveries against the promise, returns, earlier tickets, contacts and their sentiment); the
label is a ticket of a complaint kind created in [T, T + 14 days). Evaluation rolls the cut-off
forward: for each test cut-off, the model learns from earlier cut-offs whose label windows end
by the test cut-off (:func:`assert_no_leak`), and is compared with a recency/frequency baseline
(logistic regression on days since the last order and the number of orders). The model is
a regularised logistic regression on all features (see :func:`_model` for why not trees).

:func:`complaint_risk` scores one customer's feature mapping with the trained artefact
(``python -m bot insight train-complaint-risk``), for ordering the handoff queue later.
"""

from __future__ import annotations

import functools
import math
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from bot.config import REPO_ROOT
from bot.insight.features import COMPLAINT_KINDS
from bot.insight.shopdata import Order, Snapshot, Ticket, delivered_late, promised_day
from bot.insight.tabular import single_threaded

HORIZON = timedelta(days=14)
STEP = timedelta(days=14)
WARM_UP = timedelta(days=120)  # history before the first cut-off
TEST_CUTOFFS = 6
RETURN_SETTLED = timedelta(days=8)  # a return is known once the 7-day window has passed
DEFAULT_MODEL = REPO_ROOT / "var" / "models" / "complaint_risk.pkl"
SEED = 15

FEATURES = (
    "orders_total",
    "orders_90d",
    "spend_90d",
    "days_since_order",
    "in_transit",
    "overdue_now",
    "delivered_7d",
    "late_7d",
    "late_30d",
    "late_total",
    "returns_total",
    "complaints_total",
    "complaints_90d",
    "days_since_complaint",
    "contacts_30d",
    "contacts_total",
    "complaint_sentiment",
    "tenure_days",
)
BASELINE_FEATURES = ("days_since_order", "orders_total")


class LeakError(AssertionError):
    """A training label window reaches past the cut-off of the data it is tested on."""


@dataclass(frozen=True)
class History:
    """A shop's records grouped per customer, with the promise used to call a parcel late."""

    snapshot: Snapshot
    tickets: Sequence[Ticket]
    promise_days: int

    @functools.cached_property
    def orders_of(self) -> dict[str, list[Order]]:
        out: dict[str, list[Order]] = {}
        for order in self.snapshot.orders:
            out.setdefault(order.customer_id, []).append(order)
        return out

    @functools.cached_property
    def tickets_of(self) -> dict[str, list[Ticket]]:
        out: dict[str, list[Ticket]] = {}
        for ticket in sorted(self.tickets, key=lambda t: t.created_at):
            if ticket.customer_id:
                out.setdefault(ticket.customer_id, []).append(ticket)
        return out


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def _since(order: Order, start: datetime) -> bool:
    return order.delivered_at is not None and order.delivered_at >= start


def customer_features(history: History, customer_id: str, cutoff: datetime) -> dict[str, float]:
    """The features of :data:`FEATURES` for one customer from records before ``cutoff``."""
    tz = history.snapshot.timezone
    today = cutoff.astimezone(ZoneInfo(tz)).date()
    orders = [
        o
        for o in history.orders_of.get(customer_id, [])
        if o.created_at < cutoff and o.status != "cancelled"
    ]
    delivered = [o for o in orders if o.delivered_at is not None and o.delivered_at < cutoff]
    late = [o for o in delivered if delivered_late(o, tz, history.promise_days)]
    transit = [
        o
        for o in orders
        if o.shipped_at is not None
        and o.shipped_at < cutoff
        and (o.delivered_at is None or o.delivered_at >= cutoff)
    ]
    tickets = [t for t in history.tickets_of.get(customer_id, []) if t.created_at < cutoff]
    complaints = [t for t in tickets if t.kind in COMPLAINT_KINDS]
    contacts = [t for t in tickets if t.kind not in COMPLAINT_KINDS]
    moods = [t.sentiment for t in complaints[-3:] if t.sentiment is not None]
    recent = cutoff - timedelta(days=90)
    month = cutoff - timedelta(days=30)
    week = cutoff - timedelta(days=7)
    joined = history.snapshot.customers.get(customer_id, cutoff)
    return {
        "orders_total": float(len(orders)),
        "orders_90d": float(sum(o.created_at >= recent for o in orders)),
        "spend_90d": sum(o.total for o in orders if o.created_at >= recent),
        "days_since_order": _days(orders[-1].created_at, cutoff) if orders else 400.0,
        "in_transit": float(len(transit)),
        "overdue_now": float(
            sum(promised_day(o, tz, history.promise_days) < today for o in transit)
        ),
        "delivered_7d": float(sum(_since(o, week) for o in delivered)),
        "late_7d": float(sum(_since(o, week) for o in late)),
        "late_30d": float(sum(_since(o, month) for o in late)),
        "late_total": float(len(late)),
        "returns_total": float(
            sum(
                o.status == "returned"
                and o.delivered_at is not None
                and o.delivered_at + RETURN_SETTLED < cutoff
                for o in delivered
            )
        ),
        "complaints_total": float(len(complaints)),
        "complaints_90d": float(sum(t.created_at >= recent for t in complaints)),
        "days_since_complaint": _days(complaints[-1].created_at, cutoff) if complaints else 400.0,
        "contacts_30d": float(sum(t.created_at >= month for t in contacts)),
        "contacts_total": float(len(contacts)),
        "complaint_sentiment": sum(moods) / len(moods) if moods else 0.0,
        "tenure_days": max(0.0, _days(joined, cutoff)),
    }


def label(history: History, customer_id: str, cutoff: datetime) -> int:
    """1 if the customer opened a complaint in [cutoff, cutoff + HORIZON)."""
    end = cutoff + HORIZON
    return int(
        any(
            t.kind in COMPLAINT_KINDS and cutoff <= t.created_at < end
            for t in history.tickets_of.get(customer_id, [])
        )
    )


@dataclass
class Examples:
    cutoffs: list[datetime]
    x: np.ndarray
    y: np.ndarray
    at: list[datetime]  # the cut-off of each row


def examples(history: History, cutoffs: Sequence[datetime]) -> Examples:
    """One row per (cut-off, customer who existed then)."""
    rows, labels, at = [], [], []
    for cutoff in cutoffs:
        for cid, joined in sorted(history.snapshot.customers.items()):
            if joined >= cutoff:
                continue
            feats = customer_features(history, cid, cutoff)
            rows.append([feats[n] for n in FEATURES])
            labels.append(label(history, cid, cutoff))
            at.append(cutoff)
    return Examples(list(cutoffs), np.array(rows, dtype=float), np.array(labels, dtype=int), at)


def rolling_cutoffs(start: datetime, end: datetime) -> list[datetime]:
    """Cut-offs every STEP after WARM_UP, whose label window ends by ``end``."""
    out, cutoff = [], start + WARM_UP
    while cutoff + HORIZON <= end:
        out.append(cutoff)
        cutoff += STEP
    return out


def assert_no_leak(train_at: Sequence[datetime], test_cutoff: datetime) -> None:
    """Every training label window must end by the test cut-off (no future labels)."""
    late = [t for t in train_at if t + HORIZON > test_cutoff]
    if late:
        raise LeakError(
            f"{len(late)} training rows have label windows ending after the test cut-off "
            f"{test_cutoff.isoformat()} (first: {min(late).isoformat()})"
        )


# Models -------------------------------------------------------------------------------------------
def signed_log(x: np.ndarray) -> np.ndarray:
    """log1p of the magnitude, sign kept: counts and days become comparable scales."""
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)))


def _model() -> Pipeline:
    """Logistic regression on log-scaled, standardised features.

    Chosen over gradient-boosted trees on development data only (simulated ticket histories
    with seeds 1-5; the report uses seed 15): with about 5% positives in a few thousand rows the
    trees overfit (mean rolling ROC AUC 0.60, below the 0.62 of the baseline) where the
    regularised linear model reached 0.66.
    """
    return make_pipeline(
        FunctionTransformer(signed_log),
        StandardScaler(),
        LogisticRegression(C=0.3, max_iter=2000),
    )


def _baseline() -> LogisticRegression:
    return LogisticRegression(max_iter=1000)


def _baseline_x(x: np.ndarray) -> np.ndarray:
    cols = [FEATURES.index(n) for n in BASELINE_FEATURES]
    return np.log1p(np.maximum(x[:, cols], 0.0))


def _metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float | None]:
    if not 0 < y.sum() < len(y):
        return {"roc_auc": None, "pr_auc": None}
    return {
        "roc_auc": round(float(roc_auc_score(y, score)), 4),
        "pr_auc": round(float(average_precision_score(y, score)), 4),
    }


@single_threaded
def evaluate(history: History, n_test: int = TEST_CUTOFFS) -> dict[str, Any]:
    """Rolling-origin evaluation over the last ``n_test`` cut-offs."""
    orders = history.snapshot.orders
    if not orders:
        raise ValueError("the shop has no orders")
    cutoffs = rolling_cutoffs(orders[0].created_at, history.snapshot.now)
    if len(cutoffs) < n_test + 2:
        raise ValueError(f"only {len(cutoffs)} cut-offs; the history is too short")
    data = examples(history, cutoffs)
    at = np.array(data.at)
    folds, pooled_y, pooled_m, pooled_b = [], [], [], []
    for test_cutoff in cutoffs[-n_test:]:
        train = np.array([t + HORIZON <= test_cutoff for t in data.at])
        assert_no_leak([t for t, keep in zip(data.at, train, strict=True) if keep], test_cutoff)
        test = at == test_cutoff
        y_train, y_test = data.y[train], data.y[test]
        if y_train.sum() == 0:
            continue
        model = _model().fit(data.x[train], y_train)
        base = _baseline().fit(_baseline_x(data.x[train]), y_train)
        m_score = model.predict_proba(data.x[test])[:, 1]
        b_score = base.predict_proba(_baseline_x(data.x[test]))[:, 1]
        pooled_y.append(y_test)
        pooled_m.append(m_score)
        pooled_b.append(b_score)
        folds.append(
            {
                "cutoff": test_cutoff.isoformat(),
                "n_train": int(train.sum()),
                "n_test": int(test.sum()),
                "positives": int(y_test.sum()),
                "model": _metrics(y_test, m_score),
                "baseline": _metrics(y_test, b_score),
            }
        )
    y_all = np.concatenate(pooled_y)
    return {
        "horizon_days": HORIZON.days,
        "cutoffs": {
            "first": cutoffs[0].isoformat(),
            "last": cutoffs[-1].isoformat(),
            "step_days": STEP.days,
            "n": len(cutoffs),
            "n_test": len(folds),
        },
        "positive_rate": round(float(data.y.mean()), 4),
        "model": {**_metrics(y_all, np.concatenate(pooled_m)), **_mean(folds, "model")},
        "baseline": {**_metrics(y_all, np.concatenate(pooled_b)), **_mean(folds, "baseline")},
        "folds": folds,
        "features": list(FEATURES),
        "baseline_features": list(BASELINE_FEATURES),
    }


def _mean(folds: Sequence[Mapping[str, Any]], key: str) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for metric in ("roc_auc", "pr_auc"):
        values = [f[key][metric] for f in folds if f[key][metric] is not None]
        out[f"mean_fold_{metric}"] = round(float(np.mean(values)), 4) if values else None
    return out


# The artefact ------------------------------------------------------------------------------------
@dataclass
class ComplaintRiskModel:
    classifier: Pipeline
    features: tuple[str, ...]
    base_rate: float
    trained_until: str

    def score(self, customer_features: Mapping[str, float]) -> float:
        missing = [n for n in self.features if n not in customer_features]
        if missing:
            raise KeyError(f"missing complaint-risk features: {', '.join(missing)}")
        row = np.array([[float(customer_features[n]) for n in self.features]])
        with_limits = single_threaded(self.classifier.predict_proba)
        return float(with_limits(row)[0, 1])


@single_threaded
def train(history: History) -> ComplaintRiskModel:
    """Fit on every cut-off of the shop's history."""
    orders = history.snapshot.orders
    if not orders:
        raise ValueError("the shop has no orders")
    cutoffs = rolling_cutoffs(orders[0].created_at, history.snapshot.now)
    data = examples(history, cutoffs)
    if data.y.sum() == 0:
        raise ValueError("no complaints in the label windows; nothing to learn")
    classifier = _model().fit(data.x, data.y)
    return ComplaintRiskModel(classifier, FEATURES, float(data.y.mean()), cutoffs[-1].isoformat())


def save(model: ComplaintRiskModel, path: Path = DEFAULT_MODEL) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))


@functools.lru_cache(maxsize=4)
def load(path: Path = DEFAULT_MODEL) -> ComplaintRiskModel:
    """The artefact written by :func:`save` (this project's own file)."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing; train it with `python -m bot insight train-complaint-risk`"
        )
    model = pickle.loads(path.read_bytes())
    if not isinstance(model, ComplaintRiskModel):
        raise ValueError(f"{path} is not a complaint-risk model")
    return model


def complaint_risk(
    customer_features: Mapping[str, float], model: ComplaintRiskModel | None = None
) -> float:
    """The chance (0-1) that this customer complains in the next 14 days.

    ``customer_features`` holds :data:`FEATURES` as :func:`customer_features` computes them.
    """
    return (model or load()).score(customer_features)


def nan_to_none(value: float) -> float | None:
    return None if math.isnan(value) else value

"""Delivery-delay risk: beats the slack rule where lateness depends on more than slack, uses
only what is known at handover, and tunes on the training part only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.insight import delay, synth
from bot.insight.shopdata import OLIST_COLUMNS, write_csv

SMALL_GRID = {"learning_rate": (0.05,), "max_leaf_nodes": (15, 31), "l2_regularization": (1.0,)}


@pytest.fixture(scope="module")
def shipments(tmp_path_factory: pytest.TempPathFactory) -> list[delay.Shipment]:
    path = tmp_path_factory.mktemp("olist") / "orders.csv"
    write_csv(path, OLIST_COLUMNS, synth.olist_orders(n=4000, seed=7))
    loaded, stats = delay.load_olist(path)
    assert stats.kept == len(loaded) > 3600
    return loaded


def test_model_beats_slack_rule_and_prior(shipments: list[delay.Shipment]) -> None:
    result = delay.evaluate(shipments, SMALL_GRID)
    model, slack, prior = result["model"], result["slack_rule"], result["prior"]
    assert model["n_test"] == slack["n_test"] == len(shipments) - int(len(shipments) * 0.8)
    assert model["roc_auc"] > slack["roc_auc"] + 0.05
    assert model["pr_auc"] > prior["pr_auc"]
    assert 0 < prior["rate_train"] < 0.5


def test_slack_rule_ranks_by_days_left() -> None:
    matrix = np.zeros((3, len(delay.FEATURES)))
    matrix[:, delay.FEATURES.index("slack_days")] = [5.0, 0.5, 2.0]
    assert list(np.argsort(-delay.slack_score(matrix))) == [1, 2, 0]


def test_tuning_sees_only_the_earlier_training_part(
    shipments: list[delay.Shipment], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    original = delay.tune

    def spy(x: np.ndarray, y: np.ndarray, grid: dict[str, tuple[float, ...]]) -> object:
        seen.append(len(y))
        return original(x, y, grid)

    monkeypatch.setattr(delay, "tune", spy)
    result = delay.evaluate(shipments, {k: v[:1] for k, v in SMALL_GRID.items()})
    assert seen == [int(len(shipments) * 0.8)]
    assert result["split"]["train_until"] <= result["split"]["test_from"]


def _shipment(i: int, handover: datetime, delivered: datetime, late: bool) -> delay.Shipment:
    estimated = (delivered - timedelta(days=1)) if late else (delivered + timedelta(days=2))
    known = delay.Handover(handover - timedelta(days=2), None, handover, estimated)
    return delay.Shipment(f"o{i}", known, delivered)


def test_recent_history_uses_only_deliveries_before_handover() -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    done_before = _shipment(1, t0 - timedelta(days=5), t0 - timedelta(days=1), late=True)
    done_after = _shipment(2, t0 - timedelta(days=3), t0 + timedelta(days=1), late=False)
    parcel = _shipment(3, t0, t0 + timedelta(days=3), late=False)
    everything = delay.History([done_before, done_after, parcel])
    known_then = delay.History([done_before])
    assert delay.handover_features(parcel.known, everything) == delay.handover_features(
        parcel.known, known_then
    )
    rate, transit = everything.recent(t0)
    assert rate == 1.0 and transit == pytest.approx(4.0)


def test_score_gives_probability_and_reasons_in_both_languages(
    shipments: list[delay.Shipment], tmp_path: Path
) -> None:
    train = shipments[:2000]
    x = delay.feature_matrix(train, delay.History(train))
    y = np.array([s.late for s in train], dtype=int)
    model, trials = delay.fit(x, y, {k: v[:1] for k, v in SMALL_GRID.items()})
    assert len(trials) == 1
    delay.save(model, tmp_path / "delay.pkl")
    loaded = delay.load(tmp_path / "delay.pkl")
    parcel = shipments[2100].known
    tight = delay.Handover(parcel.purchased, parcel.approved, parcel.handover, parcel.handover)
    risk = loaded.score(tight, train)
    assert 0.0 <= risk.probability <= 1.0
    assert risk.probability > loaded.score(parcel, train).probability
    assert risk.reasons, "a parcel handed over on its promised day has reasons"
    lifts = [r.contribution for r in risk.reasons]
    assert lifts == sorted(lifts, reverse=True) and lifts[0] > 0
    for reason in risk.reasons:
        assert reason.en.isascii() and not reason.zh.isascii()

"""Complaint risk: features only from before the cut-off, labels only after, no leaking split."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from bot.insight import complaints, synth
from bot.insight.shopdata import Order, Snapshot, Ticket

START = datetime(2026, 1, 1, tzinfo=UTC)


def small_shop(n_customers: int = 60, n_orders: int = 900, seed: int = 5) -> Snapshot:
    """Orders over 300 days; one in twelve parcels is slow (late against a 3-day promise)."""
    rng = random.Random(seed)
    customers = {f"C{i:03d}": START - timedelta(days=30) for i in range(n_customers)}
    orders = []
    for i in range(n_orders):
        created = START + timedelta(days=rng.uniform(0, 300))
        shipped = created + timedelta(hours=rng.uniform(4, 30))
        delivered = shipped + timedelta(
            days=rng.uniform(4, 7) if i % 12 == 0 else rng.uniform(0.5, 1.5)
        )
        orders.append(
            Order(
                id=f"O{i:05d}",
                customer_id=f"C{rng.randrange(n_customers):03d}",
                status="returned" if i % 40 == 0 else "delivered",
                created_at=created,
                paid_at=created + timedelta(minutes=5),
                shipped_at=shipped,
                delivered_at=delivered,
                total=rng.uniform(30, 900),
                carrier="SF Express",
                categories=("home",),
                item_amounts=(("home", 100.0),),
                exception=i % 50 == 0,
            )
        )
    orders.sort(key=lambda o: o.created_at)
    return Snapshot("Asia/Shanghai", customers, orders, [])


@pytest.fixture(scope="module")
def history() -> complaints.History:
    shop = small_shop()
    return complaints.History(shop, synth.simulate_tickets(shop, promise_days=3, seed=1), 3)


def truncated(history: complaints.History, cutoff: datetime) -> complaints.History:
    """The same shop as it was recorded just before ``cutoff``."""

    def then(order: Order) -> Order:
        shipped = order.shipped_at if order.shipped_at and order.shipped_at < cutoff else None
        done = order.delivered_at if order.delivered_at and order.delivered_at < cutoff else None
        status = order.status if done else ("in_transit" if shipped else "paid")
        return dataclasses.replace(order, shipped_at=shipped, delivered_at=done, status=status)

    shop = history.snapshot
    past = [then(o) for o in shop.orders if o.created_at < cutoff]
    tickets = [t for t in history.tickets if t.created_at < cutoff]
    return complaints.History(
        Snapshot(shop.timezone, shop.customers, past, tickets), tickets, history.promise_days
    )


def test_features_do_not_change_when_the_future_is_removed(history: complaints.History) -> None:
    for cutoff in (START + timedelta(days=d, hours=7) for d in (130, 200, 260)):
        before = truncated(history, cutoff)
        for cid in sorted(history.snapshot.customers):
            assert complaints.customer_features(history, cid, cutoff) == (
                complaints.customer_features(before, cid, cutoff)
            ), (cid, cutoff)


def test_label_window_starts_at_the_cutoff_and_features_end_before_it() -> None:
    shop = small_shop(n_customers=2, n_orders=10)
    cutoff = START + timedelta(days=200)

    def history_with(at: datetime) -> complaints.History:
        return complaints.History(shop, [Ticket("T1", "complaint", "C000", None, at, -0.5)], 3)

    at_cutoff = history_with(cutoff)
    assert complaints.label(at_cutoff, "C000", cutoff) == 1
    assert complaints.customer_features(at_cutoff, "C000", cutoff)["complaints_total"] == 0
    just_before = history_with(cutoff - timedelta(seconds=1))
    assert complaints.label(just_before, "C000", cutoff) == 0
    assert complaints.customer_features(just_before, "C000", cutoff)["complaints_total"] == 1
    after_window = history_with(cutoff + complaints.HORIZON)
    assert complaints.label(after_window, "C000", cutoff) == 0
    last_moment = history_with(cutoff + complaints.HORIZON - timedelta(seconds=1))
    assert complaints.label(last_moment, "C000", cutoff) == 1


def test_a_training_window_overlapping_the_test_cutoff_is_refused() -> None:
    test_cutoff = START + timedelta(days=100)
    complaints.assert_no_leak([test_cutoff - complaints.HORIZON], test_cutoff)
    with pytest.raises(complaints.LeakError):
        complaints.assert_no_leak(
            [test_cutoff - complaints.HORIZON + timedelta(days=1)], test_cutoff
        )


def test_rolling_evaluation_trains_only_on_closed_windows(
    history: complaints.History, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[datetime, datetime]] = []
    original = complaints.assert_no_leak

    def spy(train_at: list[datetime], test_cutoff: datetime) -> None:
        checked.append((max(train_at), test_cutoff))
        original(train_at, test_cutoff)

    monkeypatch.setattr(complaints, "assert_no_leak", spy)
    result = complaints.evaluate(history, n_test=3)
    assert len(checked) == 3
    for last_train, test_cutoff in checked:
        assert last_train + complaints.HORIZON <= test_cutoff
    assert result["model"]["roc_auc"] is not None
    assert result["baseline"]["roc_auc"] is not None
    assert 0 < result["positive_rate"] < 0.5


def test_complaint_risk_scores_a_feature_mapping(history: complaints.History) -> None:
    model = complaints.train(history)
    cutoffs = complaints.rolling_cutoffs(START, history.snapshot.now)
    scores, labels = [], []
    for cutoff in cutoffs[-4:]:
        for cid in sorted(history.snapshot.customers):
            feats = complaints.customer_features(history, cid, cutoff)
            scores.append(complaints.complaint_risk(feats, model))
            labels.append(complaints.label(history, cid, cutoff))
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert 0 < sum(labels) < len(labels)
    assert roc_auc_score(labels, scores) > 0.6  # it learned something about who complains
    feats = complaints.customer_features(history, "C001", cutoffs[-1])
    with pytest.raises(KeyError, match="overdue_now"):
        complaints.complaint_risk({k: v for k, v in feats.items() if k != "overdue_now"}, model)
    assert np.isfinite(model.base_rate)

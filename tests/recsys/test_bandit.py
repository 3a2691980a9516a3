"""The feedback bandit: updates, persistence, and convergence in the seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest

from bot.recsys.bandit import ThompsonReranker, standardise
from bot.recsys.simulate import SimulationConfig, simulate


@pytest.mark.parametrize(
    ("kind", "direction"), [("click", 1), ("purchase", 1), ("dismiss", -1), ("shown", -1)]
)
def test_feedback_moves_the_item_offset(kind: str, direction: int) -> None:
    bandit = ThompsonReranker()
    bandit.record("P1", 0.0, kind)  # type: ignore[arg-type]
    mean, precision = bandit.offsets["P1"]
    assert np.sign(mean) == direction
    assert precision > 1.0  # more certain than the prior


def test_a_purchase_counts_more_than_a_click() -> None:
    click, buy = ThompsonReranker(), ThompsonReranker()
    click.record("P1", 0.0, "click")
    buy.record("P1", 0.0, "purchase")
    assert buy.offsets["P1"][0] > click.offsets["P1"][0]


def test_dismissed_items_sink_in_the_greedy_order() -> None:
    bandit = ThompsonReranker()
    # Engagement is rare (5 % prior), so one "no" is weak evidence; ten are not.
    for _ in range(10):
        bandit.record("A", 1.2, "dismiss")
    order = bandit.rerank(["A", "B", "C"], np.array([3.0, 2.0, 1.0]), greedy=True)
    assert order == [1, 2, 0]


def test_state_round_trip_and_errors() -> None:
    bandit = ThompsonReranker()
    bandit.record("P1", 0.5, "click")
    copy = ThompsonReranker()
    copy.load_state(bandit.state())
    assert copy.state() == bandit.state()
    with pytest.raises(ValueError, match="malformed"):
        copy.load_state({"scale": [1, 2]})
    with pytest.raises(ValueError, match="feedback kind"):
        bandit.record("P1", 0.0, "like")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one score per item"):
        bandit.rerank(["a"], np.array([1.0, 2.0]))


def test_standardise_handles_ties_and_minus_infinity() -> None:
    assert standardise(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    values = standardise(np.array([1.0, -np.inf, 3.0]))
    assert np.isfinite(values).all() and values[2] > values[0] >= values[1]


def test_thompson_sampling_converges_in_the_simulation() -> None:
    config = SimulationConfig(rounds=2000)
    summary = simulate(config, seeds=(0,))
    regret = summary.final_regret
    assert regret["thompson"] < 0.65 * regret["model"]
    assert regret["thompson"] < 0.3 * regret["random"]
    per_round = np.diff(summary.cumulative_regret["thompson"], prepend=0)
    first, last = per_round[:200].mean(), per_round[-400:].mean()
    assert last < 0.5 * first  # it learns: regret per round falls
    assert summary.mean_reward["thompson"] > summary.mean_reward["random"]

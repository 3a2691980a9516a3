"""The search that extends an edge winner until it is interior, on synthetic objectives."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot.recsys.search import AT_BOUND, AT_EDGE, INTERIOR, Axis, Config, edge_search


def peaked(peaks: dict[str, float]) -> Any:
    """A concave objective in log space with its maximum at ``peaks``; records each call."""
    calls: list[Config] = []

    def objective(config: Config) -> tuple[float, dict[str, Any]]:
        calls.append(dict(config))
        score = -sum((math.log2(config[k]) - math.log2(v)) ** 2 for k, v in peaks.items())
        return score, {"calls": len(calls)}

    objective.calls = calls  # type: ignore[attr-defined]
    return objective


def test_an_edge_winner_is_extended_until_interior() -> None:
    # The coarse grids end at 40 and 1.0; the optimum lies far beyond both (upwards, downwards).
    objective = peaked({"factors": 640.0, "reg": 0.01})
    axes = [
        Axis("factors", (10, 20, 40), factor=2.0, lower=1, integer=True),
        Axis("reg", (1.0, 4.0, 16.0), factor=4.0, lower=1e-6),
    ]
    result = edge_search(axes, objective, budget_s=1e9)
    assert result.best == {"factors": 640, "reg": pytest.approx(0.015625)}
    assert result.position == {"factors": INTERIOR, "reg": INTERIOR}
    assert result.stopped == "converged"
    tried = {c["factors"] for c in objective.calls}
    assert {320, 640, 1280} <= tried  # the winner's neighbours on both sides were scored
    assert 2560 not in tried  # no extension past an interior winner


def test_a_winner_at_the_domain_bound_is_marked_so() -> None:
    # Shrinkage 0 is best and nothing is below it.
    axes = [Axis("shrinkage", (0.0, 10.0, 100.0), factor=10.0, lower=0.0)]
    result = edge_search(axes, lambda c: (-c["shrinkage"], {}), budget_s=1e9)
    assert result.best == {"shrinkage": 0.0}
    assert result.position == {"shrinkage": AT_BOUND}


def test_dividing_reaches_the_lower_bound_itself() -> None:
    axes = [Axis("shrinkage", (1.0, 10.0), factor=10.0, lower=0.0)]
    result = edge_search(axes, lambda c: (-c["shrinkage"], {}), budget_s=1e9)
    assert result.best == {"shrinkage": 0.0}
    assert 0.0 in [t.config["shrinkage"] for t in result.trials]


def test_the_budget_stops_the_search_and_an_edge_winner_says_so() -> None:
    now = [0.0]

    def objective(config: Config) -> tuple[float, dict[str, Any]]:
        now[0] += 10.0  # every trial takes 10 "seconds"
        return float(config["x"]), {}

    axes = [Axis("x", (1, 2, 4), factor=2.0, lower=1, integer=True)]
    result = edge_search(axes, objective, budget_s=45.0, clock=lambda: now[0])
    # 3 grid trials, then extensions while under 45 s: 8 and 16 start at 30 and 40 s.
    assert [t.config["x"] for t in result.trials] == [1, 2, 4, 8, 16]
    assert result.best == {"x": 16}
    assert result.position == {"x": AT_EDGE}
    assert result.stopped == "budget"


def test_every_trial_is_recorded_with_score_metrics_and_seconds() -> None:
    objective = peaked({"k": 4.0})
    result = edge_search([Axis("k", (2, 4, 16), integer=True, lower=1)], objective, budget_s=1e9)
    records = result.as_json()
    assert records["chosen"] == {"k": 4}
    assert len(records["trials"]) == len(objective.calls) == len(result.trials)
    for trial in records["trials"]:
        assert {"k", "score", "seconds", "calls"} <= set(trial)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grid": ()}, "grid is empty"),
        ({"grid": (2, 1)}, "ascending"),
        ({"grid": (1, 2), "factor": 1.0}, "factor must be above 1"),
        ({"grid": (0, 2), "lower": 1}, "leaves"),
    ],
)
def test_bad_axes_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Axis("x", **kwargs)

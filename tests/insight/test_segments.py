"""Clustering methods, the parameter choice, and the zh/en names from centroids."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.insight import segments, synth
from bot.insight.features import FeatureTable, Line, rfm
from bot.insight.segments import Fit, Prepared


def three_kinds(n: int = 90) -> FeatureTable:
    lines = [
        Line(
            r["customer_id"],
            r["order_id"],
            datetime.fromisoformat(r["order_date"]).replace(tzinfo=UTC),
            float(r["amount"]),
            r["category"],
        )
        for r in synth.transactions(n_customers=n, seed=3)
    ]
    return rfm(lines)


@pytest.fixture(scope="module")
def comparison() -> segments.Comparison:
    return segments.compare(three_kinds(), rounds=3)


def test_each_method_labels_every_customer_consistently(comparison: segments.Comparison) -> None:
    x = comparison.prepared.x
    for method, result in comparison.searches.items():
        assert result.fits, method
        for fit in result.fits:
            assert fit.labels.shape == (len(x),)
            assert fit.n_clusters == len({int(v) for v in fit.labels if v >= 0})
            assert sum(fit.sizes().values()) == len(x)
            if method != "dbscan":
                assert fit.n_clusters == int(fit.param)
            # The same data and parameter give the same partition.
            again = segments.METHODS[method](x, fit.param, None)
            assert segments.adjusted_rand_score(fit.labels, again) == pytest.approx(1.0)


def test_planted_kinds_are_separated_and_the_choice_is_inside_its_grid(
    comparison: segments.Comparison,
) -> None:
    planted = np.array([int(cid[1:]) % 3 for cid in comparison.table.customer_ids])
    for method in ("kmeans", "hierarchical"):
        result = comparison.searches[method]
        chosen = result.chosen
        assert chosen is not None, method
        summary = result.summary()
        assert not summary["chosen_at_edge"], (method, summary["grid"], chosen.param)
        assert chosen.stability >= segments.MIN_STABILITY
        # Every segment found holds (almost) only one planted kind of customer.
        for g in set(chosen.labels.tolist()):
            kinds = planted[chosen.labels == g]
            assert np.bincount(kinds).max() / len(kinds) >= 0.9, (method, g)
    assert comparison.chosen in ("kmeans", "hierarchical", "dbscan")


def test_chosen_segments_have_both_languages(comparison: segments.Comparison) -> None:
    assignment = comparison.assignment()
    assert len(assignment) == 90
    keys = {seg.key for seg in comparison.segments.values()}
    assert set(assignment.values()) == keys
    for seg in comparison.segments.values():
        assert seg.name_en and seg.explanation_en.isascii()
        assert re.search(r"[\u4e00-\u9fff]", seg.name_zh)
        assert re.search(r"[\u4e00-\u9fff]", seg.explanation_zh)
    names = {seg.key.rstrip("_0123456789") for seg in comparison.segments.values()}
    assert "loyal_big_spenders" in names and "dormant_light_buyers" in names


def test_names_come_from_centroids_not_indices() -> None:
    names = ["recency_days", "frequency", "monetary", "avg_order_value"]
    x = np.array([[-1.0, 1.0, 1.0, 0.0]] * 5 + [[1.0, -1.0, -1.0, 0.0]] * 5)
    table = FeatureTable([f"c{i}" for i in range(10)], names, np.abs(x) * 10)
    prepared = Prepared(x, names, np.zeros(4), np.ones(4))
    first = segments.name_segments(np.array([0] * 5 + [1] * 5), prepared, table)
    swapped = segments.name_segments(np.array([1] * 5 + [0] * 5), prepared, table)
    assert first[0].key == swapped[1].key == "loyal_big_spenders"
    assert first[1].key == swapped[0].key == "dormant_light_buyers"


def test_same_name_twice_is_numbered() -> None:
    names = ["monetary"]
    x = np.array([[-2.0]] * 3 + [[0.0]] * 3 + [[0.1]] * 3)
    table = FeatureTable(
        [f"c{i}" for i in range(9)], names, np.array([[9.0]] * 3 + [[5.0]] * 3 + [[4.0]] * 3)
    )
    prepared = Prepared(x, names, np.zeros(1), np.ones(1))
    segs = segments.name_segments(np.array([0] * 3 + [1] * 3 + [2] * 3), prepared, table)
    assert segs[0].key == "light_occasional_buyers"
    assert segs[1].key == "steady_middle_1" and segs[2].key == "steady_middle_2"


def test_choice_widens_the_grid_when_at_the_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    # Silhouette rising with k: the first grid's best is its top, so the grid must grow.
    def fake_fit(x: np.ndarray, method: str, param: float, rounds: int) -> Fit:
        return Fit(method, param, np.arange(len(x)) % int(param), param / 100, 1.0, 0.9)

    monkeypatch.setattr(segments, "fit_one", fake_fit)
    result = segments.search(np.zeros((40, 2)), "kmeans", rounds=1)
    assert result.widened >= 1 and max(result.grid) > max(segments.K_GRID)


def test_unstable_values_are_not_chosen() -> None:
    fits = [
        Fit("kmeans", 2, np.zeros(4), 0.5, 1.0, 0.9),
        Fit("kmeans", 3, np.zeros(4), 0.48, 1.0, 0.5),  # close silhouette, unstable
        Fit("kmeans", 4, np.zeros(4), 0.44, 1.0, 0.8),
    ]
    chosen = segments.choose(fits)
    assert chosen is not None and chosen.param == 4

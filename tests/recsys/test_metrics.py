"""Full-ranking HR@k / NDCG@k."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.recsys.metrics import hit_and_ndcg, target_ranks


@pytest.mark.parametrize(
    ("scores", "history", "target", "rank"),
    [
        ([0, 5, 4, 3, 2], [], 1, 0),  # best item
        ([0, 5, 4, 3, 2], [], 3, 2),
        ([0, 5, 4, 3, 2], [1, 2], 3, 0),  # history items are not ranked
        ([0, 1, 1, 1, 1], [], 2, 3),  # ties count against the target
        ([9, 1, 2, 3, 4], [], 1, 3),  # column 0 is padding, never ranked
    ],
)
def test_target_ranks(scores: list[float], history: list[int], target: int, rank: int) -> None:
    ranks = target_ranks(
        np.array([scores], dtype=float), [np.array(history, dtype=np.int64)], np.array([target])
    )
    assert ranks.tolist() == [rank]


def test_hit_and_ndcg() -> None:
    hr, ndcg = hit_and_ndcg(np.array([0, 1, 10]), k=10)
    assert hr == pytest.approx(2 / 3)
    assert ndcg == pytest.approx((1.0 + 1 / math.log2(3)) / 3)
    with pytest.raises(ValueError, match="no users"):
        hit_and_ndcg(np.array([], dtype=np.int64), k=10)

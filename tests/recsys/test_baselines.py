"""Popularity, item-kNN and implicit ALS on seeded data."""

from __future__ import annotations

import numpy as np
import pytest

from bot.recsys.baselines import ALSParams, ImplicitALS, ItemKNN, Popularity
from bot.recsys.data import SequenceData, history_matrix, make_protocol
from bot.recsys.metrics import evaluate


def test_popularity_ranks_by_count() -> None:
    matrix = history_matrix([np.array([1, 2]), np.array([2]), np.array([2, 3])], n_items=3)
    scores = Popularity().fit(matrix).scores([np.array([1])], np.array([0]))
    assert scores[0].tolist() == [0.0, 1.0, 3.0, 1.0]


def test_item_knn_scores_co_occurring_items() -> None:
    matrix = history_matrix([np.array([1, 2]), np.array([1, 2]), np.array([3, 4])], n_items=4)
    knn = ItemKNN(neighbours=1).fit(matrix)
    scores = knn.scores([np.array([1])], np.array([0]))[0]
    assert scores[2] > 0.9
    assert scores[3] == scores[4] == 0.0


def test_item_knn_shrinkage_damps_pairs_seen_together_rarely() -> None:
    # Items 1 and 2 share their only user; items 3 and 4 share all ten of theirs: both cosine 1.
    histories = [np.array([1, 2])] + [np.array([3, 4])] * 10
    matrix = history_matrix(histories, n_items=4)
    plain = ItemKNN(neighbours=5).fit(matrix).scores([np.array([1]), np.array([3])], np.arange(2))
    assert plain[0][2] == pytest.approx(1.0) and plain[1][4] == pytest.approx(1.0)
    shrunk = ItemKNN(neighbours=5, shrinkage=10.0).fit(matrix)
    scores = shrunk.scores([np.array([1]), np.array([3])], np.arange(2))
    assert scores[0][2] == pytest.approx(1 / 11)  # 1 / (sqrt(1 * 1) + 10)
    assert scores[1][4] == pytest.approx(10 / 20)  # 10 / (sqrt(10 * 10) + 10)
    with pytest.raises(ValueError, match="shrinkage must be 0 or more"):
        ItemKNN(shrinkage=-1.0)


def test_baselines_beat_chance_on_seeded_sequences(markov_data: SequenceData) -> None:
    protocol = make_protocol(markov_data, valid_users=100, seed=0)
    matrix = history_matrix(protocol.test_sequences, markov_data.n_items)
    knn = evaluate(ItemKNN(50).fit(matrix).scores, protocol.test)
    als = evaluate(ImplicitALS(ALSParams(factors=32), seed=0).fit(matrix).scores, protocol.test)
    chance = 10 / markov_data.n_items
    # Co-occurrence carries the successor structure, without the order.
    assert knn.hr > 2 * chance
    assert als.hr > 1.5 * chance


def test_als_refuses_users_it_was_not_fitted_on() -> None:
    matrix = history_matrix([np.array([1, 2]), np.array([2, 3])], n_items=3)
    als = ImplicitALS(ALSParams(factors=2, iterations=2), seed=0).fit(matrix)
    with pytest.raises(ValueError, match="fitted on 2 users"):
        als.scores([np.array([1])], np.array([5]))

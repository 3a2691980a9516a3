"""Full-ranking metrics: the held-out item is ranked against every item the user has not had.

Ties count against the held-out item (an item scoring the same is ranked ahead of it), so a
method cannot gain from giving many items the same score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.recsys.data import Split

# Scores for a batch of users, given their histories and their positions in the data set
# (Split.users): a (batch, n_items + 1) array, column 0 (padding) ignored.
Scorer = Callable[[Sequence[np.ndarray], np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RankingResult:
    hr: float
    ndcg: float
    k: int
    users: int

    def as_json(self) -> dict[str, float]:
        return {f"hr@{self.k}": round(self.hr, 6), f"ndcg@{self.k}": round(self.ndcg, 6)}


def target_ranks(
    scores: np.ndarray, histories: Sequence[np.ndarray], targets: np.ndarray
) -> np.ndarray:
    """0-based rank of each target among all items, history items and padding excluded."""
    if scores.shape[0] != len(targets):
        raise ValueError(f"scores has {scores.shape[0]} rows but there are {len(targets)} targets")
    scores = np.array(scores, dtype=np.float32, copy=True)
    scores[:, 0] = -np.inf
    for row, history in enumerate(histories):
        scores[row, history] = -np.inf
    rows = np.arange(len(targets))
    target_scores = scores[rows, targets]
    ahead = (scores >= target_scores[:, None]).sum(axis=1) - 1  # minus the target itself
    return np.maximum(ahead, 0)


def hit_and_ndcg(ranks: np.ndarray, k: int) -> tuple[float, float]:
    """HR@k and NDCG@k from 0-based ranks (one relevant item per user)."""
    if len(ranks) == 0:
        raise ValueError("no users to evaluate")
    hits = ranks < k
    gains = np.where(hits, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(hits.mean()), float(gains.mean())


def evaluate(scorer: Scorer, split: Split, k: int = 10, batch_size: int = 512) -> RankingResult:
    """HR@k and NDCG@k of ``scorer`` on ``split`` (full ranking, history excluded)."""
    ranks = []
    for start in range(0, len(split.targets), batch_size):
        rows = split.users[start : start + batch_size]
        histories = split.histories[start : start + batch_size]
        targets = split.targets[start : start + batch_size]
        ranks.append(target_ranks(scorer(histories, rows), histories, targets))
    hr, ndcg = hit_and_ndcg(np.concatenate(ranks), k)
    return RankingResult(hr=hr, ndcg=ndcg, k=k, users=len(split.targets))

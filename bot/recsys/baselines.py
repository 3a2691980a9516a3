"""The standard baselines, each fitted on a users x items history matrix.

- :class:`Popularity`: how many users had each item.
- :class:`ItemKNN`: cosine item-item similarity over users, shrunk towards 0 for items with
  few users in common (``shrinkage``), ``neighbours`` kept per item.
- :class:`ImplicitALS`: the ``implicit`` library's alternating least squares.

Every baseline scores a batch of histories as a ``(batch, n_items + 1)`` array (column 0 is
padding), the :data:`bot.recsys.metrics.Scorer` shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from bot.recsys.data import history_matrix


class Popularity:
    """Most-had items first, the same list for everyone."""

    def __init__(self) -> None:
        self.counts: np.ndarray | None = None

    def fit(self, matrix: sp.csr_matrix) -> Popularity:
        self.counts = np.asarray(matrix.sum(axis=0), dtype=np.float32).ravel()
        return self

    def scores(self, histories: Sequence[np.ndarray], rows: np.ndarray) -> np.ndarray:
        if self.counts is None:
            raise ValueError("Popularity.scores called before fit")
        return np.broadcast_to(self.counts, (len(histories), len(self.counts)))


class ItemKNN:
    """Cosine similarity between items' user vectors; a user's score sums over history items.

    With ``shrinkage`` s the similarity of items i and j is ``common / (|i| |j| + s)`` with
    ``|i|`` the square root of i's user count (s = 0: plain cosine).
    """

    def __init__(self, neighbours: int = 100, shrinkage: float = 0.0) -> None:
        if neighbours < 1:
            raise ValueError(f"neighbours must be at least 1, got {neighbours}")
        if shrinkage < 0:
            raise ValueError(f"shrinkage must be 0 or more, got {shrinkage}")
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.similarity: sp.csr_matrix | None = None
        self.n_columns = 0

    def fit(self, matrix: sp.csr_matrix) -> ItemKNN:
        items = matrix.T.tocsr().astype(np.float32)
        norms = np.sqrt(np.asarray(items.multiply(items).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        similarity = (items @ items.T).tocsr()
        similarity.setdiag(0.0)
        similarity.eliminate_zeros()
        rows = np.repeat(np.arange(similarity.shape[0]), np.diff(similarity.indptr))
        denominator = norms[rows] * norms[similarity.indices] + self.shrinkage
        similarity.data = (similarity.data / denominator).astype(np.float32)
        self.similarity = _top_k_per_row(similarity, self.neighbours)
        self.n_columns = matrix.shape[1]
        return self

    def scores(self, histories: Sequence[np.ndarray], rows: np.ndarray) -> np.ndarray:
        if self.similarity is None:
            raise ValueError("ItemKNN.scores called before fit")
        users = history_matrix(histories, self.n_columns - 1)
        return np.asarray((users @ self.similarity).todense(), dtype=np.float32)


def _top_k_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of each row."""
    indptr = [0]
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        values = matrix.data[start:end]
        columns = matrix.indices[start:end]
        if len(values) > k:
            keep = np.argpartition(-values, k - 1)[:k]
            values, columns = values[keep], columns[keep]
        indices.append(columns)
        data.append(values)
        indptr.append(indptr[-1] + len(values))
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.asarray(indptr)), shape=matrix.shape
    )


@dataclass(frozen=True)
class ALSParams:
    factors: int = 64
    regularization: float = 0.01
    alpha: float = 1.0
    iterations: int = 15


class ImplicitALS:
    """``implicit``'s ALS; it scores the users (rows) of the matrix it was fitted on."""

    def __init__(self, params: ALSParams, seed: int, threads: int = 2) -> None:
        self.params = params
        self.seed = seed
        self.threads = threads
        self.user_factors: np.ndarray | None = None
        self.item_factors: np.ndarray | None = None

    def fit(self, matrix: sp.csr_matrix) -> ImplicitALS:
        from implicit.cpu.als import AlternatingLeastSquares  # heavy import, only when used
        from threadpoolctl import threadpool_limits

        # implicit runs its own threads; a multi-threaded BLAS underneath only contends.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.params.factors,
                regularization=self.params.regularization,
                alpha=self.params.alpha,
                iterations=self.params.iterations,
                random_state=self.seed,
                num_threads=self.threads,
            )
            model.fit(matrix.astype(np.float32).tocsr(), show_progress=False)
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)
        return self

    def scores(self, histories: Sequence[np.ndarray], rows: np.ndarray) -> np.ndarray:
        """Scores of the fitted matrix's users ``rows`` (their histories are already in it)."""
        if self.user_factors is None or self.item_factors is None:
            raise ValueError("ImplicitALS.scores called before fit")
        if len(rows) and int(rows.max()) >= len(self.user_factors):
            raise ValueError(
                f"row {int(rows.max())} asked for, but the model was fitted on "
                f"{len(self.user_factors)} users; score the users of the fitted matrix"
            )
        return self.user_factors[rows] @ self.item_factors.T

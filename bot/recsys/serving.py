"""The trained shop model as the action server uses it, reloaded when the file changes.

:class:`ModelStore` checks the artifact's modification time and size on every request (one
``stat`` call) and loads a new file when either changed, so `make train` reaches a running
action server without a restart. A file that fails to load is logged and the previous model
kept; without any file the service answers from popularity and ratings (cold start).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from pickle import UnpicklingError
from typing import Any

import numpy as np
import torch

from bot.recsys.model import SequentialRecommender

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServingModel:
    """A loaded artifact: the model, its product ids and popularity tables."""

    model: SequentialRecommender
    item_ids: tuple[str, ...]  # item_ids[i - 1] is the product of item index i
    index_of: dict[str, int]
    unit_vectors: np.ndarray  # (n_items + 1, dim), L2-normalised item embeddings
    popularity: dict[str, dict[str, float]]  # "all" and "segment:<name>" -> product -> score
    trained_at: str
    path: Path

    @classmethod
    def load(cls, path: Path) -> ServingModel:
        model, extra = SequentialRecommender.load(path)
        item_ids = tuple(str(i) for i in extra.get("item_ids") or ())
        if len(item_ids) != model.n_items:
            raise ValueError(
                f"{path}: the model has {model.n_items} items but {len(item_ids)} product ids; "
                "retrain it with `make train`"
            )
        vectors = model.item_vectors()
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        raw_popularity: Any = extra.get("popularity") or {}
        popularity = {
            str(key): {str(p): float(v) for p, v in table.items()}
            for key, table in raw_popularity.items()
            if isinstance(table, dict)
        }
        return cls(
            model=model,
            item_ids=item_ids,
            index_of={pid: i + 1 for i, pid in enumerate(item_ids)},
            unit_vectors=vectors / norms,
            popularity=popularity,
            trained_at=str(extra.get("trained_at") or ""),
            path=path,
        )

    def scores(self, history: Sequence[str]) -> dict[str, float]:
        """Next-product scores given the customer's products (oldest first); {} if none known."""
        known = np.asarray([self.index_of[p] for p in history if p in self.index_of], np.int64)
        if len(known) == 0:
            return {}
        with torch.inference_mode():
            row = self.model.score_tensor([known])[0].numpy()
        return {pid: float(row[i + 1]) for i, pid in enumerate(self.item_ids)}

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two products' embeddings (0 when either is unknown)."""
        ia, ib = self.index_of.get(a), self.index_of.get(b)
        if ia is None or ib is None:
            return 0.0
        return float(self.unit_vectors[ia] @ self.unit_vectors[ib])

    def similar(self, product_id: str) -> dict[str, float]:
        """Every other product's cosine similarity to ``product_id`` ({} if unknown)."""
        index = self.index_of.get(product_id)
        if index is None:
            return {}
        sims = self.unit_vectors @ self.unit_vectors[index]
        return {pid: float(sims[i + 1]) for i, pid in enumerate(self.item_ids) if i + 1 != index}


class ModelStore:
    """Holds the current :class:`ServingModel` for ``path`` and reloads it when it changes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._model: ServingModel | None = None
        self._signature: tuple[int, int] | None = None
        self.loads = 0

    def current(self) -> ServingModel | None:
        """The model in the file now (reloaded if the file changed), or None without one."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self._model
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature != self._signature:
            self._signature = signature
            try:
                self._model = ServingModel.load(self.path)
                self.loads += 1
                logger.info("recommender model loaded from %s", self.path)
            except (OSError, ValueError, KeyError, RuntimeError, EOFError, UnpicklingError) as exc:
                # Keep serving the previous model; a half-copied or foreign file is not fatal.
                logger.error("could not load the recommender model %s: %s", self.path, exc)
        return self._model

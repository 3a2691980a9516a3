"""Thompson sampling over the model's top candidates, learning from chat feedback.

The personal model already knows what suits a customer; what it cannot see is how an item does
once shown (a misleading picture, a price that puts people off). So the bandit learns one
correction per item on top of the model, shared by all customers:

    P(engage | customer u, item i) = sigmoid(scale * s_ui + bias + offset_i)

where ``s_ui`` is the model's score standardised over the customer's candidates. ``scale``,
``bias`` and every ``offset_i`` have independent Gaussian posteriors, updated online after each
piece of feedback with the Laplace approximation of Bayesian logistic regression (Chapelle & Li,
"An Empirical Evaluation of Thompson Sampling", NIPS 2011). Feedback is an observation with a
weight (:data:`FEEDBACK`): a click or purchase is engagement, "not interested" is its opposite,
a card shown and ignored is weak evidence against (in chat, people often just stop replying).

Re-ranking draws the parameters from the posterior and sorts by the sampled engagement
(Thompson sampling); ``greedy`` uses the posterior means instead, which never tries an item the
model undersells.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

FeedbackKind = Literal["shown", "click", "purchase", "dismiss"]

# kind -> (engaged?, weight of the observation)
FEEDBACK: dict[FeedbackKind, tuple[int, float]] = {
    "shown": (0, 0.2),
    "click": (1, 1.0),
    "purchase": (1, 2.0),
    "dismiss": (0, 3.0),  # an explicit "not interested" says more than an ignored card
}


@dataclass(frozen=True)
class BanditConfig:
    base_rate: float = 0.05  # prior engagement of an average candidate
    scale_prior: float = 0.5  # prior mean of ``scale``: one std of model score = 0.5 logit
    scale_std: float = 0.5
    bias_std: float = 1.0
    offset_std: float = 1.0  # how far feedback may move one item away from the model

    def __post_init__(self) -> None:
        if not 0 < self.base_rate < 1:
            raise ValueError(f"base_rate must be in (0, 1), got {self.base_rate}")
        for name in ("scale_std", "bias_std", "offset_std"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def standardise(scores: np.ndarray) -> np.ndarray:
    """Model scores centred and scaled over one customer's candidates (-inf -> lowest)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"expected a non-empty 1-d array of scores, got shape {values.shape}")
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros_like(values)
    values = np.where(finite, values, values[finite].min())
    spread = values.std()
    return (values - values.mean()) / (spread if spread > 1e-9 else 1.0)


class ThompsonReranker:
    """Gaussian posteriors (mean, precision) of ``scale``, ``bias`` and each item's ``offset``."""

    def __init__(
        self, config: BanditConfig | None = None, rng: np.random.Generator | None = None
    ) -> None:
        self.config = config or BanditConfig()
        self.rng = rng if rng is not None else np.random.default_rng(0)
        c = self.config
        self.scale = [c.scale_prior, c.scale_std**-2]
        self.bias = [math.log(c.base_rate / (1 - c.base_rate)), c.bias_std**-2]
        self.offsets: dict[str, list[float]] = {}
        self.observations = 0

    def _offset(self, item: str) -> list[float]:
        return self.offsets.get(item) or [0.0, self.config.offset_std**-2]

    # --- learning --------------------------------------------------------------------------
    def record(self, item: str, standardised_score: float, kind: FeedbackKind) -> None:
        """Update the posterior with one piece of feedback on ``item``.

        ``standardised_score`` is the item's score among the candidates it was shown with
        (:func:`standardise`).
        """
        if kind not in FEEDBACK:
            raise ValueError(f"feedback kind must be one of {sorted(FEEDBACK)}, got {kind!r}")
        engaged, weight = FEEDBACK[kind]
        offset = self._offset(item)
        params = (self.scale, self.bias, offset)
        x = (float(standardised_score), 1.0, 1.0)
        prior_z = sum(p[0] * xi for p, xi in zip(params, x, strict=True))
        variance = sum(xi * xi / p[1] for p, xi in zip(params, x, strict=True))
        # The posterior mode lies on the line m - t * x / q; solve for z = w . x (1-d Newton).
        z = prior_z
        for _ in range(50):
            p = _sigmoid(z)
            gradient = z - prior_z + variance * weight * (p - engaged)
            z -= gradient / (1.0 + variance * weight * p * (1 - p))
            if abs(gradient) < 1e-10:
                break
        p = _sigmoid(z)
        for param, xi in zip(params, x, strict=True):
            param[0] -= weight * (p - engaged) * xi / param[1]
            param[1] += weight * xi * xi * p * (1 - p)
        self.offsets[item] = offset
        self.observations += 1

    # --- ranking ---------------------------------------------------------------------------
    def rerank(
        self, items: Sequence[str], model_scores: np.ndarray, *, greedy: bool = False
    ) -> list[int]:
        """Positions into ``items``, best first (ties keep the model's order)."""
        if len(items) != len(model_scores):
            raise ValueError(
                f"got {len(items)} items but {len(model_scores)} scores; pass one score per item"
            )
        if not items:
            return []
        s = standardise(np.asarray(model_scores))
        offsets = np.array([self._offset(i) for i in items])
        if greedy:
            scale, offset = self.scale[0], offsets[:, 0]
        else:
            scale = self.rng.normal(self.scale[0], self.scale[1] ** -0.5)
            offset = self.rng.normal(offsets[:, 0], offsets[:, 1] ** -0.5)
        value = scale * s + offset
        return [int(i) for i in np.lexsort((np.arange(len(items)), -value))]

    def expected_engagement(self, items: Sequence[str], model_scores: np.ndarray) -> np.ndarray:
        """Posterior-mean engagement probability of each item (for reports)."""
        s = standardise(np.asarray(model_scores))
        offsets = np.array([self._offset(i)[0] for i in items])
        z = self.scale[0] * s + self.bias[0] + offsets
        return 1.0 / (1.0 + np.exp(-z))

    # --- persistence -----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "bias": self.bias,
            "offsets": self.offsets,
            "observations": self.observations,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state`; ValueError naming the key when it is malformed."""
        try:
            scale = [float(v) for v in state["scale"]]
            bias = [float(v) for v in state["bias"]]
            offsets = {str(k): [float(v[0]), float(v[1])] for k, v in state["offsets"].items()}
            observations = int(state.get("observations", 0))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ValueError(
                f"bandit state is malformed ({exc!r}); expected keys 'scale', 'bias', 'offsets'"
            ) from exc
        if len(scale) != 2 or len(bias) != 2:
            raise ValueError("bandit state: 'scale' and 'bias' must be [mean, precision]")
        self.scale, self.bias, self.offsets, self.observations = scale, bias, offsets, observations

    def save(self, path: str | Path) -> None:
        """Write the posterior to ``path`` atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.state()), encoding="utf-8")
        os.replace(tmp, path)


Observation = tuple[str, float, FeedbackKind]  # (item, standardised score, kind)


def save_merged(bandit: ThompsonReranker, path: str | Path, pending: Sequence[Observation]) -> None:
    """Save ``bandit`` to ``path`` without losing what other processes saved there.

    Several processes (action servers of a scaled-out shop) learn from their own feedback and
    share one file. Under an exclusive lock on a lock file next to it, the posterior saved there
    is loaded, this process's ``pending`` observations (those since its last save) are replayed
    on it, and the result is written atomically; ``bandit`` then holds everything all of them
    learnt. A missing or unreadable file is replaced by ``bandit`` as it is (which already holds
    ``pending``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        saved: dict[str, Any] | None = None
        if path.exists():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = None
        if isinstance(saved, dict):
            before = bandit.state()
            try:
                bandit.load_state(saved)
            except ValueError:
                bandit.load_state(before)
            else:
                for item, score, kind in pending:
                    bandit.record(item, score, kind)
        bandit.save(path)

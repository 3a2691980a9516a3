"""A linear intent model that trains in seconds on tens of thousands of examples.

Rasa's LogisticRegressionClassifier fits a multinomial model with L-BFGS on raw n-gram counts:
on CLINC150's 15,000 examples (150 intents, ~60,000 word and character n-grams) that took most
of a 19-minute training run. Here the counts are scaled sublinearly (1 + log count) and each row
is L2-normalised. Three heads turn the features into probabilities (``head``):

- ``svm_softmax`` (the default): one-vs-rest linear SVMs (liblinear's dual coordinate descent)
  and a softmax over their margins, with one temperature fitted on out-of-fold margins. The
  intents compete in one softmax, so when two intents both match a message the better one still
  wins clearly and the FallbackClassifier's ambiguity check keeps its meaning. With a floor, the
  softmax is scaled down by the Platt sigmoids' sum over the floor when that sum is smaller, so
  a message no intent claims (an off-topic one) keeps low confidences;
- ``softmax``: a multinomial logistic regression (L-BFGS) on the scaled features: as decisive,
  but at CLINC150's size it needs minutes of CPU where the SVMs need well under one;
- ``platt``: the same SVMs and a sigmoid per intent (Platt scaling) fitted on out-of-fold
  scores, normalised to sum to one unless no intent claims the message (see
  :meth:`CalibratedLinearModel.predict_proba`). Independent sigmoids let two intents that both
  match a message both score high, so mixed messages come out close to a tie.

Only numpy, scipy and scikit-learn (no Rasa): the Rasa component
(:mod:`components.linear_intent_classifier`) wraps it, and the tests use it directly. The model
is saved as plain arrays (``numpy.savez``, no pickle).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix
from scipy.special import log_softmax, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

logger = logging.getLogger(__name__)

ARRAYS = ("coef", "intercept", "slope", "offset", "classes", "head", "scale")
HEADS = ("softmax", "svm_softmax", "platt")


def scale_features(features: Any, sublinear: bool = True) -> csr_matrix:
    """Counts as 1 + log(count) (when ``sublinear``), each row scaled to unit length."""
    matrix = csr_matrix(features, dtype=np.float64, copy=True)
    if sublinear and matrix.nnz:
        positive = matrix.data > 0
        matrix.data[positive] = 1.0 + np.log(matrix.data[positive])
    result: csr_matrix = normalize(matrix, norm="l2", copy=False)
    return result


def _svm(c: float, random_state: int, max_iter: int) -> LinearSVC:
    return LinearSVC(
        C=c, class_weight="balanced", random_state=random_state, max_iter=max_iter, dual=True
    )


def _platt(scores: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """Slope and offset of p = 1 / (1 + exp(slope * score + offset)) for one intent."""
    if positive.all() or not positive.any():
        return -1.0, 0.0
    fit = LogisticRegression(C=1e4, max_iter=200).fit(scores.reshape(-1, 1), positive)
    return -float(fit.coef_[0, 0]), -float(fit.intercept_[0])


def _inverse_temperature(scores: np.ndarray, index: np.ndarray) -> float:
    """The factor on the margins that minimises the out-of-fold log loss of their softmax."""
    rows = np.arange(len(index))

    def loss(log_factor: float) -> float:
        return float(-log_softmax(scores * np.exp(log_factor), axis=1)[rows, index].mean())

    fit = minimize_scalar(loss, bounds=(-5.0, 8.0), method="bounded")
    return float(np.exp(fit.x))


class CalibratedLinearModel:
    """Linear scores per class and the head that turns them into probabilities: a softmax
    with ``scale`` as its inverse temperature (``softmax``, ``svm_softmax``), and a Platt sigmoid
    per class (``slope``, ``offset``: ``platt``, and ``svm_softmax`` below a floor)."""

    def __init__(
        self,
        coef: np.ndarray,
        intercept: np.ndarray,
        slope: np.ndarray,
        offset: np.ndarray,
        classes: np.ndarray,
        head: str | np.ndarray = "platt",
        scale: float | np.ndarray = 1.0,
    ) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.slope = np.asarray(slope, dtype=np.float64)
        self.offset = np.asarray(offset, dtype=np.float64)
        self.classes = np.asarray(classes, dtype=str)
        self.head = str(np.asarray(head))
        self.scale = float(np.asarray(scale))
        if self.head not in HEADS:
            raise ValueError(f"unknown head {self.head!r}; one of {', '.join(HEADS)}")

    @classmethod
    def fit(
        cls,
        features: Any,
        labels: Sequence[str],
        *,
        head: str = "svm_softmax",
        c: float = 0.5,
        softmax_c: float = 20.0,
        folds: int = 3,
        random_state: int = 42,
        max_iter: int = 2000,
    ) -> CalibratedLinearModel:
        """Fit on scaled features (:func:`scale_features`) and their labels (two or more).
        ``c`` is the SVMs' regularisation (``svm_softmax``, ``platt``), ``softmax_c`` the
        logistic regression's (``softmax``); ``folds`` give the out-of-fold SVM scores the
        temperature or the sigmoids are fitted on."""
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; one of {', '.join(HEADS)}")
        y = np.asarray(labels, dtype=str)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"need examples of two or more intents, got {list(classes)}")
        if head == "softmax":
            return cls._fit_softmax(features, y, classes, softmax_c, max_iter)
        splits = min(folds, min(Counter(y.tolist()).values()))
        scores = np.zeros((len(y), len(classes)))
        models: list[LinearSVC] = []
        if splits >= 2:
            kfold = StratifiedKFold(n_splits=splits, shuffle=True, random_state=random_state)
            for train, held in kfold.split(np.zeros(len(y)), y):
                models.append(_svm(c, random_state, max_iter).fit(features[train], y[train]))
                scores[held] = _decision(models[-1], features[held], len(classes))
            models = [_svm(c, random_state, max_iter).fit(features, y)]
        else:  # an intent with a single example: calibrate on the training scores
            logger.warning("an intent has one example; calibrating on the training data")
            models = [_svm(c, random_state, max_iter).fit(features, y)]
            scores = _decision(models[0], features, len(classes))
        coef = np.mean([_coef(m) for m in models], axis=0)
        intercept = np.mean([_intercept(m) for m in models], axis=0)
        slopes, offsets = zip(
            *(_platt(scores[:, k], y == name) for k, name in enumerate(classes)), strict=True
        )
        factor = _inverse_temperature(scores, np.searchsorted(classes, y))
        return cls(coef, intercept, np.array(slopes), np.array(offsets), classes, head, factor)

    @classmethod
    def _fit_softmax(
        cls, features: Any, y: np.ndarray, classes: np.ndarray, c: float, max_iter: int
    ) -> CalibratedLinearModel:
        fit = LogisticRegression(C=c, max_iter=max_iter).fit(features, y)
        coef, intercept = np.asarray(fit.coef_), np.asarray(fit.intercept_)
        if coef.shape[0] == 1:  # two classes: sklearn keeps one column, for classes[1]
            coef = np.vstack([-coef, coef]) / 2.0
            intercept = np.hstack([-intercept, intercept]) / 2.0
        ones, zeros = np.ones(len(classes)), np.zeros(len(classes))
        return cls(coef, intercept, -ones, zeros, classes, "softmax", 1.0)

    def decision(self, features: Any) -> np.ndarray:
        return np.asarray(features @ self.coef.T) + self.intercept

    def predict_proba(self, features: Any, floor: float = 0.0) -> np.ndarray:
        """Per-class confidences, columns in the order of ``classes``.

        ``softmax``: the softmax of the scores (they sum to one; ``floor`` is not used).
        ``platt``: each intent's sigmoid, divided by their sum when it is at least ``floor``
        (then they sum to one), else by ``floor``. ``svm_softmax``: the softmax of the scaled
        margins, times the sigmoids' sum over ``floor`` when that is below one. With a floor, a
        message no intent claims (an off-topic one) keeps low confidences, so the fallback
        threshold catches it instead of the least unlikely intent being blown up to a confident
        answer."""
        scores = self.decision(features)
        if self.head == "softmax":
            result: np.ndarray = softmax(self.scale * scores, axis=1)
            return result
        z = np.clip(self.slope * scores + self.offset, -500, 500)
        proba = 1.0 / (1.0 + np.exp(z))
        total = proba.sum(axis=1, keepdims=True)
        if self.head == "svm_softmax":
            claimed = np.minimum(1.0, total / floor) if floor > 0 else 1.0
            scaled: np.ndarray = softmax(self.scale * scores, axis=1) * claimed
            return scaled
        divisor = np.maximum(total, floor)
        uniform = np.full_like(proba, 1.0 / max(len(self.classes), 1))
        return np.where(divisor > 0, proba / np.where(divisor > 0, divisor, 1.0), uniform)

    def save(self, path: Path) -> None:
        np.savez(path, **{name: getattr(self, name) for name in ARRAYS})

    @classmethod
    def load(cls, path: Path) -> CalibratedLinearModel:
        with np.load(path, allow_pickle=False) as data:
            # A model saved before the heads existed is a Platt model.
            head = data["head"] if "head" in data.files else "platt"
            scale = data["scale"] if "scale" in data.files else 1.0
            coef, intercept, slope, offset, classes = (data[name] for name in ARRAYS[:5])
            return cls(coef, intercept, slope, offset, classes, head, scale)


def _coef(svm: LinearSVC) -> np.ndarray:
    return svm.coef_ if svm.coef_.shape[0] > 1 else np.vstack([-svm.coef_, svm.coef_])


def _intercept(svm: LinearSVC) -> np.ndarray:
    value = np.atleast_1d(svm.intercept_)
    return value if value.shape[0] > 1 else np.hstack([-value, value])


def _decision(svm: LinearSVC, features: Any, n_classes: int) -> np.ndarray:
    scores = np.asarray(svm.decision_function(features))
    if n_classes == 2:
        return np.column_stack([-scores, scores])
    return scores

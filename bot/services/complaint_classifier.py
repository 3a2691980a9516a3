"""What a complaint is about: :class:`ComplaintClassifier`, a multinomial logistic regression on
TF-IDF features of the message (character 1-3-grams, robust to typos and to Chinese without
spaces, jieba words and word bigrams), so one model serves Chinese, English and mixed text. It
trains in about a second on the labelled messages in ``data/complaints.yml``
(:func:`load_classifier`)."""

from __future__ import annotations

import functools
import itertools
import logging
import math
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, get_args

import numpy as np
import yaml
from scipy import sparse
from scipy.optimize import minimize

ComplaintType = Literal[
    "delivery_delay",
    "damaged_in_transit",
    "quality_defect",
    "wrong_or_missing_item",
    "service_attitude",
    "courier_conduct",
    "refund_delay",
    "price_or_promotion",
    "other",
]

COMPLAINT_TYPES: tuple[ComplaintType, ...] = get_args(ComplaintType)
DATA_PATH = Path(__file__).resolve().parent / "data" / "complaints.yml"
DEFAULT_SEED = 20260421
TEST_FRACTION = 0.25

logger = logging.getLogger(__name__)


# Data ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    text: str
    label: ComplaintType
    lang: Literal["zh", "en"]


def load_examples(path: Path = DATA_PATH) -> list[Example]:
    """The labelled messages: ``{type: {zh: [...], en: [...]}}`` in the YAML file."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path} must map complaint types to languages, got {type(raw)}")
    unknown = set(raw) - set(COMPLAINT_TYPES)
    if unknown:
        raise ValueError(f"{path}: unknown complaint types {sorted(unknown)}")
    examples: list[Example] = []
    for label in COMPLAINT_TYPES:
        by_lang = raw.get(label) or {}
        for lang in ("zh", "en"):
            for text in by_lang.get(lang) or ():
                if not isinstance(text, str) or not text.strip():
                    raise ValueError(f"{path}: {label}/{lang} holds a non-text entry {text!r}")
                examples.append(Example(text.strip(), label, lang))
    return examples


def split_examples(
    examples: Sequence[Example], test_fraction: float = TEST_FRACTION, seed: int = DEFAULT_SEED
) -> tuple[list[Example], list[Example]]:
    """A held-out split stratified by type and language, the same for the same seed."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Example]] = {}
    for example in examples:
        groups.setdefault((example.label, example.lang), []).append(example)
    train: list[Example] = []
    test: list[Example] = []
    for key in sorted(groups):
        group = list(groups[key])
        rng.shuffle(group)
        cut = max(1, round(len(group) * test_fraction))
        test.extend(group[:cut])
        train.extend(group[cut:])
    return train, test


# Features --------------------------------------------------------------------------------------
_SPACE = re.compile(r"\s+")
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower case, single spaces."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


class _Tokenizer(Protocol):
    def lcut(self, sentence: str) -> list[str]: ...


@functools.cache
def _jieba() -> _Tokenizer:
    """A private jieba tokenizer (the global one may carry other users' dictionaries)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer: _Tokenizer = jieba.Tokenizer()
    return tokenizer


def features(text: str) -> list[str]:
    """Character 1-3-grams, words and word bigrams of a message (see the module docstring)."""
    norm = normalise(text)
    out: list[str] = []
    padded = f" {norm} "
    for n in (1, 2, 3):
        for i in range(len(padded) - n + 1):
            gram = padded[i : i + n]
            if gram.strip() and (n > 1 or _WORDLIKE.match(gram)):
                out.append("c:" + gram)
    words = [w for w in _jieba().lcut(norm) if _WORDLIKE.search(w)]
    out.extend("w:" + w for w in words)
    out.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(words))
    return out


class TfidfVectorizer:
    """Sublinear TF-IDF over :func:`features`, rows scaled to unit length."""

    def __init__(self, min_df: int = 1) -> None:
        self.min_df = min_df
        self.vocabulary: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0)

    def fit(self, texts: Sequence[str]) -> TfidfVectorizer:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(features(text)))
        kept = sorted(f for f, count in df.items() if count >= self.min_df)
        self.vocabulary = {f: i for i, f in enumerate(kept)}
        n = len(texts)
        self.idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in kept])
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            counts = Counter(f for f in features(text) if f in self.vocabulary)
            weights = {
                self.vocabulary[f]: (1.0 + math.log(c)) * self.idf[self.vocabulary[f]]
                for f, c in counts.items()
            }
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for col, weight in weights.items():
                rows.append(row)
                cols.append(col)
                values.append(weight / norm)
        shape = (len(texts), len(self.vocabulary))
        return sparse.csr_matrix((values, (rows, cols)), shape=shape)


# Models ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Classification:
    complaint_type: ComplaintType
    confidence: float  # probability of the chosen type
    scores: Mapping[str, float]  # probability per type


class ComplaintClassifier:
    """Multinomial logistic regression (L2, fitted with L-BFGS) on TF-IDF features."""

    def __init__(self, l2: float = 3e-5, max_iter: int = 500, min_df: int = 2) -> None:
        if l2 <= 0:
            raise ValueError(f"l2 must be positive, got {l2}")
        self.l2 = l2
        self.max_iter = max_iter
        self.vectorizer = TfidfVectorizer(min_df=min_df)
        self.weights: np.ndarray = np.zeros((0, len(COMPLAINT_TYPES)))
        self.bias: np.ndarray = np.zeros(len(COMPLAINT_TYPES))

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> ComplaintClassifier:
        if len(texts) != len(labels) or not texts:
            raise ValueError(f"need as many labels as texts (>0), got {len(texts)}/{len(labels)}")
        index: dict[str, int] = {label: i for i, label in enumerate(COMPLAINT_TYPES)}
        unknown = set(labels) - set(index)
        if unknown:
            raise ValueError(f"unknown labels {sorted(unknown)}; known: {COMPLAINT_TYPES}")
        x = self.vectorizer.fit(texts).transform(texts)
        y = np.zeros((len(texts), len(COMPLAINT_TYPES)))
        y[np.arange(len(texts)), [index[label] for label in labels]] = 1.0
        n_features, n_classes = x.shape[1], y.shape[1]

        def loss_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w = theta[: n_features * n_classes].reshape(n_features, n_classes)
            b = theta[n_features * n_classes :]
            probs = _softmax(x @ w + b)
            loss = -float(np.sum(y * np.log(probs + 1e-12))) / len(texts)
            loss += 0.5 * self.l2 * float(np.sum(w * w))
            diff = (probs - y) / len(texts)
            grad_w = x.T @ diff + self.l2 * w
            return loss, np.concatenate([np.asarray(grad_w).ravel(), diff.sum(axis=0)])

        start = np.zeros(n_features * n_classes + n_classes)
        result = minimize(
            loss_and_grad,
            start,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter},
        )
        theta = result.x
        self.weights = theta[: n_features * n_classes].reshape(n_features, n_classes)
        self.bias = theta[n_features * n_classes :]
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not self.vectorizer.vocabulary:
            raise ValueError("the classifier is not trained; call fit() or load_classifier()")
        return _softmax(self.vectorizer.transform(texts) @ self.weights + self.bias)

    def predict(self, texts: Sequence[str]) -> list[ComplaintType]:
        return [COMPLAINT_TYPES[i] for i in np.argmax(self.predict_proba(texts), axis=1)]

    def classify(self, text: str) -> Classification:
        """The most likely type of one message, with its probability."""
        probs = self.predict_proba([text])[0]
        best = int(np.argmax(probs))
        return Classification(
            complaint_type=COMPLAINT_TYPES[best],
            confidence=float(probs[best]),
            scores={label: float(p) for label, p in zip(COMPLAINT_TYPES, probs, strict=True)},
        )


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


# Loading ---------------------------------------------------------------------------------------
@functools.cache
def load_classifier() -> ComplaintClassifier:
    """The classifier trained on every labelled message (about a second, once per process)."""
    examples = load_examples()
    return ComplaintClassifier().fit([e.text for e in examples], [e.label for e in examples])

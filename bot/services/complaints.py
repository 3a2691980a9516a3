"""Complaints: what the customer complains about, how severe it is, and by when to answer.

- :class:`ComplaintClassifier` is a multinomial logistic regression on TF-IDF features of the
  message: character 1-3-grams (robust to typos and to Chinese without spaces), jieba words and
  word bigrams, so one model serves Chinese, English and mixed text. It trains in about a
  second on the labelled messages in ``data/complaints.yml`` (:func:`load_classifier`).
- :class:`KeywordClassifier` is the baseline it is measured against: hand-picked keywords per
  type, most hits wins.
- :func:`assess` turns the type, the message's sentiment (a score in [-1, 1] from any
  sentiment model), the customer's value and their complaint history into a severity, an SLA
  deadline (``aftersales.complaint_sla_hours``) and whether a human should take over.

``python -m bot.services.complaints --report`` evaluates both classifiers on a held-out split
and writes ``reports/complaints.md``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import logging
import math
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol, get_args

import numpy as np
import yaml
from scipy import sparse
from scipy.optimize import minimize

from bot.config import AftersalesConfig

ComplaintType = Literal[
    "delivery_delay",
    "damaged_in_transit",
    "quality_defect",
    "wrong_or_missing_item",
    "service_attitude",
    "refund_delay",
    "price_or_promotion",
    "other",
]
Level = Literal["low", "medium", "high", "critical"]

COMPLAINT_TYPES: tuple[ComplaintType, ...] = get_args(ComplaintType)
LEVELS: tuple[Level, ...] = get_args(Level)
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


# The keyword baseline: what a support team writes down first. Lower case; Chinese and English.
KEYWORDS: Mapping[ComplaintType, tuple[str, ...]] = {
    "delivery_delay": (
        "还没到",
        "没收到",
        "没发货",
        "发货",
        "物流",
        "快递",
        "到货",
        "延迟",
        "慢",
        "催",
        "delay",
        "late",
        "shipping",
        "shipped",
        "tracking",
        "arrive",
        "delivery",
        "where is",
        "still waiting",
        "not received",
    ),
    "damaged_in_transit": (
        "碎",
        "压坏",
        "破损",
        "摔坏",
        "漏",
        "压扁",
        "变形",
        "湿",
        "凹",
        "裂",
        "broken",
        "crushed",
        "damaged",
        "smashed",
        "cracked",
        "leaked",
        "dent",
        "wet",
        "shattered",
    ),
    "quality_defect": (
        "质量",
        "坏了",
        "不能用",
        "失灵",
        "掉色",
        "开胶",
        "缩水",
        "假货",
        "做工",
        "异味",
        "quality",
        "stopped working",
        "faulty",
        "defective",
        "fake",
        "broke",
        "doesn't work",
        "smell",
        "shrank",
        "peeling",
    ),
    "wrong_or_missing_item": (
        "发错",
        "少发",
        "漏发",
        "少了",
        "没有",
        "不对",
        "错了",
        "赠品",
        "尺码",
        "颜色",
        "wrong",
        "missing",
        "instead",
        "ordered",
        "only got",
        "not included",
        "free gift",
        "size",
        "colour",
        "color",
    ),
    "service_attitude": (
        "客服",
        "态度",
        "不理",
        "不回",
        "敷衍",
        "挂断",
        "机器人",
        "人工",
        "投诉",
        "踢皮球",
        "rude",
        "agent",
        "customer service",
        "support",
        "no reply",
        "nobody",
        "ignored",
        "hung up",
        "attitude",
        "bot",
    ),
    "refund_delay": (
        "退款",
        "退钱",
        "到账",
        "退回",
        "钱",
        "退了",
        "没退",
        "原路",
        "refund",
        "money back",
        "refunded",
        "chargeback",
        "reimburse",
    ),
    "price_or_promotion": (
        "降价",
        "差价",
        "优惠",
        "券",
        "满减",
        "价格",
        "折",
        "活动",
        "原价",
        "运费",
        "price",
        "coupon",
        "voucher",
        "discount",
        "promo",
        "cheaper",
        "charged",
        "offer",
        "deal",
        "code",
    ),
    "other": (
        "发票",
        "app",
        "账号",
        "登录",
        "短信",
        "隐私",
        "信息",
        "闪退",
        "积分",
        "评价",
        "invoice",
        "account",
        "login",
        "log in",
        "crash",
        "unsubscribe",
        "privacy",
        "review",
        "points",
        "website",
    ),
}


class KeywordClassifier:
    """Baseline: the type with the most keyword hits; "other" when nothing matches.

    Chinese keywords match anywhere, Latin ones as whole words ("app" not in "apply"); a tie
    goes to the type listed first.
    """

    def __init__(self, keywords: Mapping[ComplaintType, Iterable[str]] = KEYWORDS) -> None:
        self.patterns = {
            label: [_keyword_pattern(word) for word in words] for label, words in keywords.items()
        }

    def predict(self, texts: Sequence[str]) -> list[ComplaintType]:
        out: list[ComplaintType] = []
        for text in texts:
            norm = normalise(text)
            hits = {
                label: sum(len(p.findall(norm)) for p in self.patterns.get(label, ()))
                for label in COMPLAINT_TYPES
            }
            best = max(
                COMPLAINT_TYPES, key=lambda label: (hits[label], -COMPLAINT_TYPES.index(label))
            )
            out.append(best if hits[best] > 0 else "other")
        return out


def _keyword_pattern(word: str) -> re.Pattern[str]:
    escaped = re.escape(normalise(word))
    if re.search(r"[a-z0-9]", word[:1]) or re.search(r"[a-z0-9]", word[-1:]):
        return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
    return re.compile(escaped)


# Metrics ---------------------------------------------------------------------------------------
def f1_per_class(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = COMPLAINT_TYPES
) -> dict[str, float]:
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    scores: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        scores[label] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return scores


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean of the per-type F1 scores (every type counts the same)."""
    scores = f1_per_class(truth, predicted)
    return sum(scores.values()) / len(scores)


# Loading ---------------------------------------------------------------------------------------
@functools.cache
def load_classifier() -> ComplaintClassifier:
    """The classifier trained on every labelled message (about a second, once per process)."""
    examples = load_examples()
    return ComplaintClassifier().fit([e.text for e in examples], [e.label for e in examples])


# Severity --------------------------------------------------------------------------------------
# Points per type: what the complaint costs the customer (money stuck, goods unusable) counts
# more than an inconvenience.
TYPE_POINTS: Mapping[ComplaintType, int] = {
    "delivery_delay": 1,
    "damaged_in_transit": 2,
    "quality_defect": 2,
    "wrong_or_missing_item": 2,
    "service_attitude": 2,
    "refund_delay": 2,
    "price_or_promotion": 1,
    "other": 0,
}
LEVEL_FLOOR: Mapping[Level, int] = {"low": 0, "medium": 2, "high": 4, "critical": 6}
# Words that make any complaint urgent: a danger to the customer's health or safety
# (critical), or a threat to go to regulators, courts or the press (at least high).
SAFETY_WORDS = (
    "起火",
    "着火",
    "冒烟",
    "爆炸",
    "炸了",
    "漏电",
    "触电",
    "烫伤",
    "烧伤",
    "受伤",
    "中毒",
    "过敏",
    "住院",
    "fire",
    "smoke",
    "smoking",
    "explode",
    "exploded",
    "electric shock",
    "burned",
    "burnt",
    "injured",
    "poisoning",
    "allergic reaction",
    "hospital",
)
ESCALATION_WORDS = (
    "12315",
    "消协",
    "消费者协会",
    "工商",
    "市场监管",
    "律师",
    "起诉",
    "法院",
    "曝光",
    "媒体",
    "lawyer",
    "solicitor",
    "sue ",
    "court",
    "trading standards",
    "consumer protection",
    "ombudsman",
    "chargeback",
    "the press",
    "journalist",
)


@dataclass(frozen=True)
class Severity:
    """How urgent a complaint is and why."""

    complaint_type: ComplaintType
    confidence: float
    sentiment: float | None
    points: int
    level: Level
    sla: timedelta  # the shop's answer is due this long after the complaint
    factors: tuple[str, ...]  # why: "type:refund_delay", "very_negative", "vip", ...

    @property
    def needs_human(self) -> bool:
        """High and critical complaints go to a person (handoff) or are flagged for staff."""
        return self.level in ("high", "critical")


def assess(
    classification: Classification,
    *,
    text: str,
    sentiment: float | None,
    segment: str | None,
    prior_complaints: int,
    rules: AftersalesConfig,
) -> Severity:
    """Severity from the type, the sentiment, the customer's value and history.

    ``sentiment`` is a score in [-1, 1] (negative below 0) or None when unknown;
    ``prior_complaints`` counts the customer's complaints in the configured history window.
    """
    if sentiment is not None and not -1.0 <= sentiment <= 1.0:
        raise ValueError(f"sentiment must be in [-1, 1] or None, got {sentiment}")
    if prior_complaints < 0:
        raise ValueError(f"prior_complaints must be 0 or more, got {prior_complaints}")
    kind = classification.complaint_type
    points = TYPE_POINTS[kind]
    factors = [f"type:{kind}"]
    if sentiment is not None and sentiment <= -0.75:
        points += 2
        factors.append("very_negative")
    elif sentiment is not None and sentiment <= -0.35:
        points += 1
        factors.append("negative")
    if segment and segment in rules.vip_segments:
        points += 1
        factors.append(f"segment:{segment}")
    if prior_complaints >= 3:
        points += 2
        factors.append(f"history:{prior_complaints}")
    elif prior_complaints >= 1:
        points += 1
        factors.append(f"history:{prior_complaints}")
    level = _level(points)
    norm = normalise(text)
    if _mentions(norm, ESCALATION_WORDS):
        factors.append("escalation_threat")
        level = _max_level(level, "high")
    if _mentions(norm, SAFETY_WORDS):
        factors.append("safety")
        level = "critical"
    return Severity(
        complaint_type=kind,
        confidence=classification.confidence,
        sentiment=sentiment,
        points=points,
        level=level,
        sla=timedelta(hours=rules.complaint_sla_hours[level]),
        factors=tuple(factors),
    )


@functools.cache
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(_keyword_pattern(word) for word in words)


def _mentions(norm: str, words: tuple[str, ...]) -> bool:
    return any(pattern.search(norm) for pattern in _patterns(words))


def _level(points: int) -> Level:
    level: Level = "low"
    for name in LEVELS:
        if points >= LEVEL_FLOOR[name]:
            level = name
    return level


def _max_level(a: Level, b: Level) -> Level:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


# Report ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    model_f1: float
    baseline_f1: float
    model_by_lang: Mapping[str, float]
    baseline_by_lang: Mapping[str, float]
    model_per_class: Mapping[str, float]
    baseline_per_class: Mapping[str, float]
    confusion: Mapping[tuple[str, str], int]
    n_train: int
    n_test: int
    cv_model: tuple[float, ...]
    cv_baseline: tuple[float, ...]
    train_seconds: float


def evaluate(examples: Sequence[Example], seed: int = DEFAULT_SEED, folds: int = 5) -> Evaluation:
    """Held-out macro-F1 of the model and the keyword baseline, plus k-fold CV scores."""
    train, test = split_examples(examples, seed=seed)
    started = time.perf_counter()
    model = ComplaintClassifier().fit([e.text for e in train], [e.label for e in train])
    seconds = time.perf_counter() - started
    baseline = KeywordClassifier()
    truth = [e.label for e in test]
    predicted = model.predict([e.text for e in test])
    base_predicted = baseline.predict([e.text for e in test])

    def by_lang(pred: Sequence[str]) -> dict[str, float]:
        out = {}
        for lang in ("zh", "en"):
            idx = [i for i, e in enumerate(test) if e.lang == lang]
            out[lang] = macro_f1([truth[i] for i in idx], [pred[i] for i in idx])
        return out

    cv_model: list[float] = []
    cv_base: list[float] = []
    rng = random.Random(seed)
    shuffled = list(examples)
    rng.shuffle(shuffled)
    for k in range(folds):
        held = [e for i, e in enumerate(shuffled) if i % folds == k]
        rest = [e for i, e in enumerate(shuffled) if i % folds != k]
        fold_model = ComplaintClassifier().fit([e.text for e in rest], [e.label for e in rest])
        held_truth = [e.label for e in held]
        cv_model.append(macro_f1(held_truth, fold_model.predict([e.text for e in held])))
        cv_base.append(macro_f1(held_truth, baseline.predict([e.text for e in held])))
    return Evaluation(
        model_f1=macro_f1(truth, predicted),
        baseline_f1=macro_f1(truth, base_predicted),
        model_by_lang=by_lang(predicted),
        baseline_by_lang=by_lang(base_predicted),
        model_per_class=f1_per_class(truth, predicted),
        baseline_per_class=f1_per_class(truth, base_predicted),
        confusion=Counter(zip(truth, predicted, strict=True)),
        n_train=len(train),
        n_test=len(test),
        cv_model=tuple(cv_model),
        cv_baseline=tuple(cv_base),
        train_seconds=seconds,
    )


def render_report(result: Evaluation, examples: Sequence[Example]) -> str:
    counts = Counter((e.label, e.lang) for e in examples)
    lines = [
        "# Complaint classifier",
        "",
        "Generated by `python -m bot.services.complaints --report` from "
        "`bot/services/data/complaints.yml` "
        f"({len(examples)} hand-written messages, 8 types, Chinese and English).",
        "",
        f"Held-out split: {int(TEST_FRACTION * 100)}% of each type and language "
        f"(seed {DEFAULT_SEED}); {result.n_train} training and {result.n_test} test messages. "
        "Model: logistic regression on TF-IDF of character 1-3-grams, jieba words and word "
        f"bigrams (trained in {result.train_seconds:.1f} s). Baseline: keyword hits per type.",
        "",
        "## Macro-F1 on the held-out split",
        "",
        "| | all | zh | en |",
        "|---|---|---|---|",
        f"| model | {result.model_f1:.3f} | {result.model_by_lang['zh']:.3f} "
        f"| {result.model_by_lang['en']:.3f} |",
        f"| keyword baseline | {result.baseline_f1:.3f} | {result.baseline_by_lang['zh']:.3f} "
        f"| {result.baseline_by_lang['en']:.3f} |",
        "",
        f"5-fold cross-validation over all messages: model "
        f"{np.mean(result.cv_model):.3f} ± {np.std(result.cv_model):.3f}, baseline "
        f"{np.mean(result.cv_baseline):.3f} ± {np.std(result.cv_baseline):.3f}.",
        "",
        "## F1 per type (held-out)",
        "",
        "| type | messages (zh/en) | model | baseline |",
        "|---|---|---|---|",
    ]
    for label in COMPLAINT_TYPES:
        lines.append(
            f"| {label} | {counts[(label, 'zh')]}/{counts[(label, 'en')]} "
            f"| {result.model_per_class[label]:.3f} | {result.baseline_per_class[label]:.3f} |"
        )
    short = {label: label.split("_")[0][:8] for label in COMPLAINT_TYPES}
    lines += [
        "",
        "## Confusion of the model (rows: true type, columns: predicted)",
        "",
        "| | " + " | ".join(short[label] for label in COMPLAINT_TYPES) + " |",
        "|---" * (len(COMPLAINT_TYPES) + 1) + "|",
    ]
    for truth in COMPLAINT_TYPES:
        cells = [str(result.confusion.get((truth, p), 0)) for p in COMPLAINT_TYPES]
        lines.append(f"| {truth} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Severity is not learned: it is a rule over the type, the sentiment score, the "
        "customer segment and the number of earlier complaints, raised to high for threats "
        "to go to regulators or the press and to critical for safety hazards "
        "(`bot/services/complaints.py`, `assess`).",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--report", action="store_true", help="evaluate and write the report")
    parser.add_argument("--out", default="reports/complaints.md", help="report path")
    parser.add_argument("--data", default=str(DATA_PATH), help="labelled messages (YAML)")
    parser.add_argument("text", nargs="*", help="messages to classify")
    args = parser.parse_args(argv)
    if args.report:
        examples = load_examples(Path(args.data))
        result = evaluate(examples)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_report(result, examples), encoding="utf-8")
        print(
            f"macro-F1 held-out: model {result.model_f1:.3f}, keyword baseline "
            f"{result.baseline_f1:.3f}; report written to {out}"
        )
        return 0
    if not args.text:
        parser.error("give messages to classify, or --report")
    model = load_classifier()
    for text in args.text:
        verdict = model.classify(text)
        print(f"{verdict.complaint_type}\t{verdict.confidence:.2f}\t{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Held-out accuracy of the sentiment model against the lexicon baselines; writes a report.

    python -m bot.sentiment.evaluate [--out reports/sentiment.md] [--extra FILE ...]

Writes the Markdown report and its numbers as JSON beside it (``reports/sentiment.json``).

Splits (seeded, the same every run):
- Chinese: SnowNLP's reviews, deduplicated, 10 % held out (stratified).
- English: the UCI Amazon sentences, 5-fold cross-validation (each sentence is scored by the
  model trained on the other four folds).
Each of the 5 models trains on its English folds, the Chinese training part, the VADER
lexicon and the neutral anchors, exactly as ``make train-sentiment`` does with everything.

Baselines on the same held-out texts: SnowNLP's shipped classifier (it was trained on all of
SnowNLP's reviews, so it has seen the Chinese test texts: an upper bound for it), SnowNLP's
Bayes classifier retrained on our Chinese training part (the fair comparison), and VADER
(positive when compound >= 0.05, its documented threshold, and when compound >= 0).
Cross-domain: the UCI Yelp restaurant sentences (``data/uci-sentiment/yelp_labelled.txt``) are
never trained on; all five models score them (their mean logit decides). Each English set is
also scored without the embedding head (the hashed model alone), so the report shows what the
all-MiniLM-L6-v2 head adds; its fold's head trains on the fold's English training sentences
and the English neutral anchors only.
``--extra`` adds labelled files (``text<TAB>0|1`` per line, any language) scored by all
five models (their mean logit decides).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import REPO_ROOT
from bot.report_stamp import format_stamp, stamp
from bot.sentiment import data
from bot.sentiment.data import Example
from bot.sentiment.embedding import DIM
from bot.sentiment.features import FeatureExtractor, Features, detect_language, vader_scores
from bot.sentiment.model import EmbeddingHead, SentimentTrainer, TrainConfig, fit_head
from bot.sentiment.scoring import Encoder, SentimentModel, score_from_logit
from bot.sentiment.train import (
    DEFAULT_SEED,
    Corpus,
    head_examples,
    load_corpus,
    load_encoder,
    make_extractor,
)

FOLDS = 5
ZH_TEST_FRACTION = 0.1
DEFAULT_REPORT = REPO_ROOT / "reports" / "sentiment.md"
# Review sentences of a domain no model here ever trains on (restaurants): the cross-domain check.
OTHER_DOMAIN = "Other domain, never trained on: UCI Yelp restaurant sentences"

# Customer-service phrasings: requests should land near 0, complaints and praise far from it.
PROBES: tuple[str, ...] = (
    "where is my order",
    "can I change the delivery address?",
    "do you ship to Canada",
    "I want to talk to a human",
    "this is the worst service ever",
    "the package arrived broken and nobody answers",
    "not bad at all",
    "thanks, that was really helpful",
    "我的订单到哪了",
    "这个有没有红色的",
    "运费怎么算",
    "转人工",
    "没有问题",
    "太慢了，气死我了",
    "质量太差了，我要投诉",
    "谢谢，很满意",
)


@dataclass
class Scores:
    """Predicted scores per system for one evaluation set (positive when > or >= a cut)."""

    name: str
    targets: list[float]
    systems: dict[str, list[float]] = field(default_factory=dict)

    def accuracy(self, system: str) -> float:
        predicted = np.asarray(self.systems[system]) >= 0
        actual = np.asarray(self.targets) >= 0.5
        return float(np.mean(predicted == actual))


def _vader(texts: Sequence[str]) -> tuple[list[float], list[float]]:
    """VADER as two classifiers: documented threshold (0.05) and plain sign (>= 0)."""
    polarity = vader_scores()
    compound = [polarity(text)["compound"] for text in texts]
    return [c - 0.05 for c in compound], compound


def _snownlp_shipped(texts: Sequence[str]) -> list[float]:
    from snownlp import sentiment

    return [2.0 * sentiment.classify(text) - 1.0 for text in texts]


def _snownlp_retrained(train: Sequence[Example], texts: Sequence[str]) -> list[float]:
    from snownlp import sentiment

    classifier = sentiment.Sentiment()
    classifier.train(
        [e.text for e in train if e.target == 0.0], [e.text for e in train if e.target == 1.0]
    )
    return [2.0 * classifier.classify(text) - 1.0 for text in texts]


@dataclass(frozen=True)
class Evaluation:
    sets: list[Scores]
    probes: dict[str, dict[str, float]]
    train_seconds: list[float]
    ms_per_message: float
    n_train: int


def evaluate(
    corpus: Corpus,
    config: TrainConfig,
    seed: int,
    extra: Sequence[tuple[str, list[Example]]] = (),
    log: Callable[[str], None] = lambda _: None,
) -> Evaluation:
    """Train the cross-validation models and score held-out texts with them and the baselines."""
    extractor = make_extractor(config.n_buckets)
    zh_train, zh_test = data.split(corpus.chinese, ZH_TEST_FRACTION, seed)
    en_folds = data.folds(corpus.english, FOLDS, seed)
    fixed = zh_train + corpus.lexicon + corpus.anchors
    log(f"featurizing {len(fixed) + len(corpus.english) + len(zh_test)} texts")
    fixed_features = [extractor(e.text) for e in fixed]
    fold_features = [[extractor(e.text) for e in fold] for fold in en_folds]
    zh_test_features = [extractor(e.text) for e in zh_test]
    extra_features = [[extractor(e.text) for e in examples] for _, examples in extra]
    probe_features = [extractor(text) for text in PROBES]
    # The English embedding head: every English text embedded once (all-MiniLM-L6-v2).
    encoder = load_encoder()
    anchors_en = head_examples([], corpus.anchors)
    log(f"embedding {len(corpus.english) + len(anchors_en)} English texts and the test sets")
    fold_vectors = [encoder.embed([e.text for e in fold]) for fold in en_folds]
    anchor_vectors = encoder.embed([e.text for e in anchors_en])
    extra_vectors = [_english_vectors(encoder, [e.text for e in ex]) for _, ex in extra]
    probe_vectors = _english_vectors(encoder, PROBES)

    en_scores: list[float] = []
    en_hashed: list[float] = []  # the same model without the embedding head
    en_targets: list[float] = []
    extra_hashed: list[list[np.ndarray]] = [[] for _ in extra]
    zh_logits: list[np.ndarray] = []
    extra_logits: list[list[np.ndarray]] = [[] for _ in extra]
    probe_logits: list[np.ndarray] = []
    seconds: list[float] = []
    n_train = 0
    for k in range(FOLDS):
        train_examples = fixed + [e for j, f in enumerate(en_folds) if j != k for e in f]
        train_features: list[Features] = fixed_features + [
            x for j, f in enumerate(fold_features) if j != k for x in f
        ]
        trainer = SentimentTrainer(config, seed + k).fit(
            train_features,
            [e.target for e in train_examples],
            [e.weight for e in train_examples],
        )
        seconds.append(trainer.train_seconds)
        n_train = len(train_examples)
        log(f"fold {k + 1}/{FOLDS}: trained on {n_train} examples in {seconds[-1]:.1f} s")
        head_train = [e for j, f in enumerate(en_folds) if j != k for e in f] + anchors_en
        head = fit_head(
            np.vstack([v for j, v in enumerate(fold_vectors) if j != k] + [anchor_vectors]),
            [e.target for e in head_train],
            [e.weight for e in head_train],
        )
        hashed = trainer.predict_logits(fold_features[k])
        en_hashed += [score_from_logit(z) for z in hashed]
        en_scores += [score_from_logit(z) for z in hashed + head.logits(fold_vectors[k])]
        en_targets += [e.target for e in en_folds[k]]
        zh_logits.append(trainer.predict_logits(zh_test_features))
        for i, features in enumerate(extra_features):
            plain = trainer.predict_logits(features)
            extra_hashed[i].append(plain)
            extra_logits[i].append(plain + head.logits(extra_vectors[i]))
        probe_logits.append(trainer.predict_logits(probe_features) + head.logits(probe_vectors))

    def mean_scores(logits: list[np.ndarray]) -> list[float]:
        return [score_from_logit(z) for z in np.mean(logits, axis=0)]

    english = [e for fold in en_folds for e in fold]
    en_set = Scores("English: UCI Amazon, 5-fold CV", en_targets, {"model": en_scores})
    en_set.systems["model without the embedding head"] = en_hashed
    en_set.systems["VADER (>= 0.05)"], en_set.systems["VADER (>= 0)"] = _vader(
        [e.text for e in english]
    )
    zh_set = Scores(
        f"Chinese: SnowNLP reviews, {len(zh_test)} held out",
        [e.target for e in zh_test],
        {"model": mean_scores(zh_logits)},
    )
    log("scoring the Chinese test texts with SnowNLP (shipped, then retrained)")
    zh_set.systems["SnowNLP retrained on our split"] = _snownlp_retrained(
        zh_train, [e.text for e in zh_test]
    )
    zh_set.systems["SnowNLP shipped (saw the test texts)"] = _snownlp_shipped(
        [e.text for e in zh_test]
    )
    sets = [zh_set, en_set]
    scored = zip(extra, extra_logits, extra_hashed, strict=True)
    for (name, examples), logits, hashed_only in scored:
        texts = [e.text for e in examples]
        extra_set = Scores(name, [e.target for e in examples], {"model": mean_scores(logits)})
        extra_set.systems["model without the embedding head"] = mean_scores(hashed_only)
        if any(detect_language(t) == "zh" for t in texts):
            extra_set.systems["SnowNLP shipped"] = _snownlp_shipped(texts)
        else:
            extra_set.systems["VADER (>= 0.05)"], extra_set.systems["VADER (>= 0)"] = _vader(texts)
        sets.append(extra_set)

    polarity = vader_scores()
    from snownlp import sentiment as snow

    probes = {
        text: {
            "model": score_from_logit(float(z)),
            "VADER": polarity(text)["compound"],
            "SnowNLP": 2.0 * snow.classify(text) - 1.0,
        }
        for text, z in zip(PROBES, np.mean(probe_logits, axis=0), strict=True)
    }
    latency = _latency_ms(trainer, extractor, head, encoder)
    return Evaluation(sets, probes, seconds, latency, n_train)


def _english_vectors(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Embeddings of the English texts; zero rows for Chinese ones (the head adds nothing)."""
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    english = [i for i, text in enumerate(texts) if detect_language(text) == "en"]
    if english:
        vectors[english] = encoder.embed([texts[i] for i in english])
    return vectors


def _latency_ms(
    trainer: SentimentTrainer, extractor: FeatureExtractor, head: EmbeddingHead, encoder: Encoder
) -> float:
    """Milliseconds per single-message ``score`` call, as the gateway makes them (the
    English embedding included)."""
    model = SentimentModel(trainer.net, extractor, head=head, encoder=encoder)
    texts = [PROBES[i % len(PROBES)] + f" {i}" for i in range(300)]
    started = time.perf_counter()
    for text in texts:
        model.score(text)
    return (time.perf_counter() - started) * 1000 / len(texts)


def set_key(name: str) -> str:
    """A stable key for a scored set in the JSON report: ``zh``, ``en`` or the set's name."""
    if name.startswith("Chinese"):
        return "zh"
    if name.startswith("English"):
        return "en"
    if name == OTHER_DOMAIN:
        return "other_domain"
    return name


def to_json(evaluation: Evaluation, config: TrainConfig, stamped: dict[str, Any]) -> dict[str, Any]:
    """reports/sentiment.json: the numbers of the Markdown report, stamped."""
    return {
        "stamp": stamped,
        "sets": {
            set_key(scores.name): {
                "name": scores.name,
                "n": len(scores.targets),
                "accuracy": {
                    system: round(scores.accuracy(system), 4) for system in scores.systems
                },
            }
            for scores in evaluation.sets
        },
        "train_examples": evaluation.n_train,
        "epochs": config.epochs,
        "train_seconds_per_model": round(statistics.mean(evaluation.train_seconds), 2),
        "ms_per_message": round(evaluation.ms_per_message, 3),
    }


def render(
    evaluation: Evaluation, config: TrainConfig, extra_note: str, stamped: dict[str, Any]
) -> str:
    lines = [
        "# Sentiment model: held-out accuracy",
        "",
        format_stamp(stamped),
        "",
        "Written by `make eval-sentiment` (`python -m bot.sentiment.evaluate`). A message is",
        "counted positive when its score is >= 0 (the contract: negative below 0).",
        "",
    ]
    for scores in evaluation.sets:
        lines += [f"## {scores.name}", "", "| system | accuracy | n |", "|---|---|---|"]
        for system in scores.systems:
            lines.append(f"| {system} | {scores.accuracy(system):.3f} | {len(scores.targets)} |")
        lines.append("")
    lines += [
        "## Customer-service phrasings",
        "",
        "Scores in [-1, 1] (VADER: compound; SnowNLP: 2p - 1). Requests should be near 0.",
        "",
        "| text | model | VADER | SnowNLP |",
        "|---|---|---|---|",
    ]
    for text, row in evaluation.probes.items():
        lines.append(
            f"| {text} | {row['model']:+.2f} | {row['VADER']:+.2f} | {row['SnowNLP']:+.2f} |"
        )
    mean_train = statistics.mean(evaluation.train_seconds)
    lines += [
        "",
        "## Cost",
        "",
        f"- Training: {mean_train:.0f} s per model ({evaluation.n_train} examples, "
        f"{config.epochs} epochs, {config.n_buckets} hashed buckets, on the 2-core machine).",
        f"- Scoring: {evaluation.ms_per_message:.2f} ms per message (single `score()` calls).",
        "",
        "## Method",
        "",
        "Held-out splits: see the docstring of `bot/sentiment/evaluate.py`. The model is a",
        "bag of hashed features (Chinese character 1-3-grams, English words and bigrams with",
        "negation scope, punctuation, emoji) plus VADER's lexicon scores as dense features,",
        "trained with soft targets (neutral requests from CLINC150, the People's Daily corpus",
        "and the assistant's Rasa NLU examples count as 0.5). English texts add the logit of",
        'a logistic head over all-MiniLM-L6-v2 sentence embeddings ("model without the',
        'embedding head" is the hashed model alone). The UCI Yelp sentences are never trained',
        "on. See `bot/sentiment/`.",
    ]
    if extra_note:
        lines += ["", extra_note]
    return "\n".join(lines) + "\n"


def read_labelled(path: Path) -> list[Example]:
    """``text<TAB>0|1`` lines (the UCI format)."""
    return data.uci_sentences(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment.evaluate", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--extra", type=Path, action="append", default=[], metavar="FILE")
    parser.add_argument("--note", default="", help="a line appended to the report")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    config = TrainConfig()
    try:
        corpus = load_corpus(args.data_dir, data.DEFAULT_NLU_DIR, args.seed)
        extra = [(OTHER_DOMAIN, read_labelled(args.data_dir / data.UCI_YELP))]
        extra += [(f"Extra: {path.name}", read_labelled(path)) for path in args.extra]
    except data.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    evaluation = evaluate(
        corpus, config, args.seed, extra, log=lambda m: print(m, file=sys.stderr, flush=True)
    )
    stamped = stamp()
    report = render(evaluation, config, args.note, stamped)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    args.out.with_suffix(".json").write_text(
        json.dumps(to_json(evaluation, config, stamped), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(report)
    print(f"Wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

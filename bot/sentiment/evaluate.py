"""Held-out accuracy of the sentiment model against the lexicon baselines; writes a report.

    python -m bot.sentiment.evaluate [--out reports/sentiment.md] [--extra FILE ...]

Writes the Markdown report and its numbers as JSON beside it (``reports/sentiment.json``).

Splits (seeded, the same every run):
- Chinese: SnowNLP's reviews, deduplicated, 10 % held out (stratified).
- English: the UCI Amazon sentences, 5-fold cross-validation (each sentence is scored by the
  model trained on the other four folds).
Each of the 5 models trains on its English folds, the Chinese training part, the English
sentences written for the project (``data/sentiment-en``, never scored), the VADER lexicon and
the neutral anchors, exactly as ``make train-sentiment`` does with everything.

Baselines on the same held-out texts: SnowNLP's shipped classifier (it was trained on all of
SnowNLP's reviews, so it has seen the Chinese test texts: an upper bound for it), SnowNLP's
Bayes classifier retrained on our Chinese training part (the fair comparison), and VADER
(positive when compound >= 0.05, its documented threshold, and when compound >= 0).
Cross-domain: the UCI Yelp restaurant sentences (``data/uci-sentiment/yelp_labelled.txt``) are
never trained on; all five models score them (their mean logit decides). Each English set is
also scored without the embedding head (the hashed model alone) and with the head reading the
sentence embedding alone (what it was before), so the report shows what each adds; a fold's
head trains on the fold's English training sentences and the English neutral anchors only.
The head's MiniLM layers and L2 penalty are chosen by the Amazon cross-validation alone: every
cell of HEAD_GRID_LAYERS x HEAD_GRID_L2 is fitted in every fold and the report lists its CV
accuracy and, for information only, its Yelp accuracy (never used to choose).
``--extra`` adds labelled files (``text<TAB>0|1`` per line, any language) scored by all
five models (their mean logit decides).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bot.config import REPO_ROOT
from bot.report_stamp import format_stamp, stamp
from bot.sentiment import data
from bot.sentiment.data import Example
from bot.sentiment.embedding import DIM
from bot.sentiment.features import FeatureExtractor, Features, detect_language, vader_scores
from bot.sentiment.model import (
    HEAD_L2,
    HEAD_LAYERS,
    EmbeddingHead,
    SentimentTrainer,
    TrainConfig,
    fit_head,
)
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
# The English head's choices, compared by the Amazon cross-validation of the whole English model
# (hashed + head): which MiniLM layers it reads, and its L2 penalty. The code's choice
# (HEAD_LAYERS, HEAD_L2 in model.py) should be the best cell; the report says whether it is.
HEAD_GRID_LAYERS: tuple[tuple[int, ...], ...] = ((6,), (5, 6), (4, 6), (3, 6), (4, 5, 6))
HEAD_GRID_L2: tuple[float, ...] = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
ALL_LAYERS = (1, 2, 3, 4, 5, 6)
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


HeadChoice = tuple[tuple[int, ...], float]  # (MiniLM layers, L2)
BEFORE: HeadChoice = ((6,), 3e-4)  # the head before the layer choice: the sentence embedding


@dataclass(frozen=True)
class HeadCell:
    """One cell of the head grid: the English model (hashed + this head) on Amazon CV, and on
    the never-trained-on other domain (reported for each cell, never used to choose)."""

    layers: tuple[int, ...]
    l2: float
    cv_accuracy: float
    other_domain_accuracy: float | None


@dataclass(frozen=True)
class Evaluation:
    sets: list[Scores]
    probes: dict[str, dict[str, float]]
    train_seconds: list[float]
    latency: Latency
    n_train: int
    head_grid: list[HeadCell] = field(default_factory=list)


def best_cell(cells: Sequence[HeadCell]) -> HeadCell:
    """The grid's choice: highest CV accuracy; ties go to the stronger penalty, then to fewer
    layers (the simpler head)."""
    return max(cells, key=lambda c: (round(c.cv_accuracy, 6), c.l2, -len(c.layers)))


def columns(vectors: np.ndarray, layers: Sequence[int]) -> np.ndarray:
    """The columns of ``layers`` from vectors embedded at :data:`ALL_LAYERS`."""
    return np.hstack([vectors[:, (layer - 1) * DIM : layer * DIM] for layer in layers])


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
    fixed = zh_train + corpus.written + corpus.lexicon + corpus.anchors
    log(f"featurizing {len(fixed) + len(corpus.english) + len(zh_test)} texts")
    fixed_features = [extractor(e.text) for e in fixed]
    fold_features = [[extractor(e.text) for e in fold] for fold in en_folds]
    zh_test_features = [extractor(e.text) for e in zh_test]
    extra_features = [[extractor(e.text) for e in examples] for _, examples in extra]
    probe_features = [extractor(text) for text in PROBES]
    # The English embedding head: every English text embedded once, all six MiniLM layers
    # pooled (each grid cell reads its layers' columns).
    encoder = load_encoder()
    # Trained on in every fold: the English neutral anchors (the written sentences teach the
    # hashed model only: with them the head scored lower on the Amazon cross-validation).
    anchors_en = head_examples([], corpus.anchors)
    log(f"embedding {len(corpus.english) + len(anchors_en)} English texts and the test sets")
    fold_vectors = [encoder.embed([e.text for e in f], layers=ALL_LAYERS) for f in en_folds]
    anchor_vectors = encoder.embed([e.text for e in anchors_en], layers=ALL_LAYERS)
    extra_vectors = [_english_vectors(encoder, [e.text for e in ex]) for _, ex in extra]
    probe_vectors = _english_vectors(encoder, PROBES)
    chosen: HeadChoice = (HEAD_LAYERS, HEAD_L2)
    grid: list[HeadChoice] = [(ls, l2) for ls in HEAD_GRID_LAYERS for l2 in HEAD_GRID_L2]
    grid += [cell for cell in (chosen, BEFORE) if cell not in grid]

    en_scores: dict[HeadChoice, list[float]] = {cell: [] for cell in grid}
    en_hashed: list[float] = []  # the same model without the embedding head
    en_targets: list[float] = []
    extra_hashed: list[list[np.ndarray]] = [[] for _ in extra]
    extra_logits: dict[HeadChoice, list[list[np.ndarray]]] = {c: [[] for _ in extra] for c in grid}
    zh_logits: list[np.ndarray] = []
    probe_logits: list[np.ndarray] = []
    seconds: list[float] = []
    n_train = 0
    head: EmbeddingHead | None = None
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
        hashed = trainer.predict_logits(fold_features[k])
        en_hashed += [score_from_logit(z) for z in hashed]
        en_targets += [e.target for e in en_folds[k]]
        zh_logits.append(trainer.predict_logits(zh_test_features))
        extra_plain = [trainer.predict_logits(features) for features in extra_features]
        for i, plain in enumerate(extra_plain):
            extra_hashed[i].append(plain)
        head_train = [e for j, f in enumerate(en_folds) if j != k for e in f] + anchors_en
        head_vectors = np.vstack(
            [v for j, v in enumerate(fold_vectors) if j != k] + [anchor_vectors]
        )
        log(f"fold {k + 1}/{FOLDS}: fitting {len(grid)} English heads (the grid)")
        for cell in grid:
            layers, l2 = cell
            fitted = fit_head(
                columns(head_vectors, layers),
                [e.target for e in head_train],
                [e.weight for e in head_train],
                l2=l2,
                layers=layers,
            )
            own = hashed + fitted.logits(columns(fold_vectors[k], layers))
            en_scores[cell] += [score_from_logit(z) for z in own]
            for i, plain in enumerate(extra_plain):
                extra_logits[cell][i].append(plain + _head_logits(fitted, extra_vectors[i]))
            if cell == chosen:
                head = fitted
                probe_logits.append(
                    trainer.predict_logits(probe_features) + _head_logits(fitted, probe_vectors)
                )
    if head is None:  # the chosen cell is always in the grid; this keeps the type checker honest
        raise RuntimeError("no head was fitted")

    def mean_scores(logits: list[np.ndarray]) -> list[float]:
        return [score_from_logit(z) for z in np.mean(logits, axis=0)]

    before = f"model, head on the sentence embedding alone (layer 6, L2 {BEFORE[1]:g})"
    english = [e for fold in en_folds for e in fold]
    en_set = Scores("English: UCI Amazon, 5-fold CV", en_targets, {"model": en_scores[chosen]})
    en_set.systems[before] = en_scores[BEFORE]
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
    extra_sets: list[Scores] = []
    for i, (name, examples) in enumerate(extra):
        texts = [e.text for e in examples]
        targets = [e.target for e in examples]
        extra_set = Scores(name, targets, {"model": mean_scores(extra_logits[chosen][i])})
        if detect_language(" ".join(texts)) == "en":
            extra_set.systems[before] = mean_scores(extra_logits[BEFORE][i])
        extra_set.systems["model without the embedding head"] = mean_scores(extra_hashed[i])
        if any(detect_language(t) == "zh" for t in texts):
            extra_set.systems["SnowNLP shipped"] = _snownlp_shipped(texts)
        else:
            extra_set.systems["VADER (>= 0.05)"], extra_set.systems["VADER (>= 0)"] = _vader(texts)
        extra_sets.append(extra_set)
    sets += extra_sets

    other = [n for n, (name, _) in enumerate(extra) if name == OTHER_DOMAIN]
    cells = []
    for cell in grid:
        cv = Scores("cv", en_targets, {"m": en_scores[cell]}).accuracy("m")
        other_accuracy = None
        if other:
            n = other[0]
            scored = Scores(
                "other", extra_sets[n].targets, {"m": mean_scores(extra_logits[cell][n])}
            )
            other_accuracy = scored.accuracy("m")
        cells.append(HeadCell(cell[0], cell[1], cv, other_accuracy))

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
    latency = _latency(trainer, extractor, head, encoder)
    return Evaluation(sets, probes, seconds, latency, n_train, cells)


def _english_vectors(encoder: Encoder, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings (at :data:`ALL_LAYERS`) of the English texts, zero rows for Chinese ones, and
    a 0/1 mask of the English rows: the head's logit counts for English texts only, as in
    ``SentimentModel.score``."""
    vectors = np.zeros((len(texts), DIM * len(ALL_LAYERS)), dtype=np.float32)
    english = [i for i, text in enumerate(texts) if detect_language(text) == "en"]
    if english:
        vectors[english] = encoder.embed([texts[i] for i in english], layers=ALL_LAYERS)
    mask = np.zeros(len(texts), dtype=np.float32)
    mask[english] = 1.0
    return vectors, mask


def _head_logits(head: EmbeddingHead, embedded: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    vectors, mask = embedded
    return np.asarray(head.logits(columns(vectors, head.layers)) * mask, dtype=np.float32)


@dataclass(frozen=True)
class Latency:
    """Milliseconds per single-message ``score`` call on one torch thread, and the machine's
    1-minute load average when measured (other processes on the cores slow it down)."""

    with_head_ms: float  # the English embedding head included (the action server)
    lexical_ms: float  # ``SentimentModel.load(path, encoder=False)``: the gateway's setting
    load_average: float


def _latency(
    trainer: SentimentTrainer, extractor: FeatureExtractor, head: EmbeddingHead, encoder: Encoder
) -> Latency:
    texts = [PROBES[i % len(PROBES)] + f" {i}" for i in range(300)]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        timings = []
        for model in (
            SentimentModel(trainer.net, extractor, head=head, encoder=encoder),
            SentimentModel(trainer.net, extractor),
        ):
            model.score(texts[0])  # warm up
            started = time.perf_counter()
            for text in texts:
                model.score(text)
            timings.append((time.perf_counter() - started) * 1000 / len(texts))
    finally:
        torch.set_num_threads(threads)
    return Latency(timings[0], timings[1], os.getloadavg()[0])


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
        "ms_per_message": round(evaluation.latency.with_head_ms, 3),
        "ms_per_message_lexical": round(evaluation.latency.lexical_ms, 3),
        "load_average": round(evaluation.latency.load_average, 2),
        "head": _head_summary(evaluation.head_grid),
        "head_grid": [
            {
                "layers": list(cell.layers),
                "l2": cell.l2,
                "cv_accuracy": round(cell.cv_accuracy, 4),
                "other_domain_accuracy": None
                if cell.other_domain_accuracy is None
                else round(cell.other_domain_accuracy, 4),
            }
            for cell in evaluation.head_grid
        ],
    }


def _head_summary(cells: Sequence[HeadCell]) -> dict[str, Any]:
    """The code's head choice and whether the grid's CV agrees with it."""
    best = best_cell(cells) if cells else None
    l2_edge = (min(HEAD_GRID_L2), max(HEAD_GRID_L2))
    return {
        "layers": list(HEAD_LAYERS),
        "l2": HEAD_L2,
        "best_by_cv": best is not None and (best.layers, best.l2) == (HEAD_LAYERS, HEAD_L2),
        "l2_inside_grid": l2_edge[0] < HEAD_L2 < l2_edge[1],
    }


def _render_grid(cells: Sequence[HeadCell]) -> list[str]:
    summary = _head_summary(cells)
    best = best_cell(cells)
    yes = {True: "yes", False: "**no**"}
    lines = [
        "## English head: chosen by cross-validation, other domain reported",
        "",
        "Protocol: each cell is the whole English model (hashed model + a head reading the",
        "mean-pooled MiniLM layers named, with that L2 penalty) under the same 5-fold",
        "cross-validation on the UCI Amazon sentences; the cell with the highest CV accuracy is",
        "the choice (ties: stronger penalty, then fewer layers). The other-domain column (UCI",
        "Yelp, never trained on, the five fold models' mean logit) is reported for every cell",
        "and is not used to choose.",
        "",
        "| MiniLM layers | L2 | Amazon 5-fold CV | other domain (Yelp) |",
        "|---|---|---|---|",
    ]
    for cell in cells:
        mark = " (best by CV)" if cell is best else ""
        code = " (the code's choice)" if (cell.layers, cell.l2) == (HEAD_LAYERS, HEAD_L2) else ""
        other = "-" if cell.other_domain_accuracy is None else f"{cell.other_domain_accuracy:.3f}"
        layers = "+".join(map(str, cell.layers))
        lines.append(f"| {layers}{code} | {cell.l2:g} | {cell.cv_accuracy:.3f}{mark} | {other} |")
    lines += [
        "",
        f"- The code's choice (`HEAD_LAYERS`, `HEAD_L2` in `bot/sentiment/model.py`) is the best"
        f" cell by CV: {yes[summary['best_by_cv']]}.",
        f"- Its L2 is inside the grid, not on an edge: {yes[summary['l2_inside_grid']]}.",
    ]
    return lines


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
    if evaluation.head_grid:
        lines += ["", *_render_grid(evaluation.head_grid)]
    mean_train = statistics.mean(evaluation.train_seconds)
    lines += [
        "",
        "## Cost",
        "",
        f"- Training: {mean_train:.0f} s per model ({evaluation.n_train} examples, "
        f"{config.epochs} epochs, {config.n_buckets} hashed buckets, on the 2-core machine).",
        f"- Scoring, single `score()` calls on one torch thread: "
        f"{evaluation.latency.with_head_ms:.2f} ms per message with the English head (the "
        f"action server), {evaluation.latency.lexical_ms:.2f} ms without it (the gateway, "
        f"`encoder=False`); the machine's load average was {evaluation.latency.load_average:.1f}"
        f" while measuring ({os.cpu_count()} cores; above that, other processes competed).",
        "",
        "## Method",
        "",
        "Held-out splits: see the docstring of `bot/sentiment/evaluate.py`. The model is a",
        "bag of hashed features (Chinese character 1-3-grams, English words and bigrams with",
        "negation scope, punctuation, emoji) plus VADER's lexicon scores as dense features,",
        "trained with soft targets (neutral requests from CLINC150, the People's Daily corpus",
        "and the assistant's Rasa NLU examples count as 0.5). English texts add the logit of",
        "a logistic head over all-MiniLM-L6-v2: the mean-pooled, normalised states of the",
        "layers the grid above chose, side by side (one forward pass; the published sentence",
        'embedding is layer 6 alone). "model without the embedding head" is the hashed model',
        "alone. The UCI Yelp sentences are never trained on. See `bot/sentiment/`.",
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

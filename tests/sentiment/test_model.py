"""The network, its loss, and the trainer (seeded, learns a separable toy problem)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from bot.sentiment.features import FeatureExtractor
from bot.sentiment.model import SentimentTrainer, TrainConfig, soft_bce_loss

TOY = [
    ("lovely great", 1.0),
    ("great fine", 1.0),
    ("lovely", 1.0),
    ("awful bad", 0.0),
    ("bad broken", 0.0),
    ("awful", 0.0),
    ("where is it", 0.5),
    ("when does it ship", 0.5),
]


def test_soft_bce_loss_values() -> None:
    logits = torch.tensor([0.0, 0.0])
    half = soft_bce_loss(logits, torch.tensor([0.5, 0.5]), torch.ones(2))
    assert half.item() == pytest.approx(math.log(2))
    weighted = soft_bce_loss(
        torch.tensor([10.0, -10.0]), torch.tensor([1.0, 1.0]), torch.tensor([0.0, 1.0])
    )
    assert weighted.item() == pytest.approx(10.0, abs=1e-3)  # only the wrong one counts


def _fit(seed: int, config: TrainConfig) -> tuple[SentimentTrainer, list]:
    extractor = FeatureExtractor(config.n_buckets)
    features = [extractor(text) for text, _ in TOY]
    trainer = SentimentTrainer(config, seed).fit(features, [t for _, t in TOY], [1.0] * len(TOY))
    return trainer, features


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(n_buckets=4096, epochs=30, batch_size=4),
        TrainConfig(n_buckets=4096, epochs=30, batch_size=4, dim=8, hidden=4),
    ],
)
def test_trainer_learns_and_keeps_neutral_near_zero(config: TrainConfig) -> None:
    trainer, features = _fit(0, config)
    logits = trainer.predict_logits(features)
    assert np.all(logits[:3] > 0.5)
    assert np.all(logits[3:6] < -0.5)
    assert np.all(np.abs(logits[6:]) < 0.5)


def test_trainer_is_seeded() -> None:
    config = TrainConfig(n_buckets=4096, epochs=3, batch_size=2)
    first, features = _fit(1, config)
    again, _ = _fit(1, config)
    other, _ = _fit(2, config)
    assert np.array_equal(first.predict_logits(features), again.predict_logits(features))
    assert not np.array_equal(first.predict_logits(features), other.predict_logits(features))


def test_fit_rejects_mismatched_inputs() -> None:
    extractor = FeatureExtractor(64)
    with pytest.raises(ValueError, match="differ in length"):
        SentimentTrainer(TrainConfig(n_buckets=64), 0).fit([extractor("a")], [1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="no training examples"):
        SentimentTrainer(TrainConfig(n_buckets=64), 0).fit([], [], [])

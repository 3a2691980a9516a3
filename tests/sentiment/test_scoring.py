"""SentimentModel: loading errors, edge inputs, batch scoring, quality floors on held-out data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.sentiment.scoring import (
    ModelFormatError,
    ModelNotFoundError,
    SentimentModel,
    score_from_logit,
)
from tests.sentiment.helpers import SmallModel, small_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> SmallModel:
    return small_model(tmp_path_factory.mktemp("sentiment"))


@pytest.fixture(scope="module")
def model(trained: SmallModel) -> SentimentModel:
    return SentimentModel.load(trained.path)


def _accuracy(model: SentimentModel, examples: list) -> float:
    scores = np.array(model.score_batch([e.text for e in examples]))
    return float(np.mean((scores >= 0) == (np.array([e.target for e in examples]) >= 0.5)))


# Floors sit a few points under what the seeded small model reaches (reports/sentiment.md has
# the full model's numbers); a broken feature, label flip or loss bug falls far below them.
@pytest.mark.parametrize(("language", "floor"), [("zh", 0.80), ("en", 0.82)])
def test_quality_floor_on_held_out_split(
    model: SentimentModel, trained: SmallModel, language: str, floor: float
) -> None:
    examples = trained.zh_test if language == "zh" else trained.en_test
    assert len(examples) >= 150
    assert _accuracy(model, examples) >= floor


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        # Requests and questions: near 0.
        ("has my parcel been shipped yet", -0.5, 0.5),
        ("what payment methods do you accept", -0.5, 0.5),
        ("请问这款耳机有黑色吗", -0.5, 0.5),
        ("发票怎么开", -0.5, 0.5),
        # Complaints: clearly negative.
        ("this is the worst service ever", -1.0, -0.4),
        ("the box was crushed and the cable doesn't work", -1.0, -0.1),
        ("太慢了，气死我了", -1.0, -0.4),
        ("客服态度太差，再也不买了", -1.0, -0.4),
        # Praise and thanks: clearly positive.
        ("thank you so much, very helpful", 0.4, 1.0),
        ("谢谢，很满意", 0.4, 1.0),
        ("the shoes are great, fast delivery too", 0.4, 1.0),
        # Negation flips.
        ("not good at all", -1.0, -0.1),
        ("不好用", -1.0, -0.1),
    ],
)
def test_customer_service_phrasings(
    model: SentimentModel, text: str, low: float, high: float
) -> None:
    assert low <= model.score(text) <= high


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n",
        "\x00\x01\x02",
        "😡😡😡",
        "!!!???",
        "12345678",
        "a" * 50_000,
        "好" * 50_000,
        "订单 260315004217 order status?",
        "\ud800 lone surrogate",
        "<script>alert(1)</script>",
    ],
)
def test_edge_inputs_score_in_range(model: SentimentModel, text: str) -> None:
    score = model.score(text)
    assert -1.0 <= score <= 1.0
    if not text.strip():
        assert score == 0.0


def test_batch_matches_single_scores(model: SentimentModel) -> None:
    texts = ["谢谢", "", "awful", "where is my order", "好" * 300]
    assert model.score_batch(texts) == pytest.approx([model.score(t) for t in texts])
    assert model.score_batch([]) == []
    with pytest.raises(TypeError, match="sequence"):
        model.score_batch("a string")  # type: ignore[arg-type]


def test_load_errors_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="make train-sentiment"):
        SentimentModel.load(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFormatError, match="make train-sentiment"):
        SentimentModel.load(junk)


def test_model_info(trained: SmallModel, model: SentimentModel) -> None:
    assert model.info is not None
    assert model.info.path == trained.path
    assert model.info.n_examples > 10_000


@pytest.mark.parametrize(("logit", "score"), [(0.0, 0.0), (1e9, 1.0), (-1e9, -1.0)])
def test_score_from_logit(logit: float, score: float) -> None:
    assert score_from_logit(logit) == pytest.approx(score)

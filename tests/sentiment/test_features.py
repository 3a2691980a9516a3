"""Feature extraction: language, normalisation, negation scope, stable hashing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bot.sentiment.data import traditional_to_simplified
from bot.sentiment.features import (
    MAX_CHARS,
    N_DENSE,
    FeatureExtractor,
    detect_language,
    feature_strings,
    hash_features,
    normalize,
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my order", "en"),
        ("我的订单到哪了", "zh"),
        ("order 260315004217 到哪了", "zh"),
        ("", "en"),
        ("😡😡", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_normalize_folds_width_case_and_traditional_characters() -> None:
    char_map = traditional_to_simplified()
    assert normalize("ＧＯＯＤ！送餐很準時", char_map) == "good!送餐很准时"


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("not good", "w:!good", "w:good"),
        ("good", "w:good", "w:!good"),
        ("didn't like it", "w:!like", "w:like"),
        ("it is not. good", "w:good", "w:!good"),  # punctuation closes the scope
        ("never buy this cheap junk", "w:!cheap", "w:!junk"),  # the scope is 3 words
        ("no problem but slow", "w:slow", "w:!slow"),  # "but" closes the scope
        ("soooo goood", "w:soo", "w:soooo"),  # elongations are shortened
        ("不好", "z:!好", "z:!不"),
        ("没有问题", "z:!问题", "z:!没"),
        ("where is it?", "p:?", "p:!"),
    ],
)
def test_feature_strings(text: str, present: str, absent: str) -> None:
    names = feature_strings(normalize(text))
    assert present in names
    assert absent not in names


def test_chinese_gets_character_ngrams_and_language_token() -> None:
    names = feature_strings("很满意")
    assert {"lang:zh", "c:很", "c:满意", "c:很满意"} <= set(names)


def test_hashing_is_stable_across_processes() -> None:
    """Python's hash() is salted per process; the model file relies on CRC-32 instead."""
    code = (
        "from bot.sentiment.features import hash_features;"
        "print(hash_features(['w:good', 'c:好'], 1 << 20).tolist())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert outputs.pop().strip() == str(hash_features(["w:good", "c:好"], 1 << 20).tolist())


def test_extractor_bounds_and_dense_features() -> None:
    extractor = FeatureExtractor(
        64, lexicon_scores=lambda _: {"compound": 0.5, "pos": 0.4, "neg": 0}
    )
    english = extractor("great")
    chinese = extractor("很好")
    assert english.dense.shape == (N_DENSE,)
    assert english.dense[0] == pytest.approx(0.5)
    assert chinese.dense[0] == 0  # no Latin letters: the English lexicon is not asked
    assert chinese.dense[-1] == 1
    long = extractor("好" * (MAX_CHARS * 5))
    assert np.all((long.buckets >= 0) & (long.buckets < 64))
    assert len(long.buckets) <= 4 * MAX_CHARS


def test_extractor_rejects_tiny_hash_space() -> None:
    with pytest.raises(ValueError, match="n_buckets"):
        FeatureExtractor(1)

"""Text to hashed sparse features and lexicon features, shared by training and scoring.

One feature space serves Chinese and English: character 1-3-grams of Chinese runs, words and
word bigrams of Latin runs (with negation scope marked, so "not good" and "good" differ),
question and exclamation marks, emoji, and a language token. Feature strings are hashed
with CRC-32 (stable across processes, unlike ``hash``) into a fixed number of buckets.
VADER's rule-based scores are added as dense features so English words the small English
training set never saw still carry their lexicon polarity.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Language = Literal["zh", "en"]

MAX_CHARS = 2000  # longer messages are cut: scoring time stays bounded
N_DENSE = 5  # see FeatureExtractor.dense

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")
# Latin words (with inner apostrophes), CJK runs, and the punctuation that carries sentiment.
_TOKEN = re.compile(f"[a-z]+(?:'[a-z]+)*|[{_CJK}]+|[!?]|[.,;:]")
_HAS_LATIN = re.compile("[A-Za-z]")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
_ELONGATED = re.compile(r"([a-z])\1{2,}")

# English negators open a scope that marks the next few words, closed early by punctuation.
_EN_NEGATORS = frozenset(
    {
        "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "cannot",
        "without", "hardly", "barely", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent",
        "werent", "wont", "wouldnt", "cant", "couldnt", "shouldnt", "aint",
    }
)  # fmt: skip
_NEGATION_SCOPE = 3
_SCOPE_BREAKERS = frozenset({".", ",", ";", ":", "!", "?", "but", "however", "although"})
# Chinese negators mark the next characters as a separate feature family ("不" + "好").
_ZH_NEGATORS = ("没有", "不是", "不", "没", "别", "无", "未", "非")

ScoreFn = Callable[[str], Mapping[str, float]]


@dataclass(frozen=True)
class Features:
    """One text's model input: bucket ids of its sparse features and its dense features."""

    buckets: npt.NDArray[np.int64]
    dense: npt.NDArray[np.float32]
    language: Language


def detect_language(text: str) -> Language:
    """ "zh" when the text has any Chinese character, else "en"."""
    return "zh" if _HAS_CJK.search(text) else "en"


def normalize(text: str, char_map: Mapping[int, str] | None = None) -> str:
    """NFKC (full-width to ASCII), lower case, traditional to simplified characters."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    text = text.replace("\u2019", "'")
    if char_map:
        text = text.translate(char_map)
    return text


def _english_features(tokens: Sequence[str]) -> list[str]:
    out: list[str] = []
    scope = 0
    words: list[str] = []
    for token in tokens:
        if token in _SCOPE_BREAKERS:
            scope = 0
            if token in {"!", "?"}:
                out.append("p:" + token)
            words.append(token)
            continue
        word = _ELONGATED.sub(r"\1\1", token)
        negator = word in _EN_NEGATORS or word.endswith("n't")
        out.append(("w:!" if scope else "w:") + word)
        words.append(word)
        scope = _NEGATION_SCOPE if negator else max(scope - 1, 0)
    for left, right in itertools.pairwise(words):
        out.append(f"b:{left} {right}")
    return out


def _chinese_features(run: str) -> list[str]:
    out = [f"c:{run[i : i + n]}" for n in (1, 2, 3) for i in range(len(run) - n + 1)]
    for negator in _ZH_NEGATORS:
        start = run.find(negator)
        while start >= 0:
            rest = run[start + len(negator) : start + len(negator) + 2]
            if rest:
                out.append("z:!" + rest[:1])
                out.append("z:!" + rest)
            start = run.find(negator, start + len(negator))
    return out


def feature_strings(normalized: str) -> list[str]:
    """The sparse feature names of an already normalized text (see :func:`normalize`)."""
    language = detect_language(normalized)
    out = [f"lang:{language}"]
    latin: list[str] = []
    for token in _TOKEN.findall(normalized):
        if _CJK_RUN.fullmatch(token):
            out.extend(_english_features(latin))
            latin = []
            out.extend(_chinese_features(token))
        else:
            latin.append(token)
    out.extend(_english_features(latin))
    out.extend("e:" + emoji for emoji in _EMOJI.findall(normalized))
    return out


def hash_features(names: Sequence[str], n_buckets: int) -> npt.NDArray[np.int64]:
    """Stable bucket ids for feature names."""
    return np.fromiter(
        (zlib.crc32(name.encode("utf-8", "surrogatepass")) % n_buckets for name in names),
        dtype=np.int64,
        count=len(names),
    )


class FeatureExtractor:
    """Turns raw text into :class:`Features`; holds the hashing size, character map and VADER.

    ``lexicon_scores`` is VADER's ``polarity_scores`` (or any function returning its keys
    ``compound``, ``pos``, ``neg``); pass ``None`` for a model without lexicon features.
    """

    def __init__(
        self,
        n_buckets: int,
        char_map: Mapping[int, str] | None = None,
        lexicon_scores: ScoreFn | None = None,
    ) -> None:
        if n_buckets < 2:
            raise ValueError(f"n_buckets must be at least 2, got {n_buckets}")
        self.n_buckets = n_buckets
        self.char_map = dict(char_map or {})
        self._lexicon_scores = lexicon_scores

    def dense(self, raw: str, language: Language) -> npt.NDArray[np.float32]:
        """[compound, pos, neg, compound if English else 0, 1 if zh else 0]."""
        values = np.zeros(N_DENSE, dtype=np.float32)
        # VADER only knows English; pure Chinese text would cost time and score 0 anyway.
        if self._lexicon_scores is not None and _HAS_LATIN.search(raw):
            scores = self._lexicon_scores(raw[:MAX_CHARS])
            values[0] = scores["compound"]
            values[1] = scores["pos"]
            values[2] = scores["neg"]
            values[3] = scores["compound"] if language == "en" else 0.0
        values[4] = 1.0 if language == "zh" else 0.0
        return values

    def __call__(self, raw: str) -> Features:
        text = normalize(raw, self.char_map)
        names = feature_strings(text)
        language = detect_language(text)
        return Features(
            buckets=hash_features(names, self.n_buckets),
            dense=self.dense(raw, language),
            language=language,
        )


def vader_scores() -> ScoreFn:
    """VADER's analyzer (loads its lexicon: call once, keep the result)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return analyzer.polarity_scores  # type: ignore[no-any-return,unused-ignore]

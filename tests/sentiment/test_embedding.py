"""The English embedding head: the plain-torch all-MiniLM-L6-v2 encoder, its tokenizer, the
head's fit, and a model file that carries a head (bot/sentiment/embedding.py, model.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from bot.sentiment.data import traditional_to_simplified
from bot.sentiment.embedding import DIM, MiniLM, WordPiece, model_dir
from bot.sentiment.features import FeatureExtractor
from bot.sentiment.model import HEAD_LAYERS, EmbeddingHead, SentimentNet, TrainConfig, fit_head
from bot.sentiment.scoring import SentimentModel, save_model


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM.load()


def test_wordpiece_splits_like_bert() -> None:
    tokenizer = WordPiece.load(model_dir() / "vocab.txt")
    assert tokenizer.words("Don't go there!! Café 你好") == [
        "don", "'", "t", "go", "there", "!", "!", "cafe", "你", "好",
    ]  # fmt: skip
    ids = tokenizer.encode("unaffordable")
    assert ids[0] == tokenizer.cls and ids[-1] == tokenizer.sep
    assert len(ids) > 3  # split into word pieces, not [UNK]
    assert tokenizer.unk not in ids
    assert len(tokenizer.encode("word " * 1000)) == 256  # truncated to the model's length


def test_embeddings_match_the_published_model(encoder: MiniLM) -> None:
    vectors = encoder.embed(
        ["A man is eating food.", "A man is eating a piece of bread.", "The sky is blue."]
    )
    assert vectors.shape == (3, DIM)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # sentence-transformers documents 0.7553 for this pair with all-MiniLM-L6-v2.
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.7553, abs=0.005)
    assert float(vectors[0] @ vectors[2]) < 0.3


def test_batching_does_not_change_embeddings(encoder: MiniLM) -> None:
    texts = ["short", "a much longer sentence with many more words in it", "mid length text"]
    together = encoder.embed(texts)
    alone = np.vstack([encoder.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_fit_head_learns_soft_targets() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(float)
    head = fit_head(x, list(y), [1.0] * len(y), l2=1e-4)
    assert np.mean((head.logits(x) >= 0) == (y == 1)) > 0.95
    with pytest.raises(ValueError, match="one length"):
        fit_head(x, [1.0], [1.0])


def test_a_saved_head_scores_english_only(tmp_path: Path, encoder: MiniLM) -> None:
    config = TrainConfig(n_buckets=64)
    net = SentimentNet(config.n_buckets)
    torch.nn.init.zeros_(net.dense.bias)  # all weights zero: every text scores 0 without a head
    extractor = FeatureExtractor(64, char_map=traditional_to_simplified())
    head = EmbeddingHead(np.zeros(DIM, dtype=np.float32), bias=2.0)
    path = tmp_path / "with-head.pt"
    save_model(
        path, net, config, extractor, lexicon=False, fingerprint="t", trained_seconds=0.0,
        n_examples=0, head=head,
    )  # fmt: skip
    model = SentimentModel.load(path)
    assert model.head is not None
    english, chinese = model.score_batch(["fine", "还行"])
    assert english == pytest.approx(np.tanh(1.0), abs=1e-4)  # the head's bias, logit 2
    assert chinese == 0.0
    plain = tmp_path / "plain.pt"
    save_model(
        plain, net, config, extractor, lexicon=False, fingerprint="t", trained_seconds=0.0,
        n_examples=0,
    )  # fmt: skip
    assert SentimentModel.load(plain).score("fine") == 0.0


def test_layers_are_pooled_side_by_side(encoder: MiniLM) -> None:
    texts = ["the food was bland", "great service, we will be back"]
    sentence = encoder.embed(texts)
    stacked = encoder.embed(texts, layers=(4, 5, 6))
    assert stacked.shape == (2, 3 * DIM)
    # every block is one layer's unit-length mean; the last block is the sentence embedding
    blocks = stacked.reshape(2, 3, DIM)
    assert np.allclose(np.linalg.norm(blocks, axis=2), 1.0, atol=1e-5)
    assert np.allclose(blocks[:, 2], sentence, atol=1e-6)
    assert not np.allclose(blocks[:, 0], blocks[:, 2], atol=1e-2)  # layer 4 is not layer 6
    alone = encoder.embed(texts, layers=(4,))
    assert np.allclose(alone, blocks[:, 0], atol=1e-6)
    for bad in [(), (0,), (7,)]:
        with pytest.raises(ValueError, match="layers"):
            encoder.embed(texts, layers=bad)


def _save_with_head(path: Path, head: EmbeddingHead) -> None:
    config = TrainConfig(n_buckets=64)
    net = SentimentNet(config.n_buckets)
    torch.nn.init.zeros_(net.dense.bias)  # the hashed model scores 0: only the head counts
    extractor = FeatureExtractor(64, char_map=traditional_to_simplified())
    save_model(
        path, net, config, extractor, lexicon=False, fingerprint="t", trained_seconds=0.0,
        n_examples=0, head=head,
    )  # fmt: skip


def test_a_saved_head_keeps_its_layers(tmp_path: Path, encoder: MiniLM) -> None:
    text = "the waiter was rude"
    layer4 = encoder.embed([text], layers=(4,))[0]
    # weights on the layer-4 block only: the score is that block's projection, so it comes out
    # right only if scoring embeds the text at the head's layers, in the head's order
    weight = np.concatenate([layer4, np.zeros(DIM, np.float32)]).astype(np.float32)
    path = tmp_path / "layers.pt"
    _save_with_head(path, EmbeddingHead(weight, bias=0.0, layers=(4, 6)))
    model = SentimentModel.load(path)
    assert model.head is not None and model.head.layers == (4, 6)
    expected = float(np.tanh(float(layer4 @ layer4) / 2))  # logit |v|^2 = 1
    assert model.score(text) == pytest.approx(expected, abs=1e-4)


def test_a_head_saved_without_layers_reads_the_sentence_embedding(tmp_path: Path) -> None:
    path = tmp_path / "old.pt"
    _save_with_head(path, EmbeddingHead(np.zeros(DIM, dtype=np.float32), bias=1.0))
    blob = torch.load(path, weights_only=True)
    del blob["head"]["layers"]  # a model file written before heads named their layers
    torch.save(blob, path)
    model = SentimentModel.load(path)
    assert model.head is not None and model.head.layers == (6,)
    assert model.score("fine") == pytest.approx(np.tanh(0.5), abs=1e-4)


def test_fit_head_records_its_layers() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 6)).astype(np.float32)
    y = list((x[:, 0] > 0).astype(float))
    assert fit_head(x, y, [1.0] * 50, layers=(2, 6)).layers == (2, 6)
    assert fit_head(x, y, [1.0] * 50).layers == HEAD_LAYERS

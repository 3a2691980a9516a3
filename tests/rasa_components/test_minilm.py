"""Rasa's numpy copy of all-MiniLM-L6-v2 (rasa_project/components/minilm.py) gives the vectors
the gateway's torch encoder gives (bot/sentiment/embedding.py), on the same weights."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "rasa_project"))

from components.minilm import DIM, MiniLM, for_embedding, has_cjk

from bot.sentiment.embedding import MiniLM as TorchMiniLM

TEXTS = [
    "where is my parcel",
    "I'd like my money back for the blender, it never worked properly",
    "hi",
    "电饭煲有货吗",
    "Café déjà vu!! can I change the address to 12 Baker St?",
]


@pytest.fixture(scope="module")
def encoder() -> MiniLM:
    return MiniLM.load()


def test_same_vectors_as_the_torch_encoder(encoder: MiniLM) -> None:
    ours = encoder.embed(TEXTS, layers=(4, 6))
    theirs = TorchMiniLM.load().embed(TEXTS, layers=(4, 6))
    assert ours.shape == (len(TEXTS), 2 * DIM) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_unit_length_and_batches_do_not_change_a_vector(encoder: MiniLM) -> None:
    alone = encoder.embed([TEXTS[1]])
    together = encoder.embed(TEXTS, batch_size=2)  # padded next to shorter texts
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(alone[0], together[1], atol=1e-5)


def test_meaning_without_shared_words(encoder: MiniLM) -> None:
    refund, money_back, track = encoder.embed(
        ["I want a refund", "give me my money back", "where is my package"]
    )
    assert float(refund @ money_back) > float(refund @ track)


def test_layers_are_checked(encoder: MiniLM) -> None:
    with pytest.raises(ValueError, match="layers"):
        encoder.embed(["hi"], layers=(7,))
    assert encoder.embed([]).shape == (0, DIM)


def test_chinese_texts_are_told_apart() -> None:
    assert has_cjk("我要退货") and has_cjk("return 这个") and not has_cjk("return these shoes!")


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("return 961250632539", "return number"),
        ("call me on 138 0013 8000", "call me on number"),
        ("size 42, under 200 yuan, 3 of them", "size 42, under 200 yuan, 3 of them"),
        ("退货 961250632539", "退货 number"),
    ],
)
def test_long_numbers_are_one_word_for_the_encoder(text: str, read: str) -> None:
    assert for_embedding(text) == read


def test_a_message_with_an_order_number_keeps_its_meaning(encoder: MiniLM) -> None:
    # Without the stand-in word the number's word pieces outweigh "return".
    masked, raw, meant = encoder.embed(
        [for_embedding("return 961250632539"), "return 961250632539", "return my order"]
    )
    assert float(masked @ meant) > float(raw @ meant)

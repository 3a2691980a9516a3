"""Loading sequence files and the leave-one-out protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.recsys.data import (
    SequenceData,
    from_sequences,
    history_matrix,
    holdout_users,
    leave_out,
    load_sequences,
    make_protocol,
)


def test_load_sequences_indexes_items_from_one(tmp_path: Path) -> None:
    path = tmp_path / "seq.txt"
    path.write_text("u1 10 20 30\n\nu2 20 40\n", encoding="utf-8")
    data = load_sequences(path)
    assert data.users == ("u1", "u2")
    assert data.item_ids == ("10", "20", "30", "40")
    assert [s.tolist() for s in data.sequences] == [[1, 2, 3], [2, 4]]
    assert data.n_interactions == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [("u1\n", "seq.txt:1: expected 'user item1"), ("\n\n", "holds no")],
)
def test_load_sequences_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "seq.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_sequences(path)


def test_leave_out_holds_out_the_last_and_second_to_last_items() -> None:
    data = from_sequences([("a", ["1", "2", "3", "4"]), ("b", ["5", "6"])])
    test = leave_out(data, 1)
    assert [h.tolist() for h in test.histories] == [[1, 2, 3], [5]]
    assert test.targets.tolist() == [4, 6]
    valid = leave_out(data, 2)
    assert valid.users.tolist() == [0]  # "b" has nothing before its validation item
    assert valid.histories[0].tolist() == [1, 2]
    assert valid.targets.tolist() == [3]


def test_the_protocol_never_shows_a_test_item(markov_data: SequenceData) -> None:
    protocol = make_protocol(markov_data, valid_users=100, seed=0)
    assert len(protocol.valid.targets) == 100
    for position, seq in enumerate(markov_data.sequences):
        test_item_position = len(seq) - 1
        assert len(protocol.fit_sequences[position]) <= test_item_position
        assert len(protocol.test_sequences[position]) == test_item_position
    for position, target in zip(protocol.valid.users, protocol.valid.targets, strict=True):
        seq = markov_data.sequences[position]
        assert target == seq[-2]
        assert len(protocol.fit_sequences[position]) == len(seq) - 2


def test_history_matrix_is_binary() -> None:
    matrix = history_matrix([np.array([1, 1, 2]), np.array([3])], n_items=3)
    assert matrix.shape == (2, 4)
    assert matrix.toarray().tolist() == [[0, 1, 1, 0], [0, 0, 0, 1]]


def test_holdout_users_are_disjoint_and_their_targets_unseen(markov_data: SequenceData) -> None:
    split = holdout_users(markov_data, valid_users=100, test_users=200, seed=3)
    valid, test = set(split.valid.users.tolist()), set(split.test.users.tolist())
    assert len(valid) == 100 and len(test) == 200
    assert not valid & test
    for held in (split.valid, split.test):
        for position, history, target in zip(held.users, held.histories, held.targets, strict=True):
            seq = markov_data.sequences[position]
            assert target == seq[-1] and history.tolist() == seq[:-1].tolist()
            assert split.fit_sequences[position].tolist() == seq[:-1].tolist()
    others = set(range(markov_data.n_users)) - valid - test
    assert all(split.fit_sequences[i].tolist() == markov_data.sequences[i].tolist() for i in others)


def test_holdout_users_refuses_more_users_than_qualify() -> None:
    data = from_sequences([("a", ["1", "2", "3"]), ("b", ["1", "2"]), ("c", ["2", "3", "1"])])
    with pytest.raises(ValueError, match="only 2 users have 3 or more items"):
        holdout_users(data, valid_users=2, test_users=1, seed=0)
    with pytest.raises(ValueError, match="valid_users and test_users must be at least 1"):
        holdout_users(data, valid_users=0, test_users=1, seed=0)

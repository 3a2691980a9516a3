"""Interaction sequences and the leave-one-out splits every recommender here is measured on.

Items are re-indexed densely to ``1..n_items`` so that ``0`` can pad sequences; users keep the
order of the input. A split hands each method the same view: ``history`` (what it may use to
score) and ``target`` (the one held-out item per user).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

PAD = 0


@dataclass(frozen=True)
class SequenceData:
    """Users' item sequences in time order, items indexed ``1..n_items``."""

    users: tuple[str, ...]
    sequences: tuple[np.ndarray, ...]  # int64 arrays of item indices, oldest first
    item_ids: tuple[str, ...]  # item_ids[i - 1] is the external id of item index i
    index_of: dict[str, int] = field(hash=False, compare=False, default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_interactions(self) -> int:
        return int(sum(len(s) for s in self.sequences))


def from_sequences(rows: Iterable[tuple[str, Sequence[str]]]) -> SequenceData:
    """Index ``(user, [item, ...])`` rows; items are numbered in order of first appearance."""
    index_of: dict[str, int] = {}
    users: list[str] = []
    sequences: list[np.ndarray] = []
    for user, items in rows:
        encoded = []
        for item in items:
            index = index_of.get(item)
            if index is None:
                index = len(index_of) + 1
                index_of[item] = index
            encoded.append(index)
        users.append(user)
        sequences.append(np.asarray(encoded, dtype=np.int64))
    item_ids = tuple(sorted(index_of, key=index_of.__getitem__))
    return SequenceData(tuple(users), tuple(sequences), item_ids, index_of)


def load_sequences(path: str | Path) -> SequenceData:
    """Read ``user item1 item2 ...`` lines (time order); blank lines are skipped.

    Raises ValueError naming the line when a user has no items.
    """
    rows: list[tuple[str, list[str]]] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 2:
                raise ValueError(
                    f"{path}:{number}: expected 'user item1 item2 ...', got {line.strip()!r}"
                )
            rows.append((parts[0], parts[1:]))
    if not rows:
        raise ValueError(f"{path} holds no 'user item1 item2 ...' lines")
    return from_sequences(rows)


@dataclass(frozen=True)
class Split:
    """What a method sees (``histories``) and the item it must rank (``targets``), per user.

    ``users`` holds the users' positions in :class:`SequenceData` (users whose history would
    be empty are left out).
    """

    users: np.ndarray
    histories: tuple[np.ndarray, ...]
    targets: np.ndarray
    n_items: int


def leave_out(data: SequenceData, last: int) -> Split:
    """Hold out the ``last``-th item from the end (1: test item, 2: validation item).

    The history is everything before the held-out item, so the validation split never sees
    the test item.
    """
    if last < 1:
        raise ValueError(f"last must be 1 (test) or more (validation), got {last}")
    keep, histories, targets = [], [], []
    for position, seq in enumerate(data.sequences):
        if len(seq) < last + 1:
            continue
        keep.append(position)
        histories.append(seq[: len(seq) - last])
        targets.append(int(seq[len(seq) - last]))
    return Split(
        users=np.asarray(keep, dtype=np.int64),
        histories=tuple(histories),
        targets=np.asarray(targets, dtype=np.int64),
        n_items=data.n_items,
    )


@dataclass(frozen=True)
class Protocol:
    """Leave-last-out evaluation with an honest validation split for tuning.

    - ``test``: every user's last item, ranked from everything before it.
    - ``test_sequences``: per user (all users, in order) everything before the test item; what
      a method is finally fitted on.
    - ``valid``: a seeded sample of users whose second-to-last item is held out as well.
    - ``fit_sequences``: like ``test_sequences`` but without the validation users' validation
      item; what a method is fitted on while tuning or early stopping on ``valid``.

    The test item is never in ``fit_sequences``, ``valid`` or ``test_sequences``.
    """

    fit_sequences: tuple[np.ndarray, ...]
    valid: Split
    test_sequences: tuple[np.ndarray, ...]
    test: Split


def make_protocol(data: SequenceData, valid_users: int, seed: int) -> Protocol:
    """Split ``data`` (see :class:`Protocol`); ``valid_users`` users (seeded) validate."""
    test = leave_out(data, 1)
    test_sequences = tuple(seq[:-1] for seq in data.sequences)
    candidates = leave_out(data, 2)  # users with a validation item and a history before it
    valid = subsample(candidates, valid_users, seed)
    fit_sequences = list(test_sequences)
    for position, history in zip(valid.users, valid.histories, strict=True):
        fit_sequences[position] = history
    return Protocol(tuple(fit_sequences), valid, test_sequences, test)


def history_matrix(histories: Sequence[np.ndarray], n_items: int) -> sp.csr_matrix:
    """Binary users x (n_items + 1) CSR matrix of the histories (repeats count once)."""
    indptr = np.zeros(len(histories) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(h) for h in histories])
    indices = np.concatenate(histories) if histories else np.zeros(0, dtype=np.int64)
    values = np.ones(len(indices), dtype=np.float32)
    matrix = sp.csr_matrix((values, indices, indptr), shape=(len(histories), n_items + 1))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def subsample(split: Split, size: int, seed: int) -> Split:
    """A seeded random subset of ``size`` users of ``split`` (all of them when fewer)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if size >= len(split.targets):
        return split
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(split.targets), size=size, replace=False))
    return Split(
        users=split.users[chosen],
        histories=tuple(split.histories[i] for i in chosen),
        targets=split.targets[chosen],
        n_items=split.n_items,
    )


@dataclass(frozen=True)
class UserHoldout:
    """Two disjoint groups of users whose last item is held out of ``fit_sequences``.

    ``valid`` users early-stop training; ``test`` users score it (a model is never scored on
    the users it early-stopped on). Every other user's whole sequence is in ``fit_sequences``.
    """

    fit_sequences: tuple[np.ndarray, ...]
    valid: Split
    test: Split


def holdout_users(
    data: SequenceData, valid_users: int, test_users: int, seed: int, min_length: int = 3
) -> UserHoldout:
    """Draw ``valid_users`` and then ``test_users`` (seeded, disjoint) among the users with at
    least ``min_length`` items, and hold out their last item."""
    if valid_users < 1 or test_users < 1:
        raise ValueError(
            f"valid_users and test_users must be at least 1, got {valid_users} and {test_users}"
        )
    if min_length < 2:
        raise ValueError(
            f"min_length must be at least 2 (a history and a target), got {min_length}"
        )
    last = leave_out(data, 1)
    eligible = np.flatnonzero([len(h) + 1 >= min_length for h in last.histories])
    if len(eligible) < valid_users + test_users:
        raise ValueError(
            f"{valid_users} + {test_users} held-out users asked for, but only {len(eligible)} "
            f"users have {min_length} or more items"
        )
    drawn = np.random.default_rng(seed).permutation(eligible)
    groups = [np.sort(drawn[:valid_users]), np.sort(drawn[valid_users : valid_users + test_users])]
    splits = [
        Split(
            users=last.users[rows],
            histories=tuple(last.histories[i] for i in rows),
            targets=last.targets[rows],
            n_items=data.n_items,
        )
        for rows in groups
    ]
    fit_sequences = list(data.sequences)
    for split in splits:
        for position, history in zip(split.users, split.histories, strict=True):
            fit_sequences[position] = history
    return UserHoldout(tuple(fit_sequences), splits[0], splits[1])

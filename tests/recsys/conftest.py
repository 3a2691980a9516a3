"""Seeded synthetic interaction data with a known structure, for quality floors."""

from __future__ import annotations

import numpy as np
import pytest

from bot.recsys.data import SequenceData, from_sequences


def markov_sequences(
    users: int = 600, items: int = 100, follow: float = 0.8, seed: int = 7
) -> SequenceData:
    """Each item has three likely successors; a user follows one with probability ``follow``.

    A sequence model can learn the successors (the best possible HR@10 is about ``follow``);
    popularity cannot, since every item is about equally popular.
    """
    rng = np.random.default_rng(seed)
    successors = rng.integers(0, items, size=(items, 3))
    rows = []
    for user in range(users):
        length = int(rng.integers(6, 16))
        current = int(rng.integers(items))
        seq = [current]
        for _ in range(length - 1):
            if rng.random() < follow:
                nxt = int(successors[current, rng.integers(3)])
            else:
                nxt = int(rng.integers(items))
            if nxt in seq:  # no repeats, like the Amazon data
                nxt = int(rng.integers(items))
                if nxt in seq:
                    continue
            seq.append(nxt)
            current = nxt
        rows.append((f"u{user}", [f"i{i}" for i in seq]))
    return from_sequences(rows)


@pytest.fixture(scope="session")
def markov_data() -> SequenceData:
    return markov_sequences()

"""The recommender's bandit file shared by several processes (two action servers): what each
learnt is merged, never overwritten (``bot.recsys.bandit.save_merged``)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from bot.recsys.bandit import Observation, ThompsonReranker, save_merged


def _load(path: Path) -> ThompsonReranker:
    bandit = ThompsonReranker()
    if path.exists():
        bandit.load_state(json.loads(path.read_text(encoding="utf-8")))
    return bandit


def test_two_processes_saving_keep_both_their_feedback(tmp_path: Path) -> None:
    path = tmp_path / "bandit.json"
    a, b = _load(path), _load(path)  # both start from the same (empty) file
    seen_a: list[Observation] = [("p1", 1.0, "click"), ("p2", 0.0, "shown")]
    seen_b: list[Observation] = [("p3", -1.0, "dismiss")]
    for bandit, seen in ((a, seen_a), (b, seen_b)):
        for observation in seen:
            bandit.record(*observation)
    save_merged(a, path, seen_a)
    save_merged(b, path, seen_b)  # a plain save would drop a's two observations here
    merged = _load(path)
    assert merged.observations == 3
    assert set(merged.offsets) == {"p1", "p2", "p3"}
    expected = ThompsonReranker()
    for observation in seen_a + seen_b:
        expected.record(*observation)
    assert merged.state() == expected.state()
    assert b.state() == expected.state()  # b now knows what a learnt


def test_an_unreadable_file_is_replaced_by_the_process_state(tmp_path: Path) -> None:
    path = tmp_path / "bandit.json"
    path.write_text("{not json", encoding="utf-8")
    bandit = ThompsonReranker()
    bandit.record("p1", 0.5, "purchase")
    save_merged(bandit, path, [("p1", 0.5, "purchase")])
    assert _load(path).observations == 1


def _learn(path: str, item: str, count: int) -> None:
    bandit = _load(Path(path))
    for _ in range(count):
        observation: Observation = (item, 0.5, "click")
        bandit.record(*observation)
        save_merged(bandit, path, [observation])


def test_processes_saving_at_the_same_time_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bandit.json"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_learn, args=(str(path), item, 30)) for item in ("p1", "p2", "p3")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert _load(path).observations == 90

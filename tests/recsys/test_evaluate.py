"""`make eval-recsys`: the contract's JSON, the table and the plot, on a small seeded file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.recsys import evaluate as ev
from bot.recsys.data import SequenceData
from bot.recsys.model import EpochLog, SASRecConfig
from bot.recsys.search import AT_BOUND, AT_EDGE, INTERIOR, Axis


def write_sequences(data: SequenceData, path: Path) -> None:
    lines = [
        " ".join([user, *(data.item_ids[i - 1] for i in seq)])
        for user, seq in zip(data.users, data.sequences, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_run_writes_the_contract_json(
    markov_data: SequenceData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_file = tmp_path / "seq.txt"
    write_sequences(markov_data, data_file)
    # Small grids and model keep the test fast; the command line uses the full ones.
    monkeypatch.setattr(ev, "KNN_AXES", (Axis("neighbours", (10, 20, 40), lower=1, integer=True),))
    monkeypatch.setattr(
        ev,
        "ALS_AXES",
        (
            Axis("alpha", (1.0, 10.0), factor=4.0, lower=0.01),
            Axis("factors", (8, 16), lower=2, integer=True),
        ),
    )
    small = SASRecConfig(dim=32, max_len=20, negatives=64, max_epochs=15, time_budget_s=600)
    out = tmp_path / "out" / "result.json"
    argv = ["--data", str(data_file), "--out", str(out), "--valid-users", "100"]
    assert ev.main([*argv, "--budget", "40"], model_config=small) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) == {"model", "popularity", "itemknn", "als"}
    for scores in result.values():
        assert set(scores) == {"hr@10", "ndcg@10"}
        assert 0.0 <= scores["ndcg@10"] <= scores["hr@10"] <= 1.0
    assert result["model"]["hr@10"] > result["popularity"]["hr@10"]
    details = json.loads((tmp_path / "out" / "result-details.json").read_text(encoding="utf-8"))
    assert details["model_log"]
    assert (tmp_path / "out" / "result.png").stat().st_size > 1000
    search = details["search"]
    assert set(search) == {"model", "popularity", "itemknn", "als"}
    # One protocol for all: the same validation users, metric and budget.
    protocols = [entry["protocol"] for entry in search.values()]
    assert all(p == protocols[0] for p in protocols)
    assert protocols[0]["valid_users"] == 100 and protocols[0]["metric"] == "ndcg@10"
    assert protocols[0]["budget_s"] == 40.0
    # The model's training budget is the search budget (not its own 600 s).
    assert details["results"]["model"]["settings"]["time_budget_s"] == 40.0
    assert details["results"]["model"]["settings"]["valid_users"] == 100
    # The whole search is recorded: every configuration with its validation score and time.
    for name, axes in (("itemknn", {"neighbours"}), ("als", {"alpha", "factors"})):
        trials = search[name]["trials"]
        assert len(trials) >= 3
        for trial in trials:
            assert axes <= set(trial) and {"ndcg@10", "hr@10", "seconds"} <= set(trial)
        best = max(trials, key=lambda t: t["ndcg@10"])
        assert {k: best[k] for k in axes} == search[name]["chosen"]
        assert details["results"][name]["settings"] == search[name]["chosen"]
        assert set(search[name]["position"]) == axes
        assert set(search[name]["position"].values()) <= {INTERIOR, AT_BOUND, AT_EDGE}
    epochs = [t["epochs"] for t in search["model"]["trials"]]
    assert epochs == list(range(1, len(details["model_log"]) + 1))
    table = (tmp_path / "out" / "result.md").read_text(encoding="utf-8")
    assert "itemknn neighbours = " in table and "model epochs = " in table


class FakeModel:
    def __init__(self, scores: list[float], stopped: str) -> None:
        self.log = [EpochLog(i + 1, 10.0 * (i + 1), 1.0, s, s) for i, s in enumerate(scores)]
        self.stopped = stopped
        self.train_seconds = 10.0 * len(scores)


@pytest.mark.parametrize(
    ("scores", "stopped", "where"),
    [
        ([0.1, 0.3, 0.2, 0.2], "patience", INTERIOR),
        ([0.1, 0.2, 0.3], "budget", AT_EDGE),  # still improving when the budget ran out
        ([0.1, 0.2, 0.3], "max_epochs", AT_BOUND),
    ],
)
def test_the_model_search_says_where_its_best_epoch_lies(
    markov_data: SequenceData, scores: list[float], stopped: str, where: str
) -> None:
    protocol = ev.make_protocol(markov_data, 50, 0)
    search = ev.SearchProtocol(
        protocol.valid, ev.history_matrix(protocol.fit_sequences, 100), 100, 30.0
    )
    record = ev.model_search(FakeModel(scores, stopped), search)  # type: ignore[arg-type]
    assert record["position"] == {"epochs": where}
    assert record["chosen"] == {"epochs": scores.index(max(scores)) + 1}
    assert len(record["trials"]) == len(scores)


def test_unreadable_data_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ev.main(["--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read --data" in capsys.readouterr().err

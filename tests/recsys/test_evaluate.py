"""`make eval-recsys`: the contract's JSON, the table and the plot, on a small seeded file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.recsys import evaluate as ev
from bot.recsys.data import SequenceData
from bot.recsys.model import SASRecConfig


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
    monkeypatch.setattr(ev, "KNN_NEIGHBOURS", (20,))
    monkeypatch.setattr(ev, "ALS_ALPHAS", (10.0,))
    monkeypatch.setattr(ev, "ALS_FACTORS", (16,))
    monkeypatch.setattr(ev, "ALS_REGULARIZATION", (1.0,))
    small = SASRecConfig(dim=32, max_len=20, negatives=64, max_epochs=15, time_budget_s=600)
    out = tmp_path / "out" / "result.json"
    argv = ["--data", str(data_file), "--out", str(out), "--valid-users", "100"]
    assert ev.main(argv, model_config=small) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert set(result) == {"model", "popularity", "itemknn", "als"}
    for scores in result.values():
        assert set(scores) == {"hr@10", "ndcg@10"}
        assert 0.0 <= scores["ndcg@10"] <= scores["hr@10"] <= 1.0
    assert result["model"]["hr@10"] > result["popularity"]["hr@10"]
    details = json.loads((tmp_path / "out" / "result-details.json").read_text(encoding="utf-8"))
    assert details["tuning"]["als"] and details["model_log"]
    assert (tmp_path / "out" / "result.png").stat().st_size > 1000


def test_unreadable_data_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ev.main(["--data", str(tmp_path / "missing.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "cannot read --data" in capsys.readouterr().err

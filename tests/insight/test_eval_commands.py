"""The evaluation commands' JSON on small generated files: schema, bad rows, missing columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.insight import commands, delay, synth
from bot.insight.shopdata import OLIST_COLUMNS, TRANSACTION_COLUMNS, write_csv


def test_eval_segments_json_png_and_bad_row(tmp_path: Path) -> None:
    data = tmp_path / "lines.csv"
    rows = synth.transactions(n_customers=45, seed=2)
    rows.append({**rows[0], "order_date": "yesterday"})
    rows.append({**rows[1], "amount": ""})
    write_csv(data, TRANSACTION_COLUMNS, rows)
    out = tmp_path / "out" / "segments.json"
    assert (
        commands.main(["eval-segments", "--data", str(data), "--out", str(out), "--rounds", "2"])
        == 0
    )
    result = json.loads(out.read_text(encoding="utf-8"))
    assert {"kmeans", "hierarchical", "dbscan", "chosen"} <= set(result)
    assert result["chosen"] in ("kmeans", "hierarchical", "dbscan")
    for method in ("kmeans", "hierarchical", "dbscan"):
        scores = result[method]
        assert {
            "silhouette",
            "davies_bouldin",
            "stability_ari",
            "n_clusters",
            "sizes",
            "grid",
        } <= set(scores)
        assert sum(scores["sizes"].values()) in (0, 45)
    assert result["data"]["skipped"] == {"bad_amount": 1, "bad_date": 1}
    assert out.with_suffix(".png").stat().st_size > 1000
    report = out.with_suffix(".md").read_text(encoding="utf-8")
    assert "eval-segments" in report and result["chosen"] in report


def test_eval_segments_names_a_missing_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "lines.csv"
    data.write_text("customer_id,order_id,order_date\nA,1,2026-01-01\n", encoding="utf-8")
    assert (
        commands.main(["eval-segments", "--data", str(data), "--out", str(tmp_path / "o.json")])
        == 1
    )
    assert "amount" in capsys.readouterr().err


@pytest.mark.parametrize("us_dates", [False, True])
def test_eval_delay_json_schema(tmp_path: Path, us_dates: bool) -> None:
    data = tmp_path / "orders.csv"
    write_csv(data, OLIST_COLUMNS, synth.olist_orders(n=700, seed=4, us_dates=us_dates, bad_rows=2))
    out = tmp_path / "delay.json"
    assert delay.main(["--data", str(data), "--out", str(out)]) == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    for key in ("model", "slack_rule", "prior"):
        assert {"roc_auc", "pr_auc", "n_test"} <= set(result[key]), key
    skipped = result["data"]["skipped"]
    assert skipped["unparseable_date"] == 2 and skipped["not_delivered"] > 0
    assert result["data"]["kept"] + sum(skipped.values()) == result["data"]["rows"] == 702
    assert out.with_suffix(".md").exists()


def test_eval_delay_names_a_missing_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "orders.csv"
    columns = [c for c in OLIST_COLUMNS if c != "order_estimated_delivery_date"]
    write_csv(data, columns, synth.olist_orders(n=20))
    assert delay.main(["--data", str(data), "--out", str(tmp_path / "d.json")]) == 1
    assert "order_estimated_delivery_date" in capsys.readouterr().err

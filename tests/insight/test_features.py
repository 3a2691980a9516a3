"""RFM features on a hand-checkable file, date formats, bad rows and missing columns."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.insight.features import load_transactions, rfm, with_extras
from bot.insight.tabular import CsvSchemaError, parse_datetime


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rfm_values_by_hand(tmp_path: Path) -> None:
    data = write(
        tmp_path / "t.csv",
        "customer_id,order_id,order_date,amount,category\n"
        "A,o1,2026-01-01,100,shoes\n"
        "A,o1,2026-01-01,20,socks\n"  # a second line of the same order
        "A,o2,1/11/2026,50,shoes\n"  # M/D/YYYY
        "B,o3,2026-01-21T00:00:00,30,\n"
        "B,o4,2026-13-45,30,\n"  # bad date
        "C,o5,2026-01-02,abc,\n",  # bad amount
    )
    lines, stats = load_transactions(data)
    assert stats.rows == 6 and stats.kept == 4
    assert stats.skipped == {"bad_date": 1, "bad_amount": 1}
    table = rfm(lines)  # reference: the day after the last order, 2026-01-22
    assert table.customer_ids == ["A", "B"]
    assert table.row("A") == {
        "recency_days": 11.0,  # 2026-01-11 -> 2026-01-22
        "frequency": 2.0,
        "monetary": 170.0,
        "avg_order_value": 85.0,
        "tenure_days": 21.0,
        "n_categories": 2.0,
    }
    assert table.row("B")["recency_days"] == 1.0
    assert table.row("B")["n_categories"] == 0.0


def test_without_category_column_and_extras(tmp_path: Path) -> None:
    data = write(tmp_path / "t.csv", "Customer_ID,order_id,order_date,amount\nA,1,2026-01-01,10\n")
    table = rfm(load_transactions(data)[0])
    assert "n_categories" not in table.names
    extended = with_extras(table, {"A": {"return_rate": 0.5}})
    assert extended.row("A")["return_rate"] == 0.5


def test_missing_column_is_named(tmp_path: Path) -> None:
    data = write(tmp_path / "t.csv", "customer_id,order_id,amount\nA,1,10\n")
    with pytest.raises(CsvSchemaError, match="order_date"):
        load_transactions(data)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2017-10-02 10:56:33", "2017-10-02T10:56:33+00:00"),
        ("10/2/2017 10:56", "2017-10-02T10:56:00+00:00"),
        ("10/2/2017", "2017-10-02T00:00:00+00:00"),
        ("2017-10-02T10:56:33+08:00", "2017-10-02T02:56:33+00:00"),
    ],
)
def test_date_formats(text: str, iso: str) -> None:
    parsed = parse_datetime(text)
    assert parsed is not None and parsed.isoformat() == iso


def test_bad_dates_are_none() -> None:
    assert parse_datetime("") is None
    assert parse_datetime("31/31/2017") is None

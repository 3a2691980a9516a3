"""The shop-side commands on a small seeded shop: segments into the database, exports, training."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Column, select

from bot.cli import main
from bot.insight import delay
from bot.storage.db import create_engine
from bot.storage.schema import customer_segments, customers


@pytest.fixture
def small_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.yml"
    settings = {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"},
        "demo": {"products": 49, "customers": 40, "orders": 500},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.delenv("SHOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOP_CONFIG", raising=False)
    assert main(["--config", str(config), "seed", "--today", "2026-04-21"]) == 0
    return config


def column_in_db(url: str, key: Column[Any], value: Column[Any]) -> dict[str, str]:
    async def read() -> dict[str, str]:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(key, value))).all()
            return {str(k): str(v) for k, v in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_segments_command_writes_keys_and_summary(
    small_shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary_path = tmp_path / "segments.json"
    args = [
        "--config",
        str(small_shop),
        "segments",
        "--rounds",
        "2",
        "--summary",
        str(summary_path),
    ]
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    tiers = column_in_db(url, customers.c.id, customers.c.segment)
    assert main(args) == 0
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    keys = {seg["key"] for seg in summary["segments"]}
    stored = column_in_db(url, customer_segments.c.customer_id, customer_segments.c.segment)
    # the shop's own tiers (vip, regular, new), which the handoff and after-sales rules read,
    # are not overwritten by the clustering
    assert column_in_db(url, customers.c.id, customers.c.segment) == tiers
    assert len(stored) == 40
    assert set(stored.values()) <= keys
    assert sum(seg["size"] for seg in summary["segments"]) == 40
    out = capsys.readouterr().out
    assert "Method:" in out and "/" in out


def test_export_and_train_delay(small_shop: Path, tmp_path: Path) -> None:
    olist = tmp_path / "olist.csv"
    assert main(["--config", str(small_shop), "insight", "export-olist", "--out", str(olist)]) == 0
    shipments, stats = delay.load_olist(olist)
    assert stats.rows == 500 and len(shipments) > 300
    model_path = tmp_path / "delay.pkl"
    assert (
        main(["--config", str(small_shop), "insight", "train-delay", "--out", str(model_path)]) == 0
    )
    model = delay.load(model_path)
    assert 0.0 <= model.score(shipments[-1].known, shipments[:-1]).probability <= 1.0

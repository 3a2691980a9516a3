"""Training the shop model from its database, and the serving store's hot reload."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.recsys.serving import ModelStore, ServingModel
from bot.recsys.shop import (
    SHOP_MODEL,
    Event,
    ShopHistory,
    load_history,
    sequences,
    train_shop_model,
)
from bot.storage.db import create_engine

FAST = replace(SHOP_MODEL, max_epochs=8, time_budget_s=20.0)


def at(minute: int) -> datetime:
    return datetime(2026, 4, 1, 12, minute, tzinfo=UTC)


def test_sequences_collapse_view_cart_purchase_of_one_product() -> None:
    history = ShopHistory(
        events=(
            Event("C1", "P1", "view", at(0)),
            Event("C1", "P1", "cart", at(1)),
            Event("C1", "P1", "purchase", at(2)),
            Event("C1", "P2", "view", at(3)),
            Event("C1", "P1", "view", at(4)),
        ),
        segments={"C1": "vip"},
        product_ids=("P1", "P2"),
    )
    assert sequences(history) == {"C1": ["P1", "P2", "P1"]}


def test_training_needs_some_history(tmp_path: Path) -> None:
    history = ShopHistory((Event("C1", "P1", "view", at(0)),), {"C1": "new"}, ("P1", "P2"))
    with pytest.raises(ValueError, match="two or more"):
        train_shop_model(history, tmp_path / "m.pt", config=FAST)


@pytest.fixture(scope="module")
def shop_history(seeded_db_file: Path) -> ShopHistory:
    async def load() -> ShopHistory:
        engine = create_engine(f"sqlite+aiosqlite:///{seeded_db_file}")
        try:
            return await load_history(engine)
        finally:
            await engine.dispose()

    return asyncio.run(load())


def test_the_artifact_covers_the_whole_catalogue(shop_history: ShopHistory, tmp_path: Path) -> None:
    report = train_shop_model(shop_history, tmp_path / "m.pt", seed=0, config=FAST)
    served = ServingModel.load(tmp_path / "m.pt")
    assert served.item_ids == shop_history.product_ids
    assert report.customers >= 250 and report.valid_users > 0
    assert {"all", "segment:vip", "segment:regular"} <= set(served.popularity)
    # Li Wei's history scores every product; what she bought is in it.
    history = sequences(shop_history)["C0001"]
    scores = served.scores(history)
    assert set(scores) == set(shop_history.product_ids)
    assert served.scores(["no-such-product"]) == {}


def test_the_store_reloads_a_retrained_model(
    shop_history: ShopHistory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "m.pt"
    store = ModelStore(path)
    assert store.current() is None  # no file yet: cold start
    train_shop_model(shop_history, path, seed=0, config=FAST)
    first = store.current()
    assert first is not None and store.loads == 1
    assert store.current() is first  # unchanged file: no reload
    train_shop_model(shop_history, path, seed=1, config=FAST)
    second = store.current()
    assert second is not first and store.loads == 2
    path.write_bytes(b"not a model")
    with caplog.at_level(logging.ERROR):
        assert store.current() is second  # a broken file keeps the previous model
    assert "could not load the recommender model" in caplog.text

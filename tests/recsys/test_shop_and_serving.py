"""Training the shop model from its database, and the serving store's hot reload."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.recsys import shop as shop_module
from bot.recsys.data import Split
from bot.recsys.metrics import RankingResult
from bot.recsys.model import SequentialRecommender
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
    assert report.customers >= 250 and report.valid_users > 0 and report.test_users > 0
    assert {"all", "segment:vip", "segment:regular"} <= set(served.popularity)
    # Li Wei's history scores every product; what she bought is in it.
    history = sequences(shop_history)["C0001"]
    scores = served.scores(history)
    assert set(scores) == set(shop_history.product_ids)
    assert served.scores(["no-such-product"]) == {}


def test_the_shop_model_is_scored_on_customers_it_did_not_early_stop_on(
    shop_history: ShopHistory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early_stopping: list[Split] = []
    scored: list[Split] = []
    fit = SequentialRecommender.fit
    score = shop_module.evaluate

    def spy_fit(self: SequentialRecommender, *args: Any, **kwargs: Any) -> SequentialRecommender:
        early_stopping.append(kwargs["valid"])
        return fit(self, *args, **kwargs)

    def spy_evaluate(scorer: Any, split: Split, *args: Any) -> RankingResult:
        scored.append(split)
        return score(scorer, split, *args)

    monkeypatch.setattr(SequentialRecommender, "fit", spy_fit)
    monkeypatch.setattr(shop_module, "evaluate", spy_evaluate)
    report = train_shop_model(shop_history, tmp_path / "m.pt", seed=0, config=FAST)
    [valid] = early_stopping
    assert len(scored) == 2  # the model and popularity, on one test split
    test = scored[0]
    assert scored[1] is test
    assert not set(valid.users.tolist()) & set(test.users.tolist())
    assert report.valid_users == len(valid.targets) and report.test_users == len(test.targets)
    assert report.test_users >= report.valid_users > 0


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

from __future__ import annotations

import pytest

from bot.sentiment.scoring import SentimentModel
from tests.sentiment.helpers import SmallModel, small_model


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> SmallModel:
    return small_model(tmp_path_factory.mktemp("sentiment"))


@pytest.fixture(scope="session")
def model(trained: SmallModel) -> SentimentModel:
    return SentimentModel.load(trained.path)

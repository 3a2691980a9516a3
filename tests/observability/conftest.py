"""Monitoring tests: the gateway's fakes (a scripted Rasa that also answers ``GET /status``,
a fake action server, a seeded SQLite file) and helpers that read ``/metrics``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient
from tests.core.test_pipeline import FAST, RecordingSender
from tests.gateway.conftest import actions_url, engine, make_client
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import Client

__all__ = ["actions_url", "engine", "make_client"]

MODEL_ID = "4f1c0e7a9b2d4c61a8e3d5f7b9c1e2a3"
MODEL_FILE = "models/20261206-150000-brisk-shop.tar.gz"


@dataclass
class StatusRasa(FakeRasa):
    """The fake Rasa plus its ``GET /status`` (the loaded model)."""

    def app(self) -> web.Application:
        app = super().app()
        app.router.add_get("/status", self._status)
        return app

    async def _status(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"model_id": MODEL_ID, "model_file": MODEL_FILE, "num_active_training_jobs": 0}
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = StatusRasa()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Put the root logger's handlers and level back after a test configured logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


PipelineFactory = Callable[..., Awaitable[Pipeline]]


@pytest.fixture
async def make_pipeline(
    engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> AsyncIterator[PipelineFactory]:
    """Pipelines built like tests/core/test_pipeline.py builds them (fake Rasa on loopback)."""
    made: list[tuple[Pipeline, RasaClient]] = []

    async def make(*senders: RecordingSender, rasa_url: str = "", timeout_s: float = 5) -> Pipeline:
        rasa = RasaClient(rasa_url or fake_rasa.url, actions_url, timeout_s=timeout_s)
        await rasa.start()
        pipeline = Pipeline(engine, rasa, delivery=FAST)
        for sender in senders:
            pipeline.add_sender(sender)
        await pipeline.start()
        made.append((pipeline, rasa))
        return pipeline

    yield make
    for pipeline, rasa in made:
        await pipeline.close()
        await rasa.close()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition: (name, sorted labels) -> value."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def scrape(client: Client, **headers: str) -> Samples:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(await resp.text())


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist yet (a counter never incremented)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)

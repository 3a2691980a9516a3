"""The studio API under test: a copy of the Rasa project in a temporary folder, a temporary
database, a fake trainer and evaluator (no `rasa train`) and fake Rasa servers."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import pages, studio_extra_routes, studio_routes
from bot.admin import routes as admin_routes
from bot.config import Config, load_config
from bot.core.http import ENGINE_KEY, error_middleware
from bot.storage.db import create_engine, create_schema
from bot.studio.deploy import Deployer
from bot.studio.overlap import nlu_examples, story_user_turns
from bot.studio.rasa_cli import Evaluation, Progress

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = ROOT / "tests" / "data" / "nlu_holdout.yml"
TEST_STORIES = ROOT / "rasa_project" / "tests" / "test_stories.yml"
ADMIN_TOKEN = "studio-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MIN_EXAMPLES = 5  # the fake model "knows" an intent with at least this many examples

Client = TestClient[Any, Any]


def intent_counts(project: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted((project / "data" / "nlu").rglob("*.yml")):
        for intent, _ in nlu_examples(path):
            counts[intent] = counts.get(intent, 0) + 1
    return counts


class FakeTrainer:
    """Writes a "model": the example count of each intent in the project it was given."""

    def __init__(self) -> None:
        self.validated: list[Path] = []
        self.invalid: str | None = None

    async def validate(self, project: Path) -> None:
        from bot.studio.rasa_cli import DeployError

        self.validated.append(project)
        if self.invalid:
            raise DeployError(self.invalid)

    async def train(self, project: Path, out_dir: Path, name: str, progress: Progress) -> Path:
        for share in (0.25, 0.5, 1.0):
            await progress(share)
        model = out_dir / f"{name}.tar.gz"
        model.write_text(json.dumps(intent_counts(project)), encoding="utf-8")
        return model


@dataclass
class FakeEvaluator:
    """Held-out accuracy: the share of held-out phrasings whose intent the model knows (has
    at least MIN_EXAMPLES examples); ``failing``: test stories to report as failed."""

    failing: list[str] = field(default_factory=list)

    async def evaluate(self, project: Path, model: Path) -> Evaluation:
        counts = json.loads(model.read_text(encoding="utf-8"))  # noqa: ASYNC240 - tiny file
        held = [intent for intent, _ in nlu_examples(HOLDOUT)]
        known = sum(1 for intent in held if counts.get(intent, 0) >= MIN_EXAMPLES)
        stories = len(story_user_turns(TEST_STORIES))
        return Evaluation(round(known / len(held), 4), stories, list(self.failing))


@dataclass
class FakeServers:
    loaded: list[Path] = field(default_factory=list)
    fail: bool = False

    async def load(self, model: Path) -> None:
        from bot.studio.rasa_cli import DeployError

        if self.fail:
            raise DeployError("Rasa at http://fake refused the model (500)")
        self.loaded.append(model)


@dataclass
class Studio:
    client: Client
    project: Path
    engine: AsyncEngine
    trainer: FakeTrainer
    evaluator: FakeEvaluator
    servers: FakeServers
    cfg: Config
    deployer: Deployer | None = None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("domain", "data", "components", "tests"):
        shutil.copytree(ROOT / "rasa_project" / name, root / name)
    shutil.copy2(ROOT / "rasa_project" / "config.yml", root / "config.yml")
    return root


@pytest.fixture
async def studio_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await create_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def studio_extras() -> Callable[[web.Application], None] | None:
    """Override in a test module to add to the studio's app before it starts (a Rasa client)."""
    return None


@pytest.fixture
async def studio(
    tmp_path: Path,
    project: Path,
    studio_engine: AsyncEngine,
    studio_extras: Callable[[web.Application], None] | None,
) -> AsyncIterator[Studio]:
    baseline_dir = tmp_path / "baseline"
    baseline_dir.mkdir()
    # The model Rasa runs before the studio's first deploy, trained on the project as it is.
    (baseline_dir / "shop.tar.gz").write_text(json.dumps(intent_counts(project)), "utf-8")
    cfg = load_config(
        path=tmp_path / "no-config.yml",
        env={"ADMIN_TOKEN": ADMIN_TOKEN},
        overrides={
            "studio": {
                "project_dir": str(project),
                "model_dir": str(tmp_path / "models"),
                "holdout": str(HOLDOUT),
                "test_stories": str(TEST_STORIES),
            },
            "rasa": {"model_dir": str(baseline_dir)},
        },
    )
    trainer, evaluator, servers = FakeTrainer(), FakeEvaluator(), FakeServers()
    made: list[Deployer] = []

    def deployer(engine: AsyncEngine) -> Deployer:
        editor_store = app[studio_routes.EDITOR_KEY].store
        made.append(
            Deployer.from_config(
                cfg, engine, editor_store, trainer=trainer, evaluator=evaluator, servers=servers
            )
        )
        return made[-1]

    app = web.Application(middlewares=[error_middleware])
    app[ENGINE_KEY] = studio_engine
    admin_routes.setup(app, admin_token=ADMIN_TOKEN)
    studio_routes.setup(app, cfg, deployer=deployer)
    studio_extra_routes.setup(app)
    pages.setup(app)
    if studio_extras is not None:
        studio_extras(app)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    found = Studio(client, project, studio_engine, trainer, evaluator, servers, cfg, made[0])
    yield found
    await client.close()

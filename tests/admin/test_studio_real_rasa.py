"""Integration: a tiny Rasa project trained for real by the studio's job and hot-swapped into a
running Rasa while a loop of /model/parse keeps being answered (minutes; `-m integration`)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.studio.deploy import Deployer
from bot.studio.editing import Editor
from bot.studio.project import ProjectStore
from bot.studio.rasa_cli import RASA_BIN, RasaCli, RasaServers

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(1200),
    pytest.mark.skipif(not RASA_BIN.exists(), reason="needs .venv-rasa (make rasa-env)"),
]

CONFIG = """recipe: default.v1
language: en
assistant_id: studio-tiny
pipeline:
  - name: WhitespaceTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 2
    max_ngram: 4
  - name: LogisticRegressionClassifier
    max_iter: 200
policies:
  - name: RulePolicy
"""
DOMAIN = """version: "3.1"
intents:
  - greet
  - goodbye
responses:
  utter_greet:
    - text: Hello!
  utter_goodbye:
    - text: Bye!
"""
NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi
    - good morning
    - hey there
    - hello friend
- intent: goodbye
  examples: |
    - bye
    - goodbye
    - see you later
    - farewell
    - bye for now
"""
RULES = """version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: goodbye
    steps:
      - intent: goodbye
      - action: utter_goodbye
"""
HOLDOUT = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hiya everybody
    - morning to you
- intent: goodbye
  examples: |
    - catch you soon
    - so long
"""
TEST_STORIES = """version: "3.1"
stories:
  - story: greet
    steps:
      - user: |
          hello there my friend
        intent: greet
      - action: utter_greet
"""


def write_project(root: Path) -> None:
    for name, text in {
        "config.yml": CONFIG,
        "domain/domain.yml": DOMAIN,
        "data/nlu/nlu.yml": NLU,
        "data/rules/rules.yml": RULES,
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[tuple[Path, Path, str]]:
    """The project, its first model (trained here) and the URL of a Rasa running it."""
    project = tmp_path / "project"
    write_project(project)
    (tmp_path / "holdout.yml").write_text(HOLDOUT, "utf-8")
    (tmp_path / "stories.yml").write_text(TEST_STORIES, "utf-8")
    first = tmp_path / "first"
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    subprocess.run(
        [
            str(RASA_BIN),
            "train",
            "--domain",
            "domain",
            "--data",
            "data",
            "--config",
            "config.yml",
            "--out",
            str(first),
            "--fixed-model-name",
            "shop",
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    port = free_port()
    rasa = subprocess.Popen(
        [
            str(RASA_BIN),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "--model",
            str(first / "shop.tar.gz"),
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield project, first / "shop.tar.gz", f"http://127.0.0.1:{port}"
    finally:
        rasa.terminate()
        rasa.wait(30)


async def test_a_trained_model_is_hot_swapped_while_rasa_answers(
    tmp_path: Path, tiny: tuple[Path, Path, str], studio_engine: AsyncEngine
) -> None:
    project, first, url = tiny
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def parse(text: str) -> str | None:
            try:
                async with session.post(f"{url}/model/parse", json={"text": text}) as response:
                    if response.status != 200:
                        return None
                    return str((await response.json())["intent"]["name"])
            except (aiohttp.ClientError, TimeoutError):
                return None

        deadline = time.monotonic() + 600
        while await parse("hello") is None:
            assert time.monotonic() < deadline, "Rasa did not start"
            await asyncio.sleep(1)

        store = ProjectStore(project)
        editor = Editor(store, tmp_path / "holdout.yml", tmp_path / "stories.yml")
        saved = await editor.add_examples(
            studio_engine,
            "goodbye",
            {"en": ["talk to you tomorrow", "I am off now"]},
            author="test",
        )
        assert "I am off now" in saved["examples"]["en"]
        deployer = Deployer(
            engine=studio_engine,
            store=store,
            model_dir=tmp_path / "models",
            trainer=RasaCli(tmp_path / "holdout.yml", tmp_path / "stories.yml", threads=1),
            evaluator=RasaCli(tmp_path / "holdout.yml", tmp_path / "stories.yml", threads=1),
            servers=RasaServers([url], None),
            baseline_model=first,
        )
        await deployer.ensure_baseline()
        job_id = await deployer.submit(author="test")
        answered = unanswered = 0
        while (await deployer.job(job_id) or {}).get("status") in ("queued", "running"):
            if await parse("hello") == "greet":
                answered += 1
            else:
                unanswered += 1
            await asyncio.sleep(0.2)
        await deployer.close()  # this process's job worker
        job = await deployer.job(job_id)
        assert job is not None and job["status"] == "succeeded", job
        assert job["metrics"]["failed_stories"] == []
        assert answered > 10 and unanswered == 0
        async with session.get(f"{url}/status") as response:
            status = await response.json()
        assert Path(status["model_file"]).name == f"{job['version']}.tar.gz"
        assert await parse("hello") == "greet"
        rolled = await deployer.rollback(author="test")
        assert rolled["active"]["version"] == "baseline"

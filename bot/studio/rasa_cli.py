"""The Rasa side of a deploy: the trainer, the evaluator and the model servers the deploy job
uses (interfaces, so tests use fakes), and the real ones on the Rasa CLI of .venv-rasa and
Rasa's HTTP API (``PUT /model``). The jobs are in bot/studio/deploy.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import aiohttp
import yaml

from bot.config import REPO_ROOT

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
Progress = Callable[[float], Awaitable[None]]


class DeployError(Exception):
    """A step of a training job failed; the message says which and why."""


@dataclass(frozen=True)
class Evaluation:
    holdout_accuracy: float
    stories_total: int
    failed_stories: list[str] = field(default_factory=list)


class Trainer(Protocol):
    async def validate(self, project: Path) -> None: ...

    async def train(self, project: Path, out_dir: Path, name: str, progress: Progress) -> Path: ...


class Evaluator(Protocol):
    async def evaluate(self, project: Path, model: Path) -> Evaluation: ...


class ModelServers(Protocol):
    async def load(self, model: Path) -> None: ...


_PERCENT = re.compile(r"(Epochs|epochs)[^%\r\n]*?(\d{1,3})%")


class TrainProgress:
    """Progress from Rasa's output: each DIET-style component (ResponseSelector, TED) prints an
    epoch bar; ``expected`` bars fill 10%-90% of the job's training share."""

    def __init__(self, expected: int = 2) -> None:
        self.expected = expected
        self.bars = 0
        self.last = 0

    def feed(self, line: str) -> float | None:
        match = _PERCENT.search(line)
        if match is None:
            return None
        percent = int(match.group(2))
        if percent < self.last:
            self.bars += 1
        self.last = percent
        return min(1.0, (self.bars + percent / 100) / self.expected)


async def _run(
    args: list[str], cwd: Path, on_line: Callable[[str], Awaitable[None]] | None = None
) -> tuple[int, str]:
    """Run the Rasa CLI; (exit status, the last 4000 characters of its output)."""
    env = dict(os.environ, PYTHONPATH=str(cwd), RASA_TELEMETRY_ENABLED="false")
    proc = await asyncio.create_subprocess_exec(
        str(RASA_BIN),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    tail = ""
    buffer = ""
    while chunk := await proc.stdout.read(4096):
        text = chunk.decode("utf-8", "replace")
        tail = (tail + text)[-4000:]
        buffer += text
        *lines, buffer = re.split(r"[\r\n]", buffer)
        if on_line is not None:
            for line in lines:
                await on_line(line)
    return await proc.wait(), tail


class RasaCli:
    """Trainer and evaluator on the Rasa CLI of .venv-rasa."""

    def __init__(self, holdout: Path, test_stories: Path, threads: int = 2) -> None:
        self.holdout = holdout
        self.test_stories = test_stories
        self.threads = threads

    async def validate(self, project: Path) -> None:
        rc, tail = await _run(
            [
                "data",
                "validate",
                "--domain",
                "domain",
                "--data",
                "data",
                "--config",
                "config.yml",
                "--fail-on-warnings",
            ],
            project,
        )
        if rc != 0:
            raise DeployError(f"rasa data validate failed:\n{tail}")

    async def train(self, project: Path, out_dir: Path, name: str, progress: Progress) -> Path:
        bars = TrainProgress()

        async def on_line(line: str) -> None:
            share = bars.feed(line)
            if share is not None:
                await progress(share)

        rc, tail = await _run(
            [
                "train",
                "--domain",
                "domain",
                "--data",
                "data",
                "--config",
                "config.yml",
                "--out",
                str(out_dir),
                "--fixed-model-name",
                name,
                "--num-threads",
                str(self.threads),
            ],
            project,
            on_line,
        )
        model = out_dir / f"{name}.tar.gz"
        if rc != 0 or not model.exists():
            raise DeployError(f"rasa train failed:\n{tail}")
        return model

    async def evaluate(self, project: Path, model: Path) -> Evaluation:
        """``rasa test nlu`` on the held-out file, then ``rasa test core`` on the test stories
        (as ``make eval`` and ``make rasa-test`` run them)."""
        with tempfile.TemporaryDirectory(prefix="studio-test-") as tmp:
            nlu_out, core_out = Path(tmp) / "nlu", Path(tmp) / "core"
            rc, tail = await _run(
                [
                    "test",
                    "nlu",
                    "--model",
                    str(model),
                    "--nlu",
                    str(self.holdout),
                    "--out",
                    str(nlu_out),
                ],
                project,
            )
            report = nlu_out / "intent_report.json"
            if not report.exists():
                raise DeployError(f"rasa test nlu wrote no intent report (exit {rc}):\n{tail}")
            accuracy = float(json.loads(report.read_text(encoding="utf-8"))["accuracy"])
            rc, tail = await _run(
                [
                    "test",
                    "core",
                    "--model",
                    str(model),
                    "--stories",
                    str(self.test_stories),
                    "--out",
                    str(core_out),
                ],
                project,
            )
            failed_doc = core_out / "failed_test_stories.yml"
            if not failed_doc.exists():
                raise DeployError(f"rasa test core wrote no story report (exit {rc}):\n{tail}")
            failed = yaml.safe_load(failed_doc.read_text(encoding="utf-8"))
            names = [
                str(s.get("story")).split(" (/")[0] for s in (failed or {}).get("stories") or []
            ]
        stories = yaml.safe_load(self.test_stories.read_text(encoding="utf-8")) or {}
        return Evaluation(accuracy, len(stories.get("stories") or []), names)


class RasaServers:
    """Rasa's ``PUT /model`` on every Rasa server (with the Rasa auth token when set)."""

    def __init__(self, urls: list[str], token: str | None, timeout_s: float = 600.0) -> None:
        self.urls = urls
        self.token = token
        self.timeout_s = timeout_s

    async def load(self, model: Path) -> None:
        params = {"token": self.token} if self.token else {}
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for url in self.urls:
                try:
                    async with session.put(
                        f"{url.rstrip('/')}/model",
                        params=params,
                        json={"model_file": str(model)},
                    ) as response:
                        if response.status >= 300:
                            body = (await response.text())[:500]
                            raise DeployError(
                                f"Rasa at {url} refused the model ({response.status}): {body}"
                            )
                except (aiohttp.ClientError, TimeoutError) as exc:
                    raise DeployError(f"Rasa at {url} could not be reached: {exc}") from exc

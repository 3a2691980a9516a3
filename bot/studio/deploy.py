"""Safe deploys: train a new model version, gate it on the held-out set and the test stories,
hot-swap it into every Rasa server, roll back.

One job at a time, in the process that accepted it (the gateway or the CLI), with a row per
job in ``studio_jobs``:

1. the FAQ answers are rendered from the current config (``{return_days}``, ...);
2. the project is copied into a work folder (``<model_dir>/work``; Rasa's training cache lives
   there, so unchanged components are not trained again);
3. ``rasa data validate``, then ``rasa train`` into ``<model_dir>/<version>.tar.gz`` (progress
   from Rasa's epoch bars);
4. ``rasa test`` of the new model on the held-out NLU file and the test stories;
5. the gate: refused (``rejected``, with the metrics) when its held-out intent accuracy is more
   than ``studio.max_accuracy_drop`` below the active model's, or when any test story fails;
6. otherwise (unless ``activate`` is false) Rasa's ``PUT /model`` on every Rasa URL loads it.

The trainer, the evaluator and the Rasa servers are interfaces, so tests use fakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import yaml
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import REPO_ROOT, Config, resolve_repo_path
from bot.storage.studio_schema import studio_jobs, studio_models
from bot.studio.editing import record
from bot.studio.project import ProjectStore, digest

logger = logging.getLogger(__name__)

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
JOB_STATES = ("queued", "running", "succeeded", "failed", "rejected")
Progress = Callable[[float], Awaitable[None]]


class DeployError(Exception):
    """A step of a training job failed; the message says which and why."""


class Busy(Exception):
    """Another training job is queued or running."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"training job {job_id} is still queued or running")
        self.job_id = job_id


class NoPrevious(Exception):
    """There is no earlier good version to roll back to."""


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


# --- the real ones: the Rasa CLI and Rasa's HTTP API ----------------------------------------
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


# --- the jobs ---------------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def diff_snapshots(before: dict[str, str], after: dict[str, str]) -> str:
    """A unified diff of two project snapshots (file -> text)."""
    lines: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, ""), after.get(name, "")
        if old != new:
            lines += difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
    return "".join(lines)


_COPY_IGNORE = shutil.ignore_patterns("models", "results", ".rasa", "__pycache__", "*.tar.gz")


def sync_project(source: Path, work: Path) -> None:
    """Make ``work`` a copy of the project in ``source``, keeping work's Rasa cache (.rasa)."""
    work.mkdir(parents=True, exist_ok=True)
    for child in work.iterdir():
        if child.name in {".rasa"}:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    for child in source.iterdir():
        if child.name in {"models", "results", ".rasa", "__pycache__"}:
            continue
        if child.is_dir():
            shutil.copytree(child, work / child.name, ignore=_COPY_IGNORE, symlinks=False)
        else:
            shutil.copy2(child, work / child.name)


@dataclass
class Deployer:
    engine: AsyncEngine
    store: ProjectStore
    model_dir: Path
    trainer: Trainer
    evaluator: Evaluator
    servers: ModelServers
    max_accuracy_drop: float = 0.02
    baseline_model: Path | None = None  # the model Rasa runs before the studio's first deploy
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def from_config(
        cls,
        cfg: Config,
        engine: AsyncEngine,
        store: ProjectStore,
        *,
        trainer: Trainer | None = None,
        evaluator: Evaluator | None = None,
        servers: ModelServers | None = None,
    ) -> Deployer:
        cli = RasaCli(
            resolve_repo_path(cfg.studio.holdout), resolve_repo_path(cfg.studio.test_stories)
        )
        urls = list(cfg.studio.rasa_urls) or [cfg.rasa.url]
        return cls(
            engine=engine,
            store=store,
            model_dir=resolve_repo_path(cfg.studio.model_dir),
            trainer=trainer or cli,
            evaluator=evaluator or cli,
            servers=servers or RasaServers(urls, cfg.secrets.rasa_auth_token),
            max_accuracy_drop=cfg.studio.max_accuracy_drop,
            baseline_model=resolve_repo_path(cfg.rasa.model_dir) / "shop.tar.gz",
        )

    # --- jobs ------------------------------------------------------------------------------
    async def recover(self) -> None:
        """Jobs a stopped process left queued or running are failed (nothing runs them)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(studio_jobs)
                .where(studio_jobs.c.status.in_(("queued", "running")))
                .values(
                    status="failed",
                    error="interrupted: the process running it stopped",
                    finished_at=_now(),
                )
            )
        await self.ensure_baseline()

    async def ensure_baseline(self) -> None:
        """Before the studio's first deploy: record the model Rasa runs (``rasa.model_dir``)
        as the active version "baseline", with the project files as they are now, so the
        first deploy's diff shows the edits and a rollback can go back to it."""
        if self.baseline_model is None or not self.baseline_model.exists():
            return
        async with self.engine.connect() as conn:
            if (await conn.execute(select(studio_models.c.version).limit(1))).first():
                return
        snapshot = await asyncio.to_thread(self.store.snapshot)
        await self._add_version(
            "baseline",
            path=self.baseline_model,
            status="active",
            metrics={},
            snapshot=snapshot,
            job_id=None,
            previous=None,
        )

    async def submit(self, *, author: str, activate: bool = True) -> int:
        """Queue a training job and start it in the background; its id. :class:`Busy` when
        another job is queued or running."""
        job_id = await self._create(author=author, activate=activate)
        task = asyncio.create_task(self.run(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job_id

    async def _create(self, *, author: str, activate: bool) -> int:
        async with self._lock, self.engine.begin() as conn:
            busy = (
                await conn.execute(
                    select(studio_jobs.c.id).where(studio_jobs.c.status.in_(("queued", "running")))
                )
            ).first()
            if busy is not None:
                raise Busy(int(busy[0]))
            result = await conn.execute(
                insert(studio_jobs).values(
                    created_at=_now(),
                    author=author,
                    status="queued",
                    progress=0.0,
                    activate=activate,
                )
            )
            return int(result.inserted_primary_key[0])

    async def wait(self) -> None:
        """Until the background jobs of this process are done (tests, the CLI)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.wait()

    async def _update(self, job_id: int, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(studio_jobs).where(studio_jobs.c.id == job_id).values(**values)
            )

    async def job(self, job_id: int) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (
                (await conn.execute(select(studio_jobs).where(studio_jobs.c.id == job_id)))
                .mappings()
                .first()
            )
        if row is None:
            return None
        return {
            "id": row["id"],
            "status": row["status"],
            "stage": row["stage"],
            "progress": round(float(row["progress"]), 3),
            "metrics": row["metrics"],
            "error": row["error"],
            "version": row["version"],
            "activate": row["activate"],
            "author": row["author"],
            "created_at": _iso(row["created_at"]),
            "started_at": _iso(row["started_at"]),
            "finished_at": _iso(row["finished_at"]),
        }

    async def run(self, job_id: int) -> None:
        """Run one queued job to its end; every failure ends up in the job's row."""
        try:
            await self._run_job(job_id)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._update(job_id, status="failed", error="cancelled", finished_at=_now())
            raise
        except DeployError as exc:
            await self._update(job_id, status="failed", error=str(exc)[-4000:], finished_at=_now())
        except Exception as exc:
            logger.exception("training job %s failed", job_id)
            await self._update(
                job_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=_now()
            )

    async def _run_job(self, job_id: int) -> None:
        job = await self.job(job_id)
        assert job is not None
        version = f"v{_now():%Y%m%d-%H%M%S}-{job_id}"
        await self._update(
            job_id,
            status="running",
            stage="validate",
            progress=0.02,
            started_at=_now(),
            version=version,
        )
        await asyncio.to_thread(self.store.render_faq)
        snapshot = await asyncio.to_thread(self.store.snapshot)
        work = self.model_dir / "work"
        await asyncio.to_thread(sync_project, self.store.root, work)
        await self.trainer.validate(work)

        await self._update(job_id, stage="train", progress=0.05)

        async def progress(share: float) -> None:
            await self._update(job_id, progress=round(0.05 + 0.75 * share, 3))

        self.model_dir.mkdir(parents=True, exist_ok=True)
        model = await self.trainer.train(work, self.model_dir, version, progress)

        await self._update(job_id, stage="evaluate", progress=0.82)
        active = await self.active()
        baseline = (active["metrics"] or {}).get("holdout_accuracy") if active else None
        measurable = active is not None and await asyncio.to_thread(Path(active["path"]).exists)
        if active is not None and baseline is None and measurable:
            # The running model was never measured (the one Rasa ran before the studio).
            await self._update(job_id, stage="evaluate the active model")
            measured = await self.evaluator.evaluate(work, Path(active["path"]))
            baseline = measured.holdout_accuracy
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(studio_models)
                    .where(studio_models.c.version == active["version"])
                    .values(metrics=asdict(measured))
                )
        await self._update(job_id, stage="evaluate", progress=0.9)
        result = await self.evaluator.evaluate(work, model)
        metrics: dict[str, Any] = {
            **asdict(result),
            "baseline_accuracy": baseline,
            "baseline_version": active["version"] if active else None,
            "max_accuracy_drop": self.max_accuracy_drop,
        }
        reasons = []
        if baseline is not None and result.holdout_accuracy < baseline - self.max_accuracy_drop:
            reasons.append(
                f"held-out intent accuracy {result.holdout_accuracy:.3f} is more than "
                f"{self.max_accuracy_drop:.3f} below the active model's {baseline:.3f}"
            )
        if result.failed_stories:
            reasons.append(
                f"{len(result.failed_stories)} of {result.stories_total} test stories fail: "
                + ", ".join(result.failed_stories[:10])
            )
        metrics["refused_because"] = reasons
        status = "rejected" if reasons else "trained"
        await self._add_version(
            version,
            path=model,
            status=status,
            metrics=metrics,
            snapshot=snapshot,
            job_id=job_id,
            previous=active,
        )
        if reasons:
            await self._update(
                job_id,
                status="rejected",
                stage="gate",
                progress=1.0,
                metrics=metrics,
                error="; ".join(reasons),
                finished_at=_now(),
            )
            return
        if job["activate"]:
            await self._update(job_id, stage="activate", progress=0.95, metrics=metrics)
            await self.activate(version, author=job["author"])
        await self._update(
            job_id,
            status="succeeded",
            stage="done",
            progress=1.0,
            metrics=metrics,
            finished_at=_now(),
        )

    # --- versions --------------------------------------------------------------------------
    async def _add_version(
        self,
        version: str,
        *,
        path: Path,
        status: str,
        metrics: dict[str, Any],
        snapshot: dict[str, str],
        job_id: int | None,
        previous: dict[str, Any] | None,
    ) -> None:
        before: dict[str, str] = {}
        if previous is not None:
            async with self.engine.connect() as conn:
                before = (
                    await conn.execute(
                        select(studio_models.c.snapshot).where(
                            studio_models.c.version == previous["version"]
                        )
                    )
                ).scalar() or {}
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(studio_models).values(
                    version=version,
                    created_at=_now(),
                    job_id=job_id,
                    path=str(path),
                    status=status,
                    metrics=metrics,
                    files={name: digest(text) for name, text in snapshot.items()},
                    diff=diff_snapshots(before, snapshot) if previous is not None else "",
                    snapshot=snapshot,
                    activated_at=_now() if status == "active" else None,
                )
            )

    @staticmethod
    def _version_json(row: Any, *, with_diff: bool = False) -> dict[str, Any]:
        out = {
            "version": row["version"],
            "status": row["status"],
            "path": row["path"],
            "job_id": row["job_id"],
            "metrics": row["metrics"] or {},
            "created_at": _iso(row["created_at"]),
            "activated_at": _iso(row["activated_at"]),
            "changed_files": sorted(
                {line[6:] for line in (row["diff"] or "").splitlines() if line.startswith("+++ b/")}
            ),
        }
        if with_diff:
            out["diff"] = row["diff"]
        return out

    async def versions(self, limit: int = 50) -> list[dict[str, Any]]:
        query = select(studio_models).order_by(studio_models.c.created_at.desc()).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [self._version_json(row) for row in rows]

    async def version(self, version: str) -> dict[str, Any] | None:
        query = select(studio_models).where(studio_models.c.version == version)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return self._version_json(row, with_diff=True) if row is not None else None

    async def active(self) -> dict[str, Any] | None:
        query = select(studio_models).where(studio_models.c.status == "active")
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return self._version_json(row) if row is not None else None

    async def activate(self, version: str, *, author: str) -> None:
        """Load ``version`` into every Rasa server, then mark it active (the one before:
        retired)."""
        found = await self.version(version)
        if found is None:
            raise KeyError(version)
        await self.servers.load(Path(found["path"]))
        before = await self.active()
        async with self.engine.begin() as conn:
            await conn.execute(
                update(studio_models)
                .where(studio_models.c.status == "active")
                .values(status="retired")
            )
            await conn.execute(
                update(studio_models)
                .where(studio_models.c.version == version)
                .values(status="active", activated_at=_now())
            )
        await record(
            self.engine,
            author=author,
            kind="model",
            name=version,
            before={"active": before["version"] if before else None},
            after={"active": version},
        )

    async def rollback(self, *, author: str) -> dict[str, Any]:
        """Hot-swap back to the version that was active before the current one."""
        current = await self.active()
        query = (
            select(studio_models)
            .where(studio_models.c.status == "retired", studio_models.c.activated_at.is_not(None))
            .order_by(studio_models.c.activated_at.desc())
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        exists = await asyncio.to_thread(lambda: [Path(r["path"]).exists() for r in rows])
        target = next((r for r, ok in zip(rows, exists, strict=True) if ok), None)
        if target is None:
            raise NoPrevious("there is no earlier good version to roll back to")
        await self.activate(target["version"], author=author)
        if current is not None:
            async with self.engine.begin() as conn:
                await conn.execute(
                    update(studio_models)
                    .where(studio_models.c.version == current["version"])
                    .values(status="rolled_back")
                )
        active = await self.active()
        assert active is not None
        return {"active": active, "rolled_back": current["version"] if current else None}

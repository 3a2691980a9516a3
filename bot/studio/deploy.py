"""Safe deploys: train a new model version, gate it on the held-out set and the test stories,
hot-swap it into every Rasa server, roll back.

One job at a time over all gateways: ``studio_jobs`` is a shared queue (bot/studio/job_queue.py);
the job worker of any gateway (or of the CLI) claims a queued job with a lease, renews it while
the job runs, and fails a job whose lease ran out (its gateway died). A job:

1. the FAQ answers are rendered from the current config (``{return_days}``, ...);
2. the project is copied into a work folder (``<model_dir>/work``; Rasa's training cache lives
   there, so unchanged components are not trained again);
3. ``rasa data validate``, then ``rasa train`` into ``<model_dir>/<version>.tar.gz`` (progress
   from Rasa's epoch bars);
4. ``rasa test`` of the new model on the held-out NLU file and the test stories;
5. the gate: refused (``rejected``, with the metrics) when its held-out intent accuracy is more
   than ``studio.max_accuracy_drop`` below the active model's, or when any test story fails;
6. otherwise (unless ``activate`` is false) Rasa's ``PUT /model`` on every Rasa URL loads it.

The trainer, the evaluator and the Rasa servers are interfaces, so tests use fakes (they and the
real ones on the Rasa CLI are in bot/studio/rasa_cli.py). Model versions, activation (the hot
swap) and rollback are in bot/studio/model_versions.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, resolve_repo_path
from bot.storage.studio_schema import studio_jobs, studio_models
from bot.studio.job_queue import Busy, JobQueue
from bot.studio.model_versions import ModelVersions, iso_utc, utc_now
from bot.studio.project import ProjectStore
from bot.studio.rasa_cli import DeployError, Evaluator, ModelServers, RasaCli, RasaServers, Trainer

logger = logging.getLogger(__name__)

JOB_STATES = ("queued", "running", "succeeded", "failed", "rejected")


__all__ = ["Busy", "Deployer", "sync_project"]


def worker_name() -> str:
    """This process's name as a lease owner: host, process id and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


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
class Deployer(ModelVersions):
    engine: AsyncEngine
    store: ProjectStore
    model_dir: Path
    trainer: Trainer
    evaluator: Evaluator
    servers: ModelServers
    max_accuracy_drop: float = 0.02
    baseline_model: Path | None = None  # the model Rasa runs before the studio's first deploy
    lease_s: float = 60.0  # a job's lease, renewed every third of it while the job runs
    poll_s: float = 2.0  # how often the job worker looks for queued jobs and expired leases
    owner: str = field(default_factory=worker_name)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, repr=False)
    _worker: asyncio.Task[None] | None = field(default=None, repr=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _closing: bool = field(default=False, repr=False)

    @property
    def queue(self) -> JobQueue:
        return JobQueue(self.engine, self.owner, self.lease_s)

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
        urls = list(cfg.studio.rasa_urls or cfg.rasa.urls) or [cfg.rasa.url]
        return cls(
            engine=engine,
            store=store,
            model_dir=resolve_repo_path(cfg.studio.model_dir),
            trainer=trainer or cli,
            evaluator=evaluator or cli,
            servers=servers or RasaServers(urls, cfg.secrets.rasa_auth_token),
            max_accuracy_drop=cfg.studio.max_accuracy_drop,
            baseline_model=resolve_repo_path(cfg.rasa.model_dir) / "shop.tar.gz",
            lease_s=cfg.studio.job_lease_s,
        )

    # --- jobs ------------------------------------------------------------------------------
    async def recover(self) -> None:
        """At start: fail running jobs whose gateway died (their lease ran out); queued jobs
        stay queued for the job worker. Record the baseline version."""
        for job_id in await self.queue.expire():
            logger.warning("training job %s failed: its gateway stopped", job_id)
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
        try:
            await self._add_version(
                "baseline",
                path=self.baseline_model,
                status="active",
                metrics={},
                snapshot=snapshot,
                job_id=None,
                previous=None,
            )
        except IntegrityError:  # another gateway starting at the same time recorded it first
            logger.info("the baseline model version was recorded by another gateway")

    async def submit(self, *, author: str, activate: bool = True) -> int:
        """Queue a training job (any gateway's job worker runs it; this process's worker is
        started if it is not running); its id. :class:`Busy` when another job is queued or
        running."""
        job_id = await self.queue.create(author=author, activate=activate)
        self.start()
        self._wake.set()
        return job_id

    def start(self) -> None:
        """Start this process's job worker (once)."""
        if self._worker is None or self._worker.done():
            self._closing = False
            self._worker = asyncio.create_task(self._work(), name="studio-job-worker")

    async def _work(self) -> None:
        """Claim queued jobs one at a time; fail jobs whose lease ran out."""
        while not self._closing:
            self._wake.clear()
            try:
                if await self.queue.active():  # idle rounds only read
                    await self._round()
            except Exception:
                if self._closing:  # a cancelled database call may surface as another error
                    return
                logger.exception("the studio's job worker failed a round; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_s)

    async def _round(self) -> None:
        """Fail the jobs whose lease ran out; claim a queued job when none runs here."""
        for expired in await self.queue.expire():
            logger.warning("training job %s failed: its gateway stopped", expired)
        if self._tasks:
            return
        claimed = await self.queue.claim()
        if claimed is not None:
            logger.info("training job %s runs here (%s)", claimed, self.owner)
            task = asyncio.create_task(self._run_leased(claimed))
            self._tasks.add(task)
            task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # look for the next queued job at once

    async def _run_leased(self, job_id: int) -> None:
        """Run the job while renewing its lease; stop it when the lease is lost."""
        job = asyncio.create_task(self.run(job_id))

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.lease_s / 3)
                try:
                    held = await self.queue.heartbeat(job_id)
                except Exception:
                    logger.exception("training job %s: the heartbeat failed", job_id)
                    continue  # the lease may still hold; the next beat tries again
                if not held:
                    logger.warning("training job %s: lease lost, stopping it here", job_id)
                    job.cancel()
                    return

        heart = asyncio.create_task(beat())
        try:
            await asyncio.gather(job, return_exceptions=True)
        finally:
            heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heart
            if not job.done():
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job

    async def wait(self) -> None:
        """Until this process's worker has nothing queued or running (tests, the CLI)."""
        while True:
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
                continue
            if self._worker is None or self._worker.done() or not await self.queue.pending():
                return
            await asyncio.sleep(min(self.poll_s, 0.05))

    async def close(self) -> None:
        self._closing = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _update(self, job_id: int, **values: Any) -> None:
        """Change the job this worker runs; nothing when its lease is gone."""
        if not await self.queue.update(job_id, **values):
            logger.warning("training job %s: not ours any more; %s not saved", job_id, values)

    async def job(self, job_id: int) -> dict[str, Any] | None:
        return await self._job_where(studio_jobs.c.id == job_id)

    async def latest_job(self) -> dict[str, Any] | None:
        """The newest training job (any state), or None before the first."""
        return await self._job_where(None)

    async def _job_where(self, condition: Any) -> dict[str, Any] | None:
        query = select(studio_jobs).order_by(studio_jobs.c.id.desc()).limit(1)
        if condition is not None:
            query = query.where(condition)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
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
            "created_at": iso_utc(row["created_at"]),
            "started_at": iso_utc(row["started_at"]),
            "finished_at": iso_utc(row["finished_at"]),
        }

    async def run(self, job_id: int) -> None:
        """Run one queued job to its end; every failure ends up in the job's row."""
        try:
            await self._run_job(job_id)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._update(
                    job_id, status="failed", error="cancelled", finished_at=utc_now()
                )
            raise
        except DeployError as exc:
            await self._update(
                job_id, status="failed", error=str(exc)[-4000:], finished_at=utc_now()
            )
        except Exception as exc:
            logger.exception("training job %s failed", job_id)
            await self._update(
                job_id, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utc_now()
            )

    async def _run_job(self, job_id: int) -> None:
        job = await self.job(job_id)
        assert job is not None
        version = f"v{utc_now():%Y%m%d-%H%M%S}-{job_id}"
        await self._update(job_id, stage="validate", progress=0.02, version=version)
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
                finished_at=utc_now(),
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
            finished_at=utc_now(),
        )

"""Several gateways, one training-job queue: two job workers on one SQLite file and on
PostgreSQL. A queued job runs once, on whichever worker claims it; a second request while one is
queued or running is refused on every gateway; the lease is renewed while a job runs; a job
whose gateway died (lease expired) is failed by another gateway, and a worker that lost its
lease writes nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine, create_schema
from bot.storage.studio_schema import studio_jobs
from bot.studio.deploy import Busy, Deployer
from bot.studio.job_queue import LEASE_LOST, JobQueue
from bot.studio.model_versions import utc_now
from bot.studio.project import ProjectStore
from bot.studio.rasa_cli import Progress
from tests.admin.conftest import FakeEvaluator, FakeServers, FakeTrainer, Studio
from tests.postgres import SERVER_URL, scratch_database

pytestmark = pytest.mark.timeout(90)
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=pytest.mark.skipif(not SERVER_URL, reason="SHOP_TEST_POSTGRES_URL is not set"),
    ),
]


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
        return
    async with scratch_database("studio_jobs") as url:
        yield url


class GatedTrainer(FakeTrainer):
    """Trains when ``gate`` is open; counts its trainings."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.seconds = seconds
        self.trained = 0
        self.started = asyncio.Event()

    async def train(self, project: Path, out_dir: Path, name: str, progress: Progress) -> Path:
        self.started.set()
        await self.gate.wait()
        await asyncio.sleep(self.seconds)
        self.trained += 1
        return await super().train(project, out_dir, name, progress)


@dataclass
class Gateway:
    engine: AsyncEngine
    deployer: Deployer
    trainer: GatedTrainer


MakeGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def gateways(database_url: str, project: Path, tmp_path: Path) -> AsyncIterator[MakeGateway]:
    made: list[Gateway] = []

    async def make(*, lease_s: float = 2.0, seconds: float = 0.0, start: bool = True) -> Gateway:
        engine = create_engine(database_url)
        await create_schema(engine)
        trainer = GatedTrainer(seconds)
        deployer = Deployer(
            engine=engine,
            store=ProjectStore(project),
            model_dir=tmp_path / "models",
            trainer=trainer,
            evaluator=FakeEvaluator(),
            servers=FakeServers(),
            lease_s=lease_s,
            poll_s=0.05,
        )
        await deployer.recover()
        if start:
            deployer.start()
        made.append(Gateway(engine, deployer, trainer))
        return made[-1]

    yield make
    for gateway in made:
        await gateway.deployer.close()
        await gateway.engine.dispose()


async def finished(deployer: Deployer, job_id: int, within_s: float = 30.0) -> dict[str, object]:
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        job = await deployer.job(job_id)
        assert job is not None
        if job["status"] not in ("queued", "running"):
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.05)


async def test_each_job_runs_once_on_one_of_two_gateways(gateways: MakeGateway) -> None:
    a, b = await gateways(), await gateways()
    statuses = []
    for i in range(3):
        submitter = (a, b)[i % 2]
        job_id = await submitter.deployer.submit(author="owner", activate=False)
        statuses.append((await finished(a.deployer, job_id))["status"])
    assert statuses == ["succeeded"] * 3
    assert a.trainer.trained + b.trainer.trained == 3


async def test_a_second_request_is_refused_on_every_gateway(gateways: MakeGateway) -> None:
    a, b = await gateways(), await gateways()
    a.trainer.gate.clear()
    b.trainer.gate.clear()
    job_id = await a.deployer.submit(author="owner", activate=False)
    for gateway in (a, b):
        with pytest.raises(Busy) as refused:
            await gateway.deployer.submit(author="owner")
        assert refused.value.job_id == job_id
    a.trainer.gate.set()
    b.trainer.gate.set()
    assert (await finished(a.deployer, job_id))["status"] == "succeeded"
    again = await b.deployer.submit(author="owner", activate=False)  # free again
    assert (await finished(b.deployer, again))["status"] == "succeeded"


async def test_concurrent_claims_give_the_job_to_one_worker(
    gateways: MakeGateway,
) -> None:
    a = await gateways(start=False)
    job_id = await a.deployer.queue.create(author="owner", activate=False)
    engines = [create_engine(str(a.engine.url.render_as_string(hide_password=False)))]
    engines += [create_engine(str(a.engine.url.render_as_string(hide_password=False)))]
    try:
        queues = [JobQueue(engine, f"worker-{i}") for i, engine in enumerate(engines * 3)]
        claimed = await asyncio.gather(*(q.claim() for q in queues))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(claimed, key=lambda x: x or 0) == [None] * 5 + [job_id]


async def test_a_job_whose_gateway_died_is_failed_by_another(gateways: MakeGateway) -> None:
    a = await gateways(start=False)
    now = utc_now()
    async with a.engine.begin() as conn:
        dead = (
            await conn.execute(
                insert(studio_jobs)
                .values(
                    created_at=now - timedelta(minutes=5),
                    started_at=now - timedelta(minutes=5),
                    author="owner",
                    status="running",
                    progress=0.4,
                    activate=True,
                    lease_owner="gateway-1:4242:dead",
                    lease_until=now - timedelta(seconds=1),
                )
                .returning(studio_jobs.c.id)
            )
        ).scalar_one()
    b = await gateways()
    job = await finished(b.deployer, dead)
    assert (job["status"], job["error"]) == ("failed", LEASE_LOST)
    # The queue is free again and the next job runs.
    next_id = await b.deployer.submit(author="owner", activate=False)
    assert (await finished(b.deployer, next_id))["status"] == "succeeded"


async def test_the_lease_is_renewed_while_a_long_job_runs(gateways: MakeGateway) -> None:
    # The job takes several leases' time; the other gateway never finds the lease expired.
    a = await gateways(lease_s=1.5, seconds=4.5)
    b = await gateways(lease_s=1.5, seconds=4.5)
    job_id = await a.deployer.submit(author="owner", activate=False)
    job = await finished(a.deployer, job_id)
    assert job["status"] == "succeeded", job
    assert a.trainer.trained + b.trainer.trained == 1


async def test_a_worker_that_lost_its_lease_writes_nothing_more(gateways: MakeGateway) -> None:
    a = await gateways(lease_s=0.6)
    a.trainer.gate.clear()
    job_id = await a.deployer.submit(author="owner", activate=False)
    await asyncio.wait_for(a.trainer.started.wait(), 10)
    # The gateway stalls (say a long GC pause) and another one takes its lease as expired.
    async with a.engine.begin() as conn:
        await conn.execute(
            update(studio_jobs)
            .where(studio_jobs.c.id == job_id)
            .values(lease_until=utc_now() - timedelta(seconds=1))
        )
    other = JobQueue(a.engine, "gateway-2")
    assert await other.expire() in ([job_id], [])  # [] when a worker's own round was first
    assert (await finished(a.deployer, job_id))["error"] == LEASE_LOST
    a.trainer.gate.set()  # the stalled worker wakes up
    await asyncio.sleep(1.0)
    await a.deployer.wait()
    job = await a.deployer.job(job_id)
    assert job is not None and (job["status"], job["error"]) == ("failed", LEASE_LOST)
    assert job["version"] is None or job["stage"] != "done"


async def test_a_gateway_runs_a_job_another_one_queued(studio: Studio) -> None:
    # Queued through another gateway's queue (its own worker not running): this gateway's
    # job worker, started with the studio's routes, claims and runs it.
    other = JobQueue(studio.engine, "gateway-2")
    job_id = await other.create(author="owner", activate=False)
    assert studio.deployer is not None
    job = await finished(studio.deployer, job_id, within_s=20)
    assert job["status"] == "succeeded", job
    assert len(studio.trainer.validated) == 1

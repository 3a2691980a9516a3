"""``studio_jobs`` as one training-job queue for every gateway (and the CLI) on one database.

- :meth:`JobQueue.create` queues a job, or raises :class:`Busy` while another is queued or
  running (on PostgreSQL under a transaction-scoped advisory lock; on SQLite the check and the
  insert are one ``INSERT ... SELECT ... WHERE NOT EXISTS`` statement, which SQLite runs under
  its database write lock).
- :meth:`JobQueue.claim` takes the oldest queued job with a lease for this worker in one
  ``UPDATE ... WHERE id = (SELECT ... WHERE status = 'queued' ...) AND status = 'queued'``
  (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two workers never get the same job.
- :meth:`JobQueue.heartbeat` renews the lease while the job runs; False when the lease is gone.
- :meth:`JobQueue.expire` fails running jobs whose lease ran out: their gateway died (or
  stalled past the lease). They are failed, not queued again: training may have stopped half
  way, and an owner decides whether to train again.
- Every update of a running job is fenced on its lease owner, so a worker that lost its lease
  writes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.studio_schema import studio_jobs
from bot.studio.model_versions import utc_now

ACTIVE = ("queued", "running")
LEASE_LOST = "the gateway running it stopped (its lease expired)"
_CREATE_LOCK = 0x5354_4A42  # "STJB": one job creation at a time on PostgreSQL


class Busy(Exception):
    """Another training job is queued or running."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"training job {job_id} is still queued or running")
        self.job_id = job_id


@dataclass
class JobQueue:
    engine: AsyncEngine
    owner: str  # this worker's name in lease_owner
    lease_s: float = 60.0

    @staticmethod
    async def _postgres(conn: AsyncConnection) -> bool:
        return conn.dialect.name == "postgresql"

    async def create(self, *, author: str, activate: bool) -> int:
        """A new queued job's id; :class:`Busy` when one is queued or running."""
        now = utc_now()
        async with self.engine.begin() as conn:
            if await self._postgres(conn):
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                await conn.execute(lock, {"key": _CREATE_LOCK})
            active = select(studio_jobs.c.id).where(studio_jobs.c.status.in_(ACTIVE))
            values = select(
                literal(now, studio_jobs.c.created_at.type).label("created_at"),
                literal(author[:100], studio_jobs.c.author.type).label("author"),
                literal("queued", studio_jobs.c.status.type).label("status"),
                literal(0.0, studio_jobs.c.progress.type).label("progress"),
                literal(activate, studio_jobs.c.activate.type).label("activate"),
            ).where(~exists(active))
            result = await conn.execute(
                insert(studio_jobs)
                .from_select(["created_at", "author", "status", "progress", "activate"], values)
                .returning(studio_jobs.c.id)
            )
            created = result.first()
            if created is not None:
                return int(created[0])
            busy = (await conn.execute(active.order_by(studio_jobs.c.id).limit(1))).first()
        raise Busy(int(busy[0]) if busy is not None else 0)

    async def claim(self) -> int | None:
        """The oldest queued job, now running under this worker's lease; None when none."""
        now = utc_now()
        async with self.engine.begin() as conn:
            oldest = (
                select(studio_jobs.c.id)
                .where(studio_jobs.c.status == "queued")
                .order_by(studio_jobs.c.id)
                .limit(1)
            )
            if await self._postgres(conn):
                oldest = oldest.with_for_update(skip_locked=True)
            result = await conn.execute(
                update(studio_jobs)
                .where(
                    studio_jobs.c.id == oldest.scalar_subquery(),
                    studio_jobs.c.status == "queued",
                )
                .values(
                    status="running",
                    started_at=now,
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.lease_s),
                    heartbeat_at=now,
                )
                .returning(studio_jobs.c.id)
            )
            row = result.first()
        return int(row[0]) if row is not None else None

    def _mine(self, job_id: int) -> Any:
        return and_(
            studio_jobs.c.id == job_id,
            studio_jobs.c.status == "running",
            studio_jobs.c.lease_owner == self.owner,
        )

    async def heartbeat(self, job_id: int) -> bool:
        """Renew the lease of ``job_id``; False when this worker no longer holds it."""
        now = utc_now()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(studio_jobs)
                .where(self._mine(job_id))
                .values(lease_until=now + timedelta(seconds=self.lease_s), heartbeat_at=now)
            )
        return bool(result.rowcount)

    async def update(self, job_id: int, **values: Any) -> bool:
        """Change the job this worker runs (fenced on the lease); False when it lost it."""
        async with self.engine.begin() as conn:
            statement = update(studio_jobs).where(self._mine(job_id)).values(**values)
            result = await conn.execute(statement)
        return bool(result.rowcount)

    async def expire(self) -> list[int]:
        """Fail the running jobs whose lease ran out (or that have none: started before the
        queue had leases); their ids."""
        now = utc_now()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(studio_jobs)
                .where(
                    studio_jobs.c.status == "running",
                    (studio_jobs.c.lease_until.is_(None)) | (studio_jobs.c.lease_until < now),
                )
                .values(status="failed", error=LEASE_LOST, finished_at=now)
                .returning(studio_jobs.c.id)
            )
            return sorted(int(row[0]) for row in result)

    async def active(self) -> bool:
        """Whether any job is queued or running (a read: the worker's idle rounds write
        nothing, which matters on SQLite, where every write takes the database's lock)."""
        async with self.engine.connect() as conn:
            found = (
                await conn.execute(
                    select(studio_jobs.c.id).where(studio_jobs.c.status.in_(ACTIVE)).limit(1)
                )
            ).first()
        return found is not None

    async def pending(self) -> bool:
        """Whether a job is queued, or running under this worker."""
        async with self.engine.connect() as conn:
            count = (
                await conn.execute(
                    select(func.count())
                    .select_from(studio_jobs)
                    .where(
                        (studio_jobs.c.status == "queued")
                        | and_(
                            studio_jobs.c.status == "running",
                            studio_jobs.c.lease_owner == self.owner,
                        )
                    )
                )
            ).scalar_one()
        return bool(count)

"""Model versions: each trained model with its metrics, the project files it was trained on and
their diff to the version before; hot-swapping a version into every Rasa server and rolling
back to the one active before. Mixed into the deployer (bot/studio/deploy.py).
"""

from __future__ import annotations

import asyncio
import difflib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.studio_schema import studio_models
from bot.studio.editing import record
from bot.studio.project import digest
from bot.studio.rasa_cli import ModelServers


class NoPrevious(Exception):
    """There is no earlier good version to roll back to."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(value: datetime | None) -> str | None:
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


class ModelVersions:
    """The versions in ``studio_models``; activating one loads it into the Rasa servers."""

    engine: AsyncEngine
    servers: ModelServers

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
                    created_at=utc_now(),
                    job_id=job_id,
                    path=str(path),
                    status=status,
                    metrics=metrics,
                    files={name: digest(text) for name, text in snapshot.items()},
                    diff=diff_snapshots(before, snapshot) if previous is not None else "",
                    snapshot=snapshot,
                    activated_at=utc_now() if status == "active" else None,
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
            "created_at": iso_utc(row["created_at"]),
            "activated_at": iso_utc(row["activated_at"]),
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
                .values(status="active", activated_at=utc_now())
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

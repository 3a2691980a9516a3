"""Counting the SQL statements and transactions an engine runs (the gateway's cost per message).

:class:`StatementCounter` listens to the engine's ``before_cursor_execute``, ``commit`` and
``rollback`` events and records each with the asyncio task that ran it, so the background
loops' rounds (named tasks, :data:`BACKGROUND_TASKS`) can be told apart from a message's own
work. Used by ``scripts/message_cost.py`` and the test that pins the statements per message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine

# The gateway's polling loops (bot.core.worker.WorkerLoop names) and other long-lived tasks.
BACKGROUND_TASKS = frozenset(
    {"pipeline-worker", "handoff-worker", "proactive", "studio-job-worker"}
)


def _task_name() -> str:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop (a synchronous caller)
        return ""
    return task.get_name() if task is not None else ""


@dataclass
class Recorded:
    """What ran since the counter was (re)started, each entry with its task's name."""

    statements: list[tuple[str, str]] = field(default_factory=list)  # (task, SQL)
    background: list[tuple[str, str]] = field(default_factory=list)  # the ignored tasks'
    commits: list[str] = field(default_factory=list)
    rollbacks: list[str] = field(default_factory=list)


class StatementCounter:
    """Records statements, commits and rollbacks of ``engine`` while attached."""

    def __init__(self, engine: AsyncEngine, *, ignore: Iterable[str] = BACKGROUND_TASKS) -> None:
        self.sync = engine.sync_engine
        self.ignore = set(ignore)
        self.recorded = Recorded()

    def ignore_current_task(self) -> None:
        """Leave out what the calling task runs (a test's own checks)."""
        self.ignore.add(_task_name())

    def reset(self) -> Recorded:
        """Start a new count; returns the previous one."""
        done, self.recorded = self.recorded, Recorded()
        return done

    def _statement(self, _conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        name = _task_name()
        entry = (name, " ".join(statement.split()))
        if name not in self.ignore:
            self.recorded.statements.append(entry)
        else:
            self.recorded.background.append(entry)

    def _commit(self, _conn: Connection) -> None:
        name = _task_name()
        if name not in self.ignore:
            self.recorded.commits.append(name)

    def _rollback(self, _conn: Connection) -> None:
        name = _task_name()
        if name not in self.ignore:
            self.recorded.rollbacks.append(name)

    def __enter__(self) -> StatementCounter:
        event.listen(self.sync, "before_cursor_execute", self._statement)
        event.listen(self.sync, "commit", self._commit)
        event.listen(self.sync, "rollback", self._rollback)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.sync, "before_cursor_execute", self._statement)
        event.remove(self.sync, "commit", self._commit)
        event.remove(self.sync, "rollback", self._rollback)

"""One leased work queue over a table: the inbox, the outbox and the handoff's Slack relay.

A row is open (``pending``), leased by a worker while it is handled (``processing`` or
``sending``, until ``lease_until``), then closed (``done``/``sent``) or given up (``failed``).
A failed attempt puts the row back with a capped exponential backoff; after ``max_attempts``
(or a permanent error) it is given up. A lease that ran out (the worker died) makes the row
claimable again. Work is ordered per group (a conversation, a handoff): only the oldest open
row of a group is handed out, so a group's rows are handled in id order.

The queue only knows the columns every such table has (``id``, ``status``, ``attempts``,
``next_attempt_at``, ``last_error`` and, when leased, ``lease_until``); what a row means is its
owner's business.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from bot.config import DeliveryConfig
from bot.storage.db import one_statement

Moment = datetime | BindParameter[Any]  # a time, or a parameter standing for one
ERROR_LENGTH = 2000  # characters of an error kept in ``last_error``


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they are stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def backoff_s(delivery: DeliveryConfig, attempts: int) -> float:
    """Exponential backoff after ``attempts`` failed attempts, capped at ``retry_max_s``."""
    exponent = min(max(attempts - 1, 0), 30)
    return float(min(delivery.retry_max_s, delivery.retry_base_s * 2**exponent))


def wait_s(delivery: DeliveryConfig, attempts: int, retry_after: float | None = None) -> float:
    """How long to wait after ``attempts`` failed attempts: the backoff, or longer when the
    platform asks (``retry_after``, e.g. Telegram's 429 or Slack's rate limits)."""
    return max(backoff_s(delivery, attempts), retry_after or 0.0)


def retry_delay_s(
    delivery: DeliveryConfig,
    attempts: int,
    *,
    retry_after: float | None = None,
    permanent: bool = False,
    max_attempts: int | None = None,
) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones (:func:`wait_s`); None
    to give up (``permanent``, or ``max_attempts`` reached; default
    ``delivery.outbox_max_attempts``)."""
    limit = delivery.outbox_max_attempts if max_attempts is None else max_attempts
    if permanent or attempts >= limit:
        return None
    return wait_s(delivery, attempts, retry_after)


class LeaseLost(Exception):
    """The row is no longer this worker's: its lease ran out and another worker (another
    gateway) claimed it, or it was finished. Whatever this worker did with it is rolled back."""


@dataclass(frozen=True)
class Statuses:
    """The names a table uses for the states of a queued row."""

    pending: str = "pending"
    leased: str = "processing"
    done: str = "done"
    failed: str = "failed"


class LeasedQueue:
    """Claim, finish, retry and give up rows of ``table`` (see the module docstring).

    ``group``: the column whose rows are handled one at a time in id order (None: no order).
    ``leased``: whether the table has ``lease_until`` (the handoff relay has none; its worker
    is the only one touching its rows, in one round at a time).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        *,
        statuses: Statuses = Statuses(),
        group: str | None = None,
        leased: bool = True,
    ) -> None:
        self.engine = engine
        self.table = table
        self.statuses = statuses
        self.group = table.c[group] if group is not None else None
        self.leased = leased
        self._claim_heads: dict[bool, Any] = {}  # due_only -> claim_head's statement

    # --- conditions ---------------------------------------------------------------------------
    def is_open(self) -> ColumnElement[bool]:
        """Not finished: pending, or leased (even by a live worker)."""
        c, s = self.table.c, self.statuses
        if not self.leased:
            return c.status == s.pending
        return c.status.in_((s.pending, s.leased))

    def lapsed(self, now: Moment) -> ColumnElement[bool]:
        """Leased by a worker whose lease ran out (it stopped or died)."""
        c = self.table.c
        if not self.leased:
            return false()
        return and_(c.status == self.statuses.leased, c.lease_until < now)

    def claimable(self, now: Moment, *, due_only: bool = True) -> ColumnElement[bool]:
        """May be claimed now: pending (and due, unless ``due_only`` is False) or lapsed."""
        c = self.table.c
        pending = c.status == self.statuses.pending
        if due_only:
            pending = and_(pending, c.next_attempt_at <= now)
        return or_(pending, self.lapsed(now))

    def heads(self, *where: Any) -> Any:
        """The id of each group's oldest open row (among rows matching ``where``)."""
        if self.group is None:
            raise TypeError(f"the {self.table.name} queue has no groups")
        c = self.table.c
        return select(func.min(c.id)).where(self.is_open(), *where).group_by(self.group)

    # --- reading ------------------------------------------------------------------------------
    async def due_heads(
        self,
        now: datetime,
        *,
        where: Collection[Any] = (),
        limit: int = 200,
        columns: Collection[Any] = (),
        join: Any = None,
    ) -> list[Any]:
        """The oldest open row of each group, where it may be claimed now; newer rows of a
        group wait for it (its retry, another worker's live lease). ``where`` filters in SQL
        (rows this worker cannot handle are skipped without taking any of ``limit``).

        Longest due first (``next_attempt_at``, then id): a row that just failed goes behind
        the rows that came due while it was tried, so a failing channel's backlog retrying
        all the time cannot keep another conversation's row out of ``limit``."""
        c = self.table.c
        source = self.table if join is None else join
        query = (
            select(self.table, *columns)
            .select_from(source)
            .where(c.id.in_(self.heads(*where)), self.claimable(now))
            .order_by(c.next_attempt_at, c.id)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def due_groups(self, now: datetime, limit: int = 100) -> list[Any]:
        """Groups having a row that may be claimed now."""
        if self.group is None:
            raise TypeError(f"the {self.table.name} queue has no groups")
        query = select(self.group).where(self.claimable(now)).distinct().limit(limit)
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(query)]

    # --- changing -----------------------------------------------------------------------------
    async def claim(
        self, item_id: int, now: datetime, lease_s: float, *, due_only: bool = False
    ) -> bool:
        """Lease the row to this worker for ``lease_s`` and count the attempt; False when it
        is not claimable (another worker has it, or it is finished)."""
        c = self.table.c
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(self.table)
                .where(c.id == item_id, self.claimable(now, due_only=due_only))
                .values(**self._lease_values(now + timedelta(seconds=lease_s)))
            )
        return result.rowcount == 1

    async def claim_head(
        self, group_value: Any, now: datetime, lease_s: float, *, due_only: bool = True
    ) -> Any | None:
        """Lease the group's oldest open row when it may be claimed now (as :meth:`claim`)
        and return it as it is after the claim; None when the group has no open row or its
        oldest is not claimable (another worker's live lease; with ``due_only``, a retry not
        yet due). One statement: the read and the claim cannot be told apart by another
        worker, and a newer row is never handed out before an older open one."""
        if self.group is None:
            raise TypeError(f"the {self.table.name} queue has no groups")
        statement = self._claim_heads.get(due_only)
        if statement is None:
            statement = self._claim_heads[due_only] = self._claim_head_statement(due_only)
        params = {
            "q_group": group_value,
            "q_now": now,
            "q_lease_until": now + timedelta(seconds=lease_s),
        }
        async with one_statement(self.engine, writes=True) as conn:
            return (await conn.execute(statement, params)).first()

    def _claim_head_statement(self, due_only: bool) -> Any:
        """:meth:`claim_head`'s statement with its values as bound parameters, built once per
        queue (it runs twice per customer message; building it took more of the gateway's
        CPU than running it)."""
        assert self.group is not None
        c = self.table.c
        stamp = c.lease_until.type
        now = bindparam("q_now", type_=stamp)
        head = (
            select(func.min(c.id))
            .where(self.group == bindparam("q_group", type_=self.group.type), self.is_open())
            .scalar_subquery()
        )
        return (
            update(self.table)
            .where(c.id == head, self.claimable(now, due_only=due_only))
            .values(**self._lease_values(bindparam("q_lease_until", type_=stamp)))
            .returning(*c)
        )

    def _lease_values(self, lease_until: Moment) -> dict[str, Any]:
        return {
            "status": self.statuses.leased,
            "attempts": self.table.c.attempts + 1,
            "lease_until": lease_until,
        }

    def _release_values(self) -> dict[str, Any]:
        return {"status": self.statuses.pending, "lease_until": None}

    async def release(self, item_id: int, **values: Any) -> None:
        """Give a leased row back (the worker is stopping)."""
        c = self.table.c
        await self._update(
            (c.id == item_id, c.status == self.statuses.leased),
            **self._release_values(),
            **values,
        )

    async def release_all(self, **values: Any) -> int:
        """Give back every leased row (at start-up, when no other worker can exist)."""
        return await self._update(
            (self.table.c.status == self.statuses.leased,), **self._release_values(), **values
        )

    async def done(
        self, item_id: int, *, conn: AsyncConnection | None = None, **values: Any
    ) -> None:
        """Finished (in the caller's transaction when ``conn`` is given)."""
        extra = {"lease_until": None} if self.leased else {}
        await self.set(item_id, conn=conn, status=self.statuses.done, **extra, **values)

    async def retry(self, item_id: int, *, when: datetime, error: str, **values: Any) -> None:
        """Back to pending, to be tried again at ``when``."""
        extra = {"lease_until": None} if self.leased else {}
        await self.set(
            item_id,
            status=self.statuses.pending,
            next_attempt_at=when,
            last_error=error[:ERROR_LENGTH],
            **extra,
            **values,
        )

    async def give_up(
        self, item_id: int, error: str, *, conn: AsyncConnection | None = None, **values: Any
    ) -> None:
        """Failed for good."""
        extra = {"lease_until": None} if self.leased else {}
        await self.set(
            item_id,
            conn=conn,
            status=self.statuses.failed,
            last_error=error[:ERROR_LENGTH],
            **extra,
            **values,
        )

    async def attempt_failed(
        self, item_id: int, *, delay_s: float | None, now: datetime, error: str, **values: Any
    ) -> bool:
        """Record a failed attempt: retried after ``delay_s``, or given up when it is None
        (see :func:`retry_delay_s`). Returns whether it will be retried."""
        if delay_s is None:
            await self.give_up(item_id, error, **values)
            return False
        await self.retry(item_id, when=now + timedelta(seconds=delay_s), error=error, **values)
        return True

    async def fenced(
        self,
        item_id: int,
        attempts: int,
        *,
        conn: AsyncConnection | None = None,
        **values: Any,
    ) -> None:
        """Change the row only while this worker's claim holds: still leased, and not claimed
        since (``attempts`` is the count this worker's claim made: a fencing token). Raises
        :class:`LeaseLost` otherwise, so the caller's transaction is rolled back."""
        c = self.table.c
        where = (c.id == item_id, c.status == self.statuses.leased, c.attempts == attempts)
        if await self._update(where, conn=conn, **values) != 1:
            raise LeaseLost(f"{self.table.name} #{item_id} was claimed by another worker")

    async def set(
        self, item_id: int, *, conn: AsyncConnection | None = None, **values: Any
    ) -> None:
        await self._update((self.table.c.id == item_id,), conn=conn, **values)

    async def _update(
        self,
        where: tuple[Any, ...],
        *,
        conn: AsyncConnection | None = None,
        **values: Any,
    ) -> int:
        statement = update(self.table).where(*where).values(**values)
        if conn is not None:
            result = await conn.execute(statement)
        else:
            async with self.engine.begin() as own:
                result = await own.execute(statement)
        return int(result.rowcount or 0)

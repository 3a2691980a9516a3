"""The outbox: every message to a customer is stored before it is sent, then sent in order.

Rows of one conversation go out in id order; a platform error leaves the row pending with an
exponential backoff (or the platform's own ``retry_after``), so nothing is lost when a platform
or the gateway goes down. A row that used up its attempts, or that the platform refused for
good, is dead-lettered (status ``dead``, listed by ``GET /api/admin/outbox?state=dead``) and the
conversation's next row goes on. Adapters implement :class:`Sender` for their channel.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.message import OutgoingMessage
from bot.core.queue import LeasedQueue, Statuses, as_utc, utcnow
from bot.storage.db import one_statement
from bot.storage.schema import outbox

logger = logging.getLogger(__name__)

# notice: a message the bot starts (a ticket update); staff: a staff reply relayed by the handoff
OutboxKind = Literal["reply", "holding", "notice", "staff"]
OUTBOX_STATUSES = Statuses(pending="pending", leased="sending", done="sent", failed="dead")
# ``failed``: what dead-lettered rows were called before the ``dead`` state.
OUTBOX_STATES = ("pending", "sending", "sent", "dead")
DEAD_STATES = ("dead", "failed")

__all__ = [
    "DeliveryError",
    "NewMessage",
    "Outbox",
    "OutboxItem",
    "OutboxKind",
    "Sender",
    "as_utc",
    "utcnow",
]


@dataclass(frozen=True)
class OutboxItem:
    """One stored bot message and where it goes.

    ``address`` holds what the channel needs to reach the customer (Telegram ``chat_id``,
    Slack ``channel`` and ``thread_ts``, WeChat ``openid``) plus ``lang``, the conversation's
    language, for channel-side texts such as numbered options.
    """

    id: int
    conversation_id: str
    channel: str
    external_id: str
    message: OutgoingMessage
    kind: OutboxKind = "reply"
    address: Mapping[str, Any] = field(default_factory=dict)
    inbox_id: int | None = None
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)
    status: str = "pending"
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_inline: bool = False

    @property
    def lang(self) -> Literal["zh", "en"]:
        return "zh" if self.address.get("lang") == "zh" else "en"


class DeliveryError(Exception):
    """A platform did not take a message.

    ``retry_after`` (seconds) is the platform's own wait (Telegram 429, Slack rate limits);
    ``permanent`` means retrying cannot help (the customer blocked the bot, a bad chat id).
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, permanent: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.permanent = permanent


class Sender(Protocol):
    """What a channel adapter implements to deliver outbox messages."""

    channel: str

    async def send(self, item: OutboxItem) -> None:
        """Deliver one message; raise :class:`DeliveryError` when the platform refuses it."""
        ...


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        external_id=row.external_id,
        message=OutgoingMessage.from_rasa(row.message or {}),
        kind=row.kind,
        address=dict(row.address or {}),
        inbox_id=row.inbox_id,
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
        status="dead" if row.status in DEAD_STATES else row.status,
        last_error=row.last_error,
        next_attempt_at=as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        sent_at=as_utc(row.sent_at) if row.sent_at else None,
        delivered_inline=bool(row.delivered_inline),
    )


@dataclass(frozen=True)
class NewMessage:
    """A message to add to the outbox."""

    conversation_id: str
    channel: str
    external_id: str
    message: OutgoingMessage
    kind: OutboxKind = "reply"
    address: Mapping[str, Any] = field(default_factory=dict)
    inbox_id: int | None = None
    not_before: datetime | None = None  # held back for an inline answer until then


class Outbox:
    """Database operations of the outbox (no sending here; see the pipeline's worker)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.queue = LeasedQueue(engine, outbox, statuses=OUTBOX_STATUSES, group="conversation_id")

    async def add(
        self, messages: Sequence[NewMessage], *, conn: AsyncConnection | None = None
    ) -> list[int]:
        """Store messages (in one transaction with the caller's when ``conn`` is given)."""
        if not messages:
            return []
        if conn is None:
            async with self.engine.begin() as own:
                return await self.add(messages, conn=own)
        now = utcnow()
        ids: list[int] = []
        for m in messages:
            row = {
                "conversation_id": m.conversation_id,
                "channel": m.channel,
                "external_id": m.external_id,
                "inbox_id": m.inbox_id,
                "address": dict(m.address),
                "message": dict(m.message.to_json()),
                "kind": m.kind,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": max(now, m.not_before or now),
                "delivered_inline": False,
                "created_at": now,
            }
            result = await conn.execute(insert(outbox), row)  # values as parameters: cached
            ids.append(int(result.inserted_primary_key[0]))
        return ids

    async def claim_inline(self, inbox_id: int, *, hold_s: float | None = None) -> list[OutboxItem]:
        """Take the still-unsent messages answering ``inbox_id`` for an HTTP response.

        The rows are claimed by one conditional update that returns them, so a row the worker
        already took is not handed out twice. Without ``hold_s`` the rows count as delivered
        at once; with it they are leased for that long, and the caller reports with
        :meth:`confirm_inline` once the response was written, or :meth:`release_inline` when
        it could not be (the
        worker then sends them; a lease that runs out does the same).
        """
        async with one_statement(self.engine, writes=True) as conn:
            now = utcnow()
            if hold_s is None:
                values: dict[str, Any] = {
                    "status": "sent",
                    "delivered_inline": True,
                    "sent_at": now,
                }
            else:
                values = {
                    "status": "sending",
                    "attempts": outbox.c.attempts + 1,
                    "lease_until": now + timedelta(seconds=hold_s),
                }
            rows = (
                await conn.execute(
                    update(outbox)
                    .where(outbox.c.inbox_id == inbox_id, outbox.c.status == "pending")
                    .values(**values)
                    .returning(*outbox.c)
                )
            ).all()
        return sorted((_item(row) for row in rows), key=lambda item: item.id)

    async def confirm_inline(self, ids: Collection[int]) -> None:
        """The HTTP response carrying these held rows was written: they are delivered."""
        await self._settle_held(
            ids,
            status="sent",
            delivered_inline=True,
            sent_at=utcnow(),
            lease_until=None,
            last_error=None,
        )

    async def release_inline(self, ids: Collection[int], error: str) -> None:
        """The HTTP response carrying these held rows was not written (the client went
        away): the worker delivers them through the channel's sender instead."""
        await self._settle_held(
            ids,
            status="pending",
            lease_until=None,
            next_attempt_at=utcnow(),
            last_error=error[:2000],
        )

    async def _settle_held(self, ids: Collection[int], **values: Any) -> None:
        """Update rows still held for an HTTP response (status ``sending``)."""
        if not ids:
            return
        async with one_statement(self.engine, writes=True) as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_(tuple(ids)), outbox.c.status == "sending")
                .values(**values)
            )

    async def inline_delivered(self, inbox_id: int) -> list[OutboxItem]:
        """The replies to ``inbox_id`` already handed back in an HTTP response."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(
                        outbox.c.inbox_id == inbox_id,
                        outbox.c.status == "sent",
                        outbox.c.delivered_inline.is_(True),
                    )
                    .order_by(outbox.c.id)
                )
            ).all()
        return [_item(r) for r in rows]

    async def listing(
        self, *, states: Collection[str], limit: int = 100, before_id: int | None = None
    ) -> list[OutboxItem]:
        """Rows in ``states`` (``dead`` includes the older ``failed``), newest first."""
        wanted = set(states)
        if "dead" in wanted:
            wanted.update(DEAD_STATES)
        query = select(outbox).where(outbox.c.status.in_(tuple(sorted(wanted))))
        if before_id is not None:
            query = query.where(outbox.c.id < before_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(outbox.c.id.desc()).limit(limit))).all()
        return [_item(r) for r in rows]

    async def for_inbox(self, inbox_id: int) -> list[OutboxItem]:
        """Every message that answered ``inbox_id`` (for a repeated request)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox).where(outbox.c.inbox_id == inbox_id).order_by(outbox.c.id)
                )
            ).all()
        return [_item(r) for r in rows]

    async def due(
        self, now: datetime, limit: int = 200, *, channels: Collection[str] | None = None
    ) -> list[OutboxItem]:
        """The first unsent message of each conversation whose turn has come.

        A conversation whose first unsent message is waiting for a retry (or is being sent by
        another worker) sends nothing newer. ``channels``: only those this gateway can send
        on; other channels' messages stay queued without holding up anyone else's.
        """
        where = [outbox.c.channel.in_(tuple(channels))] if channels is not None else []
        rows = await self.queue.due_heads(now, where=where, limit=limit)
        return [_item(r) for r in rows]

    async def claim(self, item_id: int, now: datetime, lease_s: float) -> bool:
        return await self.queue.claim(item_id, now, lease_s)

    async def release_all(self) -> int:
        """Make every message caught mid-send pending again (start-up of the only gateway)."""
        return await self.queue.release_all()

    async def mark_sent(self, item_id: int) -> None:
        await self.queue.done(item_id, sent_at=utcnow(), last_error=None)

    async def retry_later(self, item_id: int, when: datetime, error: str) -> None:
        await self.queue.retry(item_id, when=when, error=error)

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self.queue.give_up(item_id, error)

    async def history(
        self, conversation_id: str, *, after_id: int = 0, limit: int = 100
    ) -> list[OutboxItem]:
        """Sent messages of a conversation newer than ``after_id`` that were not already
        handed back in an HTTP response (what a reconnecting web page has not seen)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(outbox)
                    .where(
                        outbox.c.conversation_id == conversation_id,
                        outbox.c.id > after_id,
                        outbox.c.status == "sent",
                        outbox.c.delivered_inline.is_(False),
                    )
                    .order_by(outbox.c.id)
                    .limit(limit)
                )
            ).all()
        return [_item(r) for r in rows]

    async def last_id(self, conversation_id: str) -> int:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(outbox.c.id)
                    .where(outbox.c.conversation_id == conversation_id)
                    .order_by(outbox.c.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return int(value or 0)

    async def last_holding_at(self, conversation_id: str) -> datetime | None:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(outbox.c.created_at)
                    .where(outbox.c.conversation_id == conversation_id, outbox.c.kind == "holding")
                    .order_by(outbox.c.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return as_utc(value) if value is not None else None

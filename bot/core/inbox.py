"""The inbox: every customer message a channel accepted, stored before it is forwarded.

Messages of one conversation are processed one at a time in id order. A platform's retry of
the same update (same ``dedupe_key``) finds the stored row instead of making a second one.

A dedupe key is the sender's, not the channel's: the stored key is scoped to the conversation
(:func:`scoped_key`), so another sender who uses the same id (a web page choosing its own
``message_id``) gets a message of their own instead of someone else's answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.conversations import ConversationStore
from bot.core.message import Attachment, IncomingMessage
from bot.core.queue import ERROR_LENGTH, LeasedQueue, as_utc, utcnow
from bot.storage.schema import inbox

DEDUPE_KEY_LENGTH = 200  # the column's size
# How long a message whose sender waits for the answer on one gateway (the web chat's HTTP
# request) is left to that gateway before other replicas' workers may take it.
OWNER_GRACE = timedelta(seconds=5)


def scoped_key(conversation_id: str, dedupe_key: str) -> str:
    """The stored dedupe key: the sender's conversation and the platform's id of the update.

    Too long for the column, it is replaced by its SHA-256 (still one value per sender and id).
    """
    key = f"{conversation_id}|{dedupe_key}"
    if len(key) <= DEDUPE_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class InboxItem:
    id: int
    message: IncomingMessage
    status: str
    attempts: int
    next_attempt_at: datetime
    address: Mapping[str, Any] = field(default_factory=dict)
    lease_until: datetime | None = None
    inline_until: datetime | None = None
    holding_sent: bool = False
    language: str | None = None
    last_error: str | None = None

    @property
    def conversation_id(self) -> str:
        return self.message.conversation_id


@dataclass(frozen=True)
class Accepted:
    """The stored row of a message; ``duplicate`` when the platform had sent it before."""

    id: int
    duplicate: bool
    status: str


def _attachments_json(message: IncomingMessage) -> list[dict[str, Any]]:
    return [
        {"kind": a.kind, "url": a.url, "mime_type": a.mime_type, "name": a.name}
        for a in message.attachments
    ]


def _item(row: Any) -> InboxItem:
    attachments = tuple(
        Attachment(kind=a["kind"], url=a["url"], mime_type=a.get("mime_type"), name=a.get("name"))
        for a in (row.attachments or [])
    )
    message = IncomingMessage(
        channel=row.channel,
        external_id=row.external_id,
        text=row.text,
        payload=row.payload,
        attachments=attachments,
        metadata=dict(row.meta or {}),
        received_at=as_utc(row.received_at),
    )
    return InboxItem(
        id=row.id,
        message=message,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=as_utc(row.next_attempt_at),
        address=dict(row.address or {}),
        lease_until=as_utc(row.lease_until) if row.lease_until else None,
        inline_until=as_utc(row.inline_until) if row.inline_until else None,
        holding_sent=bool(row.holding_sent),
        language=row.language,
        last_error=row.last_error,
    )


class Inbox:
    """Database operations of the inbox."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.queue = LeasedQueue(engine, inbox, group="conversation_id")
        self.conversations = ConversationStore(engine)

    async def accept(
        self,
        message: IncomingMessage,
        *,
        address: Mapping[str, Any] | None = None,
        dedupe_key: str | None = None,
        inline_until: datetime | None = None,
    ) -> Accepted:
        """Store ``message``; a second message from the same sender (conversation) with the
        same ``dedupe_key`` returns the first one's row with ``duplicate=True``. Another
        sender's message with that key is a message of its own."""
        if dedupe_key is not None and not 0 < len(dedupe_key) <= DEDUPE_KEY_LENGTH:
            raise ValueError(f"dedupe_key must be 1-200 characters, got {dedupe_key!r}")
        if dedupe_key is not None:
            existing = await self._find(message, dedupe_key)
            if existing is not None:
                return existing
        now = utcnow()
        values = {
            "conversation_id": message.conversation_id,
            "channel": message.channel,
            "external_id": message.external_id,
            "dedupe_key": (
                scoped_key(message.conversation_id, dedupe_key) if dedupe_key is not None else None
            ),
            "text": message.text,
            "payload": message.payload,
            "attachments": _attachments_json(message),
            "meta": dict(message.metadata),
            "address": dict(address or {}),
            "status": "pending",
            "attempts": 0,
            # A message whose sender waits on this gateway is this gateway's to process first:
            # other replicas' workers take it only after OWNER_GRACE_S (this one died).
            "next_attempt_at": now + OWNER_GRACE if inline_until is not None else now,
            "inline_until": inline_until,
            "holding_sent": False,
            "received_at": message.received_at,
        }
        try:
            async with self.engine.begin() as conn:
                # The values as parameters: the statement's compiled form is cached.
                result = await conn.execute(insert(inbox), values)
                await self.conversations.received(
                    conn,
                    message.conversation_id,
                    channel=message.channel,
                    external_id=message.external_id,
                    address=address or {},
                    now=now,
                )
                return Accepted(int(result.inserted_primary_key[0]), False, "pending")
        except IntegrityError:
            # Two deliveries of one update raced past the lookup; the first insert won.
            if dedupe_key is None:
                raise
            existing = await self._find(message, dedupe_key)
            if existing is None:
                raise
            return existing

    async def _find(self, message: IncomingMessage, dedupe_key: str) -> Accepted | None:
        """The sender's stored message with ``dedupe_key``; rows stored before keys were
        scoped (the bare key) count when they are the same conversation's."""
        c = inbox.c
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(c.id, c.status)
                    .where(
                        c.channel == message.channel,
                        or_(
                            c.dedupe_key == scoped_key(message.conversation_id, dedupe_key),
                            and_(
                                c.dedupe_key == dedupe_key,
                                c.conversation_id == message.conversation_id,
                            ),
                        ),
                    )
                    .order_by(c.id)
                    .limit(1)
                )
            ).first()
        return Accepted(row.id, True, row.status) if row is not None else None

    async def get(self, item_id: int) -> InboxItem | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(inbox).where(inbox.c.id == item_id))).first()
        return _item(row) if row is not None else None

    async def oldest_open(self, conversation_id: str) -> InboxItem | None:
        """The conversation's first message not yet answered."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(inbox)
                    .where(
                        inbox.c.conversation_id == conversation_id,
                        self.queue.is_open(),
                    )
                    .order_by(inbox.c.id)
                    .limit(1)
                )
            ).first()
        return _item(row) if row is not None else None

    async def open_ids(self, conversation_id: str) -> list[int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(inbox.c.id)
                .where(
                    inbox.c.conversation_id == conversation_id,
                    self.queue.is_open(),
                )
                .order_by(inbox.c.id)
            )
            return [int(r.id) for r in rows]

    async def claim_next(
        self, conversation_id: str, now: datetime, lease_s: float, *, due_only: bool = True
    ) -> InboxItem | None:
        """Claim the conversation's first message not yet answered, as it is once claimed
        (``attempts`` counts this attempt); None when there is none, or when it is not this
        worker's to take now: another worker's live claim, or (``due_only``) a retry that is
        not due yet. One statement (:meth:`LeasedQueue.claim_head`)."""
        row = await self.queue.claim_head(conversation_id, now, lease_s, due_only=due_only)
        return _item(row) if row is not None else None

    async def claim(self, item_id: int, now: datetime, lease_s: float) -> bool:
        """Mark the message as being processed by this worker (False if another has it)."""
        return await self.queue.claim(item_id, now, lease_s)

    async def release(self, item_id: int) -> None:
        """Give a claimed message back (the worker is stopping)."""
        await self.queue.release(item_id, next_attempt_at=utcnow())

    async def release_all(self) -> int:
        """Give back every claimed message (at start-up, when no other worker can exist)."""
        return await self.queue.release_all(next_attempt_at=utcnow())

    async def set_language(
        self, item_id: int, language: str, *, conn: AsyncConnection | None = None
    ) -> None:
        """Record the message's language (in the caller's transaction when ``conn`` is given)."""
        if conn is None:
            async with self.engine.begin() as own:
                await self.set_language(item_id, language, conn=own)
            return
        await conn.execute(update(inbox).where(inbox.c.id == item_id).values(language=language))

    # ``attempts``: the claim's count of attempts; with it the change is made only while that
    # claim holds (LeaseLost otherwise: another gateway took the message over).
    async def complete(
        self, conn: AsyncConnection, item_id: int, *, attempts: int | None = None
    ) -> None:
        """Mark answered, in the caller's transaction (together with the outbox rows)."""
        values = {"done_at": utcnow(), "last_error": None}
        if attempts is not None:
            await self.queue.fenced(item_id, attempts, conn=conn, status="done", **values)
            return
        await self.queue.done(item_id, conn=conn, **values)

    async def defer(
        self,
        item_id: int,
        *,
        when: datetime,
        error: str,
        holding_sent: bool,
        attempts: int | None = None,
    ) -> None:
        if attempts is not None:
            await self.queue.fenced(
                item_id,
                attempts,
                status="pending",
                lease_until=None,
                next_attempt_at=when,
                last_error=error[:ERROR_LENGTH],
                holding_sent=holding_sent,
            )
            return
        await self.queue.retry(item_id, when=when, error=error, holding_sent=holding_sent)

    async def fail(
        self, conn: AsyncConnection, item_id: int, error: str, *, attempts: int | None = None
    ) -> None:
        if attempts is not None:
            values = {"done_at": utcnow(), "last_error": error[:ERROR_LENGTH]}
            await self.queue.fenced(item_id, attempts, conn=conn, status="failed", **values)
            return
        await self.queue.give_up(item_id, error, conn=conn, done_at=utcnow())

    async def due_conversations(self, now: datetime, limit: int = 100) -> list[str]:
        """Conversations whose first open message may be (re)tried now."""
        return [str(c) for c in await self.queue.due_groups(now, limit)]

    async def latest_address(
        self, conversation_id: str, *, conn: AsyncConnection | None = None
    ) -> tuple[str, str, dict[str, Any]] | None:
        """(channel, external_id, address) of the customer's latest message, for messages the
        bot starts itself in a conversation without a record (stored before it existed)."""
        query = (
            select(inbox.c.channel, inbox.c.external_id, inbox.c.address, inbox.c.language)
            .where(inbox.c.conversation_id == conversation_id)
            .order_by(inbox.c.id.desc())
            .limit(1)
        )
        if conn is None:
            async with self.engine.connect() as own:
                row = (await own.execute(query)).first()
        else:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        address = dict(row.address or {})
        if row.language and "lang" not in address:
            address["lang"] = row.language
        return row.channel, row.external_id, address

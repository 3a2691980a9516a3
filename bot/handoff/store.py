"""Storage of handoffs (``handoffs``) and their messages (``handoff_messages``).

Plain values and database operations; what happens when is decided in
:mod:`bot.handoff.service`. State changes are conditional updates (``transition``), so a
colleague's click racing the customer's "back to bot" changes the handoff once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.conversations import ConversationStore
from bot.core.message import Attachment
from bot.core.queue import LeasedQueue, Statuses, as_utc, utcnow
from bot.handoff.rules import OPEN_STATUSES, Reason, Status, sources_of
from bot.i18n import Lang, as_lang
from bot.storage.db import one_statement
from bot.storage.schema import handoff_messages, handoffs, messages

# suggestion: a reply the large model drafted for staff (bot/handoff/assist.py), posted in the
# thread with a "Send suggestion" button; sent to the customer only as a staff reply.
Direction = Literal["customer", "staff", "note", "system", "suggestion"]
RasaState = Literal["pause_pending", "paused", "resume_pending", "running"]
CLAIM_HISTORY_COUNT = 20  # recent claims the expected wait is estimated from
# The relay of customer messages and notices to the Slack thread: one round at a time in one
# worker, so rows are not leased (``sending`` is never written).
RELAY_STATUSES = Statuses(pending="pending", leased="sending", done="sent", failed="failed")


# --- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handoff:
    """One handoff record (a row of ``handoffs``)."""

    id: int
    conversation_id: str
    channel: str
    external_id: str
    customer_id: str | None
    language: Lang
    reason: Reason
    detail: Mapping[str, Any]
    status: Status
    snapshot: Mapping[str, Any]
    sentiment: float | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    desk_version: int = 0
    desk_attempts: int = 0
    desk_retry_at: datetime | None = None
    inbox_id: int | None = None
    needs_thread: bool = True
    slack_channel: str | None = None
    thread_ts: str | None = None
    staff_user: str | None = None
    staff_name: str | None = None
    ended_by: str | None = None
    rasa_state: RasaState = "running"
    claim_deadline: datetime | None = None
    offer_deadline: datetime | None = None
    ticket_id: str | None = None
    rating: int | None = None
    rating_open: bool = False
    claimed_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class HandoffMessage:
    """A message of a handoff: the customer's, a staff reply, a note or a notice."""

    id: int
    handoff_id: int
    direction: Direction
    text: str | None
    attachments: tuple[Attachment, ...] = ()
    staff_user: str | None = None
    staff_name: str | None = None
    status: str = "pending"
    attempts: int = 0
    created_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class StaffMember:
    user_id: str  # the Slack user id
    name: str  # how the customer sees them


# --- storage ------------------------------------------------------------------------------------


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _handoff(row: Any) -> Handoff:
    return Handoff(
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        external_id=row.external_id,
        customer_id=row.customer_id,
        language=as_lang(row.language),
        reason=row.reason,
        detail=dict(row.detail or {}),
        status=row.status,
        snapshot=dict(row.snapshot or {}),
        sentiment=row.sentiment,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        version=row.version,
        desk_version=row.desk_version,
        desk_attempts=row.desk_attempts,
        desk_retry_at=_aware(row.desk_retry_at),
        inbox_id=row.inbox_id,
        needs_thread=bool(row.needs_thread),
        slack_channel=row.slack_channel,
        thread_ts=row.thread_ts,
        staff_user=row.staff_user,
        staff_name=row.staff_name,
        ended_by=row.ended_by,
        rasa_state=row.rasa_state,
        claim_deadline=_aware(row.claim_deadline),
        offer_deadline=_aware(row.offer_deadline),
        ticket_id=row.ticket_id,
        rating=row.rating,
        rating_open=bool(row.rating_open),
        claimed_at=_aware(row.claimed_at),
        ended_at=_aware(row.ended_at),
    )


def attachments_json(attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    return [
        {"kind": a.kind, "url": a.url, "mime_type": a.mime_type, "name": a.name}
        for a in attachments
    ]


def _message(row: Any) -> HandoffMessage:
    return HandoffMessage(
        id=row.id,
        handoff_id=row.handoff_id,
        direction=row.direction,
        text=row.text,
        attachments=tuple(
            Attachment(
                kind=a.get("kind", "image"),
                url=a["url"],
                mime_type=a.get("mime_type"),
                name=a.get("name"),
            )
            for a in (row.attachments or [])
            if isinstance(a, dict) and isinstance(a.get("url"), str)
        ),
        staff_user=row.staff_user,
        staff_name=row.staff_name,
        status=row.status,
        attempts=row.attempts,
        created_at=as_utc(row.created_at),
    )


class HandoffStore:
    """Database operations on handoffs and their messages."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.conversations = ConversationStore(engine)
        self.relays = LeasedQueue(
            engine, handoff_messages, statuses=RELAY_STATUSES, group="handoff_id", leased=False
        )

    async def create(self, values: Mapping[str, Any]) -> tuple[Handoff, bool]:
        """Insert a handoff; (the existing one, False) when the conversation already has an
        open handoff or the same message started one before (a retried turn). The
        conversation record shows it in the same transaction."""
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(handoffs).values(**values))
                new_id = int(result.inserted_primary_key[0])
                await self.conversations.handoff_changed(
                    conn,
                    str(values["conversation_id"]),
                    channel=str(values["channel"]),
                    external_id=str(values["external_id"]),
                    handoff_id=new_id,
                    status=str(values["status"]),
                    now=values.get("updated_at") or values.get("created_at") or utcnow(),
                )
        except IntegrityError:
            inbox_id = values.get("inbox_id")
            existing = await self.by_inbox(inbox_id) if inbox_id is not None else None
            existing = existing or await self.open_for(str(values["conversation_id"]))
            if existing is None:
                raise
            return existing, False
        created = await self.get(new_id)
        if created is None:
            raise RuntimeError(f"handoff #{new_id} vanished right after it was stored")
        return created, True

    async def _one(self, *where: Any) -> Handoff | None:
        async with one_statement(self.engine) as conn:
            row = (
                await conn.execute(
                    select(handoffs).where(*where).order_by(handoffs.c.id.desc()).limit(1)
                )
            ).first()
        return _handoff(row) if row is not None else None

    async def _many(self, *where: Any, limit: int = 200) -> list[Handoff]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(handoffs).where(*where).order_by(handoffs.c.id).limit(limit)
            )
            return [_handoff(r) for r in rows]

    async def get(self, handoff_id: int) -> Handoff | None:
        return await self._one(handoffs.c.id == handoff_id)

    async def by_inbox(self, inbox_id: int) -> Handoff | None:
        return await self._one(handoffs.c.inbox_id == inbox_id)

    async def open_for(self, conversation_id: str) -> Handoff | None:
        return await self._one(
            handoffs.c.conversation_id == conversation_id, handoffs.c.status.in_(OPEN_STATUSES)
        )

    async def latest_for(self, conversation_id: str) -> Handoff | None:
        return await self._one(handoffs.c.conversation_id == conversation_id)

    async def by_thread(self, channel: str, thread_ts: str) -> Handoff | None:
        return await self._one(
            handoffs.c.slack_channel == channel, handoffs.c.thread_ts == thread_ts
        )

    async def open_handoffs(self) -> list[Handoff]:
        return await self._many(handoffs.c.status.in_(OPEN_STATUSES))

    async def last_ended_at(self, conversation_id: str) -> datetime | None:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(func.max(handoffs.c.ended_at)).where(
                        handoffs.c.conversation_id == conversation_id
                    )
                )
            ).scalar_one_or_none()
        return _aware(value)

    async def transition(
        self,
        handoff_id: int,
        to: Status,
        *,
        now: datetime,
        from_: Sequence[Status] | None = None,
        **values: Any,
    ) -> Handoff | None:
        """Move the handoff to ``to`` if it is in one of ``from_`` (default: every status
        that may go there); None when it was not (a colleague or the customer was faster)."""
        sources = tuple(from_) if from_ is not None else sources_of(to)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.status.in_(sources))
                .values(status=to, version=handoffs.c.version + 1, updated_at=now, **values)
            )
            if result.rowcount != 1:
                return None
            row = (
                await conn.execute(
                    select(
                        handoffs.c.conversation_id, handoffs.c.channel, handoffs.c.external_id
                    ).where(handoffs.c.id == handoff_id)
                )
            ).one()
            await self.conversations.handoff_changed(
                conn,
                row.conversation_id,
                channel=row.channel,
                external_id=row.external_id,
                handoff_id=handoff_id,
                status=to,
                now=now,
            )
        return await self.get(handoff_id)

    async def update(self, handoff_id: int, *, bump: bool = False, **values: Any) -> None:
        """Change columns; ``bump`` when staff should see the change in the opening message."""
        if bump:
            values["version"] = handoffs.c.version + 1
        async with self.engine.begin() as conn:
            await conn.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(**values))

    async def add_message(
        self,
        handoff_id: int,
        direction: Direction,
        *,
        now: datetime,
        text: str | None = None,
        attachments: Sequence[Attachment] = (),
        staff: StaffMember | None = None,
        inbox_id: int | None = None,
        slack_ts: str | None = None,
        status: str = "pending",
        with_it: Callable[[AsyncConnection], Awaitable[None]] | None = None,
    ) -> tuple[HandoffMessage, bool]:
        """Store a message; (the stored one, False) for a customer message or a Slack event
        already taken (same inbox row or Slack ts). ``with_it`` writes what goes with the
        message (a staff reply's outbox rows) in the same transaction: both or neither."""
        values = {
            "handoff_id": handoff_id,
            "direction": direction,
            "text": text,
            "attachments": attachments_json(attachments),
            "staff_user": staff.user_id if staff else None,
            "staff_name": staff.name if staff else None,
            "inbox_id": inbox_id,
            "slack_ts": slack_ts,
            "status": status,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "sent_at": now if status == "sent" and direction == "staff" else None,
        }
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(handoff_messages).values(**values))
                new_id = int(result.inserted_primary_key[0])
                if with_it is not None:
                    await with_it(conn)
        except IntegrityError:
            where = (
                handoff_messages.c.inbox_id == inbox_id
                if inbox_id is not None
                else (handoff_messages.c.handoff_id == handoff_id)
                & (handoff_messages.c.slack_ts == slack_ts)
            )
            existing = await self._find_message(where)
            if existing is None:
                raise
            return existing, False
        stored = await self._find_message(handoff_messages.c.id == new_id)
        if stored is None:
            raise RuntimeError(f"handoff message #{new_id} vanished right after it was stored")
        return stored, True

    async def settle_message(
        self,
        message_id: int,
        *,
        now: datetime,
        with_it: Callable[[AsyncConnection], Awaitable[None]],
    ) -> bool:
        """Mark a pending message sent and write ``with_it`` in one transaction, unless another
        caller did first (a staff reply an older version stored before relaying it)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(handoff_messages)
                .where(handoff_messages.c.id == message_id, handoff_messages.c.status == "pending")
                .values(status="sent", sent_at=now)
            )
            if result.rowcount != 1:
                return False
            await with_it(conn)
        return True

    async def _find_message(self, where: Any) -> HandoffMessage | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(handoff_messages).where(where))).first()
        return _message(row) if row is not None else None

    async def message(self, message_id: int) -> HandoffMessage | None:
        return await self._find_message(handoff_messages.c.id == message_id)

    async def message_by_slack_ts(self, handoff_id: int, slack_ts: str) -> HandoffMessage | None:
        return await self._find_message(
            (handoff_messages.c.handoff_id == handoff_id)
            & (handoff_messages.c.slack_ts == slack_ts)
        )

    async def messages_of(self, handoff_id: int) -> list[HandoffMessage]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(handoff_messages)
                .where(handoff_messages.c.handoff_id == handoff_id)
                .order_by(handoff_messages.c.id)
            )
            return [_message(r) for r in rows]

    async def pending_relays(
        self, now: datetime, limit: int = 200
    ) -> list[tuple[Handoff, HandoffMessage]]:
        """The first unsent thread message of each handoff that has a thread, where it is due
        (a handoff's messages go out in order, so later ones wait for the first)."""
        with_thread = select(handoffs.c.id).where(handoffs.c.thread_ts.is_not(None))
        rows = await self.relays.due_heads(
            now,
            where=(
                handoff_messages.c.direction.in_(("customer", "system", "suggestion")),
                handoff_messages.c.handoff_id.in_(with_thread),
            ),
            limit=limit,
        )
        found = []
        for row in rows:
            handoff = await self.get(row.handoff_id)
            if handoff is not None:
                found.append((handoff, _message(row)))
        return found

    async def needing_thread(self, now: datetime) -> list[Handoff]:
        return [
            h
            for h in await self._many(
                handoffs.c.status.in_(OPEN_STATUSES),
                handoffs.c.needs_thread.is_(True),
                handoffs.c.thread_ts.is_(None),
            )
            if _due(h, now)
        ]

    async def needing_update(self, now: datetime) -> list[Handoff]:
        return [
            h
            for h in await self._many(
                handoffs.c.thread_ts.is_not(None), handoffs.c.desk_version < handoffs.c.version
            )
            if _due(h, now)
        ]

    async def unclaimed(self, now: datetime) -> list[Handoff]:
        return await self._many(handoffs.c.status == "waiting", handoffs.c.claim_deadline <= now)

    async def lapsed_offers(self, now: datetime) -> list[Handoff]:
        return await self._many(handoffs.c.status == "message", handoffs.c.offer_deadline <= now)

    async def rasa_pending(self) -> list[Handoff]:
        """Handoffs whose Rasa conversation is not yet in the state they need."""
        return await self._many(
            or_(
                handoffs.c.rasa_state.in_(("pause_pending", "resume_pending")),
                and_(handoffs.c.status.not_in(OPEN_STATUSES), handoffs.c.rasa_state != "running"),
            )
        )

    async def set_rasa_state(self, handoff_id: int, state: RasaState, *, was: RasaState) -> None:
        """Record Rasa's state unless it changed meanwhile (a handoff ended while pausing)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                update(handoffs)
                .where(handoffs.c.id == handoff_id, handoffs.c.rasa_state == was)
                .values(rasa_state=state)
            )

    async def claim_waits_s(self, since: datetime) -> list[float]:
        """How long recent handoffs waited until a colleague claimed them (newest first)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(handoffs.c.created_at, handoffs.c.claimed_at)
                .where(handoffs.c.claimed_at.is_not(None), handoffs.c.created_at >= since)
                .order_by(handoffs.c.id.desc())
                .limit(CLAIM_HISTORY_COUNT)
            )
            return [(as_utc(r.claimed_at) - as_utc(r.created_at)).total_seconds() for r in rows]

    async def waiting_before(self, handoff_id: int) -> int:
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(func.count())
                    .select_from(handoffs)
                    .where(handoffs.c.status == "waiting", handoffs.c.id < handoff_id)
                )
            ).scalar_one()
        return int(value)

    async def recent_customer_texts(
        self,
        conversation_id: str,
        *,
        since: datetime | Literal["last_handoff"] | None,
        limit: int,
    ) -> list[str]:
        """The customer's latest typed messages (not button payloads), oldest first.

        ``since="last_handoff"``: those after the conversation's last handoff ended (all
        when none ended), read in the same statement as :meth:`last_ended_at` would."""
        query = select(messages.c.text).where(
            messages.c.conversation_id == conversation_id,
            messages.c.direction == "in",
            messages.c.text.is_not(None),
        )
        if since == "last_handoff":
            ended = (
                select(func.max(handoffs.c.ended_at))
                .where(handoffs.c.conversation_id == conversation_id)
                .scalar_subquery()
            )
            query = query.where(or_(ended.is_(None), messages.c.created_at > ended))
        elif since is not None:
            query = query.where(messages.c.created_at > since)
        query = query.order_by(messages.c.id.desc()).limit(limit)
        async with one_statement(self.engine) as conn:
            texts = [str(r.text) for r in await conn.execute(query)]
        return [text for text in reversed(texts) if text.strip() and not text.startswith("/")]

    async def recent_turns(self, conversation_id: str, turns: int) -> list[dict[str, Any]]:
        """The last ``turns`` customer messages with the bot's answers between them."""
        async with self.engine.connect() as conn:
            rows = list(
                await conn.execute(
                    select(messages)
                    .where(messages.c.conversation_id == conversation_id)
                    .order_by(messages.c.id.desc())
                    .limit(turns * 4)
                )
            )
        kept: list[Any] = []
        seen_in = 0
        for row in rows:  # newest first
            if row.direction == "in":
                if seen_in == turns:
                    break
                seen_in += 1
            kept.append(row)
        return [_turn_json(r) for r in reversed(kept)]


def _due(handoff: Handoff, now: datetime) -> bool:
    return handoff.desk_retry_at is None or handoff.desk_retry_at <= now


def _turn_json(row: Any) -> dict[str, Any]:
    extra = row.payload if isinstance(row.payload, dict) else {}
    turn: dict[str, Any] = {
        "direction": row.direction,
        "text": row.text,
        "at": as_utc(row.created_at).isoformat(),
    }
    if extra.get("payload"):
        turn["payload"] = extra["payload"]
    if extra.get("attachments") or extra.get("image"):
        turn["image"] = True
    cards = (
        (extra.get("custom") or {}).get("products")
        if isinstance(extra.get("custom"), dict)
        else None
    )
    if isinstance(cards, list):
        turn["cards"] = [str(c.get("name")) for c in cards if isinstance(c, dict)][:5]
    if extra.get("buttons"):
        turn["buttons"] = [str(b.get("title")) for b in extra["buttons"] if isinstance(b, dict)][:5]
    return turn

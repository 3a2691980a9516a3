"""The conversation record (``conversations``): one row per conversation with its current state.

The pipeline writes the channel, sender and reply address when a message is accepted (in the
inbox's transaction) and the customer and language once it is processed; the handoff writes
who answers (``owner``: the bot, or staff while a handoff is open) and the handoff's state on
start, claim and end. Messages the bot starts itself (staff replies, ticket notices) are sent
to the record's address in its language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.queue import as_utc, utcnow
from bot.i18n import Lang, known_language
from bot.storage.schema import HANDOFF_OPEN_STATUSES, conversations

Owner = Literal["bot", "staff"]


@dataclass(frozen=True)
class Conversation:
    """A row of ``conversations``."""

    conversation_id: str
    channel: str
    external_id: str
    address: Mapping[str, Any] = field(default_factory=dict)
    customer_id: str | None = None
    language: Lang | None = None
    owner: Owner = "bot"
    handoff_id: int | None = None
    handoff_state: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def reply_address(self) -> dict[str, Any]:
        """Where a message the bot starts goes: the address with the conversation's ``lang``."""
        address = dict(self.address)
        if self.language and "lang" not in address:
            address["lang"] = self.language
        return address


def _conversation(row: Any) -> Conversation:
    return Conversation(
        conversation_id=row.conversation_id,
        channel=row.channel,
        external_id=row.external_id,
        address=dict(row.address or {}),
        customer_id=row.customer_id,
        language=known_language(row.language),
        owner="staff" if row.owner == "staff" else "bot",
        handoff_id=row.handoff_id,
        handoff_state=row.handoff_state,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def owner_of(handoff_status: str) -> Owner:
    """Who answers the customer while a handoff is in ``handoff_status``."""
    return "staff" if handoff_status in HANDOFF_OPEN_STATUSES else "bot"


async def _upsert(
    conn: AsyncConnection,
    conversation_id: str,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    **changes: Any,
) -> None:
    """Create the record with ``changes`` or apply them to the existing one (one statement,
    so two writers racing to create it both succeed)."""
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - the gateway runs on these
        raise NotImplementedError(f"no conversation upsert for {dialect!r}")
    values = {
        "conversation_id": conversation_id,
        "channel": channel,
        "external_id": external_id,
        "address": {},
        "owner": "bot",
        "created_at": now,
        "updated_at": now,
        **changes,
    }
    await conn.execute(_upsert_statement(dialect, tuple(sorted(changes))), values)


@functools.cache
def _upsert_statement(dialect: str, changed: tuple[str, ...]) -> Any:
    """The upsert setting ``updated_at`` and the ``changed`` columns of an existing record to
    the inserted row's values; built once per dialect and set of columns, its values passed as
    parameters (building ``.values(...)`` per call was most of its cost)."""
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(conversations)
    return statement.on_conflict_do_update(
        index_elements=[conversations.c.conversation_id],
        set_={name: statement.excluded[name] for name in ("updated_at", *changed)},
    )


class ConversationStore:
    """Reads and writes of the conversation record."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(
        self, conversation_id: str, *, conn: AsyncConnection | None = None
    ) -> Conversation | None:
        """The record (read in the caller's transaction when ``conn`` is given)."""
        query = select(conversations).where(conversations.c.conversation_id == conversation_id)
        if conn is None:
            async with self.engine.connect() as own:
                row = (await own.execute(query)).first()
        else:
            row = (await conn.execute(query)).first()
        return _conversation(row) if row is not None else None

    async def latest_of_customer(
        self, customer_id: str, *, conn: AsyncConnection
    ) -> Conversation | None:
        """The conversation the customer wrote in last (where the shop reaches them first)."""
        row = (
            await conn.execute(
                select(conversations)
                .where(conversations.c.customer_id == customer_id)
                .order_by(conversations.c.updated_at.desc(), conversations.c.conversation_id)
                .limit(1)
            )
        ).first()
        return _conversation(row) if row is not None else None

    async def received(
        self,
        conn: AsyncConnection,
        conversation_id: str,
        *,
        channel: str,
        external_id: str,
        address: Mapping[str, Any],
        now: datetime | None = None,
    ) -> None:
        """A customer message was accepted: its address is where replies go from now on
        (in the caller's transaction, the inbox's)."""
        await _upsert(
            conn,
            conversation_id,
            channel=channel,
            external_id=external_id,
            now=now or utcnow(),
            address=dict(address),
        )

    async def identified(
        self,
        conversation_id: str,
        *,
        channel: str,
        external_id: str,
        customer_id: str | None,
        language: Lang,
        now: datetime | None = None,
        conn: AsyncConnection | None = None,
    ) -> None:
        """The customer and language of the message being processed (in the caller's
        transaction when ``conn`` is given)."""
        if conn is None:
            async with self.engine.begin() as own:
                await self.identified(
                    conversation_id,
                    channel=channel,
                    external_id=external_id,
                    customer_id=customer_id,
                    language=language,
                    now=now,
                    conn=own,
                )
            return
        await _upsert(
            conn,
            conversation_id,
            channel=channel,
            external_id=external_id,
            now=now or utcnow(),
            customer_id=customer_id,
            language=language,
        )

    async def handoff_changed(
        self,
        conn: AsyncConnection,
        conversation_id: str,
        *,
        channel: str,
        external_id: str,
        handoff_id: int,
        status: str,
        now: datetime,
    ) -> None:
        """A handoff started, was claimed or ended (in the caller's transaction, the
        handoff's): who answers now and the handoff's state."""
        await _upsert(
            conn,
            conversation_id,
            channel=channel,
            external_id=external_id,
            now=now,
            owner=owner_of(status),
            handoff_id=handoff_id,
            handoff_state=status,
        )

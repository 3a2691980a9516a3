"""Messages the pipeline stores with their answer ready, without a trip to Rasa: a channel's own
command (Telegram's /help) and messages the bot starts itself (staff replies, ticket notices),
sent to the conversation's reply address. :class:`~bot.core.pipeline.Pipeline` inherits them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core import store
from bot.core.conversations import ConversationStore
from bot.core.inbox import Inbox
from bot.core.locks import KeyedLocks
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import NewMessage, Outbox, OutboxKind
from bot.i18n import Lang, known_language
from bot.observability import metrics


class ReadyMessages:
    """Storing answered messages and notices; the pipeline provides the stores and ``wake``."""

    engine: AsyncEngine
    inbox: Inbox
    outbox: Outbox
    locks: KeyedLocks
    conversations: ConversationStore

    def wake(self) -> None:
        """Tell the delivery worker that new outbox rows are due (the pipeline's own)."""
        raise NotImplementedError

    async def submit_answered(
        self,
        message: IncomingMessage,
        replies: Sequence[OutgoingMessage],
        *,
        language: Lang,
        address: Mapping[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> Literal["duplicate", "answered"]:
        """Store a message together with its ready answer (a channel's own command, e.g.
        Telegram's /help), without a trip to Rasa: the inbox row makes a repeated delivery a
        duplicate, the outbox delivers the answer with retries like any other reply. The
        conversation's lock keeps the worker from forwarding the message to Rasa meanwhile."""
        conversation_id = message.conversation_id
        address = {**(address or {}), "lang": language}
        async with self.locks.hold(conversation_id):
            accepted = await self.inbox.accept(message, address=address, dedupe_key=dedupe_key)
            if accepted.duplicate:
                return "duplicate"
            metrics.message_received(message.channel)
            await store.save_incoming(self.engine, message, language)
            rows = [
                NewMessage(
                    conversation_id,
                    message.channel,
                    message.external_id,
                    reply,
                    "reply",
                    address,
                    inbox_id=accepted.id,
                )
                for reply in replies
            ]
            async with self.engine.begin() as conn:
                await self.outbox.add(rows, conn=conn)
                await self.inbox.complete(conn, accepted.id)
                await store.save_outgoing(
                    conn,
                    conversation_id=conversation_id,
                    channel=message.channel,
                    replies=list(replies),
                    language=language,
                )
        self.wake()
        return "answered"

    async def notify(
        self,
        conversation_id: str,
        messages: list[OutgoingMessage],
        *,
        kind: str = "notice",
        conn: AsyncConnection | None = None,
        staff: bool = False,
    ) -> list[int]:
        """Queue messages the bot starts itself (staff replies, ticket updates) to the
        customer's channel, at the conversation's reply address. Returns outbox ids.
        ``staff``: a staff member wrote them (outbox kind ``staff``, shown so in the history).

        With ``conn`` everything is written in the caller's transaction; the caller then
        calls :meth:`wake` once it is committed.
        """
        if conn is None:
            async with self.engine.begin() as own:
                ids = await self.notify(conversation_id, messages, kind=kind, conn=own, staff=staff)
            self.wake()
            return ids
        target = await self._reply_target(conn, conversation_id)
        if target is None:
            raise LookupError(f"no message was ever received in conversation {conversation_id!r}")
        channel, external_id, address = target
        row_kind: OutboxKind = "staff" if staff else "notice"
        ids = await self.outbox.add(
            [
                NewMessage(conversation_id, channel, external_id, m, row_kind, address)
                for m in messages
            ],
            conn=conn,
        )
        if kind:
            await store.save_outgoing(
                conn,
                conversation_id=conversation_id,
                channel=channel,
                replies=messages,
                language=known_language(address.get("lang")) or "en",
            )
        return ids

    async def _reply_target(
        self, conn: AsyncConnection, conversation_id: str
    ) -> tuple[str, str, dict[str, Any]] | None:
        """(channel, external id, address with ``lang``) of the conversation record; for a
        conversation from before the record existed, rebuilt from its latest inbox row."""
        record = await self.conversations.get(conversation_id, conn=conn)
        if record is not None:
            return record.channel, record.external_id, record.reply_address()
        return await self.inbox.latest_address(conversation_id, conn=conn)

"""Sending the outbox: each conversation's first unsent message through its channel's sender.

One message per conversation is in flight at a time, so a conversation's messages arrive in
order. A platform error leaves the message queued with a backoff (or the platform's own
``retry_after``) until it is given up (a permanent error, or too many attempts); either way
the conversation's next message may go.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from bot.config import DeliveryConfig
from bot.core.outbox import DeliveryError, Outbox, OutboxItem, Sender
from bot.core.queue import retry_delay_s
from bot.observability import logs, metrics

logger = logging.getLogger(__name__)

Listener = Callable[[OutboxItem], Awaitable[None]]


class OutboxDelivery:
    """Hands due outbox messages to the senders (run by the pipeline's worker)."""

    def __init__(
        self,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        *,
        delivery: DeliveryConfig,
        clock: Callable[[], datetime],
        lease_s: float,
        spawn: Callable[[Awaitable[None]], None],
        wake: Callable[[], None],
    ) -> None:
        self.outbox = outbox
        self.senders = senders  # the pipeline's, so senders added later are used
        self.delivery = delivery
        self.clock = clock
        self.lease_s = lease_s
        self.listeners: list[Listener] = []
        self._spawn = spawn
        self._wake = wake
        self._sending: set[str] = set()  # conversations with a message in flight here

    async def round(self, now: datetime, *, closing: Callable[[], bool]) -> None:
        """Start sending every conversation's due message (channels with a sender only)."""
        for item in await self.outbox.due(now, channels=tuple(self.senders)):
            if closing():
                return
            if item.conversation_id not in self._sending:
                self._sending.add(item.conversation_id)
                self._spawn(self.send(item))

    async def send(self, item: OutboxItem) -> None:
        logs.bind_message(item.conversation_id, item.inbox_id)  # its own task: the log's ids
        try:
            now = self.clock()
            if not await self.outbox.claim(item.id, now, self.lease_s):
                return
            sender = self.senders.get(item.channel)
            if sender is None:
                await self.outbox.retry_later(
                    item.id,
                    now + timedelta(seconds=self.delivery.retry_max_s),
                    f"channel {item.channel!r} is not enabled in this gateway",
                )
                return
            attempts = item.attempts + 1
            try:
                await sender.send(item)
            except DeliveryError as exc:
                await self._failed(item, attempts, exc)
                return
            except Exception as exc:  # a bug or an unexpected SDK error: keep the message
                logger.exception("sending outbox #%d on %s failed", item.id, item.channel)
                await self._failed(item, attempts, DeliveryError(repr(exc)))
                return
            await self.outbox.mark_sent(item.id)
            metrics.message_sent(item.channel)
            for listener in self.listeners:
                await listener(item)
        finally:
            self._sending.discard(item.conversation_id)
            self._wake()  # the conversation's next message may go now

    async def _failed(self, item: OutboxItem, attempts: int, exc: DeliveryError) -> None:
        delay = retry_delay_s(
            self.delivery, attempts, retry_after=exc.retry_after, permanent=exc.permanent
        )
        if delay is None:
            logger.error(
                "giving up outbox #%d to %s after %d attempts: %s",
                item.id,
                item.conversation_id,
                attempts,
                exc,
            )
        else:
            logger.warning(
                "outbox #%d to %s: %s; retry in %.1fs", item.id, item.conversation_id, exc, delay
            )
        metrics.outbox_failed(item.channel, gave_up=delay is None)
        await self.outbox.queue.attempt_failed(
            item.id, delay_s=delay, now=self.clock(), error=str(exc)
        )

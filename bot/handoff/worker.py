"""The handoff's background worker: everything that happens after the turn that caused it.

Each round (:meth:`HandoffWorker.tick`, on a wake-up or every ``delivery.poll_interval_s``)
retries Rasa pause/resume calls that failed, moves unclaimed handoffs past their claim deadline
to the offer to leave a message, lets lapsed offers expire, and, with a staff desk
(:class:`~bot.handoff.context.StaffDesk`), opens the Slack threads, relays the customer's
messages and notices to them in order (retrying with backoff while Slack is down) and updates
the opening messages; a new thread gets the staff assist's summary and suggested reply when the
large model is on (:mod:`bot.handoff.assist`). All of it is read from the database, so a
restart loses nothing.

Gateway replicas on one PostgreSQL database each run this worker, but a round runs in one of
them at a time (the cluster lock :data:`TICK_LOCK`): a handoff gets one Slack thread and each
message is relayed once. A replica that finds the lock taken skips its round; the holder does
the work, and a replica that dies frees the lock with its connection.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from bot.core.message import OutgoingMessage
from bot.core.outbox import DeliveryError
from bot.core.queue import retry_delay_s, wait_s
from bot.core.shared import cluster_lock
from bot.core.worker import WorkerLoop
from bot.handoff.context import HandoffContext, StaffDesk, back_button
from bot.handoff.rules import wait_minutes
from bot.handoff.store import Handoff
from bot.i18n import customer_text, staff_text

logger = logging.getLogger(__name__)

TICK_LOCK = "handoff-worker"  # the cluster lock of a round


def desk_synced(handoff: Handoff) -> dict[str, Any]:
    """The columns recording that the staff desk shows ``handoff``'s current version."""
    return {"desk_version": handoff.version, "desk_attempts": 0, "desk_retry_at": None}


class HandoffWorker:
    """The background task running the handoff's rounds."""

    def __init__(self, ctx: HandoffContext) -> None:
        self.ctx = ctx
        self._tick_lock = asyncio.Lock()
        self._loop = WorkerLoop(
            "handoff-worker",
            self.tick,
            interval_s=lambda: ctx.delivery.poll_interval_s,
            woken=ctx.woken,
        )

    async def start(self) -> None:
        """Start the worker (threads, relays, timeouts, Rasa pause/resume retries)."""
        if not self._loop.running:
            self._loop.start()
            self.ctx.wake()

    async def close(self) -> None:
        await self._loop.stop()

    async def tick(self) -> None:
        """One round of the worker (tests call it directly)."""
        await self.try_tick()

    async def try_tick(self) -> bool:
        """One round; False when another replica is running one (then nothing was done here,
        and what it missed is picked up by the next round, at most ``poll_interval_s`` on)."""
        async with self._tick_lock, cluster_lock(self.ctx.engine, TICK_LOCK) as mine:
            if mine:
                await self._round()
            return mine

    async def _round(self) -> None:
        now = self.ctx.clock()
        await self._retry_rasa()
        await self._time_out_claims(now)
        await self._lapse_offers(now)
        desk = self.ctx.desk
        if desk is not None:
            await self._open_threads(desk, now)
            await self._relay(desk, now)
            await self._update_threads(desk, now)

    # --- Rasa, claims, offers -----------------------------------------------------------------
    async def _retry_rasa(self) -> None:
        ctx = self.ctx
        for handoff in await ctx.store.rasa_pending():
            if handoff.rasa_state == "pause_pending" and handoff.is_open:
                await ctx.pause(handoff)
            elif handoff.rasa_state == "resume_pending" or not handoff.is_open:
                await ctx.resume(handoff)

    async def _time_out_claims(self, now: datetime) -> None:
        ctx = self.ctx
        for handoff in await ctx.store.unclaimed(now):
            offer_deadline = now + timedelta(seconds=ctx.settings.leave_message_timeout_s)
            moved = await ctx.store.transition(
                handoff.id, "message", now=now, from_=("waiting",), offer_deadline=offer_deadline
            )
            if moved is None:
                continue
            logger.info("handoff #%d unclaimed in time; offering to leave a message", handoff.id)
            minutes = wait_minutes(ctx.settings.claim_timeout_s)
            await ctx.note(moved, staff_text("note.timeout", ctx.staff_lang, minutes=minutes), now)
            lang = moved.language
            text = customer_text("timeout", lang)
            await ctx.tell(moved, OutgoingMessage(text=text, buttons=back_button(lang)))

    async def _lapse_offers(self, now: datetime) -> None:
        ctx = self.ctx
        for handoff in await ctx.store.lapsed_offers(now):
            note = staff_text("note.lapsed", ctx.staff_lang)
            await ctx.end(handoff, "expired", by="system", now=now, from_=("message",), note=note)

    # --- the staff desk -----------------------------------------------------------------------
    async def _open_threads(self, desk: StaffDesk, now: datetime) -> None:
        store = self.ctx.store
        for handoff in await store.needing_thread(now):
            try:
                channel, thread_ts = await desk.open_thread(handoff)
            except DeliveryError as exc:
                await self._desk_failed(handoff, exc, now)
                continue
            await store.update(
                handoff.id, slack_channel=channel, thread_ts=thread_ts, **desk_synced(handoff)
            )
            logger.info("handoff #%d: staff thread %s/%s", handoff.id, channel, thread_ts)
            if self.ctx.assist is not None:
                self.ctx.assist.request(handoff.id)  # summary and suggested reply, if on

    async def _update_threads(self, desk: StaffDesk, now: datetime) -> None:
        store = self.ctx.store
        for handoff in await store.needing_update(now):
            try:
                await desk.update_thread(handoff)
            except DeliveryError as exc:
                await self._desk_failed(handoff, exc, now)
                continue
            await store.update(handoff.id, **desk_synced(handoff))

    async def _desk_failed(self, handoff: Handoff, exc: DeliveryError, now: datetime) -> None:
        store = self.ctx.store
        attempts = handoff.desk_attempts + 1
        if exc.permanent and handoff.thread_ts is None:
            # Staff cannot be reached (wrong channel, bot not invited): the customer waits
            # until the claim timeout and is then offered to leave a message.
            logger.error("handoff #%d: cannot open a staff thread: %s", handoff.id, exc)
            await store.update(handoff.id, needs_thread=False)
            return
        if exc.permanent:
            # The opening message cannot be changed (deleted in Slack): leave it as it is.
            logger.error("handoff #%d: cannot update the staff thread: %s", handoff.id, exc)
            await store.update(handoff.id, desk_version=handoff.version, desk_attempts=0)
            return
        delay = wait_s(self.ctx.delivery, attempts, exc.retry_after)
        logger.warning(
            "handoff #%d: Slack call failed (%s); retry in %.1fs", handoff.id, exc, delay
        )
        await store.update(
            handoff.id, desk_attempts=attempts, desk_retry_at=now + timedelta(seconds=delay)
        )

    async def _relay(self, desk: StaffDesk, now: datetime) -> None:
        """Post each handoff's first pending customer message or notice in its thread."""
        store, delivery = self.ctx.store, self.ctx.delivery
        for handoff, message in await store.pending_relays(now):
            attempts = message.attempts + 1
            try:
                await desk.post_message(handoff, message)
            except DeliveryError as exc:
                delay = retry_delay_s(
                    delivery, attempts, retry_after=exc.retry_after, permanent=exc.permanent
                )
                if delay is None:
                    logger.error(
                        "handoff #%d: giving up message #%d: %s", handoff.id, message.id, exc
                    )
                await store.relays.attempt_failed(
                    message.id, delay_s=delay, now=now, error=str(exc), attempts=attempts
                )
                continue
            await store.relays.done(message.id, sent_at=now, attempts=attempts)

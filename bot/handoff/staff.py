"""What staff do on a handoff (from the staff desk, Slack): claim, resolve, close, reply.

:class:`StaffActions` changes the handoff (conditional transitions, so a colleague racing the
customer changes it once), tells the customer through :meth:`Pipeline.notify` (a staff reply
in the transaction that stores it, so it is queued exactly once), leaves notices for the
thread and answers with a :class:`StaffOutcome` the desk shows the colleague. It also finds
handoffs for the desk (by thread, the open ones).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.message import Attachment, Button, OutgoingMessage
from bot.handoff.context import HandoffContext
from bot.handoff.priority import ComplaintRisks, ordered
from bot.handoff.rules import RATINGS, rating_payload, staff_note, stars
from bot.handoff.store import Handoff, StaffMember
from bot.i18n import customer_text, staff_text

logger = logging.getLogger(__name__)

StaffResult = Literal["ok", "unknown", "taken", "ended"]


@dataclass(frozen=True)
class StaffOutcome:
    """What a staff action did: ``ok``, or why not (``unknown`` handoff, ``taken`` by a
    colleague, ``ended`` already)."""

    result: StaffResult
    handoff: Handoff | None = None
    note: bool = False  # the reply was an internal note


def relayed_reply(
    handoff: Handoff, staff: StaffMember, text: str | None, attachments: Sequence[Attachment]
) -> list[OutgoingMessage]:
    """A staff reply as the customer sees it: "Name: text", then its pictures."""
    relayed: list[OutgoingMessage] = []
    if text:
        reply = customer_text("relayed", handoff.language, name=staff.name, text=text)
        relayed.append(OutgoingMessage(text=reply))
    relayed += [OutgoingMessage(image=a.url) for a in attachments if a.kind == "image"]
    return relayed


class StaffActions:
    """The staff's actions on handoffs."""

    def __init__(self, ctx: HandoffContext) -> None:
        self.ctx = ctx
        self.risks = ComplaintRisks(ctx.engine, ctx.cfg)

    async def claim(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """A colleague takes the conversation; the customer is told who is there."""
        ctx = self.ctx
        now = ctx.clock()
        handoff = await ctx.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        if handoff.status == "active":
            result: StaffResult = "ok" if handoff.staff_user == staff.user_id else "taken"
            return StaffOutcome(result, handoff)
        claimed = await ctx.store.transition(
            handoff_id,
            "active",
            now=now,
            from_=("waiting", "message"),
            staff_user=staff.user_id,
            staff_name=staff.name,
            claimed_at=now,
        )
        if claimed is None:
            current = await ctx.store.get(handoff_id)
            taken = current is not None and current.status == "active"
            return StaffOutcome("taken" if taken else "ended", current)
        logger.info("handoff #%d claimed by %s", handoff_id, staff.user_id)
        note = staff_text("note.claimed", ctx.staff_lang, staff=f"<@{staff.user_id}>")
        await ctx.note(claimed, note, now)
        text = customer_text("claimed", claimed.language, name=staff.name)
        await ctx.tell(claimed, OutgoingMessage(text=text))
        ctx.wake()
        return StaffOutcome("ok", claimed)

    async def resolve(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """Back to the bot: Rasa resumes, the bot says so and asks for a 1-5 rating."""
        ctx = self.ctx
        now = ctx.clock()
        handoff = await ctx.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        ended = await ctx.end(
            handoff, "resolved", by=f"staff:{staff.user_id}", now=now, rating_open=True,
            staff_user=handoff.staff_user or staff.user_id,
            staff_name=handoff.staff_name or staff.name,
        )  # fmt: skip
        if ended is None:
            return await self._already_ended(handoff_id)
        buttons = tuple(Button(stars(n), rating_payload(ended.id, n)) for n in RATINGS)
        ask = OutgoingMessage(text=customer_text("resolved", ended.language), buttons=buttons)
        await ctx.tell(ended, ask)
        return StaffOutcome("ok", ended)

    async def close_handoff(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """End without a rating (spam, the customer left); the bot takes over again."""
        ctx = self.ctx
        now = ctx.clock()
        handoff = await ctx.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        ended = await ctx.end(handoff, "closed", by=f"staff:{staff.user_id}", now=now)
        if ended is None:
            return await self._already_ended(handoff_id)
        await ctx.tell(ended, OutgoingMessage(text=customer_text("closed", ended.language)))
        return StaffOutcome("ok", ended)

    async def staff_reply(
        self,
        handoff_id: int,
        staff: StaffMember,
        *,
        text: str | None,
        attachments: Sequence[Attachment] = (),
        slack_ts: str | None = None,
    ) -> StaffOutcome:
        """A reply in the thread: relayed to the customer (recording who wrote it), or kept
        internal when it starts with ``note:``. Replying to an unclaimed handoff claims it."""
        store = self.ctx.store
        now = self.ctx.clock()
        handoff = await store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        note = staff_note(text) if text else None
        if note is not None:
            await store.add_message(
                handoff_id,
                "note",
                now=now,
                text=note,
                staff=staff,
                slack_ts=slack_ts,
                status="sent",
            )
            return StaffOutcome("ok", handoff, note=True)
        if not handoff.is_open:
            return StaffOutcome("ended", handoff)
        if handoff.status != "active":
            outcome = await self.claim(handoff_id, staff)
            if outcome.result == "ended":
                return outcome
            handoff = outcome.handoff or handoff
        # One path for a reply: the handoff_messages row (who wrote it, keyed by the Slack ts)
        # and the outbox rows that deliver it are written in one transaction. A retried Slack
        # event finds the row and does nothing; a crash leaves both or neither.
        pipeline = self.ctx.pipeline
        relayed = relayed_reply(handoff, staff, text, attachments)

        async def queue_for_customer(conn: AsyncConnection) -> None:
            if relayed:
                await pipeline.notify(handoff.conversation_id, relayed, conn=conn, staff=True)

        stored, created = await store.add_message(
            handoff_id,
            "staff",
            now=now,
            text=text,
            attachments=attachments,
            staff=staff,
            slack_ts=slack_ts,
            status="sent",
            with_it=queue_for_customer,
        )
        if not created and stored.status == "pending":
            # Stored by an older version that stopped before the outbox had the reply.
            created = await store.settle_message(stored.id, now=now, with_it=queue_for_customer)
        if created:
            pipeline.wake()
        else:
            logger.info("handoff #%d: staff message %s taken before", handoff_id, slack_ts)
        return StaffOutcome("ok", handoff)

    async def open_handoffs(self) -> list[Handoff]:
        """The open handoffs, the waiting ones by priority (complaint risk and wait,
        :mod:`bot.handoff.priority`) first."""
        found = await self.ctx.store.open_handoffs()
        return await ordered(found, self.ctx.clock(), self.risks, self.ctx.settings.claim_timeout_s)

    async def for_thread(self, channel: str, thread_ts: str) -> Handoff | None:
        return await self.ctx.store.by_thread(channel, thread_ts)

    async def _already_ended(self, handoff_id: int) -> StaffOutcome:
        """The outcome when a colleague or the customer ended the handoff first."""
        return StaffOutcome("ended", await self.ctx.store.get(handoff_id))

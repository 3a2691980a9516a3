"""The pipeline's handoff router: what happens to a customer message before and after Rasa.

:class:`HandoffRouting` is consulted on every message (:class:`~bot.core.pipeline.HandoffRouter`):

- before Rasa: while a handoff is open the message goes to the staff thread (or, after the
  offer to leave a message, becomes a ticket), "back to bot" ends the handoff; otherwise a
  finished handoff's Rasa resume is made sure of, a 1-5 rating of a resolved handoff is taken,
  and an automatic trigger may start a handoff (:class:`~bot.handoff.starting.HandoffStarter`);
- after Rasa: the handoff requests among Rasa's replies (custom ``{"type": "handoff"}``
  messages from actions) start a handoff and are never shown to the customer; an upset
  customer's answer gets an apology, no recommendations and a "talk to a person" button
  (:mod:`bot.handoff.emotion_replies`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.pipeline import Turn
from bot.core.rasa_client import RasaUnavailable
from bot.handoff.context import HandoffContext, relay_status
from bot.handoff.emotion_replies import EmotionReplies
from bot.handoff.review_items import low_rating
from bot.handoff.rules import (
    RATINGS,
    is_cancel,
    is_handoff_message,
    is_rating_payload,
    parse_rating,
    parse_request,
    stars,
)
from bot.handoff.starting import HandoffStarter, not_started
from bot.handoff.store import Handoff, attachments_json
from bot.i18n import Lang, customer_text, staff_text
from bot.services import tickets

logger = logging.getLogger(__name__)

CANCEL_GRACE_S = 600.0  # "back to bot" this soon after a handoff ended is answered, not sent on


def reply(key: str, lang: Lang, **values: object) -> list[OutgoingMessage]:
    """One customer text as the turn's replies."""
    return [OutgoingMessage(text=customer_text(key, lang, **values))]


class HandoffRouting:
    """Routes customer messages around Rasa while handoffs start, run and are rated."""

    def __init__(
        self, ctx: HandoffContext, starter: HandoffStarter, emotions: EmotionReplies | None = None
    ) -> None:
        self.ctx = ctx
        self.starter = starter
        self.emotions = emotions

    async def before_rasa(self, turn: Turn) -> list[OutgoingMessage] | None:
        """Take the message when the conversation is with a person or it is a rating or
        "back to bot"; start a handoff when an automatic trigger fires. None: on to Rasa."""
        ctx = self.ctx
        # The newest handoff is the open one, if any: a new one never starts while one is open.
        latest = await ctx.store.latest_for(turn.conversation_id)
        if latest is not None and latest.is_open:
            return await self._while_open(latest, turn)
        if latest is not None:
            await self._ensure_resumed(latest)
        rated = await self._rating(turn, latest)
        if rated is not None:
            return rated
        if self._is_cancel(turn.message):
            recent = (
                latest is not None
                and latest.ended_at is not None
                and (ctx.clock() - latest.ended_at).total_seconds() < CANCEL_GRACE_S
            )
            if turn.message.payload is not None or recent:
                return reply("cancelled", turn.language)
        request = await self.starter.automatic_trigger(turn, latest)
        if request is not None:
            return await self.starter.start(turn, request)
        return None

    async def after_rasa(self, turn: Turn, replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
        """Act on the handoff requests among Rasa's replies (the customer never sees them),
        then shape the answer for an upset customer (:mod:`bot.handoff.emotion_replies`)."""
        requests = [parse_request(r.custom) for r in replies if is_handoff_message(r.custom)]
        started = None
        if requests:
            kept = [r for r in replies if not is_handoff_message(r.custom)]
            request = next(r for r in requests if r is not None)
            started = await self.starter.start(turn, request)
            replies = kept + (not_started(request, turn.language) if started is None else started)
        if self.emotions is None:
            return replies
        return await self.emotions.shape(turn, replies, handed_off=started is not None)

    def _is_cancel(self, message: IncomingMessage) -> bool:
        return is_cancel(message.text, message.payload, self.ctx.settings.cancel_phrases)

    async def _ensure_resumed(self, latest: Handoff) -> None:
        """Before a message goes to Rasa: the finished handoff's resume must have reached it
        (a paused conversation gets no answers). Raises RasaUnavailable to hold the message."""
        if latest.is_open or latest.rasa_state == "running":
            return
        # The worker's resume path (one caller at a time, state re-read), not a second call:
        # two resumes of one handoff reached Rasa when the worker retried at the same moment.
        await self.ctx.resume(latest)
        current = await self.ctx.store.get(latest.id)
        if current is not None and not current.is_open and current.rasa_state != "running":
            raise RasaUnavailable(f"resuming {latest.conversation_id} has not reached Rasa yet")

    # --- while a person has the conversation --------------------------------------------------
    async def _while_open(self, handoff: Handoff, turn: Turn) -> list[OutgoingMessage]:
        ctx, message = self.ctx, turn.message
        now = ctx.clock()
        if self._is_cancel(message):
            note = staff_text("note.cancelled", ctx.staff_lang)
            await ctx.end(handoff, "cancelled", by="customer", now=now, note=note)
            return reply("cancelled", turn.language)
        text = message.text
        if text is None and message.payload is not None:
            text = f"[{message.payload}]"
        if handoff.status == "message":
            return await self._leave_message(handoff, turn, text, now)
        await self._keep(handoff, turn, text, now)
        if handoff.language != turn.language:
            await ctx.store.update(handoff.id, language=turn.language)
        ctx.wake()
        return []

    async def _keep(self, handoff: Handoff, turn: Turn, text: str | None, now: datetime) -> None:
        """Store the customer's message for the staff thread (relayed by the worker)."""
        await self.ctx.store.add_message(
            handoff.id,
            "customer",
            now=now,
            text=text,
            attachments=turn.message.attachments,
            inbox_id=turn.inbox_id,
            status=relay_status(handoff),
        )

    async def _leave_message(
        self, handoff: Handoff, turn: Turn, text: str | None, now: datetime
    ) -> list[OutgoingMessage]:
        """The customer's answer to the offer to leave a message: it becomes a ticket."""
        ctx = self.ctx
        ticket = await tickets.create_ticket(
            ctx.engine,
            kind="message",
            order_id=None,
            customer_id=handoff.customer_id,
            status="open",
            category="handoff",
            payload={
                "text": text or "",
                "attachments": attachments_json(turn.message.attachments),
                "language": turn.language,
                "handoff_id": handoff.id,
                "reason": handoff.reason,
            },
            channel=handoff.channel,
            sender_id=handoff.conversation_id,
            idempotency_key=f"handoff-message:{handoff.id}",
        )
        await self._keep(handoff, turn, text, now)
        await ctx.end(
            handoff,
            "expired",
            by="customer",
            now=now,
            from_=("message",),
            note=staff_text("note.message_left", ctx.staff_lang, ticket=ticket.id),
            ticket_id=ticket.id,
        )
        logger.info("handoff #%d: the customer left a message, ticket %s", handoff.id, ticket.id)
        return reply("message_left", turn.language, ticket_id=ticket.id, hours=ctx.hours.text)

    # --- ratings ------------------------------------------------------------------------------
    async def _rating(self, turn: Turn, latest: Handoff | None) -> list[OutgoingMessage] | None:
        """A rating of the latest resolved handoff: a rating button (any time) or a bare
        1-5 right after the bot asked for it. None when the message is not one."""
        message = turn.message
        rating = parse_rating(message.text, message.payload)
        if is_rating_payload(message.payload):
            target = latest
            if rating is not None and rating.handoff_id is not None:
                chosen = await self.ctx.store.get(rating.handoff_id)
                ours = chosen is not None and chosen.conversation_id == turn.conversation_id
                target = chosen if ours else None
            if rating is None or target is None or target.status != "resolved":
                return []  # a stale or forged button: nothing to rate, nothing for Rasa
            return await self._rate(target, rating.rating, turn.language)
        if latest is None or not latest.rating_open:
            return None
        await self.ctx.store.update(latest.id, rating_open=False)
        if rating is None:
            return None  # the customer moved on; the message goes to Rasa
        return await self._rate(latest, rating.rating, turn.language)

    async def _rate(self, handoff: Handoff, rating: int, lang: Lang) -> list[OutgoingMessage]:
        """Store the rating, tell staff in the thread and thank the customer."""
        if rating not in RATINGS:
            raise ValueError(f"a rating is 1-5, got {rating}")
        ctx = self.ctx
        now = ctx.clock()
        await ctx.store.update(
            handoff.id, bump=True, rating=rating, rating_open=False, rated_at=now, updated_at=now
        )
        await ctx.note(handoff, staff_text("note.rated", ctx.staff_lang, stars=stars(rating)), now)
        logger.info("handoff #%d rated %d", handoff.id, rating)
        await low_rating(ctx.engine, handoff, rating)
        return reply("thanks_rating", lang, stars=stars(rating))

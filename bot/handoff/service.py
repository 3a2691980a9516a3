"""Handing a conversation to staff in Slack, and back to the bot.

The gateway owns the channels, so handoff lives here. :class:`HandoffService` is the pipeline's
:class:`~bot.core.pipeline.HandoffRouter`, the staff desk's actions and a background worker,
composed of the parts that do the work:

- :mod:`bot.handoff.router`: before a message goes to Rasa, whether the conversation is with a
  person (then the message goes to the staff thread instead), whether it is a 1-5 rating of a
  finished handoff or "back to bot"; after Rasa answered, the handoff requests in its replies
  (custom messages ``{"type": "handoff", "reason": ...}`` from actions: the customer asked, two
  fallbacks in a row, a severe complaint);
- :mod:`bot.handoff.starting`: the automatic triggers (strongly negative sentiment over the
  recent messages, :mod:`bot.handoff.sentiment`; a VIP customer; a mentioned order above the
  value limit) and starting a handoff;
- :mod:`bot.handoff.staff`: claim, resolve, close and staff replies (:class:`StaffOutcome`);
- :mod:`bot.handoff.worker`: posting the Slack thread, relaying the customer's messages to it
  (retrying while Slack is down), updating the opening message, timing out unclaimed handoffs
  and retrying Rasa pause/resume;
- :mod:`bot.handoff.assist`: with the large model on, a summary and a suggested reply in each
  new thread and on request; the suggestion reaches the customer as a staff reply, once;
- :mod:`bot.handoff.context`: the dependencies they share (the staff desk, :class:`StaffDesk`)
  and the steps they share (ending a handoff, notices for staff, pausing and resuming Rasa).

A handoff goes waiting -> active (claimed) -> resolved | closed, or cancelled by the customer;
unclaimed after ``handoff.claim_timeout_s`` (or started outside service hours) the customer is
offered to leave a message, which becomes a ticket (expired). Rasa's conversation is paused
while a person has it and resumed when it ends.

Everything is in the database (``handoffs``, ``handoff_messages``), so a gateway restart in the
middle of a handoff loses nothing. Staff replies reach the customer through
:meth:`Pipeline.notify`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, DeliveryConfig, HandoffConfig
from bot.core.message import OutgoingMessage
from bot.core.outbox import utcnow
from bot.core.pipeline import Pipeline, Turn
from bot.core.rasa_client import RasaClient
from bot.handoff.assist import FactsProvider, Sent, StaffAssist
from bot.handoff.context import HandoffContext, StaffDesk
from bot.handoff.emotion_replies import EmotionReplies
from bot.handoff.router import HandoffRouting
from bot.handoff.rules import ServiceHours
from bot.handoff.sentiment import LazySentiment, RecentSentiment, SentimentScorer
from bot.handoff.staff import StaffActions, StaffOutcome
from bot.handoff.starting import HandoffStarter
from bot.handoff.store import HandoffStore, StaffMember
from bot.handoff.worker import HandoffWorker
from bot.i18n import Lang
from bot.llm.client import LlmClient

__all__ = ["HandoffService", "LazySentiment", "SentimentScorer", "StaffDesk", "StaffOutcome"]


class HandoffService(StaffActions):
    """The pipeline's handoff router, the staff actions and the background worker.

    The staff actions (claim, resolve, close, reply, the open handoffs) are inherited from
    :class:`StaffActions`, on the same context.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        rasa: RasaClient,
        pipeline: Pipeline,
        cfg: Config,
        *,
        desk: StaffDesk | None = None,
        sentiment: SentimentScorer | None = None,
        clock: Callable[[], datetime] = utcnow,
        llm: LlmClient | None = None,
        facts: FactsProvider | None = None,
    ) -> None:
        self.context = HandoffContext(engine, rasa, pipeline, cfg, desk=desk, clock=clock)
        self.scores = RecentSentiment(self.context.store, sentiment, cfg.handoff.sentiment_window)
        self.emotions = EmotionReplies(self.context, self.scores)
        self.router = HandoffRouting(
            self.context, HandoffStarter(self.context, self.scores), self.emotions
        )
        super().__init__(self.context)
        self.worker = HandoffWorker(self.context)
        self.assist: StaffAssist | None = None
        if desk is not None and llm is not None and llm.enabled and facts is not None:
            self.assist = StaffAssist(self.context, llm, facts, reply=self.staff_reply)
            self.context.assist = self.assist

    # --- the parts' dependencies --------------------------------------------------------------
    @property
    def engine(self) -> AsyncEngine:
        return self.context.engine

    @property
    def rasa(self) -> RasaClient:
        return self.context.rasa

    @property
    def pipeline(self) -> Pipeline:
        return self.context.pipeline

    @property
    def cfg(self) -> Config:
        return self.context.cfg

    @property
    def settings(self) -> HandoffConfig:
        return self.context.settings

    @property
    def hours(self) -> ServiceHours:
        return self.context.hours

    @property
    def desk(self) -> StaffDesk | None:
        return self.context.desk

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.context.clock

    @property
    def store(self) -> HandoffStore:
        return self.context.store

    @property
    def delivery(self) -> DeliveryConfig:
        return self.context.delivery

    @property
    def sentiment(self) -> SentimentScorer | None:
        """The sentiment model; None switches the negative sentiment trigger off."""
        return self.scores.scorer

    @sentiment.setter
    def sentiment(self, scorer: SentimentScorer | None) -> None:
        self.scores.scorer = scorer

    @property
    def staff_lang(self) -> Lang:
        return self.context.staff_lang

    @property
    def available(self) -> bool:
        """Whether handoffs can start: switched on and a staff desk (Slack) is set up."""
        return self.context.available

    # --- life cycle (the worker) --------------------------------------------------------------
    async def start(self) -> None:
        """Start the worker (threads, relays, timeouts, Rasa pause/resume retries)."""
        await self.worker.start()

    async def close(self) -> None:
        await self.worker.close()
        if self.assist is not None:
            await self.assist.close()

    def wake(self) -> None:
        self.context.wake()

    async def tick(self) -> None:
        """One round of the worker (tests call it directly)."""
        await self.worker.tick()

    # --- the staff assist (large model) -------------------------------------------------------
    def request_suggestion(self, handoff_id: int, staff: StaffMember) -> bool:
        """A fresh summary and suggestion in the thread ("Suggest reply"), in the background;
        False when the assist is off or one is being written."""
        if self.assist is None:
            return False
        return self.assist.request(handoff_id, asked_by=f"<@{staff.user_id}>")

    async def send_suggestion(self, message_id: int, staff: StaffMember) -> Sent:
        """The suggested reply to the customer as ``staff``'s ("Send suggestion"), once, if it
        still passes the guard."""
        if self.assist is None:
            return Sent("unknown")
        return await self.assist.send(message_id, staff)

    # --- the pipeline's router ----------------------------------------------------------------
    async def before_rasa(self, turn: Turn) -> list[OutgoingMessage] | None:
        """Take the message when the conversation is with a person or it is a rating or
        "back to bot"; start a handoff when an automatic trigger fires. None: on to Rasa."""
        return await self.router.before_rasa(turn)

    async def after_rasa(self, turn: Turn, replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
        """Act on the handoff requests among Rasa's replies; the customer never sees them."""
        return await self.router.after_rasa(turn, replies)

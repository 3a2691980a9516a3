"""Handing a conversation to staff in Slack, and back to the bot.

The gateway owns the channels, so handoff lives here. :class:`HandoffService` is
the pipeline's :class:`~bot.core.pipeline.HandoffRouter`:

- before a message goes to Rasa it checks whether the conversation is with a person (then the
  message goes to the staff thread instead), whether it is a 1-5 rating of a finished handoff,
  "back to bot", or whether an automatic trigger fires (strongly negative sentiment over the
  recent messages, a VIP customer, a mentioned order above the value limit);
- after Rasa answered it acts on handoff requests in the replies (custom messages
  ``{"type": "handoff", "reason": ...}`` from actions: the customer asked, two fallbacks in a
  row, a severe complaint).

A handoff goes waiting -> active (claimed) -> resolved | closed, or cancelled by the customer;
unclaimed after ``handoff.claim_timeout_s`` (or started outside service hours) the customer is
offered to leave a message, which becomes a ticket (expired). Rasa's conversation is paused
while a person has it and resumed when it ends.

Everything is in the database (``handoffs``, ``handoff_messages``): a background worker posts
the Slack thread, relays the customer's messages to it (retrying while Slack is down), updates
the opening message, times out unclaimed handoffs and retries Rasa pause/resume, so a gateway
restart in the middle of a handoff loses nothing. The staff side (Slack) is a
:class:`StaffDesk`; staff replies reach the customer through :meth:`Pipeline.notify`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.language import Lang
from bot.core.message import Attachment, Button, OutgoingMessage
from bot.core.outbox import DeliveryError, utcnow
from bot.core.pipeline import Pipeline, Turn, backoff_s
from bot.core.rasa_client import RasaClient, RasaClientError
from bot.handoff.rules import (
    CANCEL_PAYLOAD,
    RATINGS,
    HandoffRequest,
    ServiceHours,
    Status,
    check_settings,
    customer_text,
    expected_wait_s,
    is_cancel,
    is_handoff_message,
    is_rating_payload,
    mentioned_order_ids,
    parse_rating,
    parse_request,
    rating_payload,
    sentiment_mean,
    sentiment_triggers,
    severe_enough,
    staff_note,
    staff_text,
    stars,
    wait_minutes,
)
from bot.handoff.store import (
    Handoff,
    HandoffMessage,
    HandoffStore,
    StaffMember,
    attachments_json,
)
from bot.i18n import t
from bot.services import tickets
from bot.services.orders import get_order, list_orders

logger = logging.getLogger(__name__)

SNAPSHOT_TURNS = 10  # customer messages (with the bot's answers between them) staff see
SNAPSHOT_ORDERS = 3
CANCEL_GRACE_S = 600.0  # "back to bot" this soon after a handoff ended is answered, not sent on
CLAIM_HISTORY = timedelta(days=7)  # claims the expected wait is estimated from
SCORE_CACHE = 4096  # sentiment scores of recent customer texts kept in memory


# --- values -------------------------------------------------------------------------------------


StaffResult = Literal["ok", "unknown", "taken", "ended"]


@dataclass(frozen=True)
class StaffOutcome:
    """What a staff action did: ``ok``, or why not (``unknown`` handoff, ``taken`` by a
    colleague, ``ended`` already)."""

    result: StaffResult
    handoff: Handoff | None = None
    note: bool = False  # the reply was an internal note


class SentimentScorer(Protocol):
    """A sentiment model: a score in [-1, 1] per text, negative below 0."""

    def score(self, text: str) -> float: ...


class StaffDesk(Protocol):
    """Where staff work on handoffs (Slack). Methods raise
    :class:`~bot.core.outbox.DeliveryError` when the platform does not take the call."""

    async def open_thread(self, handoff: Handoff) -> tuple[str, str]:
        """Post the opening message; returns (channel, thread ts)."""
        ...

    async def update_thread(self, handoff: Handoff) -> None:
        """Show the handoff's current state in its opening message."""
        ...

    async def post_message(self, handoff: Handoff, message: HandoffMessage) -> None:
        """Post a customer message or a notice in the handoff's thread."""
        ...


class LazySentiment:
    """The trained sentiment model, loaded on first use (in whatever thread scores first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model: SentimentScorer | None = None
        self._lock = threading.Lock()

    def load(self) -> SentimentScorer:
        """Load the model now (blocking: torch and the weights); later calls return it."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from bot.services.sentiment import SentimentModel

                    self._model = SentimentModel.load(self.path)
                    logger.info("sentiment model loaded from %s", self.path)
        return self._model

    def score(self, text: str) -> float:
        return self.load().score(text)


# --- the service --------------------------------------------------------------------------------


class HandoffService:
    """The pipeline's handoff router, the staff actions and the background worker."""

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
    ) -> None:
        self.engine = engine
        self.rasa = rasa
        self.pipeline = pipeline
        self.cfg = cfg
        self.settings = cfg.handoff
        self.hours: ServiceHours = check_settings(cfg)
        self.desk = desk
        self.sentiment = sentiment
        self.clock = clock
        self.store = HandoffStore(engine)
        self.delivery = cfg.delivery
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._tick_lock = asyncio.Lock()
        self._rasa_busy: set[int] = set()  # handoffs whose pause/resume is in flight here
        self._scores: OrderedDict[str, float] = OrderedDict()  # recent texts' sentiment

    @property
    def staff_lang(self) -> Lang:
        return "zh" if self.settings.staff_language == "zh" else "en"

    @property
    def available(self) -> bool:
        """Whether handoffs can start: switched on and a staff desk (Slack) is set up."""
        return self.settings.enabled and self.desk is not None

    # --- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the worker (threads, relays, timeouts, Rasa pause/resume retries)."""
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="handoff-worker")
            self.wake()

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self.wake()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while not self._closing:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.delivery.poll_interval_s)
            self._wake.clear()
            if self._closing:
                return
            try:
                await self.tick()
            except Exception:
                logger.exception("handoff worker round failed; retrying at the next poll")

    async def tick(self) -> None:
        """One round of the worker (tests call it directly)."""
        async with self._tick_lock:
            now = self.clock()
            await self._retry_rasa()
            await self._time_out_claims(now)
            await self._lapse_offers(now)
            if self.desk is not None:
                await self._open_threads(now)
                await self._relay(now)
                await self._update_threads(now)

    # --- the pipeline's router ----------------------------------------------------------------
    async def before_rasa(self, turn: Turn) -> list[OutgoingMessage] | None:
        """Take the message when the conversation is with a person or it is a rating or
        "back to bot"; start a handoff when an automatic trigger fires. None: on to Rasa."""
        message = turn.message
        # The newest handoff is the open one, if any: a new one never starts while one is open.
        latest = await self.store.latest_for(turn.conversation_id)
        if latest is not None and latest.is_open:
            return await self._while_open(latest, turn)
        if latest is not None:
            await self._ensure_resumed(latest)
        rated = await self._rating(turn, latest)
        if rated is not None:
            return rated
        if is_cancel(message.text, message.payload, self.settings.cancel_phrases):
            recent = (
                latest is not None
                and latest.ended_at is not None
                and (self.clock() - latest.ended_at).total_seconds() < CANCEL_GRACE_S
            )
            if message.payload is not None or recent:
                return [OutgoingMessage(text=customer_text("cancelled", turn.language))]
        request = await self._automatic_trigger(turn, latest)
        if request is not None:
            return await self._start(turn, request)
        return None

    async def after_rasa(self, turn: Turn, replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
        """Act on the handoff requests among Rasa's replies; the customer never sees them."""
        requests = [parse_request(r.custom) for r in replies if is_handoff_message(r.custom)]
        if not requests:
            return replies
        kept = [r for r in replies if not is_handoff_message(r.custom)]
        request = next(r for r in requests if r is not None)
        started = await self._start(turn, request)
        if started is None:
            return kept + self._not_started(request, turn.language)
        return kept + started

    # --- starting -----------------------------------------------------------------------------
    def _trigger_on(self, request: HandoffRequest) -> bool:
        s = self.settings
        if request.reason == "customer_request":
            return s.on_customer_request
        if request.reason == "two_fallbacks":
            return s.on_two_fallbacks
        if request.reason == "severe_complaint":
            return s.on_severe_complaint and severe_enough(
                request.detail.get("severity"), s.severe_complaint_levels
            )
        if request.reason == "negative_sentiment":
            return s.on_negative_sentiment
        return True  # admin rules are on when configured (vip_segments, order_value_limit)

    def _not_started(self, request: HandoffRequest, lang: Lang) -> list[OutgoingMessage]:
        """What the customer gets when a bot-side request does not start a handoff."""
        if request.reason == "two_fallbacks":
            button = Button(customer_text("fallback_button", lang), "/request_human")
            return [OutgoingMessage(text=customer_text("fallback_offer", lang), buttons=(button,))]
        return []

    async def _start(self, turn: Turn, request: HandoffRequest) -> list[OutgoingMessage] | None:
        """Start a handoff for ``request``; the replies for the customer, or None when none
        starts (its trigger is off, or an admin rule outside service hours)."""
        if not self._trigger_on(request):
            return None
        if not self.available:
            if request.reason == "customer_request":
                return await self._request_ticket(turn)
            return None
        now = self.clock()
        staffed = self.hours.is_open(now)
        if not staffed and request.reason in ("vip", "order_value"):
            return None  # the rule wants a person; outside hours the bot serves
        status: Status = "waiting" if staffed else "message"
        snapshot = await self._snapshot(turn)
        customer = turn.customer
        handoff, created = await self.store.create(
            {
                "conversation_id": turn.conversation_id,
                "channel": turn.message.channel,
                "external_id": turn.message.external_id,
                "customer_id": customer.id if customer else None,
                "language": turn.language,
                "reason": request.reason,
                "detail": dict(request.detail),
                "status": status,
                "inbox_id": turn.inbox_id,
                "snapshot": snapshot,
                "sentiment": snapshot.get("sentiment"),
                "needs_thread": staffed,
                "version": 1,
                "desk_version": 0,
                "desk_attempts": 0,
                "rasa_state": "pause_pending",
                "claim_deadline": now + timedelta(seconds=self.settings.claim_timeout_s)
                if staffed
                else None,
                "offer_deadline": None
                if staffed
                else now + timedelta(seconds=self.settings.leave_message_timeout_s),
                "rating_open": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        if not created and handoff.inbox_id != turn.inbox_id:
            logger.info("%s already has handoff #%d", turn.conversation_id, handoff.id)
            return []
        if created:
            logger.info(
                "handoff #%d started for %s: %s (%s)",
                handoff.id,
                turn.conversation_id,
                request.reason,
                status,
            )
            await self._pause(handoff)
            self.wake()
        return await self._started_replies(handoff, turn.language)

    async def _started_replies(self, handoff: Handoff, lang: Lang) -> list[OutgoingMessage]:
        back = (Button(customer_text("back_button", lang), CANCEL_PAYLOAD),)
        if handoff.status == "message":
            text = customer_text(
                "offline", lang, hours=self.hours.text, zone=self.cfg.shop.timezone
            )
            return [OutgoingMessage(text=text, buttons=back)]
        waits = await self.store.claim_waits_s(handoff.created_at - CLAIM_HISTORY)
        wait = expected_wait_s(
            waits,
            ahead=await self.store.waiting_before(handoff.id),
            default_s=self.settings.default_wait_s,
            cap_s=self.settings.claim_timeout_s,
        )
        text = customer_text("connecting", lang, minutes=wait_minutes(wait))
        return [OutgoingMessage(text=text, buttons=back)]

    async def _request_ticket(self, turn: Turn) -> list[OutgoingMessage]:
        """No staff desk: a request for a person becomes a message ticket, as before."""
        texts = await self.store.recent_customer_texts(turn.conversation_id, since=None, limit=5)
        ticket = await tickets.create_ticket(
            self.engine,
            kind="message",
            order_id=None,
            customer_id=turn.customer.id if turn.customer else None,
            status="open",
            category="request_human",
            payload={"text": "\n".join(texts), "language": turn.language},
            channel=turn.message.channel,
            sender_id=turn.conversation_id,
            idempotency_key=f"human:{turn.conversation_id}:{turn.inbox_id}",
        )
        text = t("human.notified", turn.language, ticket_id=ticket.id, hours=self.hours.text)
        return [OutgoingMessage(text=text)]

    async def _automatic_trigger(self, turn: Turn, latest: Handoff | None) -> HandoffRequest | None:
        """A trigger the gateway checks on each message: VIP, order value, sentiment."""
        s = self.settings
        if not self.available:
            return None
        last_end = latest.ended_at if latest is not None else None
        now = self.clock()
        if last_end is not None and (now - last_end).total_seconds() < s.cooldown_s:
            return None
        customer = turn.customer
        if s.vip_segments and customer is not None and customer.segment in s.vip_segments:
            return HandoffRequest("vip", {"segment": customer.segment})
        if s.order_value_limit > 0:
            pattern = self.cfg.nlu.order_id_pattern
            for order_id in mentioned_order_ids(turn.message.text, pattern):
                order = await get_order(self.engine, order_id)
                if order is not None and order.total_cents > s.order_value_limit * 100:
                    detail = {"order_id": order.id, "total_cents": order.total_cents}
                    return HandoffRequest("order_value", detail)
        if s.on_negative_sentiment and self.sentiment is not None and turn.message.text:
            scores = await self._recent_scores(turn.conversation_id, since=last_end)
            mean = sentiment_triggers(
                scores,
                threshold=s.sentiment_threshold,
                window=s.sentiment_window,
                min_messages=s.sentiment_min_messages,
            )
            if mean is not None:
                detail = {"sentiment": round(mean, 3), "scores": [round(x, 3) for x in scores]}
                return HandoffRequest("negative_sentiment", detail)
        return None

    async def _recent_scores(self, conversation_id: str, *, since: datetime | None) -> list[float]:
        texts = await self.store.recent_customer_texts(
            conversation_id, since=since, limit=self.settings.sentiment_window
        )
        return await self._score(texts)

    async def _score(self, texts: Sequence[str]) -> list[float]:
        """Scores of ``texts``; each text is scored once (the window slides one message on)."""
        scorer = self.sentiment
        if scorer is None or not texts:
            return []
        todo = [text for text in texts if text not in self._scores]

        def run() -> list[float]:
            return [max(-1.0, min(1.0, float(scorer.score(text)))) for text in todo]

        try:
            fresh = await asyncio.to_thread(run) if todo else []
        except Exception:
            # A broken model must not stop customers from being answered.
            logger.exception("sentiment scoring failed; sentiment triggers are off until restart")
            self.sentiment = None
            return []
        for text, score in zip(todo, fresh, strict=True):
            self._scores[text] = score
        scores = []
        for text in texts:
            self._scores.move_to_end(text)
            scores.append(self._scores[text])
        while len(self._scores) > SCORE_CACHE:
            self._scores.popitem(last=False)
        return scores

    async def _snapshot(self, turn: Turn) -> dict[str, Any]:
        """What staff see in the opening message, taken when the handoff starts."""
        customer = turn.customer
        snapshot: dict[str, Any] = {"customer": None, "orders": []}
        if customer is not None:
            snapshot["customer"] = {
                "id": customer.id,
                "name": customer.name,
                "name_zh": customer.name_zh,
                "segment": customer.segment,
            }
            for order in await list_orders(self.engine, customer.id, limit=SNAPSHOT_ORDERS):
                snapshot["orders"].append(
                    {
                        "id": order.id,
                        "status": order.status,
                        "total_cents": order.total_cents,
                        "created_at": order.created_at.isoformat(),
                        "items": [
                            {"name_en": i.name_en, "name_zh": i.name_zh, "quantity": i.quantity}
                            for i in order.items
                        ],
                    }
                )
        snapshot["turns"] = await self.store.recent_turns(turn.conversation_id, SNAPSHOT_TURNS)
        last_end = await self.store.last_ended_at(turn.conversation_id)
        scores = await self._recent_scores(turn.conversation_id, since=last_end)
        mean = sentiment_mean(scores, self.settings.sentiment_window, 1)
        snapshot["sentiment"] = round(mean, 3) if mean is not None else None
        snapshot["sentiment_n"] = len(scores[-self.settings.sentiment_window :])
        return snapshot

    # --- while a person has the conversation --------------------------------------------------
    async def _while_open(self, handoff: Handoff, turn: Turn) -> list[OutgoingMessage]:
        message = turn.message
        now = self.clock()
        if is_cancel(message.text, message.payload, self.settings.cancel_phrases):
            ended = await self._end(handoff, "cancelled", by="customer", now=now)
            if ended is not None:
                await self._note(ended, staff_text("note.cancelled", self.staff_lang), now)
            return [OutgoingMessage(text=customer_text("cancelled", turn.language))]
        text = message.text
        if text is None and message.payload is not None:
            text = f"[{message.payload}]"
        if handoff.status == "message":
            return await self._leave_message(handoff, turn, text, now)
        await self.store.add_message(
            handoff.id,
            "customer",
            now=now,
            text=text,
            attachments=message.attachments,
            inbox_id=turn.inbox_id,
            status=self._relay_status(handoff),
        )
        if handoff.language != turn.language:
            await self.store.update(handoff.id, language=turn.language)
        self.wake()
        return []

    async def _leave_message(
        self, handoff: Handoff, turn: Turn, text: str | None, now: datetime
    ) -> list[OutgoingMessage]:
        """The customer's answer to the offer to leave a message: it becomes a ticket."""
        ticket = await tickets.create_ticket(
            self.engine,
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
        await self.store.add_message(
            handoff.id,
            "customer",
            now=now,
            text=text,
            attachments=turn.message.attachments,
            inbox_id=turn.inbox_id,
            status=self._relay_status(handoff),
        )
        ended = await self._end(
            handoff, "expired", by="customer", now=now, from_=("message",), ticket_id=ticket.id
        )
        if ended is not None:
            note = staff_text("note.message_left", self.staff_lang, ticket=ticket.id)
            await self._note(ended, note, now)
        logger.info("handoff #%d: the customer left a message, ticket %s", handoff.id, ticket.id)
        reply = customer_text(
            "message_left", turn.language, ticket_id=ticket.id, hours=self.hours.text
        )
        return [OutgoingMessage(text=reply)]

    async def _rating(self, turn: Turn, latest: Handoff | None) -> list[OutgoingMessage] | None:
        """A rating of the latest resolved handoff: a rating button (any time) or a bare
        1-5 right after the bot asked for it. None when the message is not one."""
        message = turn.message
        rating = parse_rating(message.text, message.payload)
        if is_rating_payload(message.payload):
            target = latest
            if rating is not None and rating.handoff_id is not None:
                chosen = await self.store.get(rating.handoff_id)
                ours = chosen is not None and chosen.conversation_id == turn.conversation_id
                target = chosen if ours else None
            if rating is None or target is None or target.status != "resolved":
                return []  # a stale or forged button: nothing to rate, nothing for Rasa
            await self._store_rating(target, rating.rating)
            return [self._thanks(rating.rating, turn.language)]
        if latest is None or not latest.rating_open:
            return None
        await self.store.update(latest.id, rating_open=False)
        if rating is None:
            return None  # the customer moved on; the message goes to Rasa
        await self._store_rating(latest, rating.rating)
        return [self._thanks(rating.rating, turn.language)]

    async def _store_rating(self, handoff: Handoff, rating: int) -> None:
        if rating not in RATINGS:
            raise ValueError(f"a rating is 1-5, got {rating}")
        now = self.clock()
        await self.store.update(
            handoff.id, bump=True, rating=rating, rating_open=False, rated_at=now, updated_at=now
        )
        await self._note(
            handoff, staff_text("note.rated", self.staff_lang, stars=stars(rating)), now
        )
        logger.info("handoff #%d rated %d", handoff.id, rating)

    @staticmethod
    def _thanks(rating: int, lang: Lang) -> OutgoingMessage:
        return OutgoingMessage(text=customer_text("thanks_rating", lang, stars=stars(rating)))

    # --- staff actions ------------------------------------------------------------------------
    async def claim(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """A colleague takes the conversation; the customer is told who is there."""
        now = self.clock()
        handoff = await self.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        if handoff.status == "active":
            result: StaffResult = "ok" if handoff.staff_user == staff.user_id else "taken"
            return StaffOutcome(result, handoff)
        claimed = await self.store.transition(
            handoff_id,
            "active",
            now=now,
            from_=("waiting", "message"),
            staff_user=staff.user_id,
            staff_name=staff.name,
            claimed_at=now,
        )
        if claimed is None:
            current = await self.store.get(handoff_id)
            taken = current is not None and current.status == "active"
            return StaffOutcome("taken" if taken else "ended", current)
        logger.info("handoff #%d claimed by %s", handoff_id, staff.user_id)
        await self._note(
            claimed, staff_text("note.claimed", self.staff_lang, staff=f"<@{staff.user_id}>"), now
        )
        text = customer_text("claimed", claimed.language, name=staff.name)
        await self.pipeline.notify(claimed.conversation_id, [OutgoingMessage(text=text)])
        self.wake()
        return StaffOutcome("ok", claimed)

    async def resolve(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """Back to the bot: Rasa resumes, the bot says so and asks for a 1-5 rating."""
        now = self.clock()
        handoff = await self.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        ended = await self._end(
            handoff, "resolved", by=f"staff:{staff.user_id}", now=now, rating_open=True,
            staff_user=handoff.staff_user or staff.user_id,
            staff_name=handoff.staff_name or staff.name,
        )  # fmt: skip
        if ended is None:
            return StaffOutcome("ended", await self.store.get(handoff_id))
        lang = ended.language
        buttons = tuple(Button(stars(n), rating_payload(ended.id, n)) for n in RATINGS)
        ask = OutgoingMessage(text=customer_text("resolved", lang), buttons=buttons)
        await self.pipeline.notify(ended.conversation_id, [ask])
        return StaffOutcome("ok", ended)

    async def close_handoff(self, handoff_id: int, staff: StaffMember) -> StaffOutcome:
        """End without a rating (spam, the customer left); the bot takes over again."""
        now = self.clock()
        handoff = await self.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        ended = await self._end(handoff, "closed", by=f"staff:{staff.user_id}", now=now)
        if ended is None:
            return StaffOutcome("ended", await self.store.get(handoff_id))
        text = customer_text("closed", ended.language)
        await self.pipeline.notify(ended.conversation_id, [OutgoingMessage(text=text)])
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
        now = self.clock()
        handoff = await self.store.get(handoff_id)
        if handoff is None:
            return StaffOutcome("unknown")
        note = staff_note(text) if text else None
        if note is not None:
            await self.store.add_message(
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
        stored, created = await self.store.add_message(
            handoff_id,
            "staff",
            now=now,
            text=text,
            attachments=attachments,
            staff=staff,
            slack_ts=slack_ts,
        )
        if not created and stored.status == "sent":
            return StaffOutcome("ok", handoff)  # Slack delivered the event again
        relayed: list[OutgoingMessage] = []
        if text:
            sep = "：" if handoff.language == "zh" else ": "
            relayed.append(OutgoingMessage(text=f"{staff.name}{sep}{text}"))
        relayed += [OutgoingMessage(image=a.url) for a in attachments if a.kind == "image"]
        if relayed:
            await self.pipeline.notify(handoff.conversation_id, relayed)
        await self.store.set_message(stored.id, status="sent", sent_at=now)
        return StaffOutcome("ok", handoff)

    async def open_handoffs(self) -> list[Handoff]:
        return await self.store.open_handoffs()

    async def for_thread(self, channel: str, thread_ts: str) -> Handoff | None:
        return await self.store.by_thread(channel, thread_ts)

    # --- ending, notes, Rasa ------------------------------------------------------------------
    async def _end(
        self,
        handoff: Handoff,
        to: Status,
        *,
        by: str,
        now: datetime,
        from_: Sequence[Status] | None = None,
        **values: Any,
    ) -> Handoff | None:
        """Finish the handoff and give the conversation back to Rasa."""
        ended = await self.store.transition(
            handoff.id,
            to,
            now=now,
            from_=from_,
            ended_at=now,
            ended_by=by,
            rasa_state="resume_pending",
            **values,
        )
        if ended is None:
            return None
        logger.info("handoff #%d %s by %s", handoff.id, to, by)
        await self._resume(ended)
        self.wake()
        return ended

    async def _note(self, handoff: Handoff, text: str, now: datetime) -> None:
        """A notice for staff in the thread (posted by the worker once the thread exists)."""
        await self.store.add_message(
            handoff.id, "system", now=now, text=text, status=self._relay_status(handoff)
        )
        self.wake()

    @staticmethod
    def _relay_status(handoff: Handoff) -> str:
        """``pending`` for the thread; ``kept`` (stored only) when the handoff has no thread
        and will get none (outside service hours, staff channel unreachable)."""
        return "pending" if handoff.needs_thread or handoff.thread_ts is not None else "kept"

    async def _pause(self, handoff: Handoff) -> None:
        if handoff.id in self._rasa_busy:
            return  # the worker and the starting turn both saw it pending: pause once
        self._rasa_busy.add(handoff.id)
        try:
            current = await self.store.get(handoff.id)
            if current is None or current.rasa_state != "pause_pending":
                return  # done meanwhile (the worker read an older state)
            try:
                await self.rasa.pause(handoff.conversation_id)
            except RasaClientError as exc:
                logger.warning("handoff #%d: pausing Rasa failed, will retry: %s", handoff.id, exc)
                await self.store.update(handoff.id, rasa_state="pause_pending")
                return
            await self.store.set_rasa_state(handoff.id, "paused", was="pause_pending")
        finally:
            self._rasa_busy.discard(handoff.id)

    async def _resume(self, handoff: Handoff) -> None:
        if handoff.id in self._rasa_busy:
            return
        self._rasa_busy.add(handoff.id)
        try:
            current = await self.store.get(handoff.id)
            if current is None or current.rasa_state == "running":
                return
            if current.is_open:
                return  # a person has it (again): stays paused
            try:
                await self.rasa.resume(handoff.conversation_id)
            except RasaClientError as exc:
                logger.warning("handoff #%d: resuming Rasa failed, will retry: %s", handoff.id, exc)
                await self.store.update(handoff.id, rasa_state="resume_pending")
                return
            await self.store.set_rasa_state(handoff.id, "running", was=current.rasa_state)
        finally:
            self._rasa_busy.discard(handoff.id)

    async def _ensure_resumed(self, latest: Handoff) -> None:
        """Before a message goes to Rasa: the finished handoff's resume must have reached it
        (a paused conversation gets no answers). Raises RasaUnavailable to hold the message."""
        if latest.is_open or latest.rasa_state == "running":
            return
        await self.rasa.resume(latest.conversation_id)
        await self.store.update(latest.id, rasa_state="running")

    async def _retry_rasa(self) -> None:
        for handoff in await self.store.rasa_pending():
            if handoff.rasa_state == "pause_pending" and handoff.is_open:
                await self._pause(handoff)
            elif handoff.rasa_state == "resume_pending" or not handoff.is_open:
                await self._resume(handoff)

    # --- the worker's rounds ------------------------------------------------------------------
    async def _time_out_claims(self, now: datetime) -> None:
        for handoff in await self.store.unclaimed(now):
            offer_deadline = now + timedelta(seconds=self.settings.leave_message_timeout_s)
            moved = await self.store.transition(
                handoff.id, "message", now=now, from_=("waiting",), offer_deadline=offer_deadline
            )
            if moved is None:
                continue
            logger.info("handoff #%d unclaimed in time; offering to leave a message", handoff.id)
            minutes = wait_minutes(self.settings.claim_timeout_s)
            await self._note(
                moved, staff_text("note.timeout", self.staff_lang, minutes=minutes), now
            )
            lang = moved.language
            back = (Button(customer_text("back_button", lang), CANCEL_PAYLOAD),)
            offer = OutgoingMessage(text=customer_text("timeout", lang), buttons=back)
            await self.pipeline.notify(moved.conversation_id, [offer])

    async def _lapse_offers(self, now: datetime) -> None:
        for handoff in await self.store.lapsed_offers(now):
            ended = await self._end(handoff, "expired", by="system", now=now, from_=("message",))
            if ended is not None:
                await self._note(ended, staff_text("note.lapsed", self.staff_lang), now)

    async def _open_threads(self, now: datetime) -> None:
        desk = self.desk
        if desk is None:
            return
        for handoff in await self.store.needing_thread(now):
            try:
                channel, thread_ts = await desk.open_thread(handoff)
            except DeliveryError as exc:
                await self._desk_failed(handoff, exc, now)
                continue
            await self.store.update(
                handoff.id,
                slack_channel=channel,
                thread_ts=thread_ts,
                desk_version=handoff.version,
                desk_attempts=0,
                desk_retry_at=None,
            )
            logger.info("handoff #%d: staff thread %s/%s", handoff.id, channel, thread_ts)

    async def _update_threads(self, now: datetime) -> None:
        desk = self.desk
        if desk is None:
            return
        for handoff in await self.store.needing_update(now):
            try:
                await desk.update_thread(handoff)
            except DeliveryError as exc:
                await self._desk_failed(handoff, exc, now)
                continue
            await self.store.update(
                handoff.id, desk_version=handoff.version, desk_attempts=0, desk_retry_at=None
            )

    async def _desk_failed(self, handoff: Handoff, exc: DeliveryError, now: datetime) -> None:
        attempts = handoff.desk_attempts + 1
        if exc.permanent and handoff.thread_ts is None:
            # Staff cannot be reached (wrong channel, bot not invited): the customer waits
            # until the claim timeout and is then offered to leave a message.
            logger.error("handoff #%d: cannot open a staff thread: %s", handoff.id, exc)
            await self.store.update(handoff.id, needs_thread=False)
            return
        if exc.permanent:
            # The opening message cannot be changed (deleted in Slack): leave it as it is.
            logger.error("handoff #%d: cannot update the staff thread: %s", handoff.id, exc)
            await self.store.update(handoff.id, desk_version=handoff.version, desk_attempts=0)
            return
        delay = max(backoff_s(self.delivery, attempts), exc.retry_after or 0.0)
        logger.warning(
            "handoff #%d: Slack call failed (%s); retry in %.1fs", handoff.id, exc, delay
        )
        await self.store.update(
            handoff.id, desk_attempts=attempts, desk_retry_at=now + timedelta(seconds=delay)
        )

    async def _relay(self, now: datetime) -> None:
        desk = self.desk
        if desk is None:
            return
        for handoff, message, due_at in await self.store.pending_relays():
            if due_at > now:
                continue
            try:
                await desk.post_message(handoff, message)
            except DeliveryError as exc:
                attempts = message.attempts + 1
                if exc.permanent or attempts >= self.delivery.outbox_max_attempts:
                    logger.error(
                        "handoff #%d: giving up message #%d: %s", handoff.id, message.id, exc
                    )
                    await self.store.set_message(
                        message.id, status="failed", attempts=attempts, last_error=str(exc)[:2000]
                    )
                    continue
                delay = max(backoff_s(self.delivery, attempts), exc.retry_after or 0.0)
                await self.store.set_message(
                    message.id,
                    attempts=attempts,
                    next_attempt_at=now + timedelta(seconds=delay),
                    last_error=str(exc)[:2000],
                )
                continue
            await self.store.set_message(
                message.id, status="sent", sent_at=now, attempts=message.attempts + 1
            )

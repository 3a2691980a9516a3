"""The channel-agnostic core of the gateway: inbox -> Rasa -> outbox -> channel.

Adapters build an :class:`~bot.core.message.IncomingMessage` and call :meth:`Pipeline.submit`.
The message is stored in the inbox first (a platform's retry of the same update is recognised
by its dedupe key), then processed: the customer is resolved, the reply language picked, the
message forwarded to Rasa with channel and customer metadata, and the replies stored in the
outbox in the same transaction that marks the message answered. A background worker
(:class:`~bot.core.worker.WorkerLoop`) retries due inbox messages and sends outbox rows through
the channel's Sender (:mod:`bot.core.delivery`) with backoff; both queues are leased tables
(:mod:`bot.core.queue`), so several gateways share them. The conversation record
(:mod:`bot.core.conversations`) keeps the reply address, customer and language.

Web chat and WeChat may hand the replies back in the HTTP response instead: ``submit`` waits
up to ``wait_s`` and claims them, so each reply is delivered once, inline or by the worker.

Such a caller may hold the claimed replies (``hold_inline``) until it knows the response was
written (:meth:`Pipeline.inline_written`); replies of a response that could not be written
(:meth:`Pipeline.inline_lost`) go out through the channel's sender instead. A repeated request
(same sender, same dedupe key) gets the stored answer of the first, waiting for it if needed.

When Rasa or the action server is unreachable the customer gets a short holding reply and the
message stays in the inbox; it is processed, in order, once both are back (Rasa answers without
the action server, so the action server's health is checked before a message is sent and after
an empty answer). A message sent to Rasa before the gateway stopped is looked up in Rasa's
tracker (by its inbox id) before it is sent again; actions key their side effects on the inbox
id, so a message Rasa handles twice (after a timeout) repeats none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import DeliveryConfig
from bot.core import multi_intent, store
from bot.core.conversation_memory import CHANNEL_LANGUAGE, LanguageMemory, message_language
from bot.core.conversations import ConversationStore
from bot.core.delivery import OutboxDelivery
from bot.core.inbox import Inbox, InboxItem
from bot.core.locks import KeyedLocks
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import NewMessage, Outbox, OutboxItem, Sender, utcnow
from bot.core.queue import LeaseLost, backoff_s
from bot.core.rasa_client import (
    ACTIONS_DOWN_ERROR,
    EarlyCheck,
    RasaBadResponse,
    RasaClient,
    RasaMetadata,
    RasaUnavailable,
)
from bot.core.ready_messages import ReadyMessages
from bot.core.turns import HandoffRouter, Outcome, PipelineError, Reply, Turn
from bot.core.worker import WorkerLoop
from bot.i18n import Lang, known_language, variants
from bot.observability import logs, metrics
from bot.services.customers import resolve_customer

# Re-exported: adapters, the handoff and tests import them from here.
__all__ = [
    "BAD_RESPONSE_ATTEMPTS",
    "CHANNEL_LANGUAGE",
    "CRASH_ATTEMPTS",
    "FAILED_TEXT",
    "HOLDING_TEXT",
    "HandoffRouter",
    "KeyedLocks",
    "LanguageMemory",
    "Outcome",
    "Pipeline",
    "PipelineError",
    "Reply",
    "Turn",
    "backoff_s",
    "rasa_text",
]

logger = logging.getLogger(__name__)

# Sent instead of an answer when Rasa cannot be reached, in the customer's language.
HOLDING_TEXT = variants("pipeline.holding")
# Sent when Rasa keeps giving unusable answers to one message and it is given up.
FAILED_TEXT = variants("pipeline.failed")
UNAVAILABLE_ERROR = (
    "the assistant is not answering right now (Rasa is unavailable); your message is kept "
    "and will be answered when it is back"
)
BAD_RESPONSE_ERROR = "the assistant gave an unusable answer (bad response from Rasa)"
TIMEOUT_ERROR = "the answer is taking longer than usual; it will follow on the push channel"
BAD_RESPONSE_ATTEMPTS = 3  # Rasa's unusable answers to one message before it is given up

CRASH_ATTEMPTS = 5  # unexpected errors on one message before it is given up
DUPLICATE_POLL_S = 0.1  # how often a repeated request looks whether the first is answered
INLINE_CLAIM_WAIT_S = 1.0  # the longest a conversation's next claim waits for the inline one


class Pipeline(ReadyMessages):
    """Stores, processes and answers customer messages from every channel the same way."""

    def __init__(
        self,
        engine: AsyncEngine,
        rasa: RasaClient,
        *,
        delivery: DeliveryConfig | None = None,
        senders: Mapping[str, Sender] | None = None,
        languages: LanguageMemory | None = None,
        clock: Callable[[], datetime] = utcnow,
        splitter: multi_intent.MultiIntentSplitter | None = None,
    ) -> None:
        self.engine = engine
        self.rasa = rasa
        # Two requests in one message are sent as consecutive turns (off unless given).
        self.splitter = splitter or multi_intent.MultiIntentSplitter(rasa, enabled=False)
        self.delivery = delivery or DeliveryConfig()
        self.senders: dict[str, Sender] = dict(senders or {})
        self.languages = languages or LanguageMemory()
        self.clock = clock
        self.inbox = Inbox(engine)
        self.outbox = Outbox(engine)
        self.conversations: ConversationStore = self.inbox.conversations
        self.locks = KeyedLocks()
        self._accepting = KeyedLocks()
        # Rasa answers within its timeout; a claim outlives it so a live worker keeps its row.
        self.lease_s = rasa.timeout.total + 10 if rasa.timeout.total else 60.0
        self._waiters: dict[int, asyncio.Future[Outcome]] = {}
        # Set once the caller waiting for a message claimed its replies (see _drain).
        self._claimed_inline: dict[int, asyncio.Event] = {}
        self._languages_of: dict[int, Lang] = {}  # awaited messages' languages, for submit
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._worker = WorkerLoop(
            "pipeline-worker", self._tick, interval_s=lambda: self.delivery.poll_interval_s
        )
        self.sending = OutboxDelivery(
            self.outbox,
            self.senders,
            delivery=self.delivery,
            clock=clock,
            lease_s=self.lease_s,
            spawn=self._spawn,
            wake=self.wake,
        )
        self.router: HandoffRouter | None = None

    # --- life cycle -------------------------------------------------------------------------
    async def start(self, *, reclaim: bool = False) -> None:
        """Start the background worker (retries, outbox sending, recovery after a restart).

        ``reclaim``: this is the only gateway on the database (the embedded SQLite mode), so
        messages a previous run left half-done are taken back at once instead of after their
        claim runs out.
        """
        if reclaim:
            taken = await self.inbox.release_all() + await self.outbox.release_all()
            if taken:
                logger.info("took back %d messages a previous run left unfinished", taken)
        self._worker.start()

    async def close(self, grace_s: float = 5.0) -> None:
        """Stop taking work; let messages in flight finish for up to ``grace_s``.

        Whatever is cut off stays in the inbox or outbox and is picked up by the next start.
        """
        self._closing = True
        await self._worker.stop()
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def add_sender(self, sender: Sender) -> None:
        self.senders[sender.channel] = sender

    def set_router(self, router: HandoffRouter | None) -> None:
        """Consult ``router`` on every message (handoff to staff); None turns it off."""
        self.router = router

    def wake(self) -> None:
        """Look for due work now instead of at the next poll."""
        self._worker.wake()

    # --- customer messages ------------------------------------------------------------------
    async def submit(
        self,
        message: IncomingMessage,
        *,
        address: Mapping[str, Any] | None = None,
        dedupe_key: str | None = None,
        wait_s: float | None = None,
        hold_inline: bool = False,
    ) -> Reply:
        """Store ``message`` and have it processed.

        With ``wait_s`` the call waits that long for the answer and returns the replies it
        claimed for the caller's HTTP response; without it, it returns once the message is
        stored (the replies go out through the channel's sender). ``hold_inline``: the claimed
        replies count as delivered only once the caller reports the response written
        (:meth:`inline_written`, else :meth:`inline_lost`; ``Reply.held_ids``).

        A repeated message (the same sender's same ``dedupe_key``) is not processed again.
        With ``wait_s`` and ``hold_inline`` it gets the first one's answer, waiting for it if
        it is not ready: the replies not yet delivered (claimed and held like a first answer)
        and those already handed back in an HTTP response, not those the push channel
        delivered. With ``wait_s`` alone it gets the stored replies and claims nothing.
        """
        conversation_id = message.conversation_id
        inline_until = self.clock() + timedelta(seconds=wait_s) if wait_s else None
        # Taking the lock is the first await, so a conversation's messages are stored (and so
        # processed) in the order they arrived.
        async with self._accepting.hold(conversation_id):
            accepted = await self.inbox.accept(
                message, address=address, dedupe_key=dedupe_key, inline_until=inline_until
            )
        if accepted.duplicate:
            logger.info("%s: repeated delivery of inbox #%d", conversation_id, accepted.id)
            if wait_s and hold_inline:
                return await self._repeat(conversation_id, accepted.id, wait_s)
            # Channels that claim for themselves (WeChat's passive reply) get what was stored.
            previous = await self.outbox.for_inbox(accepted.id) if wait_s else []
            return Reply(
                conversation_id,
                accepted.id,
                "duplicate",
                messages=tuple(i.message for i in previous if i.kind == "reply"),
            )
        metrics.message_received(message.channel)
        if wait_s is None:
            self._spawn(self._drain(conversation_id, retry_now=True))
            return Reply(conversation_id, accepted.id, "queued")
        waiter: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters[accepted.id] = waiter
        claimed_here = self._claimed_inline[accepted.id] = asyncio.Event()
        self._spawn(self._drain(conversation_id, retry_now=True))
        try:
            try:
                outcome: Outcome = await asyncio.wait_for(asyncio.shield(waiter), wait_s)
            except TimeoutError:
                outcome = "timeout"
            finally:
                self._waiters.pop(accepted.id, None)
                language: Lang | None = self._languages_of.pop(accepted.id, None)
            if outcome == "error":
                raise PipelineError(f"processing inbox #{accepted.id} failed; see the gateway log")
            claimed = await self.outbox.claim_inline(
                accepted.id, hold_s=self.lease_s if hold_inline else None
            )
        finally:
            claimed_here.set()
            self._claimed_inline.pop(accepted.id, None)
        held = tuple(i.id for i in claimed) if hold_inline else ()
        metrics.message_sent(message.channel, 0 if hold_inline else len(claimed))
        if language is None:  # processed by another replica, or it failed early
            item = await self.inbox.get(accepted.id)
            language = known_language(item.language) if item is not None else None
        messages = tuple(i.message for i in claimed)
        error = None
        stand_in = False
        if outcome in ("held", "timeout"):
            error = UNAVAILABLE_ERROR if outcome == "held" else TIMEOUT_ERROR
            if not messages:
                lang = language or self._known_language(conversation_id) or "en"
                messages = (OutgoingMessage(text=HOLDING_TEXT[lang]),)
                stand_in = True
        if outcome not in ("answered", "failed"):  # answered: every reply was claimed above
            self.wake()  # the answer follows through the sender
        return Reply(
            conversation_id, accepted.id, outcome, language, messages, error, stand_in, held
        )

    async def _repeat(self, conversation_id: str, inbox_id: int, wait_s: float) -> Reply:
        """A repeated request: the first one's answer (see :meth:`submit`)."""
        deadline = time.monotonic() + wait_s
        self.wake()
        while True:
            item = await self.inbox.get(inbox_id)
            if item is None or item.status in ("done", "failed"):
                break
            if time.monotonic() >= deadline:
                return Reply(conversation_id, inbox_id, "duplicate", error=TIMEOUT_ERROR)
            await asyncio.sleep(DUPLICATE_POLL_S)
        before = await self.outbox.inline_delivered(inbox_id)
        claimed = await self.outbox.claim_inline(inbox_id, hold_s=self.lease_s)
        rows = sorted([*before, *claimed], key=lambda i: i.id)
        language = known_language(item.language) if item is not None else None
        return Reply(
            conversation_id,
            inbox_id,
            "duplicate",
            language,
            tuple(i.message for i in rows if i.kind != "holding"),
            held_ids=tuple(i.id for i in claimed),
        )

    async def inline_written(self, reply: Reply) -> None:
        """The HTTP response with ``reply``'s held messages was written: they are delivered."""
        metrics.message_sent(reply.conversation_id.partition(":")[0], len(reply.held_ids))
        await self.outbox.confirm_inline(reply.held_ids)

    async def inline_lost(self, reply: Reply, error: str) -> None:
        """The HTTP response with ``reply``'s held messages could not be written (the client
        went away): they go out through the channel's sender (the web chat's push stream)."""
        if reply.held_ids:
            logger.warning(
                "%s: response to inbox #%d not written (%s); %d replies go to the push channel",
                reply.conversation_id,
                reply.inbox_id,
                error,
                len(reply.held_ids),
            )
            await self.outbox.release_inline(reply.held_ids, error)
            self.wake()

    async def handle(self, message: IncomingMessage) -> Reply:
        """Process one message and wait for its answer (the web chat's request/response)."""
        return await self.submit(message, wait_s=self.lease_s)

    def on_sent(self, listener: Callable[[OutboxItem], Awaitable[None]]) -> None:
        """Call ``listener`` after each message a sender delivered (push channels)."""
        self.sending.listeners.append(listener)

    # --- processing -------------------------------------------------------------------------
    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("pipeline task failed", exc_info=exc)

    async def _drain(self, conversation_id: str, *, retry_now: bool = False) -> None:
        """Process the conversation's open messages in order until one has to wait.

        ``retry_now``: a new message arrived, so a message waiting for Rasa is tried again
        at once instead of at its backoff time.
        """
        # Taking the lock is the first await, so messages queue in the order they arrived.
        async with self.locks.hold(conversation_id):
            while not self._closing:
                # The oldest open message, claimed; None: none, or not ours now (see claim_next).
                item = await self.inbox.claim_next(
                    conversation_id, self.clock(), self.lease_s, due_only=not retry_now
                )
                if item is None:
                    return
                retry_now = False
                logs.bind_message(conversation_id, item.id)
                try:
                    outcome = await self._process(item)
                except LeaseLost as exc:
                    logger.warning("%s: %s; its answer is left to it", conversation_id, exc)
                    return
                except Exception as exc:  # a bug or a database error: keep the message
                    logger.exception("%s: processing inbox #%d failed", conversation_id, item.id)
                    outcome = await self._crashed(item, exc)
                    self._resolve(item.id, outcome)
                    return
                if outcome == "held":
                    for open_id in await self.inbox.open_ids(conversation_id):
                        self._resolve(open_id, "held")
                    return
                if not self._resolve(item.id, outcome):  # no caller takes the replies inline
                    self.wake()
                else:
                    await self._caller_claimed(item.id)

    async def _caller_claimed(self, inbox_id: int) -> None:
        """Wait (briefly) until the caller handed the answer claimed its replies: the claim of
        the conversation's next message would otherwise run first, on the answer's critical
        path (SQLite has one connection per process)."""
        claimed = self._claimed_inline.get(inbox_id)
        if claimed is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(claimed.wait(), INLINE_CLAIM_WAIT_S)

    async def _crashed(self, item: InboxItem, exc: Exception) -> Outcome:
        if item.attempts >= CRASH_ATTEMPTS:
            language = known_language(item.language) or "en"
            apology = [OutgoingMessage(text=FAILED_TEXT[language])]
            await self._finish(item, language, item.address, apology, error=repr(exc))
            return "failed"
        when = self.clock() + timedelta(seconds=backoff_s(self.delivery, item.attempts))
        err, held, claim = repr(exc), item.holding_sent, item.attempts
        await self.inbox.defer(item.id, when=when, error=err, holding_sent=held, attempts=claim)
        return "error"

    def _resolve(self, inbox_id: int, outcome: Outcome) -> bool:
        """Hand ``outcome`` to the caller waiting for the message; False when none waits."""
        waiter = self._waiters.get(inbox_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)
            return True
        return False

    def _known_language(self, conversation_id: str) -> Lang | None:
        return self.languages.get(conversation_id)

    async def _process(self, item: InboxItem) -> Outcome:
        # The action server's health check runs while the message is prepared (see answer).
        early = self.rasa.check_actions_early()
        try:
            return await self._prepare_and_send(item, early)
        finally:
            early[1].cancel()  # unused when the handoff took the message or an error came first

    async def _prepare_and_send(self, item: InboxItem, early: EarlyCheck) -> Outcome:
        message = item.message
        conversation_id = message.conversation_id
        started = time.perf_counter()
        customer = await resolve_customer(self.engine, message.channel, message.external_id)
        language = known_language(item.language)
        if first := language is None:
            language = await message_language(message, customer, self.languages, self.conversations)
        self.languages.remember(conversation_id, language)
        if item.id in self._waiters:
            self._languages_of[item.id] = language
        # One transaction: the first attempt's language and log entry, the record's customer.
        async with self.engine.begin() as conn:
            if first:
                await self.inbox.set_language(item.id, language, conn=conn)
                await store.save_incoming(conn, message, language)
            await self.conversations.identified(
                conversation_id,
                channel=message.channel,
                external_id=message.external_id,
                customer_id=customer.id if customer else None,
                language=language,
                now=self.clock(),
                conn=conn,
            )
        address = {**item.address, "lang": language}
        metadata: RasaMetadata = {
            "channel": message.channel,
            "external_id": message.external_id,
            "customer_id": customer.id if customer else None,
            "language": language,
            "inbox_id": item.id,
        }
        if message.attachments:
            metadata["attachments"] = [
                {"kind": a.kind, "url": a.url, "mime_type": a.mime_type}
                for a in message.attachments
            ]
        turn = Turn(item.id, message, language, customer, address)
        try:
            if self.router is not None:
                handled = await self.router.before_rasa(turn)
                if handled is not None:  # with a person, or a handoff-only message (rating)
                    await self._finish(item, language, address, handled)
                    return "answered"
            # After an attempt that met the action server down, Rasa's turn is no answer.
            actions_were_down = (item.last_error or "").startswith(ACTIONS_DOWN_ERROR)
            parts = await self.splitter.split(rasa_text(message))
            replies = await multi_intent.answer(
                self.rasa,
                conversation_id,
                parts,
                metadata,
                look_up=item.attempts > 1 and not actions_were_down,
                early=early,
            )
            if self.router is not None:
                replies = await self.router.after_rasa(turn, replies)
        except RasaUnavailable as exc:
            await self._defer(item, language, address, str(exc))
            return "held"
        except RasaBadResponse as exc:
            if item.attempts < BAD_RESPONSE_ATTEMPTS:
                await self._defer(item, language, address, str(exc))
                return "held"
            logger.error("%s: giving up inbox #%d: %s", conversation_id, item.id, exc)
            await self._finish(
                item,
                language,
                address,
                [OutgoingMessage(text=FAILED_TEXT[language])],
                error=str(exc),
            )
            return "failed"
        await self._finish(item, language, address, replies)
        logger.info(
            "%s lang=%s customer=%s replies=%d %.0f ms",
            conversation_id,
            language,
            metadata["customer_id"],
            len(replies),
            (time.perf_counter() - started) * 1000,
        )
        return "answered"

    async def _finish(
        self,
        item: InboxItem,
        language: Lang,
        address: Mapping[str, Any],
        replies: list[OutgoingMessage],
        *,
        error: str | None = None,
    ) -> None:
        """Store the replies in the outbox and close the message, in one transaction."""
        message = item.message
        rows = [
            NewMessage(
                message.conversation_id,
                message.channel,
                message.external_id,
                reply,
                "reply",
                address,
                inbox_id=item.id,
                not_before=item.inline_until if item.id in self._waiters else None,
            )
            for reply in replies
        ]
        async with self.engine.begin() as conn:
            await self.outbox.add(rows, conn=conn)
            # Fenced: a claim that ran out (another gateway has it) rolls the replies back.
            if error is None:
                await self.inbox.complete(conn, item.id, attempts=item.attempts)
            else:
                await self.inbox.fail(conn, item.id, error, attempts=item.attempts)
            await store.save_outgoing(
                conn,
                conversation_id=message.conversation_id,
                channel=message.channel,
                replies=replies,
                language=language,
            )

    async def _defer(
        self, item: InboxItem, language: Lang, address: Mapping[str, Any], error: str
    ) -> None:
        """Rasa cannot answer now: keep the message, tell the customer once, retry later."""
        conversation_id = item.conversation_id
        now = self.clock()
        delay = backoff_s(self.delivery, item.attempts)
        holding_sent = item.holding_sent
        if not holding_sent:
            last = await self.outbox.last_holding_at(conversation_id)
            if last is None or (now - last).total_seconds() >= self.delivery.holding_every_s:
                await self.outbox.add(
                    [
                        NewMessage(
                            conversation_id,
                            item.message.channel,
                            item.message.external_id,
                            OutgoingMessage(text=HOLDING_TEXT[language]),
                            "holding",
                            address,
                            inbox_id=item.id,
                            not_before=item.inline_until if item.id in self._waiters else None,
                        )
                    ]
                )
                await store.save_outgoing(
                    self.engine,
                    conversation_id=conversation_id,
                    channel=item.message.channel,
                    replies=[OutgoingMessage(text=HOLDING_TEXT[language])],
                    language=language,
                )
                holding_sent = True
        logger.warning(
            "%s: inbox #%d waits %.1fs for Rasa: %s", conversation_id, item.id, delay, error
        )
        await self.inbox.defer(
            item.id,
            when=now + timedelta(seconds=delay),
            error=error,
            holding_sent=holding_sent,
            attempts=item.attempts,
        )

    # --- background worker ------------------------------------------------------------------
    async def _tick(self) -> None:
        now = self.clock()
        for conversation_id in await self.inbox.due_conversations(now):
            self._spawn(self._drain(conversation_id))
        if not self._closing:
            await self.sending.round(now, closing=lambda: self._closing)


def rasa_text(message: IncomingMessage) -> str:
    """What Rasa receives: the text, else the button payload; a photo alone answers the
    question the bot asked (``/inform``), its URL travels in the metadata."""
    if message.text is not None:
        return message.text
    if message.payload is not None:
        return message.payload
    return "/inform"

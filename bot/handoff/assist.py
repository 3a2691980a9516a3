"""Staff assist in the handoff thread: a summary and a suggested reply from the large model.

Optional (README "Large-model assist (optional)"): on when the large-model client is
(``llm.base_url``) and there is a staff desk. When a handoff's thread opens, and when a
colleague presses "Suggest reply", :class:`StaffAssist` reads the conversation so far
(:meth:`HandoffStore.recent_turns`), **redacts personal data before anything goes to the model**
(:func:`bot.services.redact.redact`; the orders staff see in the opening message are never
sent), retrieves the shop's facts for the customer's latest messages and asks the model for a
short summary (in the staff's language) and a reply (in the customer's). The reply is checked
by the answer guard (:func:`bot.llm.guard.check_answer`: every number, price, date and policy
term must be in the retrieved facts or in the conversation itself); only a reply that passes
is offered, as a ``suggestion`` message of the handoff that the worker posts in the thread with
a "Send suggestion" button. A reply that fails is not offered: staff see why.

Pressing the button (:meth:`StaffAssist.send`) relays the stored text through the normal staff
reply (:meth:`StaffActions.staff_reply`) keyed on the suggestion (``slack_ts =
"suggestion:<id>"``, unique per handoff), so it reaches the customer exactly once however often
and on however many gateways it is pressed. When the model is off, times out or fails, nothing
is posted (an explicit request gets a short notice) and the handoff goes on as without it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.handoff.context import HandoffContext, relay_status
from bot.handoff.staff import StaffOutcome
from bot.handoff.store import Handoff, StaffMember
from bot.i18n import Lang, language_name, staff_text
from bot.llm.client import LlmClient
from bot.llm.facts import Fact
from bot.llm.guard import check_answer
from bot.services.redact import redact

logger = logging.getLogger(__name__)

ASSIST_TURNS = 10  # customer messages (with the answers between them) the model reads
QUERY_MESSAGES = 3  # the customer's latest messages the facts are retrieved for
FACTS = 3  # facts retrieved for them
MAX_SUMMARY = 700
MAX_REPLY = 900
MAX_LINE = 400
FACTS_TTL_S = 600.0
SUGGESTION_KEY = "suggestion:{id}"  # the staff reply's key: one relay per suggestion

SendResult = Literal["sent", "already", "blocked", "unknown", "ended"]
StaffReply = Callable[..., Awaitable[StaffOutcome]]


class FactSource(Protocol):
    """The shop's facts (``bot.llm.facts.FactIndex``)."""

    def search(self, query: str, lang: str, k: int = 3) -> Sequence[Fact]: ...


FactsProvider = Callable[[], Awaitable[FactSource]]


class CachedFacts:
    """The facts index, built on first use and again once it is ``ttl_s`` old (the catalog
    and the policies change while the gateway runs)."""

    def __init__(
        self,
        build: FactsProvider,
        ttl_s: float = FACTS_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.build = build
        self.ttl_s = ttl_s
        self.clock = clock
        self._built: tuple[float, FactSource] | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> FactSource:
        async with self._lock:
            now = self.clock()
            if self._built is None or now - self._built[0] > self.ttl_s:
                self._built = (now, await self.build())
            return self._built[1]


@dataclass(frozen=True)
class Draft:
    """The model's summary and reply; ``problems``: why the guard refused the reply."""

    summary: str
    reply: str
    problems: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()  # the ids of the facts the model was given

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Sent:
    """What pressing "Send suggestion" did: ``sent``, ``already`` sent, ``blocked`` by the
    guard now (``problems``), or not sent because the handoff is ``unknown`` or ``ended``."""

    result: SendResult
    handoff: Handoff | None = None
    problems: tuple[str, ...] = ()


def transcript(turns: Sequence[Mapping[str, Any]]) -> list[str]:
    """The conversation as the model reads it: one redacted line per message, typed text only."""
    lines = []
    for turn in turns:
        text = str(turn.get("text") or "").strip()
        if not text or text.startswith("/"):
            continue  # button payloads, pictures
        who = "Customer" if turn.get("direction") == "in" else "Shop"
        lines.append(f"{who}: {' '.join(redact(text).split())[:MAX_LINE]}")
    return lines


def prompt(
    lines: Sequence[str], facts: Sequence[Fact], *, customer: Lang, staff: Lang
) -> list[dict[str, str]]:
    """The chat messages asking for the summary and the reply (as JSON)."""
    system = (
        "You help a colleague in an online shop's customer service who takes over a chat "
        "from the chatbot. Answer with JSON only: "
        '{"summary": "...", "reply": "..."}. '
        f"summary: 1-3 sentences in {language_name(staff)} for the colleague: what the "
        "customer wants, what was tried, what is still open. "
        f"reply: the next message to the customer in {language_name(customer)}, short and "
        "polite, written as the colleague. Use only the shop facts below for any number, "
        "price, date, period or policy; never invent order details, prices or policies; if "
        "the facts do not answer the question, say you will check and come back. Personal "
        "data is shown as <phone>, <email>, <address>, ...: never fill it in."
    )
    shown = "\n".join(f"[{f.id}] {f.text}" for f in facts) or "(none found)"
    user = "Shop facts:\n" + shown + "\n\nConversation so far:\n" + "\n".join(lines)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse(text: str) -> tuple[str, str] | None:
    """(summary, reply) from the model's answer (JSON, possibly in a code fence), or None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    summary, reply = data.get("summary"), data.get("reply")
    if not isinstance(summary, str) or not isinstance(reply, str) or not reply.strip():
        return None
    return " ".join(summary.split())[:MAX_SUMMARY], reply.strip()[:MAX_REPLY]


class StaffAssist:
    """Summaries and suggested replies for a handoff's staff (see the module's doc)."""

    def __init__(
        self, ctx: HandoffContext, llm: LlmClient, facts: FactsProvider, *, reply: StaffReply
    ) -> None:
        self.ctx = ctx
        self.llm = llm
        self.facts = facts
        self.reply = reply
        self._running: dict[int, asyncio.Task[Draft | None]] = {}

    # --- offering -----------------------------------------------------------------------------
    def request(self, handoff_id: int, *, asked_by: str | None = None) -> bool:
        """Write a summary and suggestion for the handoff in the background; False when one is
        being written already (here)."""
        if handoff_id in self._running:
            return False
        task = asyncio.create_task(self.offer(handoff_id, asked_by=asked_by))
        self._running[handoff_id] = task
        task.add_done_callback(lambda _: self._running.pop(handoff_id, None))
        return True

    async def warm_up(self) -> None:
        """Build the facts index now (start-up), so the first handoff does not wait for it."""
        try:
            await self.facts()
        except Exception:  # the assist never holds up the gateway; the first use retries
            logger.exception("the staff assist's facts index could not be built")

    async def idle(self) -> None:
        """Wait for the suggestions being written (tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def offer(self, handoff_id: int, *, asked_by: str | None = None) -> Draft | None:
        """Post the summary and, if it passes the guard, the suggested reply in the thread."""
        ctx = self.ctx
        handoff = await ctx.store.get(handoff_id)
        if handoff is None or not handoff.is_open:
            return None
        try:
            draft = await self.draft(handoff)
        except Exception:  # the assist never holds up a handoff
            logger.exception("handoff #%d: the staff assist failed", handoff_id)
            draft = None
        now = ctx.clock()
        lang = ctx.staff_lang
        if draft is None:
            if asked_by is not None:
                await ctx.note(handoff, staff_text("assist.none", lang, staff=asked_by), now)
            return None
        if draft.summary:
            await ctx.note(handoff, staff_text("assist.summary", lang, text=draft.summary), now)
        if not draft.ok:
            problems = "; ".join(draft.problems)
            logger.info("handoff #%d: suggestion withheld: %s", handoff_id, problems)
            await ctx.note(handoff, staff_text("assist.withheld", lang, problems=problems), now)
            return draft
        await ctx.store.add_message(
            handoff_id, "suggestion", now=now, text=draft.reply, status=relay_status(handoff)
        )
        ctx.wake()
        return draft

    async def draft(self, handoff: Handoff) -> Draft | None:
        """The model's summary and reply, checked by the guard; None when the model is off,
        did not answer or answered in no usable form, or there is nothing to go on."""
        if not self.llm.enabled:
            return None
        turns = await self.ctx.store.recent_turns(handoff.conversation_id, ASSIST_TURNS)
        lines = transcript(turns)
        asked = [line.partition(": ")[2] for line in lines if line.startswith("Customer: ")]
        if not asked:
            return None
        lang = handoff.language
        query = " ".join(asked[-QUERY_MESSAGES:])
        index = await self.facts()
        facts = list(await asyncio.to_thread(index.search, query, lang, FACTS))
        messages = prompt(lines, facts, customer=lang, staff=self.ctx.staff_lang)
        answer = await self.llm.complete(messages, purpose="staff_assist", max_tokens=400)
        if answer is None:
            return None
        parsed = parse(answer.text)
        if parsed is None:
            logger.warning("handoff #%d: the model's suggestion was not JSON", handoff.id)
            return None
        summary, reply = parsed
        verdict = check_answer(reply, facts, lang=lang, allowed_text="\n".join(lines))
        ids = tuple(f.id for f in facts)
        return Draft(summary, reply, tuple(str(p) for p in verdict.problems), ids)

    # --- sending ------------------------------------------------------------------------------
    async def send(self, message_id: int, staff: StaffMember) -> Sent:
        """Relay suggestion ``message_id`` to the customer as ``staff``'s reply, once, if it
        still passes the guard against the facts as they are now (a policy may have changed
        since it was written)."""
        store = self.ctx.store
        suggestion = await store.message(message_id)
        if suggestion is None or suggestion.direction != "suggestion" or not suggestion.text:
            return Sent("unknown")
        key = SUGGESTION_KEY.format(id=message_id)
        handoff_id = suggestion.handoff_id
        handoff = await store.get(handoff_id)
        if handoff is None:
            return Sent("unknown")
        if await store.message_by_slack_ts(handoff_id, key) is not None:
            return Sent("already", handoff)
        problems = await self.recheck(handoff, suggestion.text)
        if problems:
            logger.info("handoff #%d: suggestion #%d blocked now: %s", handoff_id, message_id,
                        "; ".join(problems))  # fmt: skip
            return Sent("blocked", handoff, problems)
        outcome = await self.reply(handoff_id, staff, text=suggestion.text, slack_ts=key)
        if outcome.result != "ok":
            return Sent("unknown" if outcome.result == "unknown" else "ended", outcome.handoff)
        logger.info("handoff #%d: suggestion #%d sent by %s", handoff_id, message_id, staff.user_id)
        return Sent("sent", outcome.handoff)

    async def recheck(self, handoff: Handoff, reply: str) -> tuple[str, ...]:
        """The guard's problems with ``reply`` now: against the facts retrieved for the
        customer's latest messages and for the reply itself, and the conversation."""
        turns = await self.ctx.store.recent_turns(handoff.conversation_id, ASSIST_TURNS)
        lines = transcript(turns)
        asked = [line.partition(": ")[2] for line in lines if line.startswith("Customer: ")]
        index = await self.facts()
        lang = handoff.language
        facts = {}
        for query in (" ".join(asked[-QUERY_MESSAGES:]), reply):
            if query.strip():
                for fact in await asyncio.to_thread(index.search, query, lang, FACTS):
                    facts[(fact.id, fact.lang)] = fact
        verdict = check_answer(
            reply, list(facts.values()), lang=lang, allowed_text="\n".join(lines)
        )
        return tuple(str(p) for p in verdict.problems)

"""What the parts of the handoff share: their dependencies and the steps several of them take.

:class:`HandoffContext` holds the database (:class:`~bot.handoff.store.HandoffStore`), Rasa,
the pipeline (staff replies and notices reach the customer through :meth:`Pipeline.notify`),
the settings and service hours, the staff desk (:class:`StaffDesk`, Slack) and the worker's
wake-up signal. Its steps are the ones the router, the staff actions and the worker all take:
ending a handoff (the conversation goes back to Rasa), leaving a notice for staff in the thread,
telling the customer something, and pausing or resuming Rasa's conversation (once at a time per
handoff, retried by the worker while Rasa is down).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.message import Button, OutgoingMessage
from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient, RasaClientError
from bot.handoff.rules import CANCEL_PAYLOAD, ServiceHours, Status, check_settings
from bot.handoff.store import Handoff, HandoffMessage, HandoffStore, RasaState
from bot.i18n import Lang, customer_text

logger = logging.getLogger(__name__)


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


class ThreadHelper(Protocol):
    """Writes a summary and suggested reply into a handoff's thread (the optional staff
    assist, :class:`bot.handoff.assist.StaffAssist`)."""

    def request(self, handoff_id: int, *, asked_by: str | None = None) -> bool:
        """Start writing one in the background; False when one is being written."""
        ...


def relay_status(handoff: Handoff) -> str:
    """``pending`` for the thread; ``kept`` (stored only) when the handoff has no thread and
    will get none (outside service hours, staff channel unreachable)."""
    return "pending" if handoff.needs_thread or handoff.thread_ts is not None else "kept"


def back_button(lang: Lang) -> tuple[Button, ...]:
    """The customer's "back to bot" button while a handoff is open."""
    return (Button(customer_text("back_button", lang), CANCEL_PAYLOAD),)


class HandoffContext:
    """The dependencies of the handoff's parts and the steps they share."""

    def __init__(
        self,
        engine: AsyncEngine,
        rasa: RasaClient,
        pipeline: Pipeline,
        cfg: Config,
        *,
        desk: StaffDesk | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.engine = engine
        self.rasa = rasa
        self.pipeline = pipeline
        self.cfg = cfg
        self.settings = cfg.handoff
        self.hours: ServiceHours = check_settings(cfg)
        self.desk = desk
        self.clock = clock
        self.store = HandoffStore(engine)
        self.delivery = cfg.delivery
        self.assist: ThreadHelper | None = None  # the staff assist, when the large model is on
        self.woken = asyncio.Event()  # the worker waits on it between polls
        self._rasa_busy: set[int] = set()  # handoffs whose pause/resume is in flight here

    @property
    def staff_lang(self) -> Lang:
        return "zh" if self.settings.staff_language == "zh" else "en"

    @property
    def available(self) -> bool:
        """Whether handoffs can start: switched on and a staff desk (Slack) is set up."""
        return self.settings.enabled and self.desk is not None

    def wake(self) -> None:
        """Have the worker run a round now (a thread to post, a message to relay)."""
        self.woken.set()

    async def tell(self, handoff: Handoff, *messages: OutgoingMessage) -> None:
        """Queue messages to the handoff's customer (the pipeline's outbox)."""
        await self.pipeline.notify(handoff.conversation_id, list(messages))

    async def end(
        self,
        handoff: Handoff,
        to: Status,
        *,
        by: str,
        now: datetime,
        from_: Sequence[Status] | None = None,
        note: str | None = None,
        **values: Any,
    ) -> Handoff | None:
        """Finish the handoff and give the conversation back to Rasa; ``note`` for staff in
        the thread once it ended. None when it had ended already (or was not in ``from_``)."""
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
        await self.resume(ended)
        self.wake()
        if note is not None:
            await self.note(ended, note, now)
        return ended

    async def note(self, handoff: Handoff, text: str, now: datetime) -> None:
        """A notice for staff in the thread (posted by the worker once the thread exists)."""
        await self.store.add_message(
            handoff.id, "system", now=now, text=text, status=relay_status(handoff)
        )
        self.wake()

    # --- Rasa's conversation ------------------------------------------------------------------
    async def pause(self, handoff: Handoff) -> None:
        """Pause Rasa's conversation while a person has it (``pause_pending`` -> ``paused``)."""
        with self._exclusive(handoff.id) as mine:
            if not mine:
                return  # the worker and the starting turn both saw it pending: pause once
            current = await self.store.get(handoff.id)
            if current is None or current.rasa_state != "pause_pending":
                return  # done meanwhile (the worker read an older state)
            if await self._call_rasa(current, self.rasa.pause, "pausing", "pause_pending"):
                await self.store.set_rasa_state(handoff.id, "paused", was="pause_pending")

    async def resume(self, handoff: Handoff) -> None:
        """Resume Rasa's conversation once the handoff ended (-> ``running``)."""
        with self._exclusive(handoff.id) as mine:
            if not mine:
                return
            current = await self.store.get(handoff.id)
            if current is None or current.rasa_state == "running":
                return
            if current.is_open:
                return  # a person has it (again): stays paused
            if await self._call_rasa(current, self.rasa.resume, "resuming", "resume_pending"):
                await self.store.set_rasa_state(handoff.id, "running", was=current.rasa_state)

    @contextmanager
    def _exclusive(self, handoff_id: int) -> Iterator[bool]:
        """Whether this caller may pause/resume the handoff now (no one else here is)."""
        if handoff_id in self._rasa_busy:
            yield False
            return
        self._rasa_busy.add(handoff_id)
        try:
            yield True
        finally:
            self._rasa_busy.discard(handoff_id)

    async def _call_rasa(
        self,
        handoff: Handoff,
        call: Callable[[str], Awaitable[None]],
        doing: str,
        pending: RasaState,
    ) -> bool:
        """Make the pause/resume call; on failure record it as pending (the worker retries)."""
        try:
            await call(handoff.conversation_id)
        except RasaClientError as exc:
            logger.warning("handoff #%d: %s Rasa failed, will retry: %s", handoff.id, doing, exc)
            await self.store.update(handoff.id, rasa_state=pending)
            return False
        return True

"""The proactive scheduler: tells customers about late or stalled parcels and restocks before
they ask, on the channel they last wrote on, through the outbox (rules and texts:
:mod:`bot.services.proactive`).

Every ``proactive.interval_s`` (a :class:`~bot.core.worker.WorkerLoop` the gateway starts when
``proactive.enabled``), :meth:`ProactiveScheduler.run_once` under the cluster lock
``proactive`` (a PostgreSQL advisory lock: one gateway of the scale profile does it; SQLite:
always this one):

1. sends the held notices whose quiet hours are over;
2. scores the open parcels and the out-of-stock asks;
3. for each finding, in ONE transaction: inserts its ``proactive_notices`` row (the unique key
   (subject, reason, customer) makes a second run, or a concurrent one, fail here and send
   nothing) and, outside quiet hours, the outbox row to the customer's latest conversation
   (web customers get it on their push stream like any notice);
4. alerts staff: in the Slack support channel when the gateway has a Slack staff desk
   (:class:`StaffAlerts`), else in the log; ``staff_alert`` records which.

``python -m bot proactive run-once [--dry-run]`` and ``POST /api/admin/proactive/run`` run it
once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from aiohttp import web
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Config
from bot.core import store
from bot.core.conversations import Conversation, ConversationStore
from bot.core.message import OutgoingMessage
from bot.core.outbox import NewMessage, Outbox
from bot.core.queue import utcnow
from bot.core.shared import cluster_lock
from bot.core.worker import WorkerLoop
from bot.i18n import Lang, known_language, t
from bot.services.proactive import (
    DelayScorer,
    Finding,
    Settings,
    assess_parcel,
    customer_language,
    delivered_history,
    open_parcels,
    restocked_asks,
)
from bot.storage.schema import proactive_notices
from bot.storage.times import as_utc_or_none

logger = logging.getLogger(__name__)

LOCK_NAME = "proactive"


@runtime_checkable
class StaffAlerts(Protocol):
    """Where staff are alerted (the Slack staff desk posts to the support channel)."""

    async def post_alert(self, text: str) -> None: ...


@dataclass(frozen=True)
class Planned:
    """One finding of a run and what became of it."""

    finding: Finding
    outcome: str  # queued | held | no_channel | duplicate | retry
    language: Lang
    text: str
    channel: str | None = None
    conversation_id: str | None = None
    send_after: datetime | None = None


@dataclass
class RunReport:
    ran: bool = True  # False: another gateway holds the lock
    released: int = 0  # held notices sent now that quiet hours are over
    planned: list[Planned] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(p.outcome == outcome for p in self.planned)

    def to_json(self) -> dict[str, Any]:
        return {
            "ran": self.ran,
            "released": self.released,
            "notices": [
                {
                    "customer_id": p.finding.customer_id,
                    "subject": p.finding.subject,
                    "reason": p.finding.reason,
                    "outcome": p.outcome,
                    "language": p.language,
                    "channel": p.channel,
                    "conversation_id": p.conversation_id,
                    "send_after": p.send_after.isoformat() if p.send_after else None,
                    "text": p.text,
                }
                for p in self.planned
            ],
        }


class ProactiveScheduler:
    """Finds what to tell customers and queues it, at most once each (see the module doc)."""

    def __init__(
        self,
        engine: AsyncEngine,
        cfg: Config,
        *,
        alerts: StaffAlerts | None = None,
        wake: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utcnow,
        scorer: DelayScorer | None = None,
    ) -> None:
        self.engine = engine
        self.cfg = cfg
        self.settings = Settings.from_config(cfg)
        self.alerts = alerts
        self.wake = wake or (lambda: None)
        self.clock = clock
        self.scorer = scorer or DelayScorer.from_config(cfg)
        self.outbox = Outbox(engine)
        self.conversations = ConversationStore(engine)
        self._worker = WorkerLoop(
            "proactive", self._tick, interval_s=lambda: self.cfg.proactive.interval_s
        )

    # --- life cycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Run every ``proactive.interval_s``, the first round one interval after start-up
        (a gateway restarting in a loop does not message anybody)."""
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    async def _tick(self) -> None:
        report = await self.run_once()
        if report.planned or report.released:
            logger.info(
                "proactive round: %d queued, %d held, %d without a channel, %d released",
                report.count("queued"),
                report.count("held"),
                report.count("no_channel"),
                report.released,
            )

    # --- one round -------------------------------------------------------------------------------
    async def findings(self, now: datetime) -> list[Finding]:
        """What the shop should tell its customers now (before the once-only check)."""
        async with self.engine.connect() as conn:
            parcels = await open_parcels(conn)
            history = await delivered_history(conn, now) if parcels else []
            asks = (
                await restocked_asks(conn, now, self.cfg.proactive.ask_days)
                if self.cfg.proactive.back_in_stock
                else []
            )
        risks = await self.scorer.risks(parcels, history) if parcels else {}
        found = [assess_parcel(p, now, self.settings, risks.get(p.order_id)) for p in parcels]
        return [f for f in found if f is not None] + asks

    async def run_once(self, *, dry_run: bool = False) -> RunReport:
        async with cluster_lock(self.engine, LOCK_NAME) as mine:
            if not mine:
                return RunReport(ran=False)
            now = self.clock()
            report = RunReport()
            if not dry_run:
                report.released = await self.release_held(now)
            for finding in await self.findings(now):
                report.planned.append(await self.handle(finding, now, dry_run=dry_run))
        if report.released or report.count("queued"):
            self.wake()
        return report

    async def handle(self, finding: Finding, now: datetime, *, dry_run: bool) -> Planned:
        hold = self.settings.quiet.hold_until(now)
        try:
            async with self.engine.begin() as conn:
                target = await self.conversations.latest_of_customer(finding.customer_id, conn=conn)
                lang = await self._language(conn, finding.customer_id, target)
                text = finding.text(lang, self.settings)
                outcome = "no_channel" if target is None else "held" if hold else "queued"
                planned = Planned(
                    finding,
                    outcome,
                    lang,
                    text,
                    target.channel if target else None,
                    target.conversation_id if target else None,
                    hold if target is not None else None,
                )
                if dry_run:
                    exists = await conn.scalar(
                        select(proactive_notices.c.id).where(
                            proactive_notices.c.subject == finding.subject,
                            proactive_notices.c.reason == finding.reason,
                            proactive_notices.c.customer_id == finding.customer_id,
                        )
                    )
                    # Nothing is written: the outcome says what a real round would do.
                    return _replace(planned, "duplicate") if exists else planned
                result = await conn.execute(
                    proactive_notices.insert().values(
                        customer_id=finding.customer_id,
                        subject=finding.subject,
                        reason=finding.reason,
                        status=outcome,
                        language=lang,
                        conversation_id=planned.conversation_id,
                        channel=planned.channel,
                        text=text,
                        detail={**finding.detail, "offer": self.settings.offer.to_json()},
                        created_at=now,
                        send_after=hold or now,
                    )
                )
                notice_id = int(result.inserted_primary_key[0])
                if outcome == "queued" and target is not None:
                    await self._queue(conn, notice_id, target, text, lang, now)
        except IntegrityError:
            # Told before (or by a concurrent run): the unique key keeps it to once.
            return _replace(planned, "duplicate")
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            # SQLite: another process wrote since this transaction read; nothing was stored,
            # the next round tries again.
            logger.info("proactive notice for %s deferred: %s", finding.subject, exc)
            return _replace(planned, "retry")
        await self._alert(notice_id, finding, planned)
        return planned

    async def _language(
        self, conn: AsyncConnection, customer_id: str, target: Conversation | None
    ) -> Lang:
        if target is not None:
            known = known_language(target.reply_address().get("lang")) or target.language
            if known is not None:
                return known
        return await customer_language(conn, customer_id)

    async def _queue(
        self,
        conn: AsyncConnection,
        notice_id: int,
        target: Conversation,
        text: str,
        lang: Lang,
        now: datetime,
    ) -> None:
        """The outbox row (and the conversation's history) in the notice's transaction."""
        message = OutgoingMessage(text=text)
        address = target.reply_address()
        address.setdefault("lang", lang)
        (outbox_id,) = await self.outbox.add(
            [
                NewMessage(
                    target.conversation_id,
                    target.channel,
                    target.external_id,
                    message,
                    "notice",
                    address,
                )
            ],
            conn=conn,
        )
        await store.save_outgoing(
            conn,
            conversation_id=target.conversation_id,
            channel=target.channel,
            replies=[message],
            language=lang,
        )
        await conn.execute(
            update(proactive_notices)
            .where(proactive_notices.c.id == notice_id)
            .values(
                status="queued",
                outbox_id=outbox_id,
                conversation_id=target.conversation_id,
                channel=target.channel,
                sent_at=now,
            )
        )

    async def release_held(self, now: datetime) -> int:
        """Send the notices held for quiet hours whose time has come (each once: the row is
        taken with a conditional update in the outbox row's transaction)."""
        if self.settings.quiet.hold_until(now) is not None:
            return 0
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(proactive_notices)
                    .where(
                        proactive_notices.c.status == "held",
                        proactive_notices.c.send_after <= now,
                    )
                    .order_by(proactive_notices.c.id)
                )
            ).all()
        released = 0
        for row in rows:
            async with self.engine.begin() as conn:
                taken = await conn.execute(
                    update(proactive_notices)
                    .where(proactive_notices.c.id == row.id, proactive_notices.c.status == "held")
                    .values(status="sending")
                )
                if taken.rowcount != 1:
                    continue
                target = await self.conversations.latest_of_customer(row.customer_id, conn=conn)
                if target is None:  # the conversation record was erased meanwhile
                    await conn.execute(
                        update(proactive_notices)
                        .where(proactive_notices.c.id == row.id)
                        .values(status="no_channel")
                    )
                    continue
                lang = known_language(row.language) or "zh"
                await self._queue(conn, row.id, target, row.text, lang, now)
                released += 1
        return released

    async def _alert(self, notice_id: int, finding: Finding, planned: Planned) -> None:
        lang = self.settings.staff_language
        if planned.outcome == "queued":
            told = t("staff.proactive.told.queued", lang, channel=planned.channel)
        elif planned.outcome == "held":
            when = as_utc_or_none(planned.send_after)
            told = t(
                "staff.proactive.told.held",
                lang,
                channel=planned.channel,
                when=when.isoformat(timespec="minutes") if when else "-",
            )
        else:
            told = t("staff.proactive.told.no_channel", lang)
        text = finding.staff_text(lang, self.settings, told)
        state = "logged"
        if self.alerts is not None:
            try:
                await self.alerts.post_alert(text)
                state = "slack"
            except Exception:  # a Slack outage must not stop the round; the row says so
                logger.exception("proactive alert for notice %d not posted", notice_id)
                state = "failed"
        else:
            logger.warning("proactive alert (no Slack staff desk): %s", text)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(proactive_notices)
                .where(proactive_notices.c.id == notice_id)
                .values(staff_alert=state)
            )


def _replace(planned: Planned, outcome: str) -> Planned:
    return Planned(
        planned.finding,
        outcome,
        planned.language,
        planned.text,
        planned.channel,
        planned.conversation_id,
        planned.send_after,
    )


# Set by the gateway (the admin API runs a round through it); absent: no scheduler.
PROACTIVE_KEY = web.AppKey("proactive", ProactiveScheduler)

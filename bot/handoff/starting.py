"""Starting a handoff: whether a trigger may start one, the automatic triggers, the snapshot
staff see and what the customer is told.

:class:`HandoffStarter` checks the triggers the gateway finds itself on each message (a VIP
customer, a mentioned order above the value limit, strongly negative sentiment over the recent
messages), starts a handoff for a request (``waiting`` in service hours, else ``message``: the
offer to leave one), pauses Rasa's conversation and tells the customer the expected wait. Without
a staff desk a request for a person becomes a message ticket instead.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.config import HandoffConfig
from bot.core.message import Button, OutgoingMessage
from bot.core.pipeline import Turn
from bot.handoff.context import HandoffContext, back_button
from bot.handoff.review_items import handoff_started
from bot.handoff.rules import (
    HandoffRequest,
    Status,
    expected_wait_s,
    mentioned_order_ids,
    sentiment_mean,
    sentiment_triggers,
    severe_enough,
    wait_minutes,
)
from bot.handoff.sentiment import RecentSentiment
from bot.handoff.store import Handoff
from bot.i18n import Lang, customer_text, t
from bot.observability import metrics
from bot.services import tickets
from bot.services.orders import get_order, list_orders
from bot.services.redact import redact

logger = logging.getLogger(__name__)

SNAPSHOT_TURNS = 10  # customer messages (with the bot's answers between them) staff see
SNAPSHOT_ORDERS = 3
CLAIM_HISTORY = timedelta(days=7)  # claims the expected wait is estimated from


def trigger_on(settings: HandoffConfig, request: HandoffRequest) -> bool:
    """Whether the settings let ``request``'s trigger start a handoff."""
    s = settings
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


def not_started(request: HandoffRequest, lang: Lang) -> list[OutgoingMessage]:
    """What the customer gets when a bot-side request does not start a handoff."""
    if request.reason == "two_fallbacks":
        button = Button(customer_text("fallback_button", lang), "/request_human")
        return [OutgoingMessage(text=customer_text("fallback_offer", lang), buttons=(button,))]
    return []


class HandoffStarter:
    """Starts handoffs: on a request from Rasa's replies or an automatic trigger."""

    def __init__(self, ctx: HandoffContext, sentiment: RecentSentiment) -> None:
        self.ctx = ctx
        self.sentiment = sentiment

    async def start(self, turn: Turn, request: HandoffRequest) -> list[OutgoingMessage] | None:
        """Start a handoff for ``request``; the replies for the customer, or None when none
        starts (its trigger is off, or an admin rule outside service hours)."""
        ctx = self.ctx
        if not trigger_on(ctx.settings, request):
            return None
        if not ctx.available:
            if request.reason == "customer_request":
                return await self._request_ticket(turn)
            return None
        now = ctx.clock()
        staffed = ctx.hours.is_open(now)
        if not staffed and request.reason in ("vip", "order_value"):
            return None  # the rule wants a person; outside hours the bot serves
        status: Status = "waiting" if staffed else "message"
        snapshot = await self._snapshot(turn)
        customer = turn.customer
        handoff, created = await ctx.store.create(
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
                "claim_deadline": now + timedelta(seconds=ctx.settings.claim_timeout_s)
                if staffed
                else None,
                "offer_deadline": None
                if staffed
                else now + timedelta(seconds=ctx.settings.leave_message_timeout_s),
                "rating_open": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        if not created and handoff.inbox_id != turn.inbox_id:
            logger.info("%s already has handoff #%d", turn.conversation_id, handoff.id)
            return []
        if created:
            metrics.handoff_started(request.reason, status)
            logger.info(
                "handoff #%d started for %s: %s (%s)",
                handoff.id,
                turn.conversation_id,
                request.reason,
                status,
            )
            await ctx.pause(handoff)
            ctx.wake()
            await handoff_started(ctx.engine, turn, handoff)
        return await self._started_replies(handoff, turn.language)

    async def automatic_trigger(self, turn: Turn, latest: Handoff | None) -> HandoffRequest | None:
        """A trigger the gateway checks on each message: VIP, order value, sentiment."""
        ctx, s = self.ctx, self.ctx.settings
        if not ctx.available:
            return None
        last_end = latest.ended_at if latest is not None else None
        now = ctx.clock()
        if last_end is not None and (now - last_end).total_seconds() < s.cooldown_s:
            return None
        customer = turn.customer
        if s.vip_segments and customer is not None and customer.segment in s.vip_segments:
            return HandoffRequest("vip", {"segment": customer.segment})
        if s.order_value_limit > 0:
            pattern = ctx.cfg.nlu.order_id_pattern
            for order_id in mentioned_order_ids(turn.message.text, pattern):
                order = await get_order(ctx.engine, order_id)
                if order is not None and order.total_cents > s.order_value_limit * 100:
                    detail = {"order_id": order.id, "total_cents": order.total_cents}
                    return HandoffRequest("order_value", detail)
        if s.on_negative_sentiment and self.sentiment.scorer is not None and turn.message.text:
            scores = await self.sentiment.recent(turn.conversation_id, since=last_end)
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

    async def _started_replies(self, handoff: Handoff, lang: Lang) -> list[OutgoingMessage]:
        ctx = self.ctx
        back = back_button(lang)
        if handoff.status == "message":
            text = customer_text("offline", lang, hours=ctx.hours.text, zone=ctx.cfg.shop.timezone)
            return [OutgoingMessage(text=text, buttons=back)]
        waits = await ctx.store.claim_waits_s(handoff.created_at - CLAIM_HISTORY)
        wait = expected_wait_s(
            waits,
            ahead=await ctx.store.waiting_before(handoff.id),
            default_s=ctx.settings.default_wait_s,
            cap_s=ctx.settings.claim_timeout_s,
        )
        text = customer_text("connecting", lang, minutes=wait_minutes(wait))
        return [OutgoingMessage(text=text, buttons=back)]

    async def _request_ticket(self, turn: Turn) -> list[OutgoingMessage]:
        """No staff desk: a request for a person becomes a message ticket, as before."""
        ctx = self.ctx
        texts = await ctx.store.recent_customer_texts(turn.conversation_id, since=None, limit=5)
        ticket = await tickets.create_ticket(
            ctx.engine,
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
        text = t("human.notified", turn.language, ticket_id=ticket.id, hours=ctx.hours.text)
        return [OutgoingMessage(text=text)]

    async def _snapshot(self, turn: Turn) -> dict[str, Any]:
        """What staff see in the opening message, taken when the handoff starts."""
        ctx = self.ctx
        customer = turn.customer
        snapshot: dict[str, Any] = {"customer": None, "orders": []}
        if customer is not None:
            snapshot["customer"] = {
                "id": customer.id,
                "name": customer.name,
                "name_zh": customer.name_zh,
                "segment": customer.segment,
            }
            for order in await list_orders(ctx.engine, customer.id, limit=SNAPSHOT_ORDERS):
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
        # The transcript staff see is kept in the handoff record and posted to Slack: personal
        # data (phones, e-mails, addresses, names, ID and card numbers) is replaced by markers.
        # What the customer writes during the handoff reaches staff as written: they need it.
        snapshot["turns"] = [
            {**t, "text": redact(t["text"])} if isinstance(t.get("text"), str) else t
            for t in await ctx.store.recent_turns(turn.conversation_id, SNAPSHOT_TURNS)
        ]
        last_end = await ctx.store.last_ended_at(turn.conversation_id)
        scores = await self.sentiment.recent(turn.conversation_id, since=last_end)
        window = ctx.settings.sentiment_window
        mean = sentiment_mean(scores, window, 1)
        snapshot["sentiment"] = round(mean, 3) if mean is not None else None
        snapshot["sentiment_n"] = len(scores[-window:])
        # Each recent message's score, oldest first: staff see the mood trend.
        snapshot["sentiment_scores"] = [round(x, 3) for x in scores[-window:]]
        return snapshot

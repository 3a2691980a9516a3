"""Emotion-aware replies: what an upset customer's answer looks like, after Rasa answered.

For each answered message the gateway judges how upset the customer is
(:func:`bot.services.emotion.judge`: the sentiment of their latest and recent messages, cues
such as capitals, "!!!" or 第三次了, a complaint intent, unclear messages in a row). When the
customer is annoyed or angry (settings in config.yml's ``handoff`` section):

1. a short apology comes first (varied; not when the previous answer already began with one);
2. recommendations they did not ask for are left out (product cards, "recommend" buttons);
3. a "talk to a person" button is offered at once, not only after the bot failed twice;

and staff see the mood trend of the recent messages in the handoff's opening message
(:mod:`bot.handoff.starting` stores the scores in the snapshot).

The automatic ``negative_sentiment`` handoff stays the step after the offer: it starts only
when the mean over ``sentiment_window`` messages stays below ``sentiment_threshold``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.core.message import Button, OutgoingMessage
from bot.core.turns import Turn
from bot.handoff.context import HandoffContext
from bot.handoff.sentiment import RecentSentiment
from bot.i18n import customer_text, t
from bot.services import emotion
from bot.services.emotion import Emotion, Thresholds

logger = logging.getLogger(__name__)

RECOMMEND_INTENT = "recommend_products"
REQUEST_HUMAN = "/request_human"
FALLBACK_INTENT = "nlu_fallback"


def asked_for_recommendations(turn: Turn, intent: str | None) -> bool:
    payload = turn.message.payload or ""
    return intent == RECOMMEND_INTENT or payload.startswith(f"/{RECOMMEND_INTENT}")


def without_recommendations(replies: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """The replies without product cards and "recommend products" buttons."""
    kept = []
    for reply in replies:
        if reply.product_cards:
            continue
        buttons = tuple(
            b for b in reply.buttons if not b.payload.startswith(f"/{RECOMMEND_INTENT}")
        )
        if buttons != reply.buttons:
            reply = replace(reply, buttons=buttons)
        if not reply.is_empty:
            kept.append(reply)
    return kept


def offers_person(replies: list[OutgoingMessage]) -> bool:
    return any(b.payload.startswith(REQUEST_HUMAN) for r in replies for b in r.buttons)


class EmotionReplies:
    """Judges each answered message and shapes the answer for an upset customer."""

    def __init__(self, ctx: HandoffContext, sentiment: RecentSentiment) -> None:
        self.ctx = ctx
        self.sentiment = sentiment

    @property
    def enabled(self) -> bool:
        s = self.ctx.settings
        return s.emotion_replies or s.offer_person_when_upset

    @property
    def thresholds(self) -> Thresholds:
        s = self.ctx.settings
        return Thresholds(s.emotion_upset_at, s.emotion_angry_at)

    async def _fallbacks(self, turn: Turn, intent: str | None) -> int:
        """Unclear messages in a row up to this one: read from Rasa's tracker, which every
        gateway shares (only after an unclear message: the others end the run)."""
        if intent != FALLBACK_INTENT:
            return 0
        return await self.ctx.rasa.unclear_run(
            turn.conversation_id, FALLBACK_INTENT, at_most=emotion.FALLBACKS_UPSET
        )

    async def _scores(self, turn: Turn) -> list[float]:
        if turn.message.payload is not None or turn.message.text is None:
            return []  # not judged by scores (see _judged): nothing to read
        return await self.sentiment.recent(turn.conversation_id, since="last_handoff")

    def _judged(
        self, turn: Turn, intent: str | None, scores: list[float], fallbacks: int
    ) -> Emotion:
        text = turn.message.text if turn.message.payload is None else None
        if text is None:
            scores = []  # a button press says nothing about the mood; earlier texts aside
        return emotion.judge(
            scores, text, intent=intent, fallbacks=fallbacks, thresholds=self.thresholds
        )

    async def shape(
        self, turn: Turn, replies: list[OutgoingMessage], *, handed_off: bool
    ) -> list[OutgoingMessage]:
        """The answer as the customer gets it: unchanged for a calm customer."""
        if not self.enabled or not replies:
            return replies
        # Rasa's reading of the message and the recent scores at once: the tracker read (an
        # HTTP call) and the database read overlap instead of adding up.
        intent, scores = await asyncio.gather(
            self.ctx.rasa.latest_intent(turn.conversation_id), self._scores(turn)
        )
        mood = self._judged(turn, intent, scores, await self._fallbacks(turn, intent))
        if not mood.upset:
            return replies
        logger.info(
            "%s: customer %s (score %s, signals %s)",
            turn.conversation_id,
            mood.mood,
            mood.score,
            ",".join(mood.signals) or "-",
        )
        s, lang = self.ctx.settings, turn.language
        shaped = list(replies)
        if s.emotion_replies:
            if not asked_for_recommendations(turn, intent):
                shaped = without_recommendations(shaped)
            if not await self._apologised_last(turn):
                shaped.insert(0, OutgoingMessage(text=emotion.apology(lang, turn.inbox_id)))
        wants_person = intent == "request_human"
        if (
            s.offer_person_when_upset
            and s.on_customer_request
            and not handed_off
            and not wants_person
            and not offers_person(shaped)
        ):
            button = Button(customer_text("fallback_button", lang), REQUEST_HUMAN)
            shaped.append(OutgoingMessage(text=t("emotion.offer_person", lang), buttons=(button,)))
        return shaped

    async def _apologised_last(self, turn: Turn) -> bool:
        """Whether the bot's previous answer began with an apology line (not twice in a row)."""
        turns = await self.ctx.store.recent_turns(turn.conversation_id, 2)
        previous: list[str | None] = []
        for item in reversed(turns[:-1]):  # the current message is the last one
            if item.get("direction") == "in":
                break
            previous.append(item.get("text"))
        return bool(previous) and emotion.is_apology(previous[-1])

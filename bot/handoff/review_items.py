"""Handoffs and low ratings of handoffs into the review queue (bot/services/review.py).

A handoff is collected with the customer's message that started it and its reason; a rating of
1 or 2 with the customer's latest typed message before the handoff (from the snapshot staff
saw). Only redacted text is stored. A failure is logged and never holds up the customer.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.pipeline import Turn
from bot.handoff.store import Handoff
from bot.services import review

logger = logging.getLogger(__name__)


async def handoff_started(engine: AsyncEngine, turn: Turn, handoff: Handoff) -> None:
    text = (turn.message.text or "").strip()
    if not text:
        return
    try:
        await review.collect(
            engine,
            kind="handoff",
            text=text,
            language=turn.language,
            conversation_id=turn.conversation_id,
            message_key=f"{turn.conversation_id}:inbox-{turn.inbox_id}",
            detail={"reason": handoff.reason, "handoff_id": handoff.id},
        )
    except Exception:
        logger.exception("could not add handoff #%d to the review queue", handoff.id)


def last_customer_text(snapshot: Any) -> str:
    """The customer's latest typed message in a handoff's snapshot ("" when none)."""
    turns = snapshot.get("turns") if isinstance(snapshot, dict) else None
    for turn in reversed(turns or []):
        text = str(turn.get("text") or "").strip() if isinstance(turn, dict) else ""
        if turn.get("direction") == "in" and text and not text.startswith("/"):
            return text
    return ""


async def low_rating(engine: AsyncEngine, handoff: Handoff, rating: int) -> None:
    if rating > review.LOW_RATING:
        return
    text = last_customer_text(dict(handoff.snapshot or {}))
    if not text:
        return
    try:
        await review.collect(
            engine,
            kind="low_rating",
            text=text,
            language=handoff.language,
            conversation_id=handoff.conversation_id,
            message_key=f"handoff-{handoff.id}",
            detail={"rating": rating, "reason": handoff.reason, "handoff_id": handoff.id},
        )
    except Exception:
        logger.exception("could not add the rating of handoff #%d to the review queue", handoff.id)

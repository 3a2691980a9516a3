"""Conversation analytics from Rasa's event stream (`python -m bot analytics-consumer`), on the
shop's metadata.

Imported by bot/storage/db.py so that ``create_schema`` creates them with the others.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, String, Table

from bot.storage.schema import metadata

# One row per consumed Rasa event that counts (user messages, bot messages, actions, ...).
# ``event_key`` is unique: a redelivered event is recognised and counted once.
analytics_events = Table(
    "analytics_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_key", String(64), nullable=False, unique=True),
    Column("conversation_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # user | bot | action | handoff | session
    Column("name", String(200), nullable=True),  # the intent (user) or the action's name
    Column("confidence", Float, nullable=True),  # the intent's confidence (user)
    Column("fallback", Boolean, nullable=False, default=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("day", String(10), nullable=False),  # YYYY-MM-DD (UTC) of occurred_at
)
Index("ix_analytics_events_day_kind", analytics_events.c.day, analytics_events.c.kind)
Index("ix_analytics_events_conversation", analytics_events.c.conversation_id)

# Running totals per conversation, updated with each newly recorded event.
analytics_conversations = Table(
    "analytics_conversations",
    metadata,
    Column("conversation_id", String(200), primary_key=True),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
    Column("turns", Integer, nullable=False, default=0),  # customer messages
    Column("bot_messages", Integer, nullable=False, default=0),
    Column("actions", Integer, nullable=False, default=0),  # actions run, not action_listen
    Column("fallbacks", Integer, nullable=False, default=0),
    Column("handoffs", Integer, nullable=False, default=0),
)

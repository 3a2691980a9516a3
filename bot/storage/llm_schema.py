"""The large-model assist's token count per day (bot/llm/budget.py), shared by all replicas.

Imported by bot/storage/db.py so that ``create_schema`` creates it with the others.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table

from bot.storage.schema import metadata

# One row per shop-local day: what every replica's calls to the model used together.
llm_usage = Table(
    "llm_usage",
    metadata,
    Column("day", String(10), primary_key=True),  # "2026-12-06" in the shop's timezone
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("calls", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

"""Tables that let several gateway replicas on one PostgreSQL database act as one.

Imported by bot/storage/db.py so that ``create_schema`` creates them with the others. They are
used only when the database is PostgreSQL (README "Running more than one gateway"); with
SQLite there is one gateway process and the same state lives in its memory.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, String, Table, Text

from bot.storage.schema import metadata

# Token buckets of the rate limits shared by all replicas (adapters/web/limits.py): one row per
# limit and key; ``ok`` says whether the last take got a token.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("bucket", String(200), primary_key=True),  # "<limit>:<key>", e.g. "sender:u1"
    Column("tokens", Float, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
)
Index("ix_rate_buckets_at", rate_buckets.c.at)

# Access tokens of platform APIs that allow one valid token per account at a time (WeChat):
# fetched by one replica under a row lock, read by all.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(200), primary_key=True),  # e.g. "wechat:<app id>"
    Column("token", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # refresh before this
    Column("updated_at", DateTime(timezone=True), nullable=True),
)

"""Timestamps read back from the database, as timezone-aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """Timezone-aware UTC datetime.

    SQLite gives timestamps back without a zone; every timestamp is written in UTC, so a naive
    value read back is UTC. PostgreSQL gives aware values, converted here to UTC as well.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)

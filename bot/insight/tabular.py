"""Reading the CSV files the evaluations accept: required columns, dates, bad rows counted."""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from threadpoolctl import threadpool_limits

# Accepted date formats: ISO 8601 (date or date and time) and the US-style exports of
# spreadsheet programs (M/D/YYYY, optionally with H:MM or H:MM:SS).
_US_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


class CsvSchemaError(ValueError):
    """The file lacks a required column; the message names it and the columns found."""


def parse_datetime(text: str | None) -> datetime | None:
    """A timezone-aware UTC datetime from ISO 8601 or M/D/YYYY [H:MM[:SS]]; None if empty/bad.

    Naive values are taken as UTC (the evaluations only compare times within one file).
    """
    if text is None:
        return None
    raw = text.strip()
    if not raw:
        return None
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _US_FORMATS:
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_float(text: str | None) -> float | None:
    """A finite float, or None for an empty or malformed cell."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@dataclass
class ReadStats:
    """How many data rows were read, kept and skipped, and why rows were skipped."""

    rows: int = 0
    kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "kept": self.kept, "skipped": dict(sorted(self.skipped.items()))}


def read_rows(path: Path, required: Sequence[str]) -> Iterator[dict[str, str]]:
    """The rows of ``path`` as dicts with stripped, lower-cased column names.

    Raises :class:`CsvSchemaError` naming each required column the header lacks.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CsvSchemaError(f"{path} is empty; expected columns {', '.join(required)}")
        names = [h.strip().lower() for h in header]
        missing = [c for c in required if c not in names]
        if missing:
            raise CsvSchemaError(
                f"{path} is missing the column(s) {', '.join(missing)}; "
                f"required: {', '.join(required)}; found: {', '.join(names)}"
            )
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            yield {name: (values[i] if i < len(values) else "") for i, name in enumerate(names)}


F = TypeVar("F", bound=Callable[..., Any])


def single_threaded(func: F) -> F:
    """Run ``func`` with native thread pools (OpenMP, BLAS) limited to one thread.

    The tree and clustering code is many times faster this way on a small shared machine than
    with one thread per core fighting over two cores.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with threadpool_limits(limits=1):
            return func(*args, **kwargs)

    return cast(F, wrapper)

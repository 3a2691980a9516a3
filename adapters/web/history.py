"""The web chat's conversation history (``GET /api/chat/history``), read from the gateway's own
inbox (what the customer sent) and outbox (what the bot and staff sent, once sent).

A page holds up to ``limit`` messages, oldest first; pages go back in time: the first page is
the newest, ``next_before`` is the cursor of the page before it (None at the start of the
conversation). Message ids and cursors are ``c<inbox id>`` (customer) and ``b<outbox id>``
(bot or staff); messages are ordered by time, a customer message before the answers written
at the same instant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.http import RequestError
from bot.core.queue import as_utc
from bot.storage.schema import inbox, outbox

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
CURSOR_RE = re.compile(r"([cb])([0-9]{1,18})")
LIMIT_RE = re.compile(r"[0-9]{1,3}")
# How many earlier bot messages are searched for the title of a button the customer pressed.
BUTTON_LOOKBACK = 10

Row = Any


@dataclass(frozen=True)
class Cursor:
    kind: str  # "c" (inbox) or "b" (outbox)
    id: int

    def __str__(self) -> str:
        return f"{self.kind}{self.id}"


def parse_cursor(raw: str | None) -> Cursor | None:
    if raw is None:
        return None
    match = CURSOR_RE.fullmatch(raw)
    if match is None:
        raise RequestError(
            400,
            f"`before` must be a message id from an earlier page (like c12 or b34), got {raw!r}",
            "before",
        )
    return Cursor(match.group(1), int(match.group(2)))


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not LIMIT_RE.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise RequestError(
            400, f"`limit` must be a whole number 1-{MAX_LIMIT}, got {raw!r}", "limit"
        )
    return int(raw)


def _table(kind: str) -> tuple[Table, Any]:
    """The table of a cursor kind and its time column."""
    return (inbox, inbox.c.received_at) if kind == "c" else (outbox, outbox.c.created_at)


def _visible(kind: str, conversation_id: str) -> list[Any]:
    table, _ = _table(kind)
    where = [table.c.conversation_id == conversation_id]
    if kind == "b":
        where.append(outbox.c.status == "sent")  # what the customer was shown
    return where


async def _cursor_time(engine: AsyncEngine, conversation_id: str, cursor: Cursor) -> datetime:
    table, at = _table(cursor.kind)
    async with engine.connect() as conn:
        value = (
            await conn.execute(
                select(at).where(
                    table.c.id == cursor.id, table.c.conversation_id == conversation_id
                )
            )
        ).scalar_one_or_none()
    if value is None:
        raise RequestError(400, f"`before`: no message {cursor} in this conversation", "before")
    return value  # as stored: compared with the column again, so no zone conversion


async def _newest(
    engine: AsyncEngine,
    kind: str,
    conversation_id: str,
    before: Cursor | None,
    before_at: datetime | None,
    limit: int,
) -> list[Row]:
    """The newest ``limit`` rows of one table before the cursor, newest first."""
    table, at = _table(kind)
    query = select(table).where(*_visible(kind, conversation_id))
    if before is not None and before_at is not None:
        if before.kind == kind:
            query = query.where(or_(at < before_at, and_(at == before_at, table.c.id < before.id)))
        elif kind == "c":  # a customer message sorts before bot messages of the same instant
            query = query.where(at <= before_at)
        else:
            query = query.where(at < before_at)
    async with engine.connect() as conn:
        result = await conn.execute(query.order_by(at.desc(), table.c.id.desc()).limit(limit))
        return list(result.all())


def _sort_key(kind: str, row: Row) -> tuple[datetime, int, int]:
    at = row.received_at if kind == "c" else row.created_at
    return (as_utc(at), 0 if kind == "c" else 1, int(row.id))


def _titles(message: Mapping[str, Any]) -> dict[str, str]:
    """Payload -> title of the buttons a bot message showed (its cards' buttons too)."""
    found: dict[str, str] = {}

    def take(buttons: object) -> None:
        for b in buttons if isinstance(buttons, list) else []:
            if isinstance(b, Mapping) and isinstance(b.get("payload"), str):
                found.setdefault(b["payload"], str(b.get("title") or ""))

    take(message.get("buttons"))
    custom = message.get("custom")
    if isinstance(custom, Mapping) and isinstance(custom.get("products"), list):
        for product in custom["products"]:
            if isinstance(product, Mapping):
                take(product.get("buttons"))
                if isinstance(product.get("payload"), str):
                    found.setdefault(product["payload"], str(product.get("name") or ""))
    return found


async def _button_title(engine: AsyncEngine, conversation_id: str, row: Row) -> str | None:
    """The title of the button whose payload the customer sent, from the bot messages
    shown before it; None when none of them had it."""
    query = (
        select(outbox.c.message)
        .where(*_visible("b", conversation_id), outbox.c.created_at <= row.received_at)
        .order_by(outbox.c.created_at.desc(), outbox.c.id.desc())
        .limit(BUTTON_LOOKBACK)
    )
    async with engine.connect() as conn:
        messages = (await conn.execute(query)).scalars().all()
    for message in messages:
        title = _titles(message or {}).get(row.payload)
        if title:
            return title
    return None


async def _customer_message(engine: AsyncEngine, conversation_id: str, row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"id": f"c{row.id}", "from": "customer"}
    if row.text is not None:
        out["text"] = row.text
    elif row.payload is not None:
        out["text"] = await _button_title(engine, conversation_id, row) or row.payload
    images = [
        a["url"]
        for a in row.attachments or []
        if isinstance(a, Mapping) and a.get("kind") == "image" and isinstance(a.get("url"), str)
    ]
    if images:
        out["image"] = images[0]
    out["at"] = as_utc(row.received_at).isoformat()
    return out


def _bot_message(row: Row) -> dict[str, Any]:
    message = row.message if isinstance(row.message, Mapping) else {}
    out: dict[str, Any] = {"id": f"b{row.id}", "from": "staff" if row.kind == "staff" else "bot"}
    for key in ("text", "buttons", "image", "custom"):
        if message.get(key) is not None:
            out[key] = message[key]
    out["at"] = as_utc(row.created_at).isoformat()
    return out


async def history_page(
    engine: AsyncEngine, conversation_id: str, *, before: Cursor | None, limit: int
) -> dict[str, Any]:
    """``{"messages": [...oldest first], "next_before": cursor | None}``."""
    before_at = await _cursor_time(engine, conversation_id, before) if before else None
    rows: list[tuple[str, Row]] = []
    for kind in ("c", "b"):
        found = await _newest(engine, kind, conversation_id, before, before_at, limit + 1)
        rows += [(kind, row) for row in found]
    rows.sort(key=lambda item: _sort_key(*item), reverse=True)
    page, more = rows[:limit], len(rows) > limit
    page.reverse()
    messages: list[dict[str, Any]] = []
    for kind, row in page:
        if kind == "c":
            messages.append(await _customer_message(engine, conversation_id, row))
        else:
            messages.append(_bot_message(row))
    next_before = messages[0]["id"] if more and messages else None
    return {"messages": messages, "next_before": next_before}

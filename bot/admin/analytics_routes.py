"""``GET /api/admin/analytics``: conversation analytics from Rasa's event stream (the scale
profile's `python -m bot analytics-consumer`), behind the admin token like the other admin
routes.

Query: ``from`` and ``to`` (YYYY-MM-DD, UTC days, inclusive; default: the last 7 days up to
today), ``conversation_id`` (one conversation), ``limit`` (conversations listed, 1-1000,
default 50). Answers ``{"from", "to", "days": [...], "intents": [...], "conversations": [...]}``;
a bad parameter is a 400 naming it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from bot.admin.routes import MAX_LIMIT, require_admin
from bot.core.http import ENGINE_KEY, RequestError, json_response
from bot.services.analytics import report

MAX_DAYS = 366
_CONVERSATION_RE = re.compile(r"[^\x00-\x1f\x7f]{1,200}")
_KNOWN = {"from", "to", "conversation_id", "limit"}


def _day(value: str | None, name: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RequestError(
            400, f"`{name}` must be a date YYYY-MM-DD, got {value[:30]!r}", name
        ) from None


async def analytics(request: web.Request) -> web.Response:
    require_admin(request)
    query = request.query
    unknown = sorted(set(query) - _KNOWN)
    if unknown:
        raise RequestError(
            400, f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(_KNOWN))}", unknown[0]
        )
    today = datetime.now(UTC).date()
    until = _day(query.get("to"), "to", today)
    since = _day(query.get("from"), "from", until - timedelta(days=6))
    if since > until:
        raise RequestError(400, "`from` must not be after `to`", "from")
    if (until - since).days >= MAX_DAYS:
        raise RequestError(400, f"ask for at most {MAX_DAYS} days at once", "from")
    conversation_id = query.get("conversation_id")
    if conversation_id is not None and not _CONVERSATION_RE.fullmatch(conversation_id):
        raise RequestError(
            400, "`conversation_id` must be 1-200 printable characters", "conversation_id"
        )
    raw_limit = query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise RequestError(
            400, f"`limit` must be a whole number 1-{MAX_LIMIT}, got {raw_limit[:20]!r}", "limit"
        )
    body = await report(
        request.app[ENGINE_KEY],
        since=since,
        until=until,
        conversation_id=conversation_id,
        limit=int(raw_limit),
    )
    return json_response(body)


def setup(app: web.Application) -> None:
    """Register the route (after :func:`bot.admin.routes.setup`, which sets the token)."""
    app.router.add_get("/api/admin/analytics", analytics)

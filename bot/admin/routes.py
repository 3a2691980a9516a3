"""Admin API: ``GET /api/admin/tickets`` behind ``Authorization: Bearer $ADMIN_TOKEN``."""

from __future__ import annotations

import hmac
import re

from aiohttp import web

from bot.gateway.context import CONFIG_KEY, ENGINE_KEY
from bot.gateway.http import RequestError, json_response, optional_string
from bot.services.tickets import list_tickets, ticket_to_json

_ID_RE = re.compile(r"[A-Za-z0-9._:@-]+")
_KIND_RE = re.compile(r"[a-z_]+")
MAX_LIMIT = 1000


def require_admin(request: web.Request) -> None:
    """Check the bearer token in constant time; 503 when no token is configured at all."""
    expected = request.app[CONFIG_KEY].secrets.admin_token
    if not expected:
        raise RequestError(
            503,
            "the admin API is off because the environment variable ADMIN_TOKEN is not set; "
            "set it (`make run` writes a generated one to .env) and restart the gateway",
        )
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(401, "send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`")
    # Header bytes that are not UTF-8 arrive as surrogate escapes; compare them as bytes.
    given = token.strip().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected.encode("utf-8", "surrogateescape")):
        raise RequestError(401, "the admin token is wrong")


async def tickets(request: web.Request) -> web.Response:
    """Tickets, newest first, optionally filtered by ``customer_id``, ``order_id`` and ``kind``."""
    require_admin(request)
    query = request.query
    customer_id = optional_string(
        query, "customer_id", max_length=32, pattern=_ID_RE, expected="a customer id like C0001"
    )
    order_id = optional_string(
        query, "order_id", max_length=32, pattern=_ID_RE, expected="an order number"
    )
    kind = optional_string(
        query, "kind", max_length=30, pattern=_KIND_RE, expected="a ticket kind like return"
    )
    raw_limit = optional_string(
        query, "limit", max_length=4, pattern=re.compile(r"[0-9]+"), expected="1-1000"
    )
    limit = int(raw_limit) if raw_limit is not None else 200
    if not 1 <= limit <= MAX_LIMIT:
        raise RequestError(400, f"`limit` must be between 1 and {MAX_LIMIT}, got {limit}", "limit")
    found = await list_tickets(
        request.app[ENGINE_KEY],
        customer_id=customer_id,
        order_id=order_id,
        kind=kind,
        limit=limit,
    )
    return json_response([ticket_to_json(t) for t in found])


def setup(app: web.Application) -> None:
    app.router.add_get("/api/admin/tickets", tickets)

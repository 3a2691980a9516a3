"""Admin API behind ``Authorization: Bearer $ADMIN_TOKEN``.

- ``GET /api/admin/tickets``: tickets, newest first (filters ``customer_id``, ``order_id``,
  ``kind``, ``limit``).
- ``GET /api/admin/tickets/{id}``: one ticket with its history and the statuses it may go to.
- ``POST /api/admin/tickets/{id}/transition`` with ``{"to": status, "note"?: str,
  "staff"?: str}``: staff move a ticket; the customer is told through the ticket notifier
  the gateway sets under :data:`NOTIFIER_KEY`. 400 names the bad field, 404 an unknown id,
  409 a transition the ticket's kind does not allow (with the allowed ones).
- ``GET /api/admin/outbox?state=dead``: bot messages in one delivery state, newest first
  (``state``: ``dead`` (the default: given up after their attempts or refused for good),
  ``pending``, ``sending`` or ``sent``; ``limit``, ``before_id`` to page).
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from aiohttp import web

from bot.core.http import (
    ENGINE_KEY,
    RequestError,
    json_response,
    optional_string,
    read_json_object,
)
from bot.core.outbox import OUTBOX_STATES, Outbox, OutboxItem
from bot.services.ticket_states import (
    STAFF_ACTOR_PREFIX,
    InvalidTransition,
    TicketNotFound,
    allowed_transitions,
)
from bot.services.tickets import (
    TicketNotifier,
    event_to_json,
    get_ticket,
    list_tickets,
    ticket_history,
    ticket_to_json,
    transition_ticket,
)
from bot.services.types import Ticket

# Set by whoever wires customer notifications (the gateway's outbox); absent: nobody is told.
NOTIFIER_KEY = web.AppKey("ticket_notifier", TicketNotifier)
# The token the API expects ("": the API is off), given to :func:`setup`.
ADMIN_TOKEN_KEY = web.AppKey("admin_token", str)

_ID_RE = re.compile(r"[A-Za-z0-9._:@-]+")
_KIND_RE = re.compile(r"[a-z_]+")
MAX_LIMIT = 1000


def require_admin(request: web.Request) -> None:
    """Check the bearer token in constant time; 503 when no token is configured at all."""
    expected = request.app[ADMIN_TOKEN_KEY]
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
    limit = _limit(query, default=200)
    found = await list_tickets(
        request.app[ENGINE_KEY],
        customer_id=customer_id,
        order_id=order_id,
        kind=kind,
        limit=limit,
    )
    return json_response([ticket_to_json(t) for t in found])


def _limit(query: Any, *, default: int) -> int:
    raw_limit = optional_string(
        query, "limit", max_length=4, pattern=re.compile(r"[0-9]+"), expected="1-1000"
    )
    limit = int(raw_limit) if raw_limit is not None else default
    if not 1 <= limit <= MAX_LIMIT:
        raise RequestError(400, f"`limit` must be between 1 and {MAX_LIMIT}, got {limit}", "limit")
    return limit


def _outbox_json(item: OutboxItem) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": item.id,
        "state": item.status,
        "conversation_id": item.conversation_id,
        "channel": item.channel,
        "kind": item.kind,
        "inbox_id": item.inbox_id,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": when(item.created_at),
        "next_attempt_at": when(item.next_attempt_at),
        "sent_at": when(item.sent_at),
        "message": dict(item.message.to_json()),
    }


async def outbox_rows(request: web.Request) -> web.Response:
    """Outbox rows in one ``state`` (default ``dead``), newest first."""
    require_admin(request)
    query = request.query
    state = query.get("state", "dead")
    if state not in OUTBOX_STATES:
        raise RequestError(
            400, f"`state` must be one of {', '.join(OUTBOX_STATES)}, got {state[:30]!r}", "state"
        )
    limit = _limit(query, default=100)
    raw_before = optional_string(
        query, "before_id", max_length=18, pattern=re.compile(r"[0-9]+"), expected="an outbox id"
    )
    found = await Outbox(request.app[ENGINE_KEY]).listing(
        states=(state,), limit=limit, before_id=int(raw_before) if raw_before else None
    )
    return json_response([_outbox_json(i) for i in found])


_TICKET_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,40}")
_STATUS_RE = re.compile(r"[a-z_]{1,30}")
_STAFF_RE = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
MAX_NOTE = 2000
_TRANSITION_FIELDS = {"to", "note", "staff"}


def _ticket_id(request: web.Request) -> str:
    ticket_id = request.match_info["ticket_id"]
    if not _TICKET_ID_RE.fullmatch(ticket_id):
        raise RequestError(
            400, f"the ticket id must look like TK-20260421-0001, got {ticket_id!r}", "id"
        )
    return ticket_id


def _detail(ticket: Ticket, history: list[Any]) -> dict[str, Any]:
    return {
        **ticket_to_json(ticket),
        "allowed_transitions": list(allowed_transitions(ticket.kind, ticket.status)),
        "history": [event_to_json(event) for event in history],
    }


async def ticket_detail(request: web.Request) -> web.Response:
    """One ticket with its history (oldest first) and the statuses it may go to next."""
    require_admin(request)
    ticket_id = _ticket_id(request)
    engine = request.app[ENGINE_KEY]
    ticket = await get_ticket(engine, ticket_id)
    if ticket is None:
        raise RequestError(404, f"there is no ticket {ticket_id!r}", "id")
    return json_response(_detail(ticket, await ticket_history(engine, ticket_id)))


async def ticket_transition(request: web.Request) -> web.Response:
    """Move a ticket to ``to``; the change is recorded with the staff name and note."""
    require_admin(request)
    ticket_id = _ticket_id(request)
    body = await read_json_object(request)
    unknown = sorted(set(body) - _TRANSITION_FIELDS)
    if unknown:
        raise RequestError(
            400,
            f'unknown field(s) {unknown}; send {{"to": status, "note"?: text, "staff"?: name}}',
            unknown[0],
        )
    to = optional_string(body, "to", max_length=30, pattern=_STATUS_RE, expected="a status")
    if to is None:
        raise RequestError(400, "`to` is required: the status to move the ticket to", "to")
    note = optional_string(body, "note", max_length=MAX_NOTE, expected="free text")
    staff = optional_string(body, "staff", max_length=100, pattern=_STAFF_RE, expected="a name")
    engine = request.app[ENGINE_KEY]
    try:
        done = await transition_ticket(
            engine,
            ticket_id,
            to,
            actor=STAFF_ACTOR_PREFIX + (staff.strip() if staff and staff.strip() else "admin"),
            note=note,
            notifier=request.app.get(NOTIFIER_KEY),
        )
    except TicketNotFound:
        raise RequestError(404, f"there is no ticket {ticket_id!r}", "id") from None
    except InvalidTransition as exc:
        return json_response(
            {
                "error": str(exc),
                "field": "to",
                "status": exc.ticket.status,
                "allowed_transitions": list(exc.allowed),
            },
            status=409,
        )
    detail = _detail(done.ticket, await ticket_history(engine, ticket_id))
    return json_response({**detail, "changed": done.changed})


def setup(app: web.Application, *, admin_token: str | None) -> None:
    """Register the admin API; ``admin_token``: the ``ADMIN_TOKEN`` secret (None: API off)."""
    app[ADMIN_TOKEN_KEY] = admin_token or ""
    app.router.add_get("/api/admin/tickets", tickets)
    app.router.add_get("/api/admin/tickets/{ticket_id}", ticket_detail)
    app.router.add_post("/api/admin/tickets/{ticket_id}/transition", ticket_transition)
    app.router.add_get("/api/admin/outbox", outbox_rows)

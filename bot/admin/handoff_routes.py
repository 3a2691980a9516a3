"""``GET /api/admin/handoffs?status=waiting|active``: the open handoffs in the order staff
should take them (behind the admin token): the waiting ones by priority, highest complaint
risk and longest wait first (the formula in :mod:`bot.handoff.priority`), then the active ones.

Each row: ``id``, ``status``, ``conversation_id``, ``channel``, ``customer_id``, ``reason``,
``created_at``, ``wait_s``, ``complaint_risk`` (null: a guest or no model), ``priority``
(null for active ones), ``staff_user``. 503 when the gateway has no handoff service.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.admin.routes import require_admin
from bot.core.http import RequestError, json_response
from bot.core.queue import utcnow
from bot.handoff.priority import WAITING
from bot.handoff.setup import HANDOFF_KEY
from bot.handoff.store import Handoff


def _row(h: Handoff, now: Any) -> dict[str, Any]:
    return {
        "id": h.id,
        "status": h.status,
        "conversation_id": h.conversation_id,
        "channel": h.channel,
        "customer_id": h.customer_id,
        "reason": h.reason,
        "created_at": h.created_at.isoformat(),
        "wait_s": round((now - h.created_at).total_seconds(), 1),
        "complaint_risk": h.detail.get("complaint_risk"),
        "segment_boost": h.detail.get("segment_boost"),
        "priority": h.detail.get("priority") if h.status in WAITING else None,
        "staff_user": h.staff_user,
    }


async def handoffs(request: web.Request) -> web.Response:
    require_admin(request)
    status = request.query.get("status")
    if status is not None and status not in ("waiting", "active"):
        raise RequestError(
            400, f"`status` must be waiting or active, got {status[:30]!r}", "status"
        )
    parts = request.app.get(HANDOFF_KEY)
    service = parts.service if parts is not None else None
    if service is None:
        raise RequestError(503, "the handoff service is not running in this gateway")
    now = utcnow()
    found = await service.open_handoffs()
    if status == "waiting":
        found = [h for h in found if h.status in WAITING]
    elif status == "active":
        found = [h for h in found if h.status not in WAITING]
    return json_response([_row(h, now) for h in found])


def setup(app: web.Application) -> None:
    app.router.add_get("/api/admin/handoffs", handoffs)

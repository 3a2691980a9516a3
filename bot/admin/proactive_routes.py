"""The proactive service in the admin API (behind the admin token like the other routes):

- ``POST /api/admin/proactive/run`` with ``{"dry_run"?: bool}`` (or no body): one round of the
  scheduler now, whatever ``proactive.enabled`` says; answers the round (``ran``, ``released``
  and each finding with its ``outcome``: queued, held, no_channel, duplicate or retry). 503
  when the gateway has no scheduler.
- ``GET /api/admin/proactive/notices?status=&limit=``: the ``proactive_notices`` rows, newest
  first, with their text, detail (risk, reasons, offer) and how staff were alerted.
"""

from __future__ import annotations

from aiohttp import web

from bot.admin.routes import require_admin
from bot.core.http import ENGINE_KEY, RequestError, json_response, optional_flag
from bot.core.proactive import PROACTIVE_KEY
from bot.services.proactive import list_notices

NOTICE_STATUSES = ("held", "queued", "no_channel", "sending")
MAX_LIMIT = 1000


async def run(request: web.Request) -> web.Response:
    require_admin(request)
    dry_run = await optional_flag(request, "dry_run", default=False)
    scheduler = request.app.get(PROACTIVE_KEY)
    if scheduler is None:
        raise RequestError(503, "the proactive scheduler is not running in this gateway")
    report = await scheduler.run_once(dry_run=dry_run)
    return json_response({"dry_run": dry_run, **report.to_json()})


async def notices(request: web.Request) -> web.Response:
    require_admin(request)
    status = request.query.get("status")
    if status is not None and status not in NOTICE_STATUSES:
        raise RequestError(
            400,
            f"`status` must be one of {', '.join(NOTICE_STATUSES)}, got {status[:30]!r}",
            "status",
        )
    raw = request.query.get("limit", "200")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise RequestError(
            400, f"`limit` must be between 1 and {MAX_LIMIT}, got {raw[:10]!r}", "limit"
        )
    found = await list_notices(request.app[ENGINE_KEY], status=status, limit=int(raw))
    return json_response(found)


def setup(app: web.Application) -> None:
    app.router.add_post("/api/admin/proactive/run", run)
    app.router.add_get("/api/admin/proactive/notices", notices)

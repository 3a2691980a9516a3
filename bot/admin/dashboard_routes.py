"""The staff dashboard (README "Dashboard"): ``GET /api/admin/dashboard?days=1..365`` (any
admin role, the bearer ``ADMIN_TOKEN`` or the studio's session cookie; 400 naming ``days`` for a
bad value) and the page ``GET /admin/dashboard`` with its script and style sheet.

The page is static (bot/admin/static/dashboard.*): no external resources, charts drawn as inline
SVG by its script from the API's JSON. The gateway fills in only its labels (both languages,
``dashboard.*`` in bot/i18n, as JSON in an attribute); the page holds no secret, so it needs no
log-in itself: the script asks ``GET /api/admin/me`` and shows a log-in form on 401.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from aiohttp import web

from bot.admin.studio_routes import actor
from bot.config import Config, resolve_repo_path
from bot.core.http import ENGINE_KEY, RequestError, json_response
from bot.i18n import page_labels
from bot.services.dashboard import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, dashboard

STATIC_DIR = Path(__file__).resolve().parent / "static"
DASHBOARD_CONFIG_KEY = web.AppKey("dashboard_config", Config)
_DAYS_RE = re.compile(r"[0-9]{1,3}")
_KNOWN = {"days"}
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_ASSETS = {"dashboard.js": "application/javascript", "dashboard.css": "text/css"}


def parse_days(raw: str | None) -> int:
    """``days`` of the query: a whole number 1-365, 30 when absent."""
    if raw is None:
        return DEFAULT_DAYS
    if not _DAYS_RE.fullmatch(raw) or not MIN_DAYS <= int(raw) <= MAX_DAYS:
        raise RequestError(
            400, f"`days` must be a whole number {MIN_DAYS}-{MAX_DAYS}, got {raw[:20]!r}", "days"
        )
    return int(raw)


async def dashboard_json(request: web.Request) -> web.Response:
    await actor(request, "read")
    unknown = sorted(set(request.query) - _KNOWN)
    if unknown:
        raise RequestError(400, f"unknown parameter {unknown[0][:40]!r}; known: days", unknown[0])
    values = request.query.getall("days", [])
    if len(values) > 1:
        raise RequestError(400, "`days` is given more than once; give it once", "days")
    days = parse_days(values[0] if values else None)
    cfg = request.app[DASHBOARD_CONFIG_KEY]
    body = await dashboard(
        request.app[ENGINE_KEY],
        days=days,
        timezone=cfg.shop.timezone,
        promise_days=cfg.insight.promise_days,
        delay_model=resolve_repo_path(cfg.insight.delay_model),
        segments_summary=resolve_repo_path(cfg.insight.segments_summary),
    )
    return json_response(body)


def render_page() -> bytes:
    page = (STATIC_DIR / "dashboard.html").read_text(encoding="utf-8")
    labels = json.dumps(page_labels("dashboard."), ensure_ascii=False, separators=(",", ":"))
    return page.replace("{{labels}}", html.escape(labels, quote=True)).encode("utf-8")


async def page(request: web.Request) -> web.Response:
    return web.Response(
        body=render_page(), content_type="text/html", charset="utf-8", headers=PAGE_HEADERS
    )


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = _ASSETS.get(name)
    if content_type is None:
        raise RequestError(404, f"nothing at {request.path}")
    return web.Response(
        body=(STATIC_DIR / name).read_bytes(),
        content_type=content_type,
        charset="utf-8",
        headers=PAGE_HEADERS,
    )


def setup(app: web.Application, cfg: Config) -> None:
    """Register the dashboard (after :func:`bot.admin.routes.setup`, which sets the token)."""
    app[DASHBOARD_CONFIG_KEY] = cfg
    app.router.add_get("/api/admin/dashboard", dashboard_json)
    app.router.add_get("/admin/dashboard", page)
    app.router.add_get("/admin/dashboard/{name}", asset)

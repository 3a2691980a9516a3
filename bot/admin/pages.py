"""The admin pages at ``/admin`` (README "Admin studio"): static HTML, CSS and JavaScript in
bot/admin/static/ that use only the JSON API under ``/api/admin`` with the session cookie and
the ``X-CSRF-Token`` header.

Every response carries a Content-Security-Policy that allows this origin only (no inline
scripts or styles, no frames), so a text that slipped through as markup could not run. The
pages' labels come from bot/i18n/admin.py through ``GET /admin/texts.json``.

Every page is the same shell (``static/page.template.html``) with its own script: adding a
page is ``static/<page>.js`` (``Admin.page("<page>", async (main, me) => ...)``), plus one entry
in ``NAV`` in ``static/common.js`` and its ``admin.nav.<page>`` label in bot/i18n/admin.py;
``/admin/<page>.html`` is then served from the shell.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from bot.core.http import RequestError, json_response
from bot.i18n import admin_labels

STATIC_DIR = Path(__file__).resolve().parent / "static"
HOME = "faq.html"
TEMPLATE = "page.template.html"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_FILE = re.compile(r"[a-z0-9][a-z0-9_-]{0,40}\.(html|js|css)")
_TYPES = {"html": "text/html", "js": "text/javascript", "css": "text/css"}


async def home(request: web.Request) -> web.Response:
    raise web.HTTPFound("/admin/" + HOME, headers=HEADERS)


def page_html(page: str) -> bytes | None:
    """The shell of the page whose script is ``static/<page>.js``, or None without one."""
    if not (STATIC_DIR / f"{page}.js").is_file() or page == "common":
        return None
    shell = (STATIC_DIR / TEMPLATE).read_text("utf-8")
    return shell.replace("{page}", page).encode("utf-8")


async def page_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    match = _FILE.fullmatch(name)
    path = STATIC_DIR / name
    body: bytes | None = None
    if match is not None and name != TEMPLATE:
        if path.is_file():
            body = path.read_bytes()
        elif match.group(1) == "html":
            body = page_html(name.removesuffix(".html"))
    if match is None or body is None:
        raise RequestError(404, f"there is no admin page file {name[:60]!r}", "name")
    return web.Response(
        body=body,
        content_type=_TYPES[match.group(1)],
        charset="utf-8",
        headers=HEADERS,
    )


async def texts(request: web.Request) -> web.Response:
    response = json_response(admin_labels())
    response.headers.update(HEADERS)
    return response


def setup(app: web.Application) -> None:
    app.router.add_get("/admin", home)
    app.router.add_get("/admin/", home)
    app.router.add_get("/admin/texts.json", texts)
    app.router.add_get("/admin/{name}", page_file)

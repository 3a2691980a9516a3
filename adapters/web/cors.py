"""Cross-origin access to the public chat endpoints, for the widget on a shop's own pages.

The widget (``/widget.js``) runs on the shop's origin and calls the gateway's ``/api/chat*``
endpoints from there. Browsers allow that only when the answers carry
``Access-Control-Allow-Origin`` for the page's origin (``web.allowed_origins``: ``*`` for any,
else exact origins). No cookies are involved: the identity travels in the body or the query,
so credentials are never allowed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from aiohttp import web

from bot.config import ConfigError

ORIGIN_RE = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
PUBLIC_PREFIX = "/api/chat"
PUBLIC_PATHS = ("/widget.js",)
ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Last-Event-ID"
MAX_AGE_S = "600"


def parse_origins(values: Sequence[str]) -> frozenset[str]:
    """``web.allowed_origins`` checked: ``*`` or origins like ``https://shop.example:8443``."""
    origins: set[str] = set()
    for value in values:
        value = value.strip()
        if value != "*" and not ORIGIN_RE.fullmatch(value):
            raise ConfigError(
                f"web.allowed_origins: {value!r} is not an origin; give '*' or scheme://host"
                "[:port] without a path, e.g. https://shop.example"
            )
        origins.add(value.lower() if value != "*" else value)
    return frozenset(origins)


def is_public(path: str) -> bool:
    return path == PUBLIC_PREFIX or path.startswith(PUBLIC_PREFIX + "/") or path in PUBLIC_PATHS


class Cors:
    """Adds the CORS headers to every answer of a public chat endpoint (errors and the push
    stream included) and answers the browsers' preflight requests."""

    def __init__(self, allowed: Sequence[str]) -> None:
        self.origins = parse_origins(allowed)
        self.any = "*" in self.origins

    def allow(self, origin: str | None) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``; None: not allowed."""
        if not origin:
            return None
        if self.any:
            return "*"
        return origin if origin.lower() in self.origins else None

    def setup(self, app: web.Application, paths: Sequence[str]) -> None:
        for path in paths:
            app.router.add_route("OPTIONS", path, self.preflight)
        app.on_response_prepare.append(self._add_headers)

    async def _add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        if not is_public(request.path):
            return
        if not self.any:
            response.headers.add("Vary", "Origin")
        allowed = self.allow(request.headers.get("Origin"))
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            response.headers["Access-Control-Expose-Headers"] = "Retry-After"

    async def preflight(self, request: web.Request) -> web.Response:
        """``OPTIONS``: which methods and headers the page may use (204), or 403 naming the
        origin that ``web.allowed_origins`` does not list."""
        origin = request.headers.get("Origin")
        if self.allow(origin) is None:
            return web.json_response(
                {
                    "error": f"the origin {origin!r} may not call the chat; add it to "
                    "web.allowed_origins",
                    "field": "Origin",
                },
                status=403,
            )
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_S,
            },
        )

"""``GET /metrics``: the gateway's Prometheus metrics in the text exposition format.

Open by default (scraped from a private network); with the secret ``METRICS_TOKEN`` set, a
scrape must send ``Authorization: Bearer <METRICS_TOKEN>`` and gets a 401 JSON error otherwise.
The database gauges and the model info are refreshed by the scrape (cached a few seconds:
:mod:`bot.observability.scrape`).
"""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.core.http import RequestError
from bot.gateway.context import ENGINE_KEY, RASA_KEY
from bot.observability import metrics
from bot.observability.scrape import ScrapeGauges

METRICS_TOKEN_KEY = web.AppKey("metrics_token", str)
SCRAPE_KEY = web.AppKey("metrics_scrape", ScrapeGauges)


def setup(app: web.Application, *, token: str | None) -> None:
    """Register ``GET /metrics``; ``token``: the ``METRICS_TOKEN`` secret (None: open)."""
    app[METRICS_TOKEN_KEY] = token or ""
    app[SCRAPE_KEY] = ScrapeGauges()
    app.router.add_get("/metrics", metrics_endpoint)


def require_token(request: web.Request) -> None:
    """Check the bearer token in constant time when one is configured."""
    expected = request.app[METRICS_TOKEN_KEY]
    if not expected:
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RequestError(
            401,
            "send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`",
            "Authorization",
        )
    given = token.strip().encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected.encode("utf-8", "surrogateescape")):
        raise RequestError(401, "the metrics token is wrong", "Authorization")


async def metrics_endpoint(request: web.Request) -> web.Response:
    require_token(request)
    rasa = request.app[RASA_KEY]
    await request.app[SCRAPE_KEY].refresh(
        request.app[ENGINE_KEY],
        session=rasa.session,
        rasa_url=rasa.rasa_url,
        rasa_token=rasa.auth_token,
    )
    return web.Response(
        body=metrics.exposition(metrics.GATEWAY),
        headers={"Content-Type": metrics.CONTENT_TYPE, "Cache-Control": "no-store"},
    )

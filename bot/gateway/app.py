"""The gateway application: channels, web chat, health and admin API on one aiohttp app."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import load_adapters
from bot.admin import routes as admin_routes
from bot.admin.routes import NOTIFIER_KEY
from bot.config import Config, resolve_repo_path
from bot.core.media import MediaStore
from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient
from bot.gateway.context import (
    CONFIG_KEY,
    ENGINE_KEY,
    MEDIA_KEY,
    PIPELINE_KEY,
    RASA_KEY,
    SENDERS_KEY,
)
from bot.gateway.http import RequestError, error_middleware, error_response, json_response
from bot.gateway.notify import OutboxTicketNotifier
from bot.handoff import setup as handoff
from bot.services.catalog import get_product
from bot.services.types import Product
from bot.shop.images import render_product_png, render_product_svg
from bot.storage.db import create_engine, create_schema

logger = logging.getLogger(__name__)

_PRODUCT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Product images are rendered from catalog text: forbid scripts even if a name held markup.
_SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
}


def create_app(
    cfg: Config, *, engine: AsyncEngine | None = None, rasa: RasaClient | None = None
) -> web.Application:
    """Build the gateway. The engine and the Rasa client are created in the start-up hook
    unless given (and then closed by their owner, not by the app)."""
    app = web.Application(middlewares=[error_middleware])
    app[CONFIG_KEY] = cfg
    app[SENDERS_KEY] = {}
    app[MEDIA_KEY] = MediaStore(
        resolve_repo_path(cfg.channels.media_dir), max_bytes=cfg.channels.max_media_bytes
    )
    # First: the adapters' own start-up hooks (polling, Socket Mode) need the pipeline.
    app.cleanup_ctx.append(_resources(cfg, engine, rasa))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/products/{product_id}.svg", product_image)
    app.router.add_get("/products/{product_id}.png", product_image_png)
    app.router.add_get("/media/{name}", media_file)
    admin_routes.setup(app)
    for adapter in load_adapters(cfg):
        adapter.setup(app)
        logger.debug("channel %s registered", adapter.channel)
    handoff.setup(app)  # after the channels: the Slack staff desk uses the Slack adapter
    return app


def _resources(
    cfg: Config, engine: AsyncEngine | None, rasa: RasaClient | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        db = engine if engine is not None else create_engine(cfg.database.url)
        client = rasa or RasaClient(
            cfg.rasa.url,
            cfg.actions.url,
            timeout_s=cfg.rasa.timeout_s,
            auth_token=cfg.secrets.rasa_auth_token,
        )
        pipeline: Pipeline | None = None
        try:
            if engine is None:
                # Tables the gateway writes (messages) must exist even before the first seed.
                await create_schema(db)
            await client.start()
            app[ENGINE_KEY] = db
            app[RASA_KEY] = client
            pipeline = Pipeline(db, client, delivery=cfg.delivery, senders=app[SENDERS_KEY])
            app[PIPELINE_KEY] = pipeline
            # Staff moving a ticket tell the customer through the outbox (unless the app was
            # given another notifier).
            if NOTIFIER_KEY not in app:
                app[NOTIFIER_KEY] = OutboxTicketNotifier(pipeline, timezone=cfg.shop.timezone)
            # Before the pipeline starts: every message, also those left over, is routed.
            handoff.install(app, pipeline)
            # Picks up what a previous run left: unanswered messages and unsent replies.
            # SQLite means one gateway process: what a previous run left is ours at once.
            await pipeline.start(reclaim=db.dialect.name == "sqlite")
            yield
        finally:
            if pipeline is not None:
                await pipeline.close()
            if rasa is None:
                await client.close()
            if engine is None:
                await db.dispose()

    return resources


async def healthz(request: web.Request) -> web.Response:
    """200 when Rasa and the action server answer, else 503 naming what is down."""
    rasa_health, actions_health = await request.app[RASA_KEY].health()
    body: dict[str, str] = {
        "gateway": "ok",
        "rasa": "ok" if rasa_health.ok else "down",
        "actions": "ok" if actions_health.ok else "down",
    }
    down = [h for h in (rasa_health, actions_health) if not h.ok]
    if not down:
        return json_response(body)
    body["error"] = "; ".join(f"{h.name} is down: {h.detail}" for h in down)
    return json_response(body, status=503)


async def _product(request: web.Request) -> Product:
    product_id = request.match_info["product_id"]
    product = None
    if _PRODUCT_ID_RE.fullmatch(product_id):
        product = await get_product(request.app[ENGINE_KEY], product_id)
    if product is None:
        raise RequestError(404, f"no product {product_id!r}", "product_id")
    return product


async def product_image_png(request: web.Request) -> web.Response:
    """The product card as PNG, for platforms that cannot show SVG (Telegram, Slack)."""
    product = await _product(request)
    return web.Response(
        body=render_product_png(product),
        content_type="image/png",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def media_file(request: web.Request) -> web.StreamResponse:
    """A photo a customer sent (names are content hashes; nothing else is served)."""
    name = request.match_info["name"]
    path = request.app[MEDIA_KEY].path_of(name)
    if path is None:
        return error_response(404, f"no media file {name!r}", "name")
    return web.FileResponse(
        path,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


async def product_image(request: web.Request) -> web.Response:
    product = await _product(request)
    return web.Response(
        text=render_product_svg(product),
        content_type="image/svg+xml",
        charset="utf-8",
        headers=_SVG_HEADERS,
    )

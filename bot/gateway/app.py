"""The gateway application: channels, web chat, health and admin API on one aiohttp app.

:func:`create_app` is given the channel adapters and the handoff set-up by the composition root
(:mod:`bot.gateway.__main__`); it imports no channel. It registers each adapter's routes and
sender, makes the database, Rasa client and pipeline in its start-up hook, and then runs each
adapter with the started :class:`~bot.core.channels.ChannelServices`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import (
    analytics_routes,
    dashboard_routes,
    handoff_routes,
    pages,
    proactive_routes,
    studio_extra_routes,
    studio_routes,
)
from bot.admin import routes as admin_routes
from bot.admin.routes import NOTIFIER_KEY
from bot.config import Config, ConfigError, resolve_repo_path
from bot.core.buttons import ButtonStore
from bot.core.channels import ChannelAdapter, ChannelServices
from bot.core.http import RequestError, error_middleware, error_response, json_response
from bot.core.media import MediaStore
from bot.core.multi_intent import MultiIntentSplitter
from bot.core.outbox import Sender
from bot.core.pipeline import Pipeline
from bot.core.proactive import PROACTIVE_KEY, ProactiveScheduler, StaffAlerts
from bot.core.rasa_client import RasaClient
from bot.core.render import OptionsMemory
from bot.gateway import monitoring
from bot.gateway.context import (
    ENGINE_KEY,
    MEDIA_KEY,
    RASA_KEY,
    SERVICES_KEY,
)
from bot.gateway.images import CatalogImages
from bot.gateway.notify import OutboxTicketNotifier
from bot.handoff.setup import HandoffSetup
from bot.services.types import Product
from bot.shop.images import render_product_png, render_product_svg
from bot.storage.db import create_engine
from bot.storage.migrate import ensure_current
from bot.studio.deploy import Deployer

logger = logging.getLogger(__name__)

# Product images are rendered from catalog text: forbid scripts even if a name held markup.
_SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
}


def media_store(cfg: Config) -> MediaStore:
    """The store of photos customers and staff send (``channels.media_dir``)."""
    return MediaStore(
        resolve_repo_path(cfg.channels.media_dir), max_bytes=cfg.channels.max_media_bytes
    )


def create_app(
    cfg: Config,
    *,
    adapters: Sequence[ChannelAdapter] = (),
    handoff: HandoffSetup | None = None,
    media: MediaStore | None = None,
    engine: AsyncEngine | None = None,
    rasa: RasaClient | None = None,
    studio_deployer: Callable[[AsyncEngine], Deployer] | None = None,
) -> web.Application:
    """Build the gateway serving ``adapters`` (constructed by the caller, the composition
    root), with ``handoff`` (the staff desk it was given; none: requests for a person become
    tickets) and ``media`` (made from the config unless given; the staff desk shares it).

    The engine and the Rasa client are created in the start-up hook unless given (and then
    closed by their owner, not by the app). ``studio_deployer`` makes the admin studio's
    deployer from the engine (tests give one with a fake trainer; by default the real one)."""
    handoff = handoff if handoff is not None else HandoffSetup(cfg)
    app = web.Application(middlewares=[error_middleware])
    app[MEDIA_KEY] = media if media is not None else media_store(cfg)
    senders = {adapter.channel: adapter.sender for adapter in adapters}
    # First: the channels, started next, need the pipeline.
    app.cleanup_ctx.append(_resources(cfg, engine, rasa, senders, handoff))
    app.router.add_get("/healthz", healthz)
    monitoring.setup(app, token=cfg.secrets.metrics_token)
    app.router.add_get("/products/{product_id}.svg", product_image)
    app.router.add_get("/products/{product_id}.png", product_image_png)
    app.router.add_get("/media/{name}", media_file)
    admin_routes.setup(app, admin_token=cfg.secrets.admin_token)
    analytics_routes.setup(app)
    proactive_routes.setup(app)
    handoff_routes.setup(app)
    studio_routes.setup(app, cfg, deployer=studio_deployer)  # after _resources: the engine
    studio_extra_routes.setup(app)
    dashboard_routes.setup(app, cfg)
    pages.setup(app)  # the admin pages at /admin
    for adapter in adapters:
        adapter.setup(app)
        app.cleanup_ctx.append(_channel(adapter))
        logger.debug("channel %s registered", adapter.channel)
    handoff.register(app)  # after the channels: its worker starts once they run
    return app


def _channel(adapter: ChannelAdapter) -> Callable[[web.Application], AsyncIterator[None]]:
    """Run ``adapter`` while the app runs, with the services made by the start-up hook."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        async with adapter.running(app[SERVICES_KEY]):
            yield

    return run


def rasa_pairs(cfg: Config) -> list[tuple[str, str]]:
    """(Rasa URL, its action server URL) for each Rasa server: ``rasa.urls`` with
    ``actions.urls`` in the same order (the scale profile), else ``rasa.url`` alone."""
    if not cfg.rasa.urls:
        return [(cfg.rasa.url, cfg.actions.url)]
    actions = cfg.actions.urls
    if actions and len(actions) != len(cfg.rasa.urls):
        raise ConfigError(
            f"ACTION_SERVER_URLS lists {len(actions)} action servers for "
            f"{len(cfg.rasa.urls)} RASA_URLS; give one per Rasa server, in the same order"
        )
    return [
        (url, actions[i] if actions else cfg.actions.url) for i, url in enumerate(cfg.rasa.urls)
    ]


def _resources(
    cfg: Config,
    engine: AsyncEngine | None,
    rasa: RasaClient | None,
    senders: dict[str, Sender],
    handoff: HandoffSetup,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def resources(app: web.Application) -> AsyncIterator[None]:
        db = engine if engine is not None else create_engine(cfg.database.url)
        pairs = rasa_pairs(cfg)
        client = rasa or RasaClient(
            *pairs[0],
            timeout_s=cfg.rasa.timeout_s,
            auth_token=cfg.secrets.rasa_auth_token,
            fallbacks=pairs[1:],
        )
        pipeline: Pipeline | None = None
        scheduler: ProactiveScheduler | None = None
        try:
            if engine is None:
                # The schema must be at the code's head revision. SQLite (one host, `make run`)
                # is migrated here; on PostgreSQL replicas would race, so there the gateway
                # refuses to start (DatabaseBehind) until `python -m bot migrate` has run.
                await ensure_current(db)
            await client.start()
            app[ENGINE_KEY] = db
            app[RASA_KEY] = client
            splitter = MultiIntentSplitter(
                client,
                enabled=cfg.nlu.split_multi_intent,
                min_confidence=cfg.nlu.split_min_confidence,
            )
            pipeline = Pipeline(
                db, client, delivery=cfg.delivery, senders=senders, splitter=splitter
            )
            app[SERVICES_KEY] = ChannelServices(
                pipeline=pipeline,
                media=app[MEDIA_KEY],
                images=CatalogImages(db),
                buttons=ButtonStore(db),
                options=OptionsMemory(db),
            )
            # Staff moving a ticket tell the customer through the outbox (unless the app was
            # given another notifier).
            if NOTIFIER_KEY not in app:
                app[NOTIFIER_KEY] = OutboxTicketNotifier(pipeline, timezone=cfg.shop.timezone)
            # Before the pipeline starts: every message, also those left over, is routed.
            handoff.install(db, client, pipeline)
            # Picks up what a previous run left: unanswered messages and unsent replies.
            # SQLite means one gateway process: what a previous run left is ours at once.
            await pipeline.start(reclaim=db.dialect.name == "sqlite")
            # Late and stalled parcels, restocks: told before the customer asks (README
            # "Insight"). Made also when switched off, for the admin API's runs.
            desk = handoff.desk
            scheduler = ProactiveScheduler(
                db,
                cfg,
                alerts=desk if isinstance(desk, StaffAlerts) else None,
                wake=pipeline.wake,
            )
            app[PROACTIVE_KEY] = scheduler
            if cfg.proactive.enabled:
                scheduler.start()
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()
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
    product = await CatalogImages(request.app[ENGINE_KEY]).product(product_id)
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

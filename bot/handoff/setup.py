"""Wiring the handoff to staff (:mod:`bot.handoff.service`) into the gateway.

:func:`setup` runs while the app is built: it checks the ``handoff`` settings and, when the
Slack channel is on and ``SLACK_SUPPORT_CHANNEL`` is set, creates the Slack staff desk, whose
Bolt listeners must exist before the app starts. :func:`install` runs in the start-up hook
right after the pipeline is made and before it takes its first message, so every message is
routed (also those a previous run left in the inbox). The worker starts after the channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from adapters import enabled_channels
from bot.config import Config, resolve_repo_path
from bot.core.pipeline import Pipeline
from bot.gateway.context import CONFIG_KEY, ENGINE_KEY, MEDIA_KEY, RASA_KEY
from bot.handoff.rules import check_settings
from bot.handoff.service import HandoffService, LazySentiment, SentimentScorer, StaffDesk

logger = logging.getLogger(__name__)


@dataclass
class HandoffParts:
    """What :func:`setup` prepared for :func:`install`."""

    desk: StaffDesk | None
    service: HandoffService | None = None


HANDOFF_KEY = web.AppKey("handoff", HandoffParts)


def setup(app: web.Application) -> None:
    """Check the settings and set up the staff desk (Slack) on the app being built."""
    cfg = app[CONFIG_KEY]
    check_settings(cfg)
    desk: StaffDesk | None = None
    support = cfg.secrets.slack_support_channel
    slack = "slack" in enabled_channels(cfg)
    if cfg.handoff.enabled and support and slack:
        from adapters.slack.adapter import SLACK_KEY
        from adapters.slack.staff_desk import SlackStaffDesk

        desk = SlackStaffDesk(
            app[SLACK_KEY], support_channel=support, cfg=cfg, media=app[MEDIA_KEY]
        )
    elif cfg.handoff.enabled:
        # Half a Slack set-up is likely a mistake; no Slack at all is a normal choice.
        log = logger.warning if (support or slack) else logger.info
        log(
            "handoff to staff is off: it needs the Slack channel (SLACK_BOT_TOKEN) and "
            "SLACK_SUPPORT_CHANNEL (set: %s); asking for a person records a message ticket",
            ", ".join(n for n, on in (("Slack", slack), ("support channel", support)) if on)
            or "neither",
        )
    app[HANDOFF_KEY] = HandoffParts(desk)
    app.cleanup_ctx.append(_worker)


def install(app: web.Application, pipeline: Pipeline) -> HandoffService | None:
    """Make the handoff service and route the pipeline's messages through it (start-up
    hook, before the pipeline starts). None when :func:`setup` was not called."""
    parts = app.get(HANDOFF_KEY)
    if parts is None:
        return None
    cfg = app[CONFIG_KEY]
    service = HandoffService(
        app[ENGINE_KEY],
        app[RASA_KEY],
        pipeline,
        cfg,
        desk=parts.desk,
        # Sentiment only decides handoffs: without a staff desk the model is not needed.
        sentiment=load_sentiment(cfg) if parts.desk is not None else None,
    )
    attach = getattr(parts.desk, "attach", None)
    if attach is not None:
        attach(service)
    pipeline.set_router(service)
    parts.service = service
    return service


def load_sentiment(cfg: Config) -> SentimentScorer | None:
    """The trained sentiment model (loaded on first use), or None when it is not built."""
    if not cfg.handoff.sentiment_model:
        return None
    path = resolve_repo_path(cfg.handoff.sentiment_model)
    if not path.is_file():
        logger.warning(
            "no sentiment model at %s (`make train-sentiment` builds it); the negative "
            "sentiment handoff trigger is off",
            path,
        )
        return None
    return LazySentiment(path)


async def _worker(app: web.Application) -> AsyncIterator[None]:
    parts = app[HANDOFF_KEY]
    service = parts.service
    warm_up: asyncio.Task[None] | None = None
    if service is not None:
        await service.start()
        if service.available and isinstance(service.sentiment, LazySentiment):
            # Loaded in the background, so the first customer message does not wait for torch
            # (without a staff desk nothing is scored, and nothing is loaded).
            warm_up = asyncio.create_task(_load_sentiment(service, service.sentiment))
    try:
        yield
    finally:
        if service is not None:
            await service.close()
        if warm_up is not None and not warm_up.done():
            await asyncio.gather(warm_up, return_exceptions=True)


async def _load_sentiment(service: HandoffService, model: LazySentiment) -> None:
    try:
        await asyncio.to_thread(model.load)
    except (OSError, ValueError) as exc:  # ModelNotFoundError, ModelFormatError
        logger.error("the sentiment model cannot be used (%s); its trigger is off", exc)
        service.sentiment = None

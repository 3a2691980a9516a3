"""Wiring the handoff to staff (:mod:`bot.handoff.service`) into the gateway, without knowing
any channel.

The composition root (:mod:`bot.gateway.__main__`) calls :func:`support_channel` (it checks the
``handoff`` settings and says whether a staff desk is wanted), constructs the staff desk (Slack)
when it is, and gives it to a :class:`HandoffSetup`, which it passes to
:func:`bot.gateway.app.create_app`. The gateway calls :meth:`HandoffSetup.register` while the
app is built and :meth:`HandoffSetup.install` in its start-up hook right after the pipeline is
made and before it takes its first message, so every message is routed (also those a previous
run left in the inbox): the service is made with the desk, and the desk is given the service
(:meth:`StaffFront.serve`). The worker starts after the channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, resolve_repo_path
from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient
from bot.handoff.assist import CachedFacts
from bot.handoff.rules import check_settings
from bot.handoff.service import HandoffService, LazySentiment, SentimentScorer, StaffDesk
from bot.llm.client import llm_client
from bot.llm.facts import FactIndex, load_facts

logger = logging.getLogger(__name__)


class StaffFront(StaffDesk, Protocol):
    """A staff desk that also takes the staff's actions (claims, replies) to the service."""

    def serve(self, service: HandoffService) -> None:
        """Hand the staff's actions to ``service`` from now on."""
        ...


@dataclass
class HandoffParts:
    """The staff desk (if any) and, once the gateway started, the service."""

    desk: StaffFront | None
    service: HandoffService | None = None


HANDOFF_KEY = web.AppKey("handoff", HandoffParts)


def support_channel(cfg: Config, *, slack: bool) -> str | None:
    """Check the ``handoff`` settings; the Slack channel the staff desk works in, or None when
    there is to be no staff desk (handoff off, or no Slack channel or support channel).

    ``slack``: whether the Slack channel is on.
    """
    check_settings(cfg)
    support = cfg.secrets.slack_support_channel
    if cfg.handoff.enabled and support and slack:
        return support
    if cfg.handoff.enabled:
        # Half a Slack set-up is likely a mistake; no Slack at all is a normal choice.
        log = logger.warning if (support or slack) else logger.info
        log(
            "handoff to staff is off: it needs the Slack channel (SLACK_BOT_TOKEN) and "
            "SLACK_SUPPORT_CHANNEL (set: %s); asking for a person records a message ticket",
            ", ".join(n for n, on in (("Slack", slack), ("support channel", support)) if on)
            or "neither",
        )
    return None


class HandoffSetup:
    """The handoff's part of the gateway: the staff desk given by the composition root, the
    service made at start-up, and the service's worker."""

    def __init__(self, cfg: Config, *, desk: StaffFront | None = None) -> None:
        check_settings(cfg)
        self.cfg = cfg
        self.parts = HandoffParts(desk)

    @property
    def desk(self) -> StaffFront | None:
        return self.parts.desk

    @property
    def service(self) -> HandoffService | None:
        return self.parts.service

    def register(self, app: web.Application) -> None:
        """On the app being built (after the channels): the worker's life cycle."""
        app[HANDOFF_KEY] = self.parts
        app.cleanup_ctx.append(self._worker)

    def install(self, engine: AsyncEngine, rasa: RasaClient, pipeline: Pipeline) -> HandoffService:
        """Make the handoff service and route the pipeline's messages through it (start-up
        hook, before the pipeline starts)."""
        cfg = self.cfg
        desk = self.parts.desk
        # The staff assist (summaries, suggested replies) when the large model is on.
        llm = llm_client(cfg, engine) if desk is not None else None
        facts = CachedFacts(lambda: build_facts(cfg, engine)) if llm and llm.enabled else None
        service = HandoffService(
            engine,
            rasa,
            pipeline,
            cfg,
            desk=desk,
            # Sentiment decides handoffs and the emotion-aware replies; without a staff desk
            # and with those replies off the model is not needed.
            sentiment=load_sentiment(cfg) if desk is not None or emotion_on(cfg) else None,
            llm=llm,
            facts=facts,
        )
        if service.assist is not None:
            logger.info("staff assist on: summaries and suggested replies in handoff threads")
        if desk is not None:
            desk.serve(service)
        pipeline.set_router(service)
        self.parts.service = service
        return service

    async def _worker(self, app: web.Application) -> AsyncIterator[None]:
        service = self.parts.service
        warm_up: asyncio.Task[None] | None = None
        if service is not None:
            await service.start()
            scored = service.available or emotion_on(self.cfg)
            if scored and isinstance(service.sentiment, LazySentiment):
                # Loaded in the background, so the first customer message does not wait for
                # torch (nothing is scored without a staff desk and emotion-aware replies).
                warm_up = asyncio.create_task(_load_sentiment(service, service.sentiment))
        facts: asyncio.Task[None] | None = None
        if service is not None and service.assist is not None:
            facts = asyncio.create_task(service.assist.warm_up())
        try:
            yield
        finally:
            if service is not None:
                await service.close()
            for task in (warm_up, facts):
                if task is not None and not task.done():
                    await asyncio.gather(task, return_exceptions=True)


async def build_facts(cfg: Config, engine: AsyncEngine) -> FactIndex:
    """The shop's facts index for the staff assist; built in a thread (loading jieba and
    tokenizing the catalog takes seconds, which the gateway's event loop must not wait for)."""
    facts = await load_facts(cfg, engine)
    index = await asyncio.to_thread(FactIndex, facts)
    logger.info("staff assist: facts index built (%d facts)", len(index))
    return index


def emotion_on(cfg: Config) -> bool:
    """Whether the emotion-aware replies need the sentiment model."""
    return cfg.handoff.emotion_replies or cfg.handoff.offer_person_when_upset


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


async def _load_sentiment(service: HandoffService, model: LazySentiment) -> None:
    try:
        await asyncio.to_thread(model.load)
    except (OSError, ValueError) as exc:  # ModelNotFoundError, ModelFormatError
        logger.error("the sentiment model cannot be used (%s); its trigger is off", exc)
        service.sentiment = None

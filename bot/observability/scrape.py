"""Gauges computed at scrape time: the inbox backlog and the handoffs waiting, read from the
database, and the model the Rasa server has loaded, read from its ``GET /status``.

A scrape reuses values read less than :data:`CACHE_S` ago, so frequent scrapes (or several
Prometheus servers) do not load the database or Rasa.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.observability import metrics
from bot.storage.schema import handoffs, inbox
from bot.storage.times import as_utc

logger = logging.getLogger(__name__)

CACHE_S = 5.0
STATUS_TIMEOUT_S = 2.0


class ScrapeGauges:
    """Refreshes the gateway's database and model gauges, at most every ``cache_s``."""

    def __init__(self, cache_s: float = CACHE_S) -> None:
        self.cache_s = cache_s
        self._refreshed_at: float | None = None
        self._lock = asyncio.Lock()

    async def refresh(
        self,
        engine: AsyncEngine,
        *,
        session: aiohttp.ClientSession | None = None,
        rasa_url: str | None = None,
        rasa_token: str | None = None,
        now: datetime | None = None,
    ) -> None:
        async with self._lock:
            started = time.monotonic()
            if self._refreshed_at is not None and started - self._refreshed_at < self.cache_s:
                return
            await read_backlog(engine, now or datetime.now(UTC))
            if session is not None and rasa_url:
                await read_model(session, rasa_url, rasa_token)
            self._refreshed_at = time.monotonic()


async def read_backlog(engine: AsyncEngine, now: datetime) -> None:
    """Set the inbox backlog, its oldest row's age and the handoffs waiting."""
    async with engine.connect() as conn:
        pending, oldest = (
            await conn.execute(
                select(func.count(), func.min(inbox.c.received_at)).where(
                    inbox.c.status == "pending"
                )
            )
        ).one()
        waiting = (
            await conn.execute(
                select(func.count()).select_from(handoffs).where(handoffs.c.status == "waiting")
            )
        ).scalar_one()
    metrics.INBOX_PENDING.set(pending)
    age = (now - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    metrics.INBOX_OLDEST_AGE.set(max(age, 0.0))
    metrics.HANDOFFS_WAITING.set(waiting)


async def read_model(session: aiohttp.ClientSession, rasa_url: str, token: str | None) -> None:
    """Set ``shop_model_info`` from Rasa's ``GET /status``; keep the last value if Rasa does
    not answer (the scrape still succeeds)."""
    params = {"token": token} if token else {}
    url = rasa_url.rstrip("/") + "/status"
    try:
        timeout = aiohttp.ClientTimeout(total=STATUS_TIMEOUT_S)
        async with session.get(url, params=params, timeout=timeout) as resp:
            if resp.status != 200:
                logger.debug("Rasa answered %d at %s; model info kept", resp.status, url)
                return
            status = await resp.json(content_type=None)
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        logger.debug("cannot read the model from %s: %r", url, exc)
        return
    if not isinstance(status, dict):
        return
    metrics.MODEL.info(
        {
            "model_id": str(status.get("model_id") or ""),
            "model_file": str(status.get("model_file") or ""),
        }
    )

"""Typed keys for what the gateway application holds (set in its start-up hook)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.media import MediaStore
from bot.core.outbox import Sender
from bot.core.pipeline import Pipeline
from bot.core.rasa_client import RasaClient

CONFIG_KEY = web.AppKey("config", Config)
ENGINE_KEY = web.AppKey("engine", AsyncEngine)
RASA_KEY = web.AppKey("rasa", RasaClient)
PIPELINE_KEY = web.AppKey("pipeline", Pipeline)
SENDERS_KEY = web.AppKey("senders", dict[str, Sender])
MEDIA_KEY = web.AppKey("media", MediaStore)

"""Typed keys for what the gateway application holds (set in its start-up hook)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.rasa_client import RasaClient
from bot.gateway.dispatcher import Dispatcher

CONFIG_KEY = web.AppKey("config", Config)
ENGINE_KEY = web.AppKey("engine", AsyncEngine)
RASA_KEY = web.AppKey("rasa", RasaClient)
DISPATCHER_KEY = web.AppKey("dispatcher", Dispatcher)

"""Typed keys for what the gateway application holds (set in its start-up hook).

Only the gateway reads these; channel adapters are given :class:`~bot.core.channels.
ChannelServices` instead, and the admin API reads just :data:`~bot.core.http.ENGINE_KEY`.
"""

from __future__ import annotations

from aiohttp import web

from bot.core.channels import ChannelServices
from bot.core.http import ENGINE_KEY
from bot.core.media import MediaStore
from bot.core.rasa_client import RASA_KEY

__all__ = [
    "ENGINE_KEY",
    "MEDIA_KEY",
    "RASA_KEY",
    "SERVICES_KEY",
]

MEDIA_KEY = web.AppKey("media", MediaStore)
SERVICES_KEY = web.AppKey("channel_services", ChannelServices)

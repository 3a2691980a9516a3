"""Channel adapters: each translates one platform's native messages to and from
:mod:`bot.core.message` and registers its routes on the gateway app.

An adapter is a few dozen lines: parse the platform's update into an ``IncomingMessage``, call
``request.app[DISPATCHER_KEY].handle(message)`` once, render the ``Reply`` the platform's way.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from bot.config import Config


class ChannelAdapter(Protocol):
    """What the gateway needs from a channel adapter."""

    channel: str  # the IncomingMessage.channel it produces, e.g. "web"

    def setup(self, app: web.Application) -> None:
        """Register the adapter's routes (webhooks, pages) and lifecycle hooks on ``app``."""
        ...


def load_adapters(cfg: Config) -> list[ChannelAdapter]:
    """The adapters the configuration turns on; the web chat is always on.

    Adapters are imported here, not at module import, so a platform's SDK is only loaded
    when its channel is enabled.
    """
    from adapters.web import WebAdapter

    return [WebAdapter(cfg)]

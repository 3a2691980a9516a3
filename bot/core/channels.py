"""What the gateway and the channel adapters agree on, so neither imports the other.

The composition root (:mod:`bot.gateway.__main__`) constructs the adapters
(:func:`adapters.load_adapters`) and hands them to :func:`bot.gateway.app.create_app`. The
gateway registers each adapter's routes (:meth:`ChannelAdapter.setup`), its outbox
:class:`~bot.core.outbox.Sender` (``adapter.sender``) with the pipeline, and runs each adapter
while the app runs (:meth:`ChannelAdapter.running`), giving it the started
:class:`ChannelServices`: the pipeline, the media store, product pictures, the button store and
the numbered-options memory. Adapters never read the app's keys.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.core.buttons import ButtonStore
from bot.core.media import MediaStore
from bot.core.outbox import Sender
from bot.core.pipeline import Pipeline
from bot.core.render import OptionsMemory


class ProductImages(Protocol):
    """The catalog's product pictures, for channels that upload them (Telegram takes no SVG)."""

    async def png(self, product_id: str) -> bytes | None:
        """The product card as PNG; None for an unknown product."""
        ...


@dataclass(frozen=True)
class ChannelServices:
    """What a channel adapter is given when the gateway starts (the pipeline and the database
    exist only then)."""

    pipeline: Pipeline
    media: MediaStore  # photos customers and staff send, served at /media/<name>
    images: ProductImages
    buttons: ButtonStore  # payloads behind short button tokens (Telegram)
    options: OptionsMemory  # numbered options shown as text (WeChat)


class ChannelAdapter(Protocol):
    """What the gateway needs from a channel adapter."""

    channel: str  # the IncomingMessage.channel it produces, e.g. "web"

    @property
    def sender(self) -> Sender:
        """Delivers the channel's outbox messages."""
        ...

    def setup(self, app: web.Application) -> None:
        """Register the channel's routes (and shutdown hooks) on the app being built."""
        ...

    def running(self, services: ChannelServices) -> AbstractAsyncContextManager[None]:
        """Run the channel (clients, polling, Socket Mode) while the gateway runs."""
        ...

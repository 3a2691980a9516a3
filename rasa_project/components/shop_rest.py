"""Rasa's REST channel, answering with the intent NLU read in an ``X-Shop-Intent`` header.

The gateway needs the intent of each customer message it sends (the emotion-aware replies count
complaints and unclear messages). Without this it asked Rasa's tracker endpoint after every
answer, and Rasa rebuilds the whole conversation from its tracker store for that: a second
tracker load per message, growing with the conversation. Here the channel parses the message
first (the same NLU call Rasa's processor makes, with the same retrieval-intent and unseen-feature
handling), hands the parse to the processor with the message (Rasa then does not parse it
again) and returns the replies exactly as the REST channel does, plus the header. Clients that
ignore the header (bare REST clients, the gateway's tests' stand-in) see Rasa's REST channel.

It keeps the name ``rest``, so the URL stays ``/webhooks/rest/webhook``; ``credentials.yml``
registers it in place of the built-in channel. ``?stream=true`` is served as Rasa serves it.
"""

from __future__ import annotations

import inspect
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

logger = logging.getLogger(__name__)

INTENT_HEADER = "X-Shop-Intent"


def intent_name(parse_data: dict[str, Any] | None) -> str | None:
    """The top intent's name in Rasa's parse data, if it is a plain header-safe string."""
    intent = (parse_data or {}).get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    if not isinstance(name, str) or not name or not name.isascii() or not name.isprintable():
        return None
    return name


async def parse_first(request: Request, message: UserMessage) -> str | None:
    """Parse ``message`` with the loaded model and attach the result to it; the intent's name.

    Nothing is attached (Rasa parses the message itself, as usual) when no model is loaded or
    the parse fails."""
    agent = getattr(request.app.ctx, "agent", None)
    processor = getattr(agent, "processor", None)
    if processor is None or not message.text:
        return None
    try:
        parse_data = await processor.parse_message(message)
    except Exception:  # Rasa parses it again inside handle_message and reports the error there
        logger.exception("could not parse the message ahead of handling it")
        return None
    message.parse_data = parse_data
    return intent_name(parse_data)


class ShopRestInput(RestInput):
    """Rasa's REST channel plus the ``X-Shop-Intent`` header (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(
            f"custom_webhook_{type(self).__name__}", module.__name__ if module else None
        )

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(on_new_message, text, sender_id, input_channel, metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender_id, input_channel=input_channel, metadata=metadata
            )
            intent = await parse_first(request, message)
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("rest.message.received.timeout: %r", text)
            except Exception:
                logger.exception("rest.message.received.failure: %r", text)
            headers = {INTENT_HEADER: intent} if intent else None
            return response.json(collector.messages, headers=headers)

        return webhook

"""Slack as a customer channel (slack-bolt async): the Events API on the gateway or Socket Mode.

Customers write to the bot in a direct message or mention it in a channel; every answer goes to
the thread of their message. A Slack update is stored in the inbox (``Pipeline.submit``) before
it is acknowledged, within Slack's 3 seconds; the answer follows through the outbox, which
calls :meth:`~adapters.slack.sender.SlackSender.send`. Slack's retries of an update
(``X-Slack-Retry-Num``, a re-delivered Socket Mode envelope) and the ``app_mention`` +
``message`` pair Slack sends for one mention share a dedupe key, so each customer message is
answered once.

One :class:`SlackAdapter` holds the Slack clients (``client``: the bot's ``AsyncWebClient``;
``bolt``: the ``AsyncApp``); the composition root gives it to the staff side (handoff threads in
``SLACK_SUPPORT_CHANNEL``, :mod:`adapters.slack.staff_desk`), which registers its own listeners
and staff handlers on it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.files import SlackFiles
from adapters.slack.inbound import (
    Inbound,
    inbound_action,
    inbound_message,
    is_customer_message,
    parse_body,
)
from adapters.slack.render import CUSTOMER_ACTION_PREFIX, Renderer
from adapters.slack.sender import SLACK_CALL_ERRORS, SlackSender
from adapters.slack.settings import CHANNEL, EVENTS_PATH, SlackSettings, build_clients
from bot.config import Config
from bot.core.channels import ChannelServices
from bot.core.http import error_response
from bot.core.message import IncomingMessage
from bot.core.pipeline import Pipeline

logger = logging.getLogger(__name__)

# Slack waits 3 s for an acknowledgement; storing a message normally takes milliseconds, a
# photo download longer. After this long the update is acknowledged and the work finishes
# in the background.
ACK_BUDGET_S = 2.0
MAX_BODY_BYTES = 1_000_000  # Slack's event payloads are a few kB

StaffHandler = Callable[[Mapping[str, Any]], Awaitable[None]]


class SlackAdapter:
    """The Slack channel: routes, Socket Mode, the sender, and the Slack clients."""

    channel = CHANNEL

    def __init__(self, cfg: Config) -> None:
        self.settings = SlackSettings.from_config(cfg)

        async def authorize() -> AuthorizeResult:  # a function: Bolt fills arguments by name
            return await self._authorize_bolt()

        self.client, self.bolt = build_clients(self.settings, authorize)
        secret = self.settings.signing_secret
        self.verifier = SignatureVerifier(secret) if secret else None
        self.sender = SlackSender(self.client, self._renderer(png_products=False))
        self.files = SlackFiles(self.settings)
        self.staff_handlers: list[StaffHandler] = []
        self.socket_client: SocketModeClient | None = None
        self._pipeline: Pipeline | None = None  # given when the gateway starts
        self._session: aiohttp.ClientSession | None = None
        self._identity: AsyncSlackResponse | None = None
        self._identity_lock = asyncio.Lock()
        self._in_flight: set[str] = set()
        self._jobs: set[asyncio.Task[None]] = set()
        self._register_listeners()

    # --- set-up -------------------------------------------------------------------------------
    def setup(self, app: web.Application) -> None:
        png = any(r.canonical == "/products/{product_id}.png" for r in app.router.resources())
        self.sender.renderer = self._renderer(png_products=png)
        if self.settings.signing_secret:
            app.router.add_post(EVENTS_PATH, self.events)

    def _renderer(self, *, png_products: bool) -> Renderer:
        return Renderer(
            max_text_chars=self.settings.max_text_chars,
            public_url=self.settings.public_url,
            png_products=png_products,
        )

    def add_staff_handler(self, handler: StaffHandler) -> None:
        """Give messages in ``SLACK_SUPPORT_CHANNEL`` to ``handler`` (the staff side); they
        never reach the customer pipeline."""
        self.staff_handlers.append(handler)

    @asynccontextmanager
    async def running(self, services: ChannelServices) -> AsyncIterator[None]:
        """The HTTP session, file downloads and Socket Mode while the gateway runs."""
        self._pipeline = services.pipeline
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.client.session = self._session
        self.bolt.client.session = self._session
        self.files.start(self._session, services.media)
        self._register_fallbacks()
        connect: asyncio.Task[None] | None = None
        if self.settings.mode == "socket" and self.settings.app_token:
            self.socket_client = SocketModeClient(
                app_token=self.settings.app_token,
                web_client=self.client,
                logger=logger.getChild("socket_mode"),
            )
            self.socket_client.socket_mode_request_listeners.append(self._socket_request)
            # Connecting retries on its own; the gateway serves meanwhile.
            connect = asyncio.create_task(self.socket_client.connect(), name="slack-socket")
        try:
            yield
        finally:
            if connect is not None:
                connect.cancel()
                await asyncio.gather(connect, return_exceptions=True)
            if self.socket_client is not None:
                await self.socket_client.close()
                self.socket_client = None
            jobs = list(self._jobs)
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            self.files.stop()
            self.client.session = None
            self.bolt.client.session = None
            await self._session.close()
            self._session = None

    def _register_listeners(self) -> None:
        # Bolt passes arguments by parameter name, so listeners are plain functions, not
        # bound methods (Bolt would try to fill ``self``).
        async def on_message(event: dict[str, Any]) -> None:
            await self._on_message(event)

        async def on_mention(event: dict[str, Any]) -> None:
            await self._on_mention(event)

        async def on_button(
            ack: Callable[[], Awaitable[None]], body: dict[str, Any], action: dict[str, Any]
        ) -> None:
            await self._on_button(body, action)
            await ack()

        self.bolt.event("message")(on_message)
        self.bolt.event("app_mention")(on_mention)
        self.bolt.action(re.compile(f"^{re.escape(CUSTOMER_ACTION_PREFIX)}"))(on_button)

    def _register_fallbacks(self) -> None:
        """Acknowledge what no listener took (events and clicks the channel does not answer),
        instead of Bolt's 404 that makes Slack retry. Registered at start-up, after the
        listeners other parts (staff tools) added during set-up."""

        async def ignore() -> None:
            return None

        async def ack_only(ack: Callable[[], Awaitable[None]]) -> None:
            await ack()

        self.bolt.event(re.compile(".*"))(ignore)
        self.bolt.action(re.compile(".*"))(ack_only)

    async def _authorize_bolt(self) -> AuthorizeResult:
        return AuthorizeResult.from_auth_test_response(
            bot_token=self.settings.bot_token, auth_test_response=await self.identity()
        )

    # --- identity -----------------------------------------------------------------------------
    async def identity(self) -> AsyncSlackResponse:
        """The bot's ``auth.test`` answer (user id, bot id, team), asked once."""
        if self._identity is None:
            async with self._identity_lock:
                if self._identity is None:
                    self._identity = await self.client.auth_test()
        return self._identity

    @property
    def bot_user_id(self) -> str | None:
        return self._identity.get("user_id") if self._identity is not None else None

    async def _identity_ready(self) -> bool:
        try:
            await self.identity()
        except SLACK_CALL_ERRORS as exc:
            # Not acknowledged: Slack delivers the update again later.
            logger.error("Slack auth.test failed; the update is left for Slack to retry: %s", exc)
            return False
        return True

    # --- Events API ---------------------------------------------------------------------------
    async def events(self, request: web.Request) -> web.StreamResponse:
        """``POST /webhooks/slack/events``: a signed Events API or interactivity request."""
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:
            return error_response(413, f"the body is {len(raw)} bytes; at most {MAX_BODY_BYTES}")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            # Slack sends UTF-8; the signature cannot even be computed over anything else.
            return error_response(400, "the body must be UTF-8", "body")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not self._signed(raw, timestamp, signature):
            return error_response(
                401,
                "invalid or missing Slack signature: X-Slack-Signature must be the v0 HMAC of "
                "the body with the app's signing secret, X-Slack-Request-Timestamp within 5 "
                "minutes",
                "X-Slack-Signature",
            )
        try:
            body = parse_body(raw, request.content_type)
        except ValueError as exc:
            return error_response(400, str(exc), "body")
        if body.get("type") not in ("url_verification", "ssl_check") and not (
            await self._identity_ready()
        ):
            return error_response(503, "the Slack bot token could not be checked (auth.test)")
        retry = request.headers.get("X-Slack-Retry-Num")
        if retry is not None:
            logger.info(
                "Slack retry #%s of %s (%s)",
                retry,
                body.get("event_id"),
                request.headers.get("X-Slack-Retry-Reason"),
            )
        headers: dict[str, str | Sequence[str]] = {
            k.lower(): request.headers.getall(k) for k in request.headers
        }
        bolt_request = AsyncBoltRequest(
            body=raw.decode("utf-8"), query=request.query_string, headers=headers
        )
        bolt_response = await self.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    def _signed(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        if self.verifier is None or not timestamp or not signature or not timestamp.isdigit():
            return False
        return self.verifier.is_valid(raw, timestamp, signature)

    # --- Socket Mode --------------------------------------------------------------------------
    async def _socket_request(
        self, client: AsyncBaseSocketModeClient, req: SocketModeRequest
    ) -> None:
        """One Socket Mode envelope: acknowledged only once it is stored, else redelivered."""
        started = time.time()
        if not await self._identity_ready():
            return
        bolt_response: BoltResponse = await run_async_bolt_app(self.bolt, req)
        if bolt_response.status != 200:
            logger.error(
                "Slack envelope %s not acknowledged (status %d); Slack delivers it again",
                req.envelope_id,
                bolt_response.status,
            )
            return
        await send_async_response(client, req, bolt_response, started)

    # --- listeners ----------------------------------------------------------------------------
    async def _on_message(self, event: dict[str, Any]) -> None:
        channel = event.get("channel")
        if self._is_support_channel(channel):
            await self._to_staff(event)
            return
        if not is_customer_message(event, self.bot_user_id):
            return
        # In channels the bot answers mentions only (the app_mention event).
        if event.get("channel_type") != "im":
            return
        await self._accept(inbound_message(event, self.bot_user_id))

    async def _on_mention(self, event: dict[str, Any]) -> None:
        if self._is_support_channel(event.get("channel")):
            return  # staff mentions reach the staff handlers through the message event
        if is_customer_message(event, self.bot_user_id):
            await self._accept(inbound_message(event, self.bot_user_id))

    async def _on_button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        inbound = inbound_action(body, action)
        if inbound is None:
            logger.info("Slack button click without a user, channel or payload ignored")
        else:
            await self._accept(inbound)

    def _is_support_channel(self, channel: object) -> bool:
        return (
            self.settings.support_channel is not None and channel == self.settings.support_channel
        )

    async def _to_staff(self, event: Mapping[str, Any]) -> None:
        for handler in self.staff_handlers:
            await handler(event)

    # --- accepting a customer update ----------------------------------------------------------
    async def _accept(self, inbound: Inbound) -> None:
        """Store the update in the inbox, waiting at most :data:`ACK_BUDGET_S`.

        An update still being stored (a slow photo download) when Slack's retry arrives is
        skipped here; a stored one is recognised by the pipeline's dedupe key. An error within
        the budget propagates, so Slack is not acknowledged and delivers the update again.
        """
        if inbound.dedupe_key in self._in_flight:
            logger.info("Slack update %s is already being stored", inbound.dedupe_key)
            return
        self._in_flight.add(inbound.dedupe_key)
        job = asyncio.create_task(self._store(inbound))
        self._jobs.add(job)
        job.add_done_callback(self._job_done)
        done, _ = await asyncio.wait({job}, timeout=ACK_BUDGET_S)
        if job in done:
            job.result()
        else:
            logger.warning(
                "Slack update %s acknowledged before it was stored (still downloading)",
                inbound.dedupe_key,
            )

    def _job_done(self, job: asyncio.Task[None]) -> None:
        self._jobs.discard(job)
        if not job.cancelled() and (exc := job.exception()) is not None:
            logger.error("storing a Slack update failed", exc_info=exc)

    async def _store(self, inbound: Inbound) -> None:
        try:
            attachments = await self.files.download_all(inbound.files)
            text = inbound.text
            if text is not None and len(text) > self.settings.max_input_chars:
                logger.info("a Slack message of %d characters is cut", len(text))
                text = text[: self.settings.max_input_chars]
            if text is None and inbound.payload is None and not attachments:
                logger.info("Slack message %s has nothing to answer", inbound.dedupe_key)
                return
            message = IncomingMessage(
                channel=self.channel,
                external_id=inbound.user,
                text=text,
                payload=inbound.payload,
                attachments=attachments,
                metadata=inbound.metadata or {},
            )
            reply = await self.pipeline().submit(
                message, address=inbound.address, dedupe_key=inbound.dedupe_key
            )
            if reply.outcome == "duplicate":
                logger.info("Slack update %s was answered before", inbound.dedupe_key)
        finally:
            self._in_flight.discard(inbound.dedupe_key)

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("the Slack channel is not running (no pipeline)")
        return self._pipeline

"""Slack as a customer channel (slack-bolt async): the Events API on the gateway or Socket Mode.

Customers write to the bot in a direct message or mention it in a channel; every answer goes to
the thread of their message. A Slack update is stored in the inbox (``Pipeline.submit``) before
it is acknowledged, within Slack's 3 seconds; the answer follows through the outbox, which
calls :meth:`SlackAdapter.send`. Slack's retries of an update (``X-Slack-Retry-Num``, a
re-delivered Socket Mode envelope) and the ``app_mention`` + ``message`` pair Slack sends for
one mention share a dedupe key, so each customer message is answered once.

One :class:`SlackAdapter` holds the Slack clients (``client``: the bot's ``AsyncWebClient``;
``bolt``: the ``AsyncApp``), reachable at ``app[SLACK_KEY]``, so the staff side (handoff
threads in ``SLACK_SUPPORT_CHANNEL``) can register its own listeners and staff handlers.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_internals import run_async_bolt_app, send_async_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import Config, ConfigError
from bot.core.language import Lang
from bot.core.media import MediaError, MediaStore
from bot.core.message import (
    EXTERNAL_ID_RE,
    Attachment,
    Button,
    IncomingMessage,
    OutgoingMessage,
    ProductCard,
)
from bot.core.outbox import DeliveryError, OutboxItem
from bot.core.pipeline import Pipeline
from bot.core.render import card_line, split_text
from bot.gateway.context import MEDIA_KEY, PIPELINE_KEY, SENDERS_KEY
from bot.gateway.http import error_response

logger = logging.getLogger(__name__)

EVENTS_PATH = "/webhooks/slack/events"
PUBLIC_API_BASE_URL = "https://slack.com/api/"
# Slack waits 3 s for an acknowledgement; storing a message normally takes milliseconds, a
# photo download longer. After this long the update is acknowledged and the work finishes
# in the background.
ACK_BUDGET_S = 2.0
MAX_BODY_BYTES = 1_000_000  # Slack's event payloads are a few kB
MAX_FILES = 10  # photos taken from one message
CUSTOMER_ACTION_PREFIX = "cs:"  # action_id of the answer buttons; others belong to staff tools
OUTBOX_EVENT_TYPE = "cs_outbox_message"  # message metadata that marks an outbox delivery
# Message subtypes that are a customer writing; edits, deletions, joins, bots are not.
CUSTOMER_SUBTYPES = frozenset({"file_share", "thread_broadcast"})
# Slack Block Kit limits (https://docs.slack.dev/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_ACTIONS_PER_BLOCK = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ALT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000
MAX_SECTION_TEXT = 3000
# Errors retrying cannot fix: a wrong channel, a revoked token, a message Slack will never take.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_arguments",
        "user_not_found",
        "cannot_dm_bot",
        "team_access_not_granted",
    }
)
# Slack could not fetch an image of the message; it is sent again with the images as links.
IMAGE_ERRORS = frozenset({"invalid_blocks"})

TEXTS: dict[str, dict[Lang, str]] = {
    "details": {"zh": "查看详情", "en": "Details"},
    "image": {"zh": "查看图片", "en": "View image"},
    "products": {"zh": "商品推荐", "en": "Products"},
}

Block = dict[str, Any]
SlackMode = Literal["events", "socket"]
StaffHandler = Callable[[Mapping[str, Any]], Awaitable[None]]


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SlackSettings:
    """What the Slack channel needs from the configuration, checked once at start-up."""

    bot_token: str
    mode: SlackMode
    signing_secret: str | None
    app_token: str | None
    api_base_url: str  # ends with "/", like slack_sdk's default
    support_channel: str | None
    public_url: str
    max_text_chars: int
    max_input_chars: int
    max_media_bytes: int

    @classmethod
    def from_config(cls, cfg: Config) -> SlackSettings:
        """Read and check the settings; a :class:`ConfigError` names what is missing."""
        secrets, channels = cfg.secrets, cfg.channels
        if not secrets.slack_bot_token:
            raise ConfigError(
                "the Slack channel needs the bot token: set the environment variable "
                "`SLACK_BOT_TOKEN` (xoxb-..., from the app's OAuth & Permissions page) or turn "
                "`channels.slack` off in config.yml"
            )
        if channels.slack_mode not in ("auto", "events", "socket"):
            raise ConfigError(
                f"`channels.slack_mode` must be events, socket or auto, got {channels.slack_mode!r}"
            )
        mode: SlackMode
        if channels.slack_mode == "auto":
            mode = "socket" if secrets.slack_app_token else "events"
        else:
            mode = "socket" if channels.slack_mode == "socket" else "events"
        if mode == "events" and not secrets.slack_signing_secret:
            raise ConfigError(
                "the Slack Events API needs the signing secret to verify requests: set the "
                "environment variable `SLACK_SIGNING_SECRET` (Basic Information > App "
                "Credentials), or use Socket Mode with `SLACK_APP_TOKEN`"
            )
        if mode == "socket" and not secrets.slack_app_token:
            raise ConfigError(
                "`channels.slack_mode` is socket but the environment variable "
                "`SLACK_APP_TOKEN` (xapp-..., an app-level token with connections:write) is "
                "not set; set it or use slack_mode: events"
            )
        if channels.slack_max_text_chars < 100:
            raise ConfigError(
                f"`channels.slack_max_text_chars` must be at least 100, got "
                f"{channels.slack_max_text_chars}"
            )
        base = channels.slack_api_base_url.strip() or PUBLIC_API_BASE_URL
        if urlsplit(base).scheme not in ("http", "https"):
            raise ConfigError(
                f"`SLACK_API_BASE_URL` must be an http(s) URL like {PUBLIC_API_BASE_URL}, "
                f"got {base!r}"
            )
        return cls(
            bot_token=secrets.slack_bot_token,
            mode=mode,
            signing_secret=secrets.slack_signing_secret or None,
            app_token=secrets.slack_app_token or None,
            api_base_url=base if base.endswith("/") else base + "/",
            support_channel=secrets.slack_support_channel or None,
            public_url=channels.public_url.rstrip("/"),
            # A section block takes at most 3000 characters.
            max_text_chars=min(channels.slack_max_text_chars, MAX_SECTION_TEXT),
            max_input_chars=cfg.gateway.max_text_length,
            max_media_bytes=channels.max_media_bytes,
        )


def build_clients(
    settings: SlackSettings, authorize: Callable[[], Awaitable[AuthorizeResult]]
) -> tuple[AsyncWebClient, AsyncApp]:
    """The bot's Web API client and the Bolt app, both on ``settings.api_base_url``.

    Bolt's own client carries no token: each request's client gets the bot token from
    ``authorize`` (one cached ``auth.test``), which also tells Bolt the bot's user id so it
    drops the bot's own messages.
    """
    client = AsyncWebClient(token=settings.bot_token, base_url=settings.api_base_url)
    bolt = AsyncApp(
        name="shop-assistant",
        client=AsyncWebClient(base_url=settings.api_base_url),
        signing_secret=settings.signing_secret or "",
        authorize=authorize,
        # Listeners store the update before Bolt acknowledges it (see SlackAdapter._accept).
        process_before_response=True,
    )
    return client, bolt


# --- Slack -> internal ------------------------------------------------------------------------

_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_SPECIAL_MENTION = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack's message markup as the text a customer typed: the bot's mention removed, links
    and other mentions as their label, ``&amp;``/``&lt;``/``&gt;`` unescaped."""

    def user(match: re.Match[str]) -> str:
        return "" if match.group(1) == bot_user_id else f"@{match.group(1)}"

    text = _USER_MENTION.sub(user, text)
    text = _CHANNEL_MENTION.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL_MENTION.sub(lambda m: f"@{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text).replace("\x00", "")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def is_customer_message(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A message a person wrote: not the bot's own, another bot's, an edit or a deletion."""
    subtype = event.get("subtype")
    if subtype is not None and subtype not in CUSTOMER_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False
    user = event.get("user")
    if not isinstance(user, str) or not EXTERNAL_ID_RE.fullmatch(user):
        return False
    if bot_user_id is not None and user == bot_user_id:
        return False
    return isinstance(event.get("channel"), str) and isinstance(event.get("ts"), str)


@dataclass(frozen=True)
class Inbound:
    """One customer update, ready for the pipeline except for its files."""

    user: str
    address: dict[str, str]
    dedupe_key: str
    text: str | None = None
    payload: str | None = None
    files: tuple[Mapping[str, Any], ...] = ()
    metadata: Mapping[str, Any] | None = None


def inbound_message(event: Mapping[str, Any], bot_user_id: str | None) -> Inbound:
    """A ``message`` or ``app_mention`` event as an :class:`Inbound` (answered in its thread).

    The dedupe key is the message itself (channel and ts): Slack's retries of the event and the
    ``app_mention`` + ``message.channels`` pair of one mention all map to it.
    """
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    text = plain_text(str(event.get("text") or ""), bot_user_id)
    files = event.get("files")
    return Inbound(
        user=str(event["user"]),
        address={"channel": channel, "thread_ts": thread_ts},
        dedupe_key=f"msg:{channel}:{ts}",
        text=text or None,
        files=tuple(f for f in files if isinstance(f, Mapping))[:MAX_FILES]
        if isinstance(files, list)
        else (),
        metadata={"slack_channel": channel, "ts": ts, "thread_ts": thread_ts},
    )


def inbound_action(body: Mapping[str, Any], action: Mapping[str, Any]) -> Inbound | None:
    """A click on one of the answer buttons as a payload; None when it cannot be answered."""
    user = body.get("user") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    message = body.get("message") or {}
    value = action.get("value")
    user_id = user.get("id") if isinstance(user, Mapping) else None
    if not (
        isinstance(user_id, str)
        and EXTERNAL_ID_RE.fullmatch(user_id)
        and isinstance(channel, str)
        and isinstance(value, str)
        and value.startswith("/")
    ):
        return None
    thread_ts = (
        message.get("thread_ts")
        or (body.get("container") or {}).get("thread_ts")
        or message.get("ts")
        or (body.get("container") or {}).get("message_ts")
    )
    address = {"channel": channel}
    if isinstance(thread_ts, str):
        address["thread_ts"] = thread_ts
    action_ts = str(action.get("action_ts") or body.get("trigger_id") or time.time())
    return Inbound(
        user=user_id,
        address=address,
        dedupe_key=f"action:{user_id}:{action_ts}",
        payload=value,
        metadata={"slack_channel": channel, "action_id": str(action.get("action_id"))},
    )


# --- internal -> Slack ------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its message formatting requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_len(text: str) -> int:
    return len(escape(text))


@dataclass(frozen=True)
class Rendered:
    """A ``chat.postMessage`` body: ``text`` (notifications, fallback) and Block Kit blocks."""

    text: str
    blocks: tuple[Block, ...] = ()
    has_images: bool = False


class Renderer:
    """Turns an :class:`OutgoingMessage` into Block Kit.

    Text becomes section blocks of at most ``max_text_chars``; buttons an actions block whose
    button values are the payloads; product cards a section each (with the card's picture when
    it has a public URL Slack can show) and a button per card; an image an image block when
    Slack can fetch it, else a link.
    """

    def __init__(
        self, *, max_text_chars: int, public_url: str = "", png_products: bool = False
    ) -> None:
        self.max_text_chars = max_text_chars
        self.public_url = public_url.rstrip("/")
        self.png_products = png_products  # the gateway serves /products/<id>.png

    def image_url(self, url: str) -> tuple[str | None, bool]:
        """(absolute URL, whether Slack can show it inline) for an image the bot sends."""
        match = re.fullmatch(r"/products/([A-Za-z0-9_-]{1,32})\.svg", url)
        if match and self.png_products:
            url = f"/products/{match.group(1)}.png"  # Slack shows no SVG
        if url.startswith("/") and not url.startswith("//"):
            if not self.public_url:
                return None, False
            url = self.public_url + url
        if not url.startswith(("https://", "http://")):
            return None, False
        return url, not urlsplit(url).path.lower().endswith(".svg")

    def card_image(self, card: ProductCard) -> str | None:
        """The card's own picture when Slack can show it, else the gateway's PNG of it."""
        if card.image:
            url, inline = self.image_url(card.image)
            if url is not None and inline:
                return url
        if self.png_products:
            url, inline = self.image_url(f"/products/{card.id}.png")
            return url if inline else None
        return None

    def render(self, message: OutgoingMessage, lang: Lang, *, images: bool = True) -> Rendered:
        """The message as Block Kit; ``images=False`` turns pictures into links."""
        blocks: list[Block] = []
        fallback: list[str] = []
        has_images = False
        counter = iter(range(1, 10_000))

        def button(title: str, payload: str) -> Block | None:
            if len(payload) > MAX_BUTTON_VALUE:
                logger.warning("a button payload over %d characters is left out", MAX_BUTTON_VALUE)
                return None
            return {
                "type": "button",
                "text": {"type": "plain_text", "text": _clip(title, MAX_BUTTON_TEXT)},
                "value": payload,
                "action_id": f"{CUSTOMER_ACTION_PREFIX}{next(counter)}",
            }

        def actions(buttons: Sequence[Button]) -> None:
            elements = [e for b in buttons if (e := button(b.title, b.payload)) is not None]
            for start in range(0, len(elements), MAX_ACTIONS_PER_BLOCK):
                blocks.append(
                    {"type": "actions", "elements": elements[start : start + MAX_ACTIONS_PER_BLOCK]}
                )

        if message.text:
            for part in split_text(message.text, self.max_text_chars, _escaped_len):
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": escape(part)}})
            fallback.append(message.text)
        for card in message.product_cards:
            section: Block = {
                "type": "section",
                "text": {"type": "mrkdwn", "text": self._card_text(card, lang)},
            }
            picture = self.card_image(card) if images else None
            if picture is not None:
                section["accessory"] = {
                    "type": "image",
                    "image_url": picture,
                    "alt_text": _clip(card.name, MAX_ALT_TEXT),
                }
                has_images = True
            blocks.append(section)
            card_buttons = list(card.buttons)
            if card.payload:
                card_buttons.insert(0, Button(TEXTS["details"][lang], card.payload))
            actions(card_buttons)
            fallback.append(card_line(card, lang))
        if message.image:
            url, inline = self.image_url(message.image)
            if url is None:
                logger.info("image %r has no public URL (channels.public_url)", message.image)
            elif inline and images:
                blocks.append({"type": "image", "image_url": url, "alt_text": TEXTS["image"][lang]})
                has_images = True
            else:
                link = f"<{url}|{TEXTS['image'][lang]}>"
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
            if url is not None:
                fallback.append(TEXTS["image"][lang])
        actions(message.buttons)
        fallback += [b.title for b in message.buttons if not message.text]
        if len(blocks) > MAX_BLOCKS:
            logger.warning("a message of %d blocks is cut to Slack's %d", len(blocks), MAX_BLOCKS)
            blocks = blocks[:MAX_BLOCKS]
        text = escape(_clip("\n".join(fallback), MAX_FALLBACK_TEXT)) if fallback else ""
        return Rendered(text=text, blocks=tuple(blocks), has_images=has_images)

    @staticmethod
    def _card_text(card: ProductCard, lang: Lang) -> str:
        details = card_line(card, lang).removeprefix(card.name).removeprefix(" · ")
        text = f"*{escape(card.name)}*" + (f"\n{escape(details)}" if details else "")
        return _clip(text, MAX_SECTION_TEXT)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """A Slack API error as the outbox's :class:`DeliveryError` (429: Slack's own wait)."""
    response = exc.response
    status = getattr(response, "status_code", 0)
    error = str(response.get("error") or f"HTTP {status}") if response is not None else "unknown"
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        try:
            retry_after = float(raw) if raw is not None else None
        except ValueError:
            retry_after = None
        return DeliveryError(f"Slack rate limit ({error})", retry_after=retry_after)
    if error in PERMANENT_ERRORS and status < 500:
        return DeliveryError(f"Slack refused the message: {error}", permanent=True)
    if error.startswith("HTTP"):
        return DeliveryError(f"Slack API error: {error}")
    return DeliveryError(f"Slack API error: {error} (HTTP {status})")


# --- the adapter ------------------------------------------------------------------------------


class SlackAdapter:
    """The Slack channel: routes, Socket Mode, the sender, and the Slack clients."""

    channel = "slack"

    def __init__(self, cfg: Config) -> None:
        self.settings = SlackSettings.from_config(cfg)

        async def authorize() -> AuthorizeResult:  # a function: Bolt fills arguments by name
            return await self._authorize_bolt()

        self.client, self.bolt = build_clients(self.settings, authorize)
        secret = self.settings.signing_secret
        self.verifier = SignatureVerifier(secret) if secret else None
        self.renderer = Renderer(
            max_text_chars=self.settings.max_text_chars, public_url=self.settings.public_url
        )
        self.staff_handlers: list[StaffHandler] = []
        self.socket_client: SocketModeClient | None = None
        self._app: web.Application | None = None
        self._session: aiohttp.ClientSession | None = None
        self._identity: AsyncSlackResponse | None = None
        self._identity_lock = asyncio.Lock()
        self._in_flight: set[str] = set()
        self._jobs: set[asyncio.Task[None]] = set()
        self._register_listeners()

    # --- set-up -------------------------------------------------------------------------------
    def setup(self, app: web.Application) -> None:
        self._app = app
        app[SENDERS_KEY][self.channel] = self
        app[SLACK_KEY] = self
        png = any(r.canonical == "/products/{product_id}.png" for r in app.router.resources())
        self.renderer = Renderer(
            max_text_chars=self.settings.max_text_chars,
            public_url=self.settings.public_url,
            png_products=png,
        )
        if self.settings.signing_secret:
            app.router.add_post(EVENTS_PATH, self.events)
        app.cleanup_ctx.append(self._lifecycle)

    def add_staff_handler(self, handler: StaffHandler) -> None:
        """Give messages in ``SLACK_SUPPORT_CHANNEL`` to ``handler`` (the staff side); they
        never reach the customer pipeline."""
        self.staff_handlers.append(handler)

    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self.client.session = self._session
        self.bolt.client.session = self._session
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
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
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
            attachments = await self._download_all(inbound.files)
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
            reply = await self._pipeline().submit(
                message, address=inbound.address, dedupe_key=inbound.dedupe_key
            )
            if reply.outcome == "duplicate":
                logger.info("Slack update %s was answered before", inbound.dedupe_key)
        finally:
            self._in_flight.discard(inbound.dedupe_key)

    def _pipeline(self) -> Pipeline:
        if self._app is None:
            raise RuntimeError("SlackAdapter.setup(app) was not called")
        return self._app[PIPELINE_KEY]

    async def _download_all(self, files: Sequence[Mapping[str, Any]]) -> tuple[Attachment, ...]:
        attachments = []
        for file in files:
            attachment = await self.download_image(file)
            if attachment is not None:
                attachments.append(attachment)
        return tuple(attachments)

    async def download_image(self, file: Mapping[str, Any]) -> Attachment | None:
        """A customer's photo into the media store; None for what it does not keep.

        The bot token goes only to Slack's file host (or the configured API host). A server
        error raises, so the update is not acknowledged and Slack sends it again.
        """
        if self._app is None or self._session is None:
            raise RuntimeError("the Slack adapter is not started")
        name = str(file.get("name") or file.get("id") or "file")
        mimetype = str(file.get("mimetype") or "")
        url = file.get("url_private_download") or file.get("url_private")
        size = file.get("size")
        max_bytes = self.settings.max_media_bytes
        if not mimetype.startswith("image/") or not isinstance(url, str):
            logger.info("Slack file %r (%s) is not a photo; not kept", name, mimetype)
            return None
        if isinstance(size, int) and size > max_bytes:
            logger.info("Slack file %r is %d bytes, over %d; not kept", name, size, max_bytes)
            return None
        if not self._is_slack_file_url(url):
            logger.warning("Slack file URL on an unexpected host refused: %r", url)
            return None
        headers = {"Authorization": f"Bearer {self.settings.bot_token}"}
        async with self._session.get(url, headers=headers) as response:
            if response.status >= 500:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message="file download"
                )
            if response.status != 200:
                logger.warning("Slack file %r: HTTP %d; not kept", name, response.status)
                return None
            data = await response.content.read(max_bytes + 1)
        media: MediaStore = self._app[MEDIA_KEY]
        try:
            path, mime = await asyncio.to_thread(media.save, data)
        except MediaError as exc:
            logger.info("Slack file %r not kept: %s", name, exc)
            return None
        return Attachment(kind="image", url=path, mime_type=mime, name=name[:200])

    def _is_slack_file_url(self, url: str) -> bool:
        parts = urlsplit(url)
        allowed = {"files.slack.com", urlsplit(self.settings.api_base_url).netloc}
        return parts.scheme in ("https", "http") and parts.netloc in allowed

    # --- sending ------------------------------------------------------------------------------
    async def send(self, item: OutboxItem) -> None:
        """Post one outbox message in the customer's thread (``chat.postMessage``)."""
        channel = item.address.get("channel")
        thread_ts = item.address.get("thread_ts")
        if not isinstance(channel, str) or not channel:
            raise DeliveryError(
                f"outbox #{item.id} has no Slack channel in its address {dict(item.address)!r}",
                permanent=True,
            )
        thread = thread_ts if isinstance(thread_ts, str) and thread_ts else None
        rendered = self.renderer.render(item.message, item.lang)
        if not rendered.blocks and not rendered.text:
            logger.info("outbox #%d has nothing Slack can show; skipped", item.id)
            return
        if item.attempts > 0 and await self._already_posted(item, channel, thread):
            logger.info("outbox #%d was posted before its answer was lost; not sent again", item.id)
            return
        try:
            try:
                await self._post(item, channel, thread, rendered)
            except SlackApiError as exc:
                if rendered.has_images and exc.response.get("error") in IMAGE_ERRORS:
                    # Slack could not fetch a picture (a private public_url): links instead.
                    logger.warning("outbox #%d: Slack refused an image; sending links", item.id)
                    plain = self.renderer.render(item.message, item.lang, images=False)
                    await self._post(item, channel, thread, plain)
                else:
                    raise
        except SlackApiError as exc:
            raise delivery_error(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Slack API unreachable: {exc!r}") from exc

    async def _post(
        self, item: OutboxItem, channel: str, thread_ts: str | None, rendered: Rendered
    ) -> None:
        await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=rendered.text,
            blocks=list(rendered.blocks) or None,
            unfurl_links=False,
            unfurl_media=False,
            # Marks the message so a retry can see it was posted (see _already_posted).
            metadata={"event_type": OUTBOX_EVENT_TYPE, "event_payload": {"outbox_id": item.id}},
        )

    async def _already_posted(self, item: OutboxItem, channel: str, thread_ts: str | None) -> bool:
        """Whether an earlier attempt posted ``item`` although its answer never came back (a
        timeout), looked up by the message metadata in the thread or channel."""
        oldest = f"{item.created_at.timestamp() - 1:.6f}"
        try:
            if thread_ts is not None:
                response = await self.client.conversations_replies(
                    channel=channel,
                    ts=thread_ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                )
        except SlackApiError as exc:
            error = delivery_error(exc)
            if error.retry_after is not None or not error.permanent:
                raise error from exc
            logger.warning("cannot look for an earlier delivery of outbox #%d: %s", item.id, exc)
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Slack API unreachable: {exc!r}") from exc
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == OUTBOX_EVENT_TYPE
                and payload.get("outbox_id") == item.id
            ):
                return True
        return False


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """An Events API JSON body or an interactivity form (``payload=<json>``) as a dict;
    ValueError says what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("the body must be UTF-8") from exc
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            text = form["payload"][0]
        elif "command" in form:  # a slash command (the staff side's /handoff)
            return {k: v[0] for k, v in form.items()}
        elif "ssl_check" in form:  # Slack checking the certificate of a slash command URL
            return {"type": "ssl_check"}
        else:
            raise ValueError("a form body must carry `payload` (interactivity) or `command`")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(body, dict):
        raise ValueError(f"the body must be a JSON object, got {type(body).__name__}")
    if not isinstance(body.get("type"), str):
        raise ValueError("the body has no `type` (event_callback, block_actions, ...)")
    return body


SLACK_KEY = web.AppKey("slack", SlackAdapter)

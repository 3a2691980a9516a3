"""Slack channel settings: the fixed names the gateway and Slack agree on (the Events API path,
the public Web API URL), :class:`SlackSettings`, the configuration checked once at start-up, and
the Slack clients built from it (:func:`build_clients`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import MAX_SECTION_TEXT
from bot.config import Config, ConfigError

CHANNEL = "slack"  # the IncomingMessage.channel and outbox Sender of this channel
EVENTS_PATH = "/webhooks/slack/events"
PUBLIC_API_BASE_URL = "https://slack.com/api/"

SlackMode = Literal["events", "socket"]


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
        # Listeners store the update before Bolt acknowledges it (SlackAdapter._accept).
        process_before_response=True,
    )
    return client, bolt

"""Telegram channel settings: the fixed names the gateway and Telegram agree on (channel, webhook
path and header) and :class:`TelegramSettings`, the configuration checked once at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.config import Config, ConfigError

Mode = Literal["webhook", "polling"]

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API_ROOT = "https://api.telegram.org"
# Telegram's rules for the webhook secret token and the length of a text message.
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_TEXT_CHARS = 4096
# Retries double their wait up to ``retry_max_s``; the exponent stops growing here, so a channel
# failing for days never computes 2**1024 (an OverflowError in float arithmetic).
MAX_BACKOFF_EXPONENT = 32


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram part of the configuration, checked once at start-up."""

    token: str
    secret_token: str | None
    mode: Mode
    api_root: str  # the Bot API server, without "/bot<token>"
    public_url: str  # the gateway's public base URL ("" when it has none)
    max_text_chars: int
    retry_base_s: float
    retry_max_s: float

    @classmethod
    def from_config(cls, cfg: Config) -> TelegramSettings:
        """Validate; a :class:`ConfigError` names the setting or variable to fix."""
        token = _bot_token(cfg)
        secret = _secret_token(cfg)
        channels = cfg.channels
        mode = _mode(channels.telegram_mode, secret)
        if not 8 <= channels.telegram_max_text_chars <= MAX_TEXT_CHARS:
            raise ConfigError(
                "`channels.telegram_max_text_chars` must be between 8 and Telegram's limit of "
                f"{MAX_TEXT_CHARS}, got {channels.telegram_max_text_chars}"
            )
        return cls(
            token=token,
            secret_token=secret,
            mode=mode,
            api_root=_api_root(channels.telegram_api_base_url),
            public_url=channels.public_url.rstrip("/"),
            max_text_chars=channels.telegram_max_text_chars,
            retry_base_s=cfg.delivery.retry_base_s,
            retry_max_s=cfg.delivery.retry_max_s,
        )

    def backoff(self, failures: int) -> float:
        """The wait before retry number ``failures``: doubling from ``retry_base_s``, capped
        at ``retry_max_s`` (also after any number of consecutive failures)."""
        exponent = min(max(0, failures - 1), MAX_BACKOFF_EXPONENT)
        return min(self.retry_max_s, self.retry_base_s * 2**exponent)


def _bot_token(cfg: Config) -> str:
    token = cfg.secrets.telegram_bot_token
    if not token:
        raise ConfigError(
            "the Telegram channel is on but the environment variable `TELEGRAM_BOT_TOKEN` "
            "is not set; create a bot with @BotFather and set the token it gives you"
        )
    return token


def _secret_token(cfg: Config) -> str | None:
    secret = cfg.secrets.telegram_secret_token
    if secret is not None and not SECRET_TOKEN_RE.fullmatch(secret):
        raise ConfigError(
            "`TELEGRAM_SECRET_TOKEN` must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
            f"(Telegram's rule), got {len(secret)} characters including others"
        )
    return secret


def _mode(raw_mode: str, secret: str | None) -> Mode:
    if raw_mode not in ("auto", "webhook", "polling"):
        raise ConfigError(
            f"`channels.telegram_mode` must be webhook, polling or auto, got {raw_mode!r}"
        )
    mode: Mode = (
        "webhook" if raw_mode == "webhook" or (raw_mode == "auto" and secret) else "polling"
    )
    if mode == "webhook" and not secret:
        raise ConfigError(
            "`channels.telegram_mode` is webhook but the environment variable "
            "`TELEGRAM_SECRET_TOKEN` is not set; set it to a random string of letters and "
            "digits (Telegram sends it back with every update), or use polling"
        )
    return mode


def _api_root(base_url: str | None) -> str:
    api_root = (base_url or DEFAULT_API_ROOT).rstrip("/")
    if not api_root.startswith(("http://", "https://")):
        raise ConfigError(
            "`channels.telegram_api_base_url` (TELEGRAM_API_BASE_URL) must be an http(s) "
            f"URL like https://api.telegram.org, got {api_root!r}"
        )
    return api_root

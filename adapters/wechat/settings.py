"""The WeChat channel's settings: its secrets and ``channels.wechat_*`` values, checked at
start-up with errors that name what to set or change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adapters.wechat.crypto import WeChatCipher, decode_aes_key
from bot.config import Config, ConfigError

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"

Mode = Literal["plain", "aes"]


@dataclass(frozen=True)
class WeChatSettings:
    """What the WeChat channel runs with, validated."""

    token: str
    cipher: WeChatCipher | None  # safe mode; None in plain mode
    credentials: tuple[str, str] | None  # (app id, app secret) for the customer-service API
    api_base_url: str
    passive_timeout_s: float
    max_text_bytes: int
    public_url: str
    max_text_length: int
    max_media_bytes: int

    @property
    def mode(self) -> Mode:
        return "aes" if self.cipher is not None else "plain"


def load_settings(cfg: Config) -> WeChatSettings:
    """The channel's settings; :class:`ConfigError` names the first bad or missing one."""
    channels = cfg.channels
    token = _token(cfg)
    cipher = _cipher(cfg)
    credentials = _credentials(cfg)
    api_base_url = _api_base_url(channels.wechat_api_base_url)
    if not 0 <= channels.wechat_passive_timeout_s < 5:
        raise ConfigError(
            "`channels.wechat_passive_timeout_s` must be at least 0 and below 5 (WeChat "
            f"waits 5 s for a reply), got {channels.wechat_passive_timeout_s}"
        )
    if channels.wechat_max_text_bytes < 64:
        raise ConfigError(
            "`channels.wechat_max_text_bytes` must be at least 64 (WeChat allows 2048), "
            f"got {channels.wechat_max_text_bytes}"
        )
    return WeChatSettings(
        token=token,
        cipher=cipher,
        credentials=credentials,
        api_base_url=api_base_url,
        passive_timeout_s=channels.wechat_passive_timeout_s,
        max_text_bytes=channels.wechat_max_text_bytes,
        public_url=channels.public_url.rstrip("/"),
        max_text_length=cfg.gateway.max_text_length,
        max_media_bytes=channels.max_media_bytes,
    )


def _token(cfg: Config) -> str:
    if not cfg.secrets.wechat_token:
        raise ConfigError(
            "the WeChat channel needs the environment variable `WECHAT_TOKEN` (the Token "
            "from the WeChat admin page, Settings > Basic configuration); set it or turn "
            "`channels.wechat` off"
        )
    return cfg.secrets.wechat_token


def _cipher(cfg: Config) -> WeChatCipher | None:
    """The safe-mode cipher when ``WECHAT_AES_KEY`` is set."""
    secrets = cfg.secrets
    if not secrets.wechat_aes_key:
        return None
    if not secrets.wechat_app_id:
        raise ConfigError(
            "`WECHAT_AES_KEY` is set (safe mode) but `WECHAT_APP_ID` is not: encrypted "
            "messages carry the app id, so set WECHAT_APP_ID to the account's AppID"
        )
    return WeChatCipher(decode_aes_key(secrets.wechat_aes_key), secrets.wechat_app_id)


def _credentials(cfg: Config) -> tuple[str, str] | None:
    """The app id and secret for the customer-service API, when both are set."""
    secrets = cfg.secrets
    if secrets.wechat_app_secret and not secrets.wechat_app_id:
        raise ConfigError(
            "`WECHAT_APP_SECRET` is set but `WECHAT_APP_ID` is not; the customer-service "
            "API needs both (the AppID and AppSecret from the WeChat admin page)"
        )
    if secrets.wechat_app_id and secrets.wechat_app_secret:
        return (secrets.wechat_app_id, secrets.wechat_app_secret)
    return None


def _api_base_url(value: str) -> str:
    base = value.strip() or DEFAULT_API_BASE_URL
    if not base.startswith(("http://", "https://")):
        raise ConfigError(
            "`channels.wechat_api_base_url` (env WECHAT_API_BASE_URL) must be an http(s) "
            f"URL such as {DEFAULT_API_BASE_URL}, got {base!r}"
        )
    return base.rstrip("/")

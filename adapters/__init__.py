"""Channel adapters: each translates one platform's native messages to and from
:mod:`bot.core.message` and registers its routes on the gateway app.

An adapter (:class:`~bot.core.channels.ChannelAdapter`) is constructed from the configuration by
:func:`load_adapters`, called by the composition root (:mod:`bot.gateway.__main__`), which hands
the list to the gateway. It registers its routes in ``setup(app)``; when the gateway starts it
is given the :class:`~bot.core.channels.ChannelServices` (``running(services)``): it verifies
and parses the platform's update into an ``IncomingMessage``, calls
``services.pipeline.submit(message, dedupe_key=...)`` once, and its ``sender``
(:class:`~bot.core.outbox.Sender`) renders outbox messages the platform's way (buttons,
photos, cards, or numbered text where a platform has none). Adapters import no gateway module.
"""

from __future__ import annotations

from typing import Literal

from bot.config import Config, ConfigError
from bot.core.channels import ChannelAdapter

__all__ = ["CHANNEL_SECRETS", "ChannelAdapter", "enabled_channels", "load_adapters"]

Switch = Literal["auto", "on", "off"]


# channel -> the secrets that switch it on ("auto"), as (Secrets field, environment variable)
CHANNEL_SECRETS: dict[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("telegram_bot_token", "TELEGRAM_BOT_TOKEN"),),
    "slack": (("slack_bot_token", "SLACK_BOT_TOKEN"),),
    "wechat": (("wechat_token", "WECHAT_TOKEN"),),
}


def _switch(cfg: Config, channel: str) -> Switch:
    value = getattr(cfg.channels, channel)
    if value not in ("auto", "on", "off"):
        raise ConfigError(f"`channels.{channel}` must be auto, on or off, got {value!r}")
    return value


def enabled_channels(cfg: Config) -> list[str]:
    """The chat platforms to serve besides the web chat.

    "auto" turns a channel on when its main secret is set; "on" without it stops start-up with
    a message naming the variable. Each adapter checks its further secrets itself.
    """
    enabled = []
    for channel, secrets in CHANNEL_SECRETS.items():
        switch = _switch(cfg, channel)
        if switch == "off":
            continue
        missing = [var for name, var in secrets if not getattr(cfg.secrets, name)]
        if not missing:
            enabled.append(channel)
        elif switch == "on":
            raise ConfigError(
                f"`channels.{channel}` is on in config.yml but the environment variable "
                f"`{missing[0]}` is not set; set it or turn the channel off"
            )
    return enabled


def load_adapters(cfg: Config) -> list[ChannelAdapter]:
    """The adapters the configuration turns on; the web chat is always on.

    Adapters are imported here, not at module import, so a platform's SDK is only loaded
    when its channel is enabled.
    """
    from adapters.web.adapter import WebAdapter

    adapters: list[ChannelAdapter] = [WebAdapter(cfg)]
    for channel in enabled_channels(cfg):
        if channel == "telegram":
            from adapters.telegram.adapter import TelegramAdapter

            adapters.append(TelegramAdapter(cfg))
        elif channel == "slack":
            from adapters.slack.adapter import SlackAdapter

            adapters.append(SlackAdapter(cfg))
        elif channel == "wechat":
            from adapters.wechat.adapter import WeChatAdapter

            adapters.append(WeChatAdapter(cfg))
    return adapters

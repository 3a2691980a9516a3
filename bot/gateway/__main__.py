"""`python -m bot.gateway`: serve the gateway on gateway.host and gateway.port of config.yml.

This is the composition root: :func:`build_app` constructs the channel adapters
(:func:`adapters.load_adapters`), the media store, the Slack staff desk (when handoff has
Slack and a support channel) and the handoff set-up, and gives them to
:func:`bot.gateway.app.create_app`. Tests build their apps with :func:`build_app` too.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters import ChannelAdapter, load_adapters
from bot.config import Config, ConfigError, load_config
from bot.core.media import MediaStore
from bot.core.rasa_client import RasaClient
from bot.gateway.app import create_app, media_store
from bot.handoff.setup import HandoffSetup, StaffFront, support_channel
from bot.observability.logs import configure_logging
from bot.storage.migrate import MigrationError


def build_app(
    cfg: Config, *, engine: AsyncEngine | None = None, rasa: RasaClient | None = None
) -> web.Application:
    """The gateway with the channels and the staff desk the configuration turns on. The
    engine and the Rasa client are made by the app unless given (then their owner closes
    them); a :class:`ConfigError` names a setting that stops start-up."""
    adapters = load_adapters(cfg)
    media = media_store(cfg)
    handoff = HandoffSetup(cfg, desk=staff_desk(cfg, adapters, media))
    return create_app(
        cfg, adapters=adapters, handoff=handoff, media=media, engine=engine, rasa=rasa
    )


def staff_desk(
    cfg: Config, adapters: Sequence[ChannelAdapter], media: MediaStore
) -> StaffFront | None:
    """The Slack staff desk on the Slack channel's clients, when handoff has the Slack channel
    and a support channel; it registers its Bolt listeners now, before the app starts."""
    slack = next((a for a in adapters if a.channel == "slack"), None)
    support = support_channel(cfg, slack=slack is not None)
    if support is None or slack is None:
        return None
    # Imported here: the Slack SDK is only loaded when the Slack channel is on.
    from adapters.slack.adapter import SlackAdapter
    from adapters.slack.staff_desk import SlackStaffDesk

    if not isinstance(slack, SlackAdapter):
        raise TypeError(f"the slack channel is served by {type(slack).__name__}")
    return SlackStaffDesk(slack, support_channel=support, cfg=cfg, media=media)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the shop assistant's gateway.")
    parser.add_argument("--host", help="overrides gateway.host / GATEWAY_HOST")
    parser.add_argument("--port", type=int, help="overrides gateway.port / GATEWAY_PORT")
    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="overrides logging.level / SHOP_LOG_LEVEL",
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config()
        # text or json (logging.format / SHOP_LOG_FORMAT), secrets redacted, message ids
        configure_logging(cfg, level=args.log_level)
        app = build_app(cfg)
    except ConfigError as exc:
        # A channel switched on without its secret, a malformed setting: say which, no trace.
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    host = args.host or cfg.gateway.host
    port = args.port or cfg.gateway.port
    logging.getLogger("bot.gateway").info(
        "gateway on http://%s:%d (Rasa %s, actions %s)", host, port, cfg.rasa.url, cfg.actions.url
    )
    try:
        web.run_app(app, host=host, port=port, print=None)
    except MigrationError as exc:
        # The database is behind the code (PostgreSQL) or cannot be reached or migrated.
        print(f"gateway: not starting: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

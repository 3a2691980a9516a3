"""`python -m bot.gateway`: serve the gateway on gateway.host and gateway.port of config.yml."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from bot.config import ConfigError, load_config
from bot.gateway.app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the shop assistant's gateway.")
    parser.add_argument("--host", help="overrides gateway.host / GATEWAY_HOST")
    parser.add_argument("--port", type=int, help="overrides gateway.port / GATEWAY_PORT")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        cfg = load_config()
        app = create_app(cfg)
    except ConfigError as exc:
        # A channel switched on without its secret, a malformed setting: say which, no trace.
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2
    host = args.host or cfg.gateway.host
    port = args.port or cfg.gateway.port
    logging.getLogger("bot.gateway").info(
        "gateway on http://%s:%d (Rasa %s, actions %s)", host, port, cfg.rasa.url, cfg.actions.url
    )
    web.run_app(app, host=host, port=port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

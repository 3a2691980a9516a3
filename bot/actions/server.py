"""`python -m bot.actions.server`: rasa-sdk's action server with metrics and the shop's logs.

The same server as ``python -m rasa_sdk --actions bot.actions`` (the same arguments: ``-p``,
``--cors``, ``--endpoints``, SSL options) with two additions:

- every action run is timed (``shop_action_duration_seconds`` by action name and outcome) and
  the action server answers ``GET /metrics`` on its own port with its metrics
  (:data:`bot.observability.metrics.ACTIONS`);
- logging uses ``logging.format`` / ``SHOP_LOG_FORMAT`` like the gateway, and each line written
  while an action runs carries the conversation (the tracker's sender id) and the gateway's
  inbox id (the message metadata).

Sanic runs the app in a worker process, so the logging set-up is repeated there (a listener).
With several Sanic workers (``ACTION_SERVER_SANIC_WORKERS``) each keeps its own metrics and a
scrape reaches one of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser, create_ssl_config
from rasa_sdk.executor import ActionExecutor, ActionExecutorRunResult, CollectingDispatcher
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot.config import ConfigError, load_config
from bot.observability import logs, metrics

logger = logging.getLogger(__name__)

ACTIONS_PACKAGE = "bot.actions"


def call_ids(action_call: dict[str, Any]) -> tuple[str | None, int | None]:
    """The conversation (sender id) and the gateway's inbox id of an action call."""
    tracker = action_call.get("tracker")
    tracker = tracker if isinstance(tracker, dict) else {}
    sender = action_call.get("sender_id") or tracker.get("sender_id")
    inbox_id: int | None = None
    latest = tracker.get("latest_message")
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    raw = metadata.get("inbox_id") if isinstance(metadata, dict) else None
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        inbox_id = raw
    return (str(sender) if sender else None), inbox_id


class InstrumentedExecutor(ActionExecutor):
    """Times each action and names its conversation in the log lines written meanwhile."""

    async def run(
        self,
        action_call: dict[str, Any],
        sink: Any = None,
        dispatcher: CollectingDispatcher | None = None,
    ) -> ActionExecutorRunResult | None:
        action = action_call.get("next_action")
        if not action:
            return await super().run(action_call, sink, dispatcher)
        tokens = logs.bind_message(*call_ids(action_call))
        started = time.perf_counter()
        ok = False
        try:
            result = await super().run(action_call, sink, dispatcher)
            ok = True
            return result
        finally:
            seconds = time.perf_counter() - started
            # Only registered names: a caller cannot create label values at will.
            name = str(action) if action in self.actions else "unknown"
            metrics.observe_action(name, seconds, ok=ok)
            logs.unbind(tokens)


async def metrics_endpoint(_request: Request) -> HTTPResponse:
    return response.raw(
        metrics.exposition(metrics.ACTIONS), headers={"Content-Type": metrics.CONTENT_TYPE}
    )


async def _configure_worker_logging(_app: Sanic, _loop: Any) -> None:
    configure()


def configure() -> None:
    """Install the configured log format (in the main process and in each Sanic worker)."""
    level = os.environ.get("SHOP_ACTIONS_LOG_LEVEL") or None
    try:
        logs.configure_logging(load_config(), level=level)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (SHOP_ACTIONS_LOG_LEVEL)") from None


def create_app(executor: ActionExecutor, **kwargs: Any) -> Sanic:
    """rasa-sdk's app plus ``GET /metrics`` (module level: Sanic pickles the factory)."""
    app = create_app_for_serve(executor, **kwargs)
    app.add_route(metrics_endpoint, "/metrics", methods=["GET"])
    app.register_listener(_configure_worker_logging, "before_server_start")
    return app


def main(argv: list[str] | None = None) -> int:
    parser: argparse.ArgumentParser = create_argument_parser()
    parser.prog = "python -m bot.actions.server"
    args = parser.parse_args(argv)
    if args.grpc:
        parser.error("--grpc is not served here; run `python -m rasa_sdk --grpc` for gRPC")
    try:
        configure()
    except ConfigError as exc:
        print(f"action server: configuration error: {exc}", file=sys.stderr)
        return 2
    executor = InstrumentedExecutor()
    executor.register_package(args.actions_module or args.actions or ACTIONS_PACKAGE)
    loader = AppLoader(
        factory=partial(
            create_app,
            executor,
            cors_origins=args.cors,
            auto_reload=args.auto_reload,
            endpoints=args.endpoints,
        )
    )
    app = loader.load()
    ssl_config = create_ssl_config(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = os.environ.get("SANIC_HOST", "0.0.0.0")
    logger.info("action server on %s:%d (metrics at /metrics)", host, args.port)
    app.prepare(host=host, port=args.port, ssl=ssl_config, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

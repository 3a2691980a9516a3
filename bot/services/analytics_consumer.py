"""`python -m bot analytics-consumer`: read Rasa's events from the RabbitMQ queue of the scale
profile and record them as conversation analytics (bot/services/analytics.py).

A message is acknowledged once its event is stored (or recognised as stored before: RabbitMQ
redelivers what a stopped consumer had not acknowledged, and it is counted once); a message
that is not a Rasa event is dropped with a log line; a database error puts the message back and
the consumer waits before going on. Settings (environment): ``RABBITMQ_URL``,
``RASA_EVENTS_QUEUE`` and the shop database (``SHOP_DATABASE_URL``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_config
from bot.services.analytics import BadEvent, parse_event, record
from bot.storage.db import create_engine, create_schema

logger = logging.getLogger(__name__)

DEFAULT_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_QUEUE = "rasa_events"
DB_RETRY_S = 2.0


async def handle(engine: AsyncEngine, body: bytes) -> str:
    """Record one broker message: ``recorded``, ``repeated`` (stored before), ``skipped`` (not
    counted) or ``dropped`` (not a Rasa event). Database errors propagate."""
    try:
        event = parse_event(body)
    except BadEvent as exc:
        logger.warning("dropping a message that is not a Rasa event: %s", exc)
        return "dropped"
    if event is None:
        return "skipped"
    return "recorded" if await record(engine, event) else "repeated"


async def consume(
    engine: AsyncEngine,
    url: str,
    queue_name: str,
    *,
    stop: asyncio.Event,
    prefetch: int = 100,
    on_message: Callable[[str], Any] | None = None,
) -> None:
    """Consume ``queue_name`` until ``stop`` is set (reconnecting when RabbitMQ goes away)."""
    import aio_pika

    connection = await aio_pika.connect_robust(url)
    try:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        # As Rasa's PikaEventBroker declares it (durable), so either may start first.
        queue = await channel.declare_queue(queue_name, durable=True)
        async with queue.iterator() as messages:
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    getting = asyncio.ensure_future(messages.__anext__())
                    await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if not getting.done():
                        getting.cancel()
                        break
                    message = getting.result()
                    try:
                        outcome = await handle(engine, message.body)
                    except SQLAlchemyError:
                        logger.exception("cannot record an event; it goes back to the queue")
                        await message.nack(requeue=True)
                        await asyncio.sleep(DB_RETRY_S)
                        continue
                    await message.ack()
                    if on_message is not None:
                        on_message(outcome)
            finally:
                stopping.cancel()
    finally:
        await connection.close()


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    cfg = load_config(path=args.config)
    url = args.rabbitmq_url or os.environ.get("RABBITMQ_URL") or DEFAULT_RABBITMQ_URL
    queue = args.queue or os.environ.get("RASA_EVENTS_QUEUE") or DEFAULT_QUEUE
    if not url.startswith(("amqp://", "amqps://")):
        raise ValueError(f"RABBITMQ_URL must be an amqp:// URL, got {url!r}")

    async def main() -> None:
        engine = create_engine(cfg.database.url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await create_schema(engine)
            logger.info("consuming Rasa's events from queue %r", queue)
            await consume(engine, url, queue, stop=stop)
        finally:
            await engine.dispose()

    asyncio.run(main())
    return 0


def add_analytics_consumer(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "analytics-consumer",
        help="record Rasa's events from RabbitMQ as conversation analytics (scale profile)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rabbitmq-url", default=None, help="default: $RABBITMQ_URL")
    parser.add_argument("--queue", default=None, help="default: $RASA_EVENTS_QUEUE or rasa_events")
    parser.set_defaults(handler=_run)

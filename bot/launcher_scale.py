"""The scale profile (`make run-scale`, `python -m bot.launcher --profile scale`): two of every
process on PostgreSQL, Redis and RabbitMQ (README "Scale profile (make run-scale)").

Lane i is an action server, a Rasa server calling it (rasa_project/endpoints.scale.yml: trackers
in PostgreSQL, locks in Redis, events to RabbitMQ) and a gateway; every gateway knows every Rasa
(``RASA_URLS``, its own lane's first) and fails over. One analytics consumer reads the events.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from sqlalchemy.engine import make_url

from bot.config import REPO_ROOT
from bot.launcher import Stack, StackPorts, free_port

logger = logging.getLogger(__name__)

GATEWAY_START_S = 120.0


def _ports(env: Mapping[str, str], name: str, default: str) -> tuple[int, ...]:
    raw = env.get(name) or default
    try:
        ports = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"{name} must be comma-separated port numbers, got {raw!r}") from None
    if not ports or any(not 0 < port < 65536 for port in ports):
        raise ValueError(f"{name} must be comma-separated port numbers, got {raw!r}")
    return ports


def _url_parts(name: str, url: str, schemes: tuple[str, ...]) -> SplitResult:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"{name} must be a {' or '.join(schemes)} URL with a host, got {url!r}")
    return parts


@dataclass(frozen=True)
class ScaleSettings:
    """Where the scale profile runs (README "Scale profile (make run-scale)")."""

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/shopbot_scale"
    redis_url: str = "redis://127.0.0.1:6379/0"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    events_queue: str = "rasa_events"
    lock_prefix: str = "shopbot"
    rasa_ports: tuple[int, ...] = (5005, 5006)
    action_ports: tuple[int, ...] = (5055, 5056)
    gateway_ports: tuple[int, ...] = (8000, 8001)
    gateway_host: str = "0.0.0.0"

    def __post_init__(self) -> None:
        _url_parts("SCALE_DATABASE_URL", self.database_url, ("postgresql+asyncpg",))
        _url_parts("SCALE_REDIS_URL", self.redis_url, ("redis",))
        _url_parts("SCALE_RABBITMQ_URL", self.rabbitmq_url, ("amqp",))
        if not self.lock_prefix.isalnum():
            raise ValueError(f"SCALE_LOCK_PREFIX must be letters and digits: {self.lock_prefix!r}")
        if not self.events_queue:
            raise ValueError("SCALE_EVENTS_QUEUE must not be empty")
        counts = {len(self.rasa_ports), len(self.action_ports), len(self.gateway_ports)}
        if len(counts) != 1:
            raise ValueError(
                "SCALE_RASA_PORTS, SCALE_ACTION_PORTS and SCALE_GATEWAY_PORTS must list as many "
                "ports each (one Rasa, one action server and one gateway per lane)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ScaleSettings:
        return cls(
            database_url=env.get("SCALE_DATABASE_URL") or cls.database_url,
            redis_url=env.get("SCALE_REDIS_URL") or cls.redis_url,
            rabbitmq_url=env.get("SCALE_RABBITMQ_URL") or cls.rabbitmq_url,
            events_queue=env.get("SCALE_EVENTS_QUEUE") or cls.events_queue,
            lock_prefix=env.get("SCALE_LOCK_PREFIX") or cls.lock_prefix,
            rasa_ports=_ports(env, "SCALE_RASA_PORTS", "5005,5006"),
            action_ports=_ports(env, "SCALE_ACTION_PORTS", "5055,5056"),
            gateway_ports=_ports(env, "SCALE_GATEWAY_PORTS", "8000,8001"),
            gateway_host=env.get("GATEWAY_HOST") or cls.gateway_host,
        )

    def rasa_env(self) -> dict[str, str]:
        """The variables rasa_project/endpoints.scale.yml reads."""
        db = urlsplit(self.database_url)
        redis = urlsplit(self.redis_url)
        broker = urlsplit(self.rabbitmq_url)
        return {
            "TRACKER_DB_HOST": db.hostname or "",
            "TRACKER_DB_PORT": str(db.port or 5432),
            "TRACKER_DB_NAME": db.path.lstrip("/"),
            "TRACKER_DB_USER": unquote(db.username or "postgres"),
            "TRACKER_DB_PASSWORD": unquote(db.password or ""),
            "LOCK_REDIS_HOST": redis.hostname or "",
            "LOCK_REDIS_PORT": str(redis.port or 6379),
            "LOCK_REDIS_DB": redis.path.lstrip("/") or "0",
            "LOCK_REDIS_PASSWORD": unquote(redis.password or ""),
            "LOCK_KEY_PREFIX": self.lock_prefix,
            "BROKER_HOST": broker.hostname or "",
            "BROKER_PORT": str(broker.port or 5672),
            "BROKER_USER": unquote(broker.username or "guest"),
            "BROKER_PASSWORD": unquote(broker.password or "guest"),
            "BROKER_QUEUE": self.events_queue,
        }

    def scratch(self, name: str) -> ScaleSettings:
        """A private copy on the same servers for a test or the bench: its own database
        ``shop_<name>_<tag>``, events queue and lock prefix, free loopback ports."""
        tag = uuid.uuid4().hex[:10]
        lanes = range(len(self.rasa_ports))
        return replace(
            self,
            database_url=make_url(self.database_url)
            .set(database=f"shop_{name}_{tag}")
            .render_as_string(hide_password=False),
            events_queue=f"{name}_{tag}",
            lock_prefix=f"{name}{tag}",
            rasa_ports=tuple(free_port() for _ in lanes),
            action_ports=tuple(free_port() for _ in lanes),
            gateway_ports=tuple(free_port() for _ in lanes),
            gateway_host="127.0.0.1",
        )

    def lanes(self) -> list[StackPorts]:
        return [
            StackPorts(rasa, actions, gateway, self.gateway_host)
            for rasa, actions, gateway in zip(
                self.rasa_ports, self.action_ports, self.gateway_ports, strict=True
            )
        ]


def _rotated(items: Sequence[str], start: int) -> list[str]:
    return [*items[start:], *items[:start]]


async def prepare_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if missing, then migrate it to the head
    revision (`python -m bot migrate`). True if it was created."""
    import asyncpg

    from bot.storage.db import create_engine
    from bot.storage.migrate import upgrade

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = await asyncpg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        database="postgres",
    )
    try:
        exists = await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await server.execute(f'CREATE DATABASE "{name.replace(chr(34), "")}"')
    finally:
        await server.close()
    engine = create_engine(url)
    try:
        print((await upgrade(engine)).describe())
    finally:
        await engine.dispose()
    return not exists


async def drop_scratch(settings: ScaleSettings) -> None:
    """Drop a scratch database and events queue (the bench's, a test's): the database with
    its connections, the queue if RabbitMQ has it."""
    import aio_pika
    import asyncpg

    url = make_url(settings.database_url)
    admin = await asyncpg.connect(
        url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await admin.close()
    connection = await aio_pika.connect(settings.rabbitmq_url)
    try:
        channel = await connection.channel()
        await channel.queue_delete(settings.events_queue)
    finally:
        await connection.close()


@dataclass
class ScaleStack:
    """The scale profile: N lanes of (action server, Rasa, gateway) on one PostgreSQL, Redis
    and RabbitMQ, and one analytics consumer. Lane i's Rasa calls lane i's action server; every
    gateway knows every Rasa (``RASA_URLS``, its own lane's first) and fails over."""

    settings: ScaleSettings
    log_dir: Path
    model_path: Path
    extra_env: Mapping[str, str] = field(default_factory=dict)
    lanes: list[Stack] = field(default_factory=list)
    consumer: Stack | None = None

    def __post_init__(self) -> None:
        ports = self.settings.lanes()
        rasa_urls = [f"http://127.0.0.1:{p.rasa}" for p in ports]
        action_urls = [f"http://127.0.0.1:{p.actions}" for p in ports]
        shared = {
            **self.settings.rasa_env(),
            "RABBITMQ_URL": self.settings.rabbitmq_url,
            "RASA_EVENTS_QUEUE": self.settings.events_queue,
            **self.extra_env,
        }
        # One token for every Rasa: any gateway may call any Rasa.
        if not (shared.get("RASA_AUTH_TOKEN") or os.environ.get("RASA_AUTH_TOKEN")):
            shared["RASA_AUTH_TOKEN"] = secrets.token_urlsafe(24)
        self.lanes = [
            Stack(
                ports=lane,
                database_url=self.settings.database_url,
                log_dir=self.log_dir,
                model_path=self.model_path,
                extra_env={
                    **shared,
                    "RASA_URLS": ",".join(_rotated(rasa_urls, i)),
                    "ACTION_SERVER_URLS": ",".join(_rotated(action_urls, i)),
                },
                endpoints="endpoints.scale.yml",
                suffix=f"-{i + 1}",
            )
            for i, lane in enumerate(ports)
        ]
        self.consumer = Stack(
            ports=ports[0],
            database_url=self.settings.database_url,
            log_dir=self.log_dir,
            model_path=self.model_path,
            extra_env=shared,
        )

    def analytics_command(self) -> list[str]:
        return [sys.executable, "-m", "bot", "analytics-consumer"]

    def start(self) -> None:
        if asyncio.run(prepare_database(self.settings.database_url)):
            shown = make_url(self.settings.database_url).render_as_string(hide_password=True)
            logger.info("Created the database %s", shown)
        for lane in self.lanes:
            lane.start(gateway=False)
        # One gateway at a time: each registers the running model at start-up (the studio's
        # baseline version), which two starting at once would both try to insert.
        for lane in self.lanes:
            lane.start_one("gateway")
            lane.wait_ready(GATEWAY_START_S, only=("gateway",))
        self.start_consumer()

    def start_consumer(self) -> None:
        assert self.consumer is not None
        self.consumer._spawn("analytics", self.analytics_command(), REPO_ROOT, self.consumer._env())

    def wait_ready(
        self, timeout_s: float = 300.0, *, say: Callable[[str], None] | None = None
    ) -> None:
        for number, lane in enumerate(self.lanes, start=1):
            lane.wait_ready(timeout_s, say=None if say is None else _in_lane(say, number))

    def stopped(self) -> list[tuple[str, str]]:
        """(name, log tail) of every process that exited."""
        found = []
        stacks: list[Stack] = list(self.lanes)
        if self.consumer is not None:
            stacks.append(self.consumer)
        for i, stack in enumerate(stacks):
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    label = name if stack is self.consumer else f"{name}-{i + 1}"
                    found.append((label, stack.log_tail(name)))
        return found

    def stop(self) -> None:
        for stack in [self.consumer, *self.lanes]:
            if stack is not None:
                stack.stop()


def _in_lane(say: Callable[[str], None], number: int) -> Callable[[str], None]:
    """``say`` with the lane's number after each line."""
    return lambda line: say(f"{line} (lane {number})")

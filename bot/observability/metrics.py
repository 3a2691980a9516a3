"""The Prometheus metrics of the gateway and of the action server, and the one-line calls
that update them (README "Monitoring").

Two registries, one per process: :data:`GATEWAY` (served at the gateway's ``GET /metrics``)
and :data:`ACTIONS` (served at the action server's ``GET /metrics``), each with the standard
process and Python collectors. Counters and histograms are updated where things happen
(:func:`message_received`, :func:`message_sent`, :func:`outbox_failed`, :func:`timed_rasa_call`,
:func:`observe_action`); the gauges that describe the database (backlog, handoffs waiting) and
the loaded model are set at scrape time by :mod:`bot.observability.scrape`.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Awaitable, Callable
from functools import wraps
from importlib import metadata
from typing import ParamSpec, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

# The classic text format: every Prometheus version reads it (the names are plain ASCII).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Rasa answers in tens of milliseconds to a few seconds; its timeout is 30 s by default.
RASA_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Custom actions: a database query or two, sometimes the recommender.
ACTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


GATEWAY = _registry()
ACTIONS = _registry()

# --- the gateway ------------------------------------------------------------------------------
MESSAGES_RECEIVED = Counter(
    "shop_messages_received",
    "Customer messages accepted into the inbox (repeated platform deliveries not counted)",
    ["channel"],
    registry=GATEWAY,
)
MESSAGES_SENT = Counter(
    "shop_messages_sent",
    "Messages delivered to customers: by the channel's sender or in an HTTP response",
    ["channel"],
    registry=GATEWAY,
)
OUTBOX_RETRIES = Counter(
    "shop_outbox_retries",
    "Outbox sends that failed and were scheduled again",
    ["channel"],
    registry=GATEWAY,
)
OUTBOX_DEAD_LETTERS = Counter(
    "shop_outbox_dead_letters",
    "Outbox messages given up (a permanent platform error or too many attempts)",
    ["channel"],
    registry=GATEWAY,
)
RASA_REQUESTS = Histogram(
    "shop_rasa_request_duration_seconds",
    "Rasa REST webhook calls by outcome (ok, timeout, unavailable, bad_response, error)",
    ["outcome"],
    buckets=RASA_BUCKETS,
    registry=GATEWAY,
)
INBOX_PENDING = Gauge(
    "shop_inbox_pending",
    "Inbox rows waiting to be processed (status pending), read from the database at scrape",
    registry=GATEWAY,
)
INBOX_OLDEST_AGE = Gauge(
    "shop_inbox_oldest_pending_age_seconds",
    "Age of the oldest pending inbox row (0 when none), read from the database at scrape",
    registry=GATEWAY,
)
HANDOFFS_STARTED = Counter(
    "shop_handoffs_started",
    "Handoffs to staff started, by trigger and first status (waiting; message: outside hours)",
    ["reason", "status"],
    registry=GATEWAY,
)
HANDOFFS_WAITING = Gauge(
    "shop_handoffs_waiting",
    "Handoffs waiting for a member of staff to claim them, read from the database at scrape",
    registry=GATEWAY,
)
MODEL = Info(
    "shop_model",
    "The model the Rasa server has loaded (its /status): model_id and model_file",
    registry=GATEWAY,
)
BUILD = Info("shop_gateway_build", "The gateway's version and Python", registry=GATEWAY)

# --- the action server ------------------------------------------------------------------------
ACTION_DURATION = Histogram(
    "shop_action_duration_seconds",
    "Custom actions run by the action server, by action name and outcome (ok, error)",
    ["action", "outcome"],
    buckets=ACTION_BUCKETS,
    registry=ACTIONS,
)


def build_version() -> str:
    try:
        return metadata.version("shopbot")
    except metadata.PackageNotFoundError:
        return "unknown"


BUILD.info({"version": build_version(), "python": platform.python_version()})


# --- the one-line calls -----------------------------------------------------------------------
def message_received(channel: str) -> None:
    MESSAGES_RECEIVED.labels(channel=channel).inc()


def message_sent(channel: str, count: int = 1) -> None:
    if count:
        MESSAGES_SENT.labels(channel=channel).inc(count)


def outbox_failed(channel: str, *, gave_up: bool) -> None:
    """An outbox send failed: retried later, or (``gave_up``) a dead letter."""
    (OUTBOX_DEAD_LETTERS if gave_up else OUTBOX_RETRIES).labels(channel=channel).inc()


def handoff_started(reason: str, status: str) -> None:
    HANDOFFS_STARTED.labels(reason=reason, status=status).inc()


# Exception class names (and their bases') of the Rasa client -> outcome label. Names, not
# classes: the client lives in a higher layer (bot.core).
_RASA_OUTCOMES = {"RasaUnavailable": "unavailable", "RasaBadResponse": "bad_response"}


def rasa_outcome(exc: BaseException | None) -> str:
    """The ``outcome`` label of a Rasa call that raised ``exc`` (None: ``ok``)."""
    if exc is None:
        return "ok"
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return "timeout"
    for cls in type(exc).__mro__:
        if cls.__name__ in _RASA_OUTCOMES:
            return _RASA_OUTCOMES[cls.__name__]
    return "error"


P = ParamSpec("P")
R = TypeVar("R")


def timed_rasa_call(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorate the Rasa client's webhook call: its latency by outcome."""

    @wraps(func)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        failure: BaseException | None = None
        try:
            return await func(*args, **kwargs)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            outcome = rasa_outcome(failure)
            RASA_REQUESTS.labels(outcome=outcome).observe(time.perf_counter() - started)

    return timed


def observe_action(action: str, seconds: float, *, ok: bool) -> None:
    ACTION_DURATION.labels(action=action, outcome="ok" if ok else "error").observe(seconds)


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format."""
    return generate_latest(registry)

"""`make bench`: what the gateway adds to Rasa, and what the scale profile buys.

For each profile (``embedded``: SQLite and one process of each; ``scale``: two of each on
PostgreSQL, Redis and RabbitMQ, when those answer), it starts the real stack on free ports with a
freshly seeded database, warms it up, then sends the same bilingual conversation, in the same
run, to Rasa's REST webhook directly ("bare Rasa") and to the gateway's ``/api/chat``, with 1, 8
and 32 customers at once. Each customer is its own conversation and sends its next message when
the previous one is answered. It writes reports/bench.md and reports/bench.json: p50/p95/p99
latency, messages per second and errors per cell, the gateway's overhead on Rasa's p50 at one
customer, and the scale profile's throughput at the highest concurrency against the embedded
one's. The report is stamped with the commit and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

import yaml

from bot.config import DEFAULT_CONFIG_PATH, REPO_ROOT
from bot.launcher import default_model_path, seeded_stack
from bot.report_stamp import format_stamp, stamp
from bot.services.web_identity import sign

MESSAGES = [
    "hi",
    "where is my order 260315004217",
    "我的订单260315004217到哪了",
    "how much are the wireless earbuds",
    "电饭煲有货吗",
    "what is your return policy",
    "运费怎么算",
    "thanks, bye",
]
BENCH_SECRET = "bench-web-identity-secret-0123456789"
CONCURRENCY = (1, 8, 32)


@dataclass(frozen=True)
class Endpoints:
    """Where a running profile answers: its Rasa servers and its gateways."""

    rasa: Sequence[str]
    gateways: Sequence[str]


@dataclass(frozen=True)
class Cell:
    profile: str
    target: str  # "rasa" (bare REST webhook) or "gateway" (/api/chat)
    customers: int
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    per_second: float
    # Gateway cells: the mean time per message the gateway spent outside its calls to Rasa
    # (the client's time minus the gateway's own Rasa-call histogram, the same requests).
    own_ms: float | None = None


_RASA_CALLS = re.compile(
    r"^shop_rasa_request_duration_seconds_(sum|count)(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.M
)


def rasa_call_totals(gateways: Sequence[str]) -> tuple[float, float]:
    """Seconds spent in, and the number of, the gateways' calls to Rasa so far (their
    ``/metrics``: ``shop_rasa_request_duration_seconds``, every outcome)."""
    seconds = calls = 0.0
    for url in gateways:
        with urllib.request.urlopen(f"{url}/metrics", timeout=30) as resp:
            text = resp.read().decode("utf-8")
        for kind, value in _RASA_CALLS.findall(text):
            if kind == "sum":
                seconds += float(value)
            else:
                calls += float(value)
    return seconds, calls


def own_time_ms(latencies: Sequence[float], rasa_seconds: float) -> float | None:
    """The mean time per answered message outside the calls to Rasa."""
    if not latencies:
        return None
    return round((sum(latencies) - rasa_seconds * 1000) / len(latencies), 1)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0-100) of a non-empty sequence."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _post_json(url: str, body: dict[str, Any], timeout_s: float = 120.0) -> int:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            resp.read()
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


def bare_rasa(base_url: str) -> Callable[[str, str], int]:
    """Send a message to Rasa's REST webhook, as the gateway does, without the gateway."""

    def send(sender: str, text: str) -> int:
        return _post_json(f"{base_url}/webhooks/rest/webhook", {"sender": sender, "message": text})

    return send


def gateway_chat(base_url: str) -> Callable[[str, str], int]:
    """Send a message to the gateway's ``/api/chat`` as a signed web chat customer."""

    def send(sender: str, text: str) -> int:
        body = {"sender_id": sender, "text": text, "identity_hash": sign(BENCH_SECRET, sender)}
        return _post_json(f"{base_url}/api/chat", body)

    return send


def load(
    senders: Sequence[Callable[[str, str], int]],
    customers: int,
    rounds: int,
    label: str,
) -> tuple[list[float], int, float]:
    """``customers`` conversations at once, each sending MESSAGES ``rounds`` times, spread
    over ``senders`` round robin; returns the latencies of answered messages (ms), the count
    of errors and the wall time (s)."""
    plan = list(zip(range(customers), cycle(senders), strict=False))

    def customer(item: tuple[int, Callable[[str, str], int]]) -> tuple[list[float], int]:
        index, send = item
        latencies, errors = [], 0
        for round_ in range(rounds):
            # Each round is a new conversation of a real one's length: Rasa's cost per message
            # grows with the conversation (see long_conversation), which would otherwise
            # decide the cells.
            sender = f"{label}-{index}-{round_}-{time.monotonic_ns()}"
            for text in MESSAGES:
                start = time.perf_counter()
                try:
                    status = send(sender, text)
                except OSError:
                    status = 0
                if status == 200:
                    latencies.append((time.perf_counter() - start) * 1000)
                else:
                    errors += 1
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(customers) as pool:
        results = list(pool.map(customer, plan))
    wall = time.perf_counter() - started
    return [ms for r in results for ms in r[0]], sum(r[1] for r in results), wall


def measure(
    profile: str, endpoints: Endpoints, concurrency: Sequence[int], requests: int
) -> list[Cell]:
    """Bare Rasa and the gateway at each concurrency: the same messages, about ``requests``
    of them per cell (at least one round per customer), after one unmeasured conversation on
    each server. The two take turns round by round, bare Rasa first in even rounds and the
    gateway first in odd ones, so a machine that gets slower or faster during the run favours
    neither (one run measured in halves, A B B A, put the gateway 36 % over bare Rasa's p50
    while its own time was 14 %)."""
    cells = []
    targets = {
        "rasa": [bare_rasa(u) for u in endpoints.rasa],
        "gateway": [gateway_chat(u) for u in endpoints.gateways],
    }
    # First one unmeasured conversation per Rasa server and gateway: the first messages after
    # start-up load models and fill caches, and the target measured first paid for it (one
    # run: bare Rasa's first half 169 ms per message, its last half 105 ms).
    for name, senders in targets.items():
        load(senders, len(senders), 1, f"bench-warmup-{name}")
    for customers in concurrency:
        rounds = max(1, round(requests / (customers * len(MESSAGES))))
        got: dict[str, tuple[list[float], int, float]] = {t: ([], 0, 0.0) for t in targets}
        rasa_seconds = 0.0  # in the gateways' calls to Rasa during the gateway's rounds
        for round_ in range(rounds):
            for target in ("rasa", "gateway") if round_ % 2 == 0 else ("gateway", "rasa"):
                if target == "gateway":
                    rasa_seconds -= rasa_call_totals(endpoints.gateways)[0]
                latencies, errors, wall = load(
                    targets[target], customers, 1, f"bench-{target}-{round_}"
                )
                if target == "gateway":
                    rasa_seconds += rasa_call_totals(endpoints.gateways)[0]
                before = got[target]
                got[target] = (before[0] + latencies, before[1] + errors, before[2] + wall)
        for target, (latencies, errors, wall) in got.items():
            if not latencies:
                raise RuntimeError(f"{profile}/{target}: no message answered at {customers}")
            cells.append(
                Cell(
                    profile=profile,
                    target=target,
                    customers=customers,
                    requests=len(latencies) + errors,
                    errors=errors,
                    p50_ms=round(statistics.median(latencies), 1),
                    p95_ms=round(percentile(latencies, 95), 1),
                    p99_ms=round(percentile(latencies, 99), 1),
                    per_second=round(len(latencies) / wall, 1),
                    own_ms=own_time_ms(latencies, rasa_seconds) if target == "gateway" else None,
                )
            )
            print(cells[-1], flush=True)
    return cells


@dataclass(frozen=True)
class LongConversation:
    """One customer's single conversation through bare Rasa: the p50 of its first and its
    last round of MESSAGES."""

    messages: int
    first_round_p50_ms: float
    last_round_p50_ms: float


def long_conversation(endpoints: Endpoints, rounds: int) -> LongConversation:
    """What one conversation of ``rounds`` times MESSAGES costs Rasa per message at its start
    and at its end (Rasa loads and replays the conversation's events on every message and
    sends them to the action server with every action call)."""
    send = bare_rasa(endpoints.rasa[0])
    sender = f"bench-long-{time.monotonic_ns()}"
    per_round: list[list[float]] = []
    for _ in range(rounds):
        latencies = []
        for text in MESSAGES:
            start = time.perf_counter()
            if send(sender, text) == 200:
                latencies.append((time.perf_counter() - start) * 1000)
        per_round.append(latencies or [float("nan")])
    return LongConversation(
        messages=rounds * len(MESSAGES),
        first_round_p50_ms=round(statistics.median(per_round[0]), 1),
        last_round_p50_ms=round(statistics.median(per_round[-1]), 1),
    )


def warm_up(endpoints: Endpoints) -> None:
    """First calls load lazily created resources (models, connections, caches)."""
    for rasa in endpoints.rasa:
        for text in MESSAGES:
            bare_rasa(rasa)("bench-warmup-rasa", text)
    for gateway in endpoints.gateways:
        for text in MESSAGES:
            gateway_chat(gateway)("bench-warmup-gateway", text)


def _bench_config(tmp: Path) -> Path:
    """The shipped settings without the web chat's rate limits: the bench is one client."""
    settings = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    settings["web"].update(messages_per_minute_per_sender=0, messages_per_minute_per_ip=0)
    config = tmp / "config.yml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return config


@contextmanager
def embedded(tmp: Path) -> Iterator[Endpoints]:
    """SQLite, one Rasa, one action server, one gateway (``make run``)."""
    env = {"WEB_IDENTITY_SECRET": BENCH_SECRET, "SHOP_CONFIG": str(_bench_config(tmp))}
    with seeded_stack(tmp, env) as stack:
        yield Endpoints(rasa=[stack.rasa_url], gateways=[stack.gateway_url])


@contextmanager
def scale(tmp: Path) -> Iterator[Endpoints]:
    """Two of each on PostgreSQL, Redis and RabbitMQ (``make run-scale``), in a scratch
    database and queue on the servers of ``SCALE_DATABASE_URL``, ``SCALE_REDIS_URL`` and
    ``SCALE_RABBITMQ_URL`` (the machine's by default), dropped afterwards."""
    import asyncio

    from bot.launcher_scale import ScaleSettings, ScaleStack, drop_scratch, prepare_database

    settings = ScaleSettings.from_env(os.environ).scratch("bench")
    asyncio.run(prepare_database(settings.database_url))
    config = _bench_config(tmp)
    env = {**os.environ, "SHOP_DATABASE_URL": settings.database_url, "SHOP_CONFIG": str(config)}
    try:
        subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
        stack = ScaleStack(
            settings,
            tmp / "logs",
            default_model_path(),
            extra_env={"WEB_IDENTITY_SECRET": BENCH_SECRET, "SHOP_CONFIG": str(config)},
        )
        try:
            stack.start()
            stack.wait_ready()
            yield Endpoints(
                rasa=[lane.rasa_url for lane in stack.lanes],
                gateways=[lane.gateway_url for lane in stack.lanes],
            )
        finally:
            stack.stop()
    finally:
        asyncio.run(drop_scratch(settings))


PROFILES: dict[str, Callable[[Path], Any]] = {"embedded": embedded, "scale": scale}


def _cell(cells: Sequence[Cell], profile: str, target: str, customers: int) -> Cell | None:
    return next(
        (c for c in cells if (c.profile, c.target, c.customers) == (profile, target, customers)),
        None,
    )


def findings(cells: Sequence[Cell]) -> list[str]:
    """The goals, read off the cells: the gateway's overhead on Rasa's p50 at one customer
    (goal: at most 10%) and the scale profile's throughput at the highest concurrency
    against the embedded one's (goal: at least 1.5x)."""
    lines = []
    lowest = min((c.customers for c in cells), default=1)
    highest = max((c.customers for c in cells), default=1)
    for profile in dict.fromkeys(c.profile for c in cells):
        rasa = _cell(cells, profile, "rasa", lowest)
        gateway = _cell(cells, profile, "gateway", lowest)
        if rasa and gateway:
            overhead = (gateway.p50_ms / rasa.p50_ms - 1) * 100
            line = (
                f"- {profile}: at {lowest} customer the gateway's p50 is {gateway.p50_ms} ms "
                f"against bare Rasa's {rasa.p50_ms} ms: {overhead:+.0f}% (goal: at most +10%)."
            )
            if gateway.own_ms is not None:
                line += (
                    f" In the same requests the gateway spent {gateway.own_ms} ms per message "
                    f"outside its calls to Rasa: {gateway.own_ms / rasa.p50_ms * 100:+.0f}% of "
                    "bare Rasa's p50 (the p50s differ also by the machine's drift between "
                    "rounds; this figure does not)."
                )
            lines.append(line)
    scale = _cell(cells, "scale", "gateway", highest)
    single = _cell(cells, "embedded", "gateway", highest)
    if scale and single:
        lines.append(
            f"- scale vs embedded at {highest} customers through the gateway: "
            f"{scale.per_second} vs {single.per_second} messages/s = "
            f"{scale.per_second / single.per_second:.2f}x (goal: at least 1.5x)."
        )
    bare_scale = _cell(cells, "scale", "rasa", highest)
    bare_single = _cell(cells, "embedded", "rasa", highest)
    if bare_scale and bare_single:
        lines.append(
            f"- the same ratio for bare Rasa, without the gateway: {bare_scale.per_second} vs "
            f"{bare_single.per_second} messages/s = "
            f"{bare_scale.per_second / bare_single.per_second:.2f}x: what two of each process "
            f"can gain on this machine's {os.cpu_count()} cores, where every process of both "
            "profiles shares the same CPUs."
        )
    return lines


def long_conversation_notes(longs: dict[str, LongConversation]) -> list[str]:
    return [
        f"{profile}: one conversation of {long.messages} messages through bare Rasa: p50 "
        f"{long.first_round_p50_ms} ms per message in its first {len(MESSAGES)}, "
        f"{long.last_round_p50_ms} ms in its last {len(MESSAGES)} (Rasa replays the "
        "conversation's events on every message)."
        for profile, long in longs.items()
    ]


def report(cells: Sequence[Cell], notes: Sequence[str], stamped: dict[str, Any]) -> str:
    lines = [
        "# Bare Rasa against the gateway's /api/chat",
        "",
        format_stamp(stamped),
        "",
        "Measured by `make bench` (bot/bench.py). Each customer sends the next message when "
        "the previous is answered, in conversations of these messages (a new conversation "
        f"each round): {', '.join(repr(m) for m in MESSAGES)}.",
        "",
        "| profile | target | customers | requests | errors | p50 ms | p95 ms | p99 ms "
        "| messages/s | gateway's own ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {c.profile} | {'bare Rasa REST' if c.target == 'rasa' else '/api/chat'} "
        f"| {c.customers} | {c.requests} | {c.errors} | {c.p50_ms} | {c.p95_ms} | {c.p99_ms} "
        f"| {c.per_second} | {'-' if c.own_ms is None else c.own_ms} |"
        for c in cells
    ]
    lines += [
        "",
        "The gateway's own ms: per answered message, the client's time minus the time the "
        "gateway spent in its calls to Rasa (its `/metrics` histogram "
        "`shop_rasa_request_duration_seconds`, read before and after its rounds): the "
        "inbox, the database, the handoff and emotion checks, the second HTTP hop and waiting "
        "for the CPU. At several customers it includes queueing.",
    ]
    lines += ["", "## Against the goals", "", *findings(cells)]
    if notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--profiles", default=",".join(PROFILES), help="comma-separated: " + ", ".join(PROFILES)
    )
    parser.add_argument(
        "--concurrency", default=",".join(map(str, CONCURRENCY)), help="customers at once"
    )
    parser.add_argument("--requests", type=int, default=96, help="about this many per cell")
    parser.add_argument(
        "--long-rounds", type=int, default=12, help="rounds of the one long conversation"
    )
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    args = parser.parse_args(argv)
    try:
        levels = [int(v) for v in args.concurrency.split(",") if v.strip()]
    except ValueError:
        parser.error(f"--concurrency must be comma-separated integers, got {args.concurrency!r}")
    if not levels or min(levels) < 1:
        parser.error("--concurrency needs at least one level, each at least 1")
    if args.long_rounds < 1:
        parser.error("--long-rounds must be at least 1")
    names = [n.strip() for n in args.profiles.split(",") if n.strip()]
    unknown = [n for n in names if n not in PROFILES]
    if unknown or not names:
        parser.error(f"--profiles: unknown {unknown}; choose from {', '.join(PROFILES)}")
    cells: list[Cell] = []
    longs: dict[str, LongConversation] = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp, PROFILES[name](Path(tmp)) as endpoints:
            warm_up(endpoints)
            cells += measure(name, endpoints, levels, args.requests)
            longs[name] = long_conversation(endpoints, args.long_rounds)
    notes = long_conversation_notes(longs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamped = stamp()
    (out / "bench.json").write_text(
        json.dumps(
            {
                "commit": stamped["commit"],
                "machine": stamped["machine"],
                "stamp": stamped,
                "cells": [asdict(c) for c in cells],
                "long_conversation": {p: asdict(v) for p, v in longs.items()},
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    text = report(cells, notes, stamped)
    (out / "bench.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

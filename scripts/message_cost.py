"""The gateway's own cost per web chat message: SQL statements, transactions and time.

Runs the real gateway app (default settings: handoff router and emotion-aware replies on, the
sentiment model when built) on a temporary SQLite file, against the test suite's stand-in Rasa
and action server in a child process, so the gateway process's CPU time is the gateway's own.
One customer sends ``bot.bench.MESSAGES`` ``--rounds`` times through ``POST /api/chat``; each
message counts until its request handler returned (the replies confirmed delivered). Prints
per message: statements, commits, request and handler wall ms and the process's CPU ms
(medians at the end); ``--profile`` adds cProfile's top
functions (the event loop's thread; SQLite's calls run on it too), ordered by
``--profile-sort``, and ``--profile-dump FILE`` keeps the raw profile for pstats.

    PYTHONPATH=. .venv/bin/python scripts/message_cost.py --rounds 4 [--profile] [--out reports]
        [--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test]

``--postgres`` runs the gateway on a scratch database created on that server (dropped
afterwards) instead of SQLite, and ``--out`` then writes message-cost-postgres.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler
from sqlalchemy.engine import make_url

from bot.bench import MESSAGES
from bot.gateway.__main__ import build_app
from bot.report_stamp import format_stamp, stamp
from bot.storage.db import InlineSQLite, create_engine
from bot.storage.statement_count import StatementCounter
from tests.gateway.fake_rasa import FakeActionServer, FakeRasa
from tests.gateway.helpers import SigningClient, make_config
from tests.gateway.seed import seed_shop

SENDER = "demo-emma"  # a known customer (web identity in the seeded shop)


class DriverCalls:
    """Counts the SQLite driver's calls (cursor, execute, fetch, close, commit, rollback):
    with plain aiosqlite each was a hand-over to its thread and a wait for the answer; the
    project's :class:`~bot.storage.db.InlineSQLite` runs them on the event loop's thread."""

    def __init__(self) -> None:
        self.count = 0
        original = InlineSQLite._execute

        async def counted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(conn, fn, *args, **kwargs)

        InlineSQLite._execute = counted  # type: ignore[method-assign,assignment]


async def serve_fakes() -> None:
    """Child process: the stand-in Rasa and action server; prints their URLs, runs forever."""
    rasa, actions = FakeRasa(), FakeActionServer()
    urls = {"rasa": await rasa.start(), "actions": await actions.start()}
    print(json.dumps(urls), flush=True)
    await asyncio.Event().wait()


class Handled:
    """A middleware that times each request's handler to its very end (after the response
    is written the web chat still confirms the delivery) and tells when it returned."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.handler_ms = 0.0

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.handler_ms = (time.perf_counter() - started) * 1000
            self.done.set()


@asynccontextmanager
async def database(tmp: Path, postgres: str | None) -> AsyncIterator[str]:
    """The database URL to run on: a SQLite file in ``tmp``, or a scratch database created on
    the PostgreSQL server of ``postgres`` and dropped afterwards."""
    if postgres is None:
        yield f"sqlite+aiosqlite:///{tmp / 'shop.db'}"
        return
    import asyncpg

    server = make_url(postgres)
    name = f"message_cost_{uuid.uuid4().hex[:10]}"
    admin_dsn = server.set(drivername="postgresql", database="postgres")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(
    urls: dict[str, str],
    rounds: int,
    profile: bool,
    verbose: bool,
    profile_sort: str = "cumulative",
    profile_dump: str | None = None,
    postgres: str | None = None,
) -> list[tuple[int, int, float, float, float, int]]:
    tmp = Path(tempfile.mkdtemp(prefix="message-cost-"))
    async with database(tmp, postgres) as url:
        return await _run(tmp, url, urls, rounds, profile, verbose, profile_sort, profile_dump)


async def _run(
    tmp: Path,
    url: str,
    urls: dict[str, str],
    rounds: int,
    profile: bool,
    verbose: bool,
    profile_sort: str,
    profile_dump: str | None,
) -> list[tuple[int, int, float, float, float, int]]:
    engine = create_engine(url)
    await seed_shop(engine)
    cfg = make_config(
        tmp,
        rasa_url=urls["rasa"],
        actions_url=urls["actions"],
        web={"messages_per_minute_per_sender": 0, "messages_per_minute_per_ip": 0},
        # Only wake-ups, no timed polls: every round counted is one the message caused.
        delivery={"poll_interval_s": 3600.0},
    )
    app = build_app(cfg, engine=engine)
    handled = Handled()
    app.middlewares.insert(0, handled.middleware)
    client = SigningClient(TestServer(app))
    await client.start_server()
    for text in ("hello", "hi"):  # warm-up: first uses of the models and caches
        handled.done.clear()
        warm = await client.post("/api/chat", json={"sender_id": SENDER, "text": text})
        await warm.read()
        await handled.done.wait()
    hops = DriverCalls()
    rows: list[tuple[int, int, float, float, float, int]] = []
    profiler = cProfile.Profile() if profile else None
    with StatementCounter(engine) as counter:
        counter.ignore_current_task()
        for _ in range(rounds):
            for text in MESSAGES:
                counter.reset()
                hops.count = 0
                handled.done.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                response = await client.post("/api/chat", json={"sender_id": SENDER, "text": text})
                await response.read()
                await handled.done.wait()
                if profiler is not None:
                    profiler.disable()
                wall_ms = (time.perf_counter() - wall) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                got = counter.reset()
                got_ms = handled.handler_ms
                rows.append(
                    (len(got.statements), len(got.commits), wall_ms, got_ms, cpu_ms, hops.count)
                )
                print(
                    f"{text!r}: {response.status} statements={len(got.statements)} "
                    f"commits={len(got.commits)} driver calls={hops.count} wall={wall_ms:.1f} ms "
                    f"handler={got_ms:.1f} ms cpu={cpu_ms:.1f} ms "
                    f"(background loops: {len(got.background)} statements)"
                )
                if verbose:
                    for task, sql in got.statements + got.background:
                        print(f"    [{task}] {sql[:110]}")
    await client.close()
    await engine.dispose()
    n = len(rows)
    kinds = Counter((r[0], r[1], r[5]) for r in rows)
    print(f"\n{n} messages; (statements, commits, SQLite driver calls): {dict(kinds)}")
    print(
        f"per message, medians: request {statistics.median(r[2] for r in rows):.1f} ms, "
        f"handler {statistics.median(r[3] for r in rows):.1f} ms, "
        f"process CPU {statistics.median(r[4] for r in rows):.1f} ms (the stand-in Rasa "
        "answers from another process; CPU includes this script's HTTP client)"
    )
    if profiler is not None:
        if profile_dump:
            profiler.dump_stats(profile_dump)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(profile_sort).print_stats(40)
        print(out.getvalue())
    return rows


def write_report(
    rows: list[tuple[int, int, float, float, float, int]], out: Path, postgres: bool = False
) -> None:
    """reports/message-cost.md and .json (-postgres.md and .json), stamped (bot.report_stamp)."""
    name = "message-cost-postgres" if postgres else "message-cost"
    out.mkdir(parents=True, exist_ok=True)
    kind = "PostgreSQL (a scratch database)" if postgres else "SQLite"

    def spread(index: int) -> dict[str, float]:
        values = [r[index] for r in rows]
        return {"min": min(values), "median": statistics.median(values), "max": max(values)}

    load = os.getloadavg()[0]
    data = {
        "stamp": stamp(),
        "messages": len(rows),
        "statements": spread(0),
        "commits": spread(1),
        "driver_calls": spread(5),
        "request_ms": spread(2),
        "handler_ms": spread(3),
        "process_cpu_ms": spread(4),
        "load_1min": round(load, 2),
    }
    (out / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    stats = [
        ("SQL statements", "statements", ""),
        ("commits (write transactions)", "commits", ""),
        *([] if postgres else [("SQLite driver calls (on the loop thread)", "driver_calls", "")]),
        ("request wall time", "request_ms", " ms"),
        ("handler wall time", "handler_ms", " ms"),
        ("process CPU time (with the HTTP client)", "process_cpu_ms", " ms"),
    ]
    lines = [
        "# The gateway's own work per web chat message",
        "",
        format_stamp(data["stamp"]),  # type: ignore[arg-type]
        "",
        "Measured by `PYTHONPATH=. .venv/bin/python scripts/message_cost.py --out reports"
        f"{' --postgres URL' if postgres else ''}` (`make bench`): the "
        "real gateway app (default settings: handoff router, emotion-aware replies) on "
        f"{kind}, "
        "the test suite's stand-in Rasa in another process, one known customer sending "
        f"{len(MESSAGES)} bench messages per round, {len(rows)} messages. Statements and commits "
        "are those of the message's own tasks (not the polling loops'); the times depend on the "
        f"machine's load (1-minute load average {load:.2f} at the end).",
        "",
        "| per message | min | median | max |",
        "|---|---|---|---|",
    ]
    for label, key, unit in stats:
        v = data[key]
        assert isinstance(v, dict)
        lines.append(
            f"| {label} | {v['min']:g}{unit} | {v['median']:g}{unit} | {v['max']:g}{unit} |"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--profile-sort", default="cumulative", help="pstats order (cumulative, tottime, ...)"
    )
    parser.add_argument("--profile-dump", help="also write the raw profile to this file")
    parser.add_argument("--verbose", action="store_true", help="list each message's statements")
    parser.add_argument("--out", help="write message-cost.md and .json into this folder")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="run on a scratch database on this PostgreSQL server instead of SQLite",
    )
    parser.add_argument("--serve-fakes", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fakes:
        asyncio.run(serve_fakes())
        return 0
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-fakes"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        urls = json.loads(child.stdout.readline())
        rows = asyncio.run(
            run(
                urls,
                args.rounds,
                args.profile,
                args.verbose,
                args.profile_sort,
                args.profile_dump,
                args.postgres,
            )
        )
        if args.out:
            write_report(
                [(*r[:2], round(r[2], 1), round(r[3], 1), round(r[4], 1), r[5]) for r in rows],
                Path(args.out),
                postgres=args.postgres is not None,
            )
    finally:
        child.kill()
        child.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

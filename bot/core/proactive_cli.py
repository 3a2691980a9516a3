"""``python -m bot proactive run-once [--dry-run] [--json]``: one round of the proactive
scheduler (:mod:`bot.core.proactive`) from the command line (registered in bot/cli.py).

``--dry-run`` prints what would be sent (each finding, its customer, channel, language and
text, or that it was sent before) and writes nothing. Without it the notices are stored and
their outbox rows queued; a running gateway delivers them (staff alerts go to the log here:
the Slack desk lives in the gateway). ``--json`` prints the round as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.config import load_config
from bot.core.proactive import ProactiveScheduler, RunReport
from bot.storage.db import create_engine
from bot.storage.migrate import ensure_current


def add_proactive_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "proactive",
        help="tell customers about late parcels and restocks (one round)",
        description="The proactive service (README 'Insight'): late or stalled parcels and "
        "back-in-stock notices, at most once per (order or product, reason, customer).",
    )
    sub = parser.add_subparsers(dest="proactive_command", required=True)
    once = sub.add_parser("run-once", help="one round now, whatever proactive.enabled says")
    once.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; write nothing"
    )
    once.add_argument("--json", action="store_true", help="print the round as JSON")
    once.set_defaults(handler=_run_once)


def _run_once(args: argparse.Namespace) -> int:
    cfg = load_config(path=args.config)

    async def work() -> RunReport:
        engine = create_engine(cfg.database.url)
        try:
            await ensure_current(engine)
            return await ProactiveScheduler(engine, cfg).run_once(dry_run=args.dry_run)
        finally:
            await engine.dispose()

    report = asyncio.run(work())
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render(report, dry_run=args.dry_run))
    return 0


def render(report: RunReport, *, dry_run: bool) -> str:
    if not report.ran:
        return "another gateway holds the proactive lock: nothing done"
    lines = []
    if report.released:
        lines.append(f"{report.released} notice(s) held for quiet hours sent now")
    for p in report.planned:
        f = p.finding
        where = f"{p.channel} {p.conversation_id}" if p.channel else "no channel"
        held = f", held until {p.send_after.isoformat(timespec='minutes')}" if p.send_after else ""
        lines.append(
            f"[{p.outcome}] {f.reason} {f.subject} -> customer {f.customer_id} "
            f"({where}, {p.language}{held}): {p.text}"
        )
    verb = "to send (dry run: nothing written)" if dry_run else "queued"
    lines.append(
        f"{len(report.planned)} finding(s): {report.count('queued')} {verb}, "
        f"{report.count('held')} held for quiet "
        f"hours, {report.count('no_channel')} without a channel, "
        f"{report.count('duplicate')} told before"
    )
    return "\n".join(lines)

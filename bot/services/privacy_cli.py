"""``python -m bot privacy export|erase <customer_id>``: the staff side of
:mod:`bot.services.privacy_export` and :mod:`bot.services.privacy_erase` (registered in bot/cli.py).

- ``export <id> [--out FILE] [--by NAME]``: everything held about the customer as JSON (to
  stdout, or FILE);
- ``erase <id> --yes [--by NAME]``: erase it; without ``--yes`` nothing happens.

Both are audited in ``privacy_audit`` as ``staff:<NAME>`` (default: the login name). An unknown
customer id or a missing ``--yes`` exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import re
import sys
from pathlib import Path
from typing import Any

from bot.config import load_config, resolve_repo_path
from bot.services import privacy_data, privacy_erase, privacy_export
from bot.storage.db import create_engine, create_schema

MISUSE = 2
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _customer_id(text: str) -> str:
    value = text.strip()
    if not CUSTOMER_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a customer id (letters, digits, - or _, up to 32, e.g. C0001)"
        )
    return value


def _staff_name(text: str) -> str:
    value = " ".join(text.split())
    if not value or len(value) > 120:
        raise argparse.ArgumentTypeError("give the staff member's name (up to 120 characters)")
    return value


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def add_privacy_command(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "privacy",
        help="export or erase a customer's personal data",
        description="Export everything held about a customer (JSON), or erase it: profile, "
        "chats, Rasa's tracker events, photos, handoff transcripts, recommendation history. "
        "Orders and amounts are kept for accounting, their name, phone and address replaced "
        f"by {privacy_data.PLACEHOLDER!r}. Each run is recorded in the privacy_audit table.",
    )
    sub = parser.add_subparsers(dest="privacy_command", metavar="PRIVACY_COMMAND", required=True)
    for name, help_text in (
        ("export", "everything held about the customer, as JSON"),
        ("erase", "erase the customer's personal data (needs --yes)"),
    ):
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("customer_id", type=_customer_id, help="the customer's id, e.g. C0001")
        command.add_argument(
            "--by",
            type=_staff_name,
            default=None,
            help="the staff member asking, for the audit (default: the login name)",
        )
        if name == "export":
            command.add_argument("--out", type=Path, help="write the JSON here, not to stdout")
            command.set_defaults(handler=_cmd_export)
        else:
            command.add_argument("--yes", action="store_true", help="erase: it cannot be undone")
            command.set_defaults(handler=_cmd_erase)


def _actor(args: argparse.Namespace) -> str:
    return f"staff:{args.by or _login()}"


def _unknown(exc: privacy_data.UnknownCustomer) -> int:
    print(f"error: {exc}; nothing was exported or erased", file=sys.stderr)
    return MISUSE


def _cmd_export(args: argparse.Namespace) -> int:
    cfg = load_config(path=args.config)

    async def work() -> dict[str, Any]:
        engine = create_engine(cfg.database.url)
        try:
            await create_schema(engine)
            return await privacy_export.export(engine, args.customer_id, actor=_actor(args))
        finally:
            await engine.dispose()

    try:
        data = asyncio.run(work())
    except privacy_data.UnknownCustomer as exc:
        return _unknown(exc)
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if args.out is None:
        print(text)
    else:
        out = resolve_repo_path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        print(f"Wrote everything held about {args.customer_id} to {out}.")
    return 0


def _cmd_erase(args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            f"error: erasing {args.customer_id}'s personal data cannot be undone; "
            "run again with --yes (see `privacy export` for what is held)",
            file=sys.stderr,
        )
        return MISUSE
    cfg = load_config(path=args.config)

    async def work() -> privacy_erase.ErasureReport:
        engine = create_engine(cfg.database.url)
        try:
            await create_schema(engine)
            return await privacy_erase.erase(
                engine,
                args.customer_id,
                actor=_actor(args),
                media_dir=resolve_repo_path(cfg.channels.media_dir),
            )
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(work())
    except privacy_data.UnknownCustomer as exc:
        return _unknown(exc)
    print(f"Erased the personal data of {report.customer_id} ({report.total} rows and files):")
    for name, count in report.counts.items():
        if count:
            print(f"  {name:<18} {count}")
    for name, count in report.kept.items():
        print(
            f"Kept {count} {name} with items and amounts (accounting and tax law); their "
            f"name, phone and address now read {privacy_data.PLACEHOLDER}."
        )
    print(f"Recorded in privacy_audit as {_actor(args)}.")
    return 0

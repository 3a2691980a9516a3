"""``python -m bot identity link <customer_id> --channel telegram``: print a deep link the shop
sends a customer so that their chat account gets linked to them (bot/services/linking.py).

Registered by bot/cli.py under the ``identity`` command group (:func:`add_link_command`).
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Config, load_config
from bot.services.customers import get_customer
from bot.services.linking import LINK_CHANNELS, deep_link, sign_token
from bot.storage.db import create_engine, create_schema


class LinkCommandError(ValueError):
    """The link cannot be made; the message says how to fix it."""


def add_link_command(identity_commands: Any) -> None:
    """Add ``link`` to the ``identity`` command group's subparsers."""
    parser = identity_commands.add_parser(
        "link",
        help="print a signed, single-use deep link that links a customer's chat account",
        description="Print https://t.me/<bot>?start=<token> for the customer. Opening it in "
        "Telegram links that Telegram account to the customer (once; it expires after "
        "access.link_token_days). Needs LINK_SECRET (the gateway's too) and the bot's username "
        "(--bot or TELEGRAM_BOT_USERNAME).",
    )
    parser.add_argument("customer_id", help="the shop's customer id, e.g. C0001")
    parser.add_argument(
        "--channel",
        choices=LINK_CHANNELS,
        default="telegram",
        help="the chat platform (Slack and WeChat accounts link by order number and phone)",
    )
    parser.add_argument("--bot", default=None, help="the bot's username (without @)")
    parser.add_argument(
        "--days", type=int, default=None, help="valid for this many days (access.link_token_days)"
    )
    parser.set_defaults(handler=run_link_command)


def make_link(
    cfg: Config, customer_id: str, *, bot: str | None, days: int | None, now: datetime
) -> tuple[str, datetime]:
    """The deep link for ``customer_id`` (who must exist) and when it expires."""
    secret = cfg.secrets.link_secret
    if not secret:
        raise LinkCommandError(
            "LINK_SECRET is not set: put the same random secret in the environment of this "
            "command and of the gateway, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`'
        )
    username = (bot or cfg.access.telegram_bot_username).lstrip("@")
    if not username:
        raise LinkCommandError(
            "the bot's username is not known: pass --bot <username> or set "
            "TELEGRAM_BOT_USERNAME (access.telegram_bot_username)"
        )
    valid_days = cfg.access.link_token_days if days is None else days
    if valid_days < 1:
        raise LinkCommandError("--days must be at least 1")

    async def find() -> bool:
        engine = create_engine(cfg.database.url)
        try:
            await create_schema(engine)
            return await get_customer(engine, customer_id) is not None
        finally:
            await engine.dispose()

    if not asyncio.run(find()):
        raise LinkCommandError(f"there is no customer {customer_id!r} in {cfg.database.url}")
    valid_for = timedelta(days=valid_days)
    token = sign_token(secret, customer_id, channel="telegram", now=now, valid_for=valid_for)
    return deep_link(username, token), now + valid_for


def run_link_command(args: argparse.Namespace) -> int:
    cfg = load_config(path=args.config)
    now = datetime.now(UTC)
    link, expires = make_link(cfg, args.customer_id, bot=args.bot, days=args.days, now=now)
    print(link)
    print(
        f"Send it to customer {args.customer_id}: it links the Telegram account that opens it, "
        f"once, until {expires:%Y-%m-%d %H:%M} UTC."
    )
    return 0

"""Command line: ``python -m bot <command>`` (also installed as ``shopbot``).

Commands register themselves through :data:`COMMANDS`: each entry adds one subparser and sets
``handler`` (a function taking the parsed arguments and returning the exit status). To add a
command, write ``_add_<name>(subparsers)`` and append it to ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import REPO_ROOT, Config, ConfigError, load_config
from bot.core.proactive_cli import add_proactive_command
from bot.services.analytics_consumer import add_analytics_consumer
from bot.services.privacy_cli import add_privacy_command
from bot.shop.export_format import ImportValidationError, Mode
from bot.shop.importer import import_shop, load_export
from bot.shop.seed import SeedError, SeedStats, seed_demo_shop
from bot.shop.training import PrepareError, prepare_training
from bot.storage import migrate
from bot.storage.db import create_engine
from bot.studio.commands import add_admin, add_studio

T = TypeVar("T")
Subparsers = Any  # argparse's _SubParsersAction is private
Registrar = Callable[[Subparsers], None]

DEFAULT_NLU_OUT = Path("rasa_project/data/nlu/generated")
DEFAULT_JIEBA_OUT = Path("rasa_project/jieba_dict")


class CommandError(Exception):
    """A command failed in a way the user can fix; the message says how."""


def _config(args: argparse.Namespace) -> Config:
    return load_config(path=args.config)


def _run_with_engine(cfg: Config, work: Callable[[AsyncEngine], Coroutine[Any, Any, T]]) -> T:
    async def runner() -> T:
        engine = create_engine(cfg.database.url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def _repo_path(path: Path) -> Path:
    return path if path.is_absolute() else REPO_ROOT / path


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


# seed -------------------------------------------------------------------------------------------
def _add_seed(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="create the database and the deterministic demo shop (skipped if the shop has data)",
        description="Create the schema and write the demo shop generated from demo.seed, with "
        "dates relative to --today. Does nothing if the shop was already seeded or imported.",
    )
    parser.add_argument(
        "--force", action="store_true", help="wipe the shop (and its tickets) and seed again"
    )
    parser.add_argument(
        "--today",
        type=_date_arg,
        default=None,
        help="seeding day YYYY-MM-DD (default: today in shop.timezone)",
    )
    parser.set_defaults(handler=_cmd_seed)


def _cmd_seed(args: argparse.Namespace) -> int:
    cfg = _config(args)

    async def work(engine: AsyncEngine) -> SeedStats:
        result = await migrate.upgrade(engine)
        if result.changed:
            print(result.describe())
        return await seed_demo_shop(engine, cfg, today=args.today, force=args.force, progress=True)

    stats = _run_with_engine(cfg, work)
    counts = (
        f"{stats.products} products, {stats.customers} customers, {stats.orders} orders, "
        f"{stats.order_items} order items, {stats.shipment_events} shipment events, "
        f"{stats.interactions} interactions"
    )
    if stats.skipped:
        origin = f"seeded on {stats.seeded_on}" if stats.seeded_on else "imported"
        print(f"The shop already has data ({origin}: {counts}); nothing to do.")
        print("Use `python -m bot seed --force` to replace it with a fresh demo shop.")
    else:
        print(f"Seeded the demo shop for {stats.seeded_on}: {counts}.")
    return 0


# migrate ----------------------------------------------------------------------------------------
def _add_migrate(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="bring the database schema to the code's head revision (Alembic)",
        description="Upgrade the database to head (idempotent; on PostgreSQL under an advisory "
        "lock). A database made before migrations is brought to the first revision, keeping "
        "its rows, and stamped. See README, Database migrations.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if the database is behind"
    )
    mode.add_argument(
        "--autogenerate",
        action="store_true",
        help="write the next revision from the difference between the metadata and the "
        "database (which must be at head); needs -m",
    )
    mode.add_argument("--revision", default="head", help="upgrade to this revision (default head)")
    parser.add_argument("-m", "--message", default="", help="the new revision's message")
    parser.set_defaults(handler=_cmd_migrate)


def _cmd_migrate(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.message and not args.autogenerate:
        raise CommandError("-m/--message goes with --autogenerate")
    if args.check:
        state = _run_with_engine(cfg, migrate.check)
        line = state.describe()
        print(line[0].upper() + line[1:] + ".", file=sys.stdout if state.at_head else sys.stderr)
        return 0 if state.at_head else 1
    if args.autogenerate:
        path = _run_with_engine(cfg, lambda engine: migrate.new_revision(engine, args.message))
        print(f"Wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
        print("Review it (renames and data moves need a hand), then run `python -m bot migrate`.")
        return 0
    result = _run_with_engine(cfg, lambda engine: migrate.upgrade(engine, args.revision))
    print(result.describe())
    return 0


# import -----------------------------------------------------------------------------------------
def _add_import(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "import",
        help="load a shop's own export (CSV directory or JSON file); see docs/import.md",
        description="Validate the export, then write it in one transaction. By default it "
        "replaces the shop's products, customers and orders; --append adds to them.",
    )
    parser.add_argument("path", type=Path, help="directory with products.csv, ... or a .json file")
    parser.add_argument(
        "--append", action="store_true", help="add to the existing shop instead of replacing it"
    )
    parser.add_argument("--dry-run", action="store_true", help="only validate; write nothing")
    parser.set_defaults(handler=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    cfg = _config(args)
    mode: Mode = "append" if args.append else "replace"
    if not args.path.exists():
        raise CommandError(
            f"{args.path} does not exist; give a directory of CSV files or a .json file"
        )
    if args.dry_run:
        data = load_export(args.path, cfg, mode=mode)
        summary = ", ".join(f"{n} {name}" for name, n in data.counts().items())
        print(f"{args.path} is valid: {summary}. Nothing was written (--dry-run).")
        return 0
    stats = _run_with_engine(
        cfg, lambda engine: import_shop(engine, args.path, cfg, mode=mode, progress=True)
    )
    summary = ", ".join(f"{n} {name}" for name, n in stats.counts.items())
    verb = "Added" if mode == "append" else "Imported"
    print(f"{verb} {summary} from {args.path}.")
    return 0


# prepare-training -------------------------------------------------------------------------------
def _add_prepare_training(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "prepare-training",
        help="write the product lookup table, entity regexes and jieba dictionary for rasa train",
    )
    parser.add_argument(
        "--nlu-out",
        type=Path,
        default=DEFAULT_NLU_OUT,
        help=f"folder for lookup.yml and regex.yml (default: {DEFAULT_NLU_OUT})",
    )
    parser.add_argument(
        "--jieba-out",
        type=Path,
        default=DEFAULT_JIEBA_OUT,
        help=f"folder for userdict.txt (default: {DEFAULT_JIEBA_OUT})",
    )
    parser.set_defaults(handler=_cmd_prepare_training)


def _cmd_prepare_training(args: argparse.Namespace) -> int:
    cfg = _config(args)
    nlu_out, jieba_out = _repo_path(args.nlu_out), _repo_path(args.jieba_out)
    files = _run_with_engine(
        cfg, lambda engine: prepare_training(engine, cfg, nlu_out=nlu_out, jieba_out=jieba_out)
    )
    print(f"Wrote {files.lookup} ({files.lookup_entries} product names and aliases)")
    print(f"Wrote {files.regex} (order_id, phone, email)")
    print(f"Wrote {files.userdict} ({files.userdict_words} words)")
    return 0


# sentiment -------------------------------------------------------------------------------------
def _add_sentiment(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "sentiment",
        help='score Chinese or English lines from stdin: one {"score": s} per line, s in [-1, 1]',
        description="Read UTF-8 lines on standard input and print one JSON object per line, "
        '{"score": s}, s in [-1, 1], negative below 0. Trains the model first when it is '
        "missing (make train-sentiment builds it ahead of time).",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="model file (default: var/models/sentiment.pt)"
    )
    parser.add_argument(
        "--retrain", action="store_true", help="train the model again before scoring"
    )
    parser.set_defaults(handler=_cmd_sentiment)


def _cmd_sentiment(args: argparse.Namespace) -> int:
    from bot.sentiment.stream import run_cli  # torch loads only for this command

    return run_cli(model_path=args.model, retrain=args.retrain)


# entities --------------------------------------------------------------------------------------
def _add_entities(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "entities",
        help='entities of Chinese or English lines from stdin: one {"entities": [...]} per line',
        description="Read UTF-8 lines on standard input and print one JSON object per line, "
        '{"entities": [{"type", "text", "start", "end", "value"}]}: order numbers, phones, '
        "e-mails, addresses, recipients, dates (resolved against today in shop.timezone), money, "
        "quantities, sizes and products of the shop's catalogue (its database, else the demo "
        "catalogue).",
    )
    parser.add_argument(
        "--today",
        type=_date_arg,
        default=None,
        help="reference day for relative dates, YYYY-MM-DD (default: today in shop.timezone)",
    )
    parser.set_defaults(handler=_cmd_entities)


def _cmd_entities(args: argparse.Namespace) -> int:
    # spaCy loads only for this command.
    from bot.entities.pipeline import EntityExtractor
    from bot.entities.stream import run_cli
    from bot.shop.entity_catalog import shop_phrases
    from bot.shop.seed import shop_today

    cfg = _config(args)

    async def phrases() -> list[Any]:
        url = cfg.database.url
        if url.startswith("sqlite") and not _sqlite_file_exists(url):
            return await shop_phrases(None, cfg)  # never create an empty database file
        engine = create_engine(url)
        try:
            return await shop_phrases(engine, cfg)
        except Exception as exc:
            print(f"entities: catalogue from the demo shop ({exc})", file=sys.stderr)
            return await shop_phrases(None, cfg)
        finally:
            await engine.dispose()

    extractor = EntityExtractor(asyncio.run(phrases()), cfg.nlu.order_id_pattern)
    return run_cli(extractor, lambda: args.today or shop_today(cfg))


def _sqlite_file_exists(url: str) -> bool:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return path != ":memory:" and _repo_path(Path(path)).is_file()


# segments and insight models ---------------------------------------------------------------------
DEFAULT_EXPORTS = Path("var/exports")


def _add_segments(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "segments",
        help="recompute customer segments and write them into customers.segment",
        description="K-Means, Ward and DBSCAN on each customer's RFM and behaviour features; the "
        "best by silhouette, Davies-Bouldin and bootstrap stability names the segments (zh/en). "
        "Writes the keys into customers.segment and a summary to var/models/segments.json.",
    )
    parser.add_argument("--rounds", type=int, default=10, help="bootstrap resamples (default 10)")
    parser.add_argument(
        "--summary", type=Path, default=Path("var/models/segments.json"), help="summary JSON"
    )
    parser.set_defaults(handler=_cmd_segments)


def _cmd_segments(args: argparse.Namespace) -> int:
    from bot.insight.commands import shop_segments  # scikit-learn loads only for this command

    out = _repo_path(args.summary)
    summary = shop_segments(_config(args), rounds=args.rounds, summary_path=out)
    print(f"Method: {summary['chosen']}; features: {', '.join(summary['features'])}.")
    for seg in summary["segments"]:
        print(f"{seg['key']:<28} {seg['size']:>5}  {seg['name']['en']} / {seg['name']['zh']}")
        print(f"{'':<35}{seg['explanation']['en']}")
        print(f"{'':<35}{seg['explanation']['zh']}")
    print(f"Wrote customers.segment and {out}.")
    return 0


def _add_insight(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "insight", help="delivery-delay and complaint-risk models, exports for the evaluations"
    )
    sub = parser.add_subparsers(dest="insight_command", metavar="INSIGHT_COMMAND", required=True)
    olist = sub.add_parser("export-olist", help="the shop's orders in the public Olist schema")
    olist.add_argument("--out", type=Path, default=DEFAULT_EXPORTS / "olist-orders.csv")
    olist.add_argument(
        "--promise-days",
        type=int,
        default=3,
        help="for orders without a promised date (eta): purchase day + N days",
    )
    olist.set_defaults(handler=_cmd_export_olist)
    lines = sub.add_parser("export-transactions", help="order lines for make eval-segments")
    lines.add_argument("--out", type=Path, default=DEFAULT_EXPORTS / "transactions.csv")
    lines.set_defaults(handler=_cmd_export_transactions)
    synth = sub.add_parser("synth-olist", help="a generated Olist-schema file with known structure")
    synth.add_argument("--out", type=Path, default=DEFAULT_EXPORTS / "olist-synthetic.csv")
    synth.add_argument("--orders", type=int, default=20_000)
    synth.add_argument("--seed", type=int, default=15)
    synth.set_defaults(handler=_cmd_synth_olist)
    delay = sub.add_parser("train-delay", help="train the delay-risk model on the shop's parcels")
    delay.add_argument("--out", type=Path, default=Path("var/models/delay.pkl"))
    delay.add_argument(
        "--promise-days", type=int, default=3, help="for orders without an eta: purchase + N days"
    )
    delay.set_defaults(handler=_cmd_train_delay)
    risk = sub.add_parser("train-complaint-risk", help="train the 14-day complaint-risk model")
    risk.add_argument("--out", type=Path, default=Path("var/models/complaint_risk.pkl"))
    risk.set_defaults(handler=_cmd_train_complaint_risk)


def _cmd_export_olist(args: argparse.Namespace) -> int:
    from bot.insight.commands import export_olist

    out = _repo_path(args.out)
    count = export_olist(_config(args), out, args.promise_days)
    print(
        f"Wrote {count} orders to {out} (promise: the order's eta; without one, purchase "
        f"day + {args.promise_days} days)."
    )
    return 0


def _cmd_export_transactions(args: argparse.Namespace) -> int:
    from bot.insight.commands import export_transactions

    out = _repo_path(args.out)
    print(f"Wrote {export_transactions(_config(args), out)} order lines to {out}.")
    return 0


def _cmd_synth_olist(args: argparse.Namespace) -> int:
    from bot.insight.commands import write_synthetic_olist

    out = _repo_path(args.out)
    print(f"Wrote {write_synthetic_olist(out, args.orders, args.seed)} orders to {out}.")
    return 0


def _cmd_train_delay(args: argparse.Namespace) -> int:
    from bot.insight.commands import train_delay

    out = _repo_path(args.out)
    model = train_delay(_config(args), out, args.promise_days)
    print(
        f"Trained on {model.n_train} delivered orders ({model.base_rate:.1%} late), "
        f"parameters {model.params}; wrote {out}."
    )
    return 0


def _cmd_train_complaint_risk(args: argparse.Namespace) -> int:
    from bot.insight import complaints
    from bot.insight.commands import complaint_history

    out = _repo_path(args.out)
    history, source = complaint_history(_config(args))
    model = complaints.train(history)
    complaints.save(model, out)
    print(f"Tickets: {source}. Base rate {model.base_rate:.1%}; wrote {out}.")
    return 0


# identity ---------------------------------------------------------------------------------------
def _add_identity(subparsers: Subparsers) -> None:
    from bot.services.link_command import add_link_command

    parser = subparsers.add_parser(
        "identity",
        help="customer identities: sign web chat sender ids, link chat accounts",
        description="The web chat believes a sender id only with its identity_hash, "
        "hex(HMAC-SHA256(WEB_IDENTITY_SECRET, sender_id)); see the README, 'Signed web identity'.",
    )
    sub = parser.add_subparsers(dest="identity_command", metavar="SUBCOMMAND", required=True)
    sign_parser = sub.add_parser(
        "sign",
        help="print the web sender ids of a customer with their identity_hash",
        description="Prints `sender_id=<id> identity_hash=<hash>` for each web chat sender id "
        "the identities table links to CUSTOMER_ID (or for --sender-id). The secret is "
        "WEB_IDENTITY_SECRET from the environment or the repository's .env.",
    )
    target = sign_parser.add_mutually_exclusive_group(required=True)
    target.add_argument("customer_id", nargs="?", help="a customer id, e.g. C0001")
    target.add_argument("--sender-id", help="sign this web sender id as it is")
    sign_parser.set_defaults(handler=_cmd_identity_sign)
    add_link_command(sub)


def _web_identity_secret() -> str:
    import os

    from bot.services.web_identity import MIN_SECRET_LENGTH

    secret = os.environ.get("WEB_IDENTITY_SECRET")
    if not secret:
        raise CommandError(
            "WEB_IDENTITY_SECRET is not set (nor in .env); `make run` generates one into .env, "
            "and the gateway must run with the same value"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise CommandError(f"WEB_IDENTITY_SECRET must be at least {MIN_SECRET_LENGTH} characters")
    return secret


def _cmd_identity_sign(args: argparse.Namespace) -> int:
    from bot.core.message import EXTERNAL_ID_RE
    from bot.services.customers import get_customer
    from bot.services.web_identity import is_guest, sign, web_senders

    secret = _web_identity_secret()
    if args.sender_id is not None:
        if not EXTERNAL_ID_RE.fullmatch(args.sender_id):
            raise CommandError(
                f"{args.sender_id!r} is not a web sender id (1-128 letters, digits or ._:@-)"
            )
        if is_guest("web", args.sender_id):
            raise CommandError(
                "ids starting with 'guest-' are the web chat's guests, not customers"
            )
        senders = [args.sender_id]
    else:
        cfg = _config(args)

        async def lookup(engine: AsyncEngine) -> tuple[bool, list[str]]:
            known = await get_customer(engine, args.customer_id) is not None
            return known, await web_senders(engine, args.customer_id)

        known, senders = _run_with_engine(cfg, lookup)
        if not known:
            raise CommandError(f"there is no customer {args.customer_id!r} in the shop")
        if not senders:
            raise CommandError(
                f"customer {args.customer_id!r} has no web chat sender id: import an identities "
                "row (channel web, the id your site uses, the customer id; docs/import.md), "
                "or sign an id as it is with --sender-id"
            )
    for sender in senders:
        print(f"sender_id={sender} identity_hash={sign(secret, sender)}")
    return 0


# Add new commands here.
COMMANDS: list[Registrar] = [
    _add_migrate,
    _add_seed,
    _add_import,
    _add_prepare_training,
    _add_sentiment,
    _add_entities,
    _add_segments,
    _add_insight,
    _add_identity,
    add_privacy_command,
    add_studio,  # bot/studio/commands.py
    add_admin,
    add_analytics_consumer,  # bot/services/analytics_consumer.py
    add_proactive_command,  # bot/core/proactive_cli.py
]


def build_parser(commands: Sequence[Registrar] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Shop assistant tools: demo data, import, training."
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="settings file (default: $SHOP_CONFIG or config.yml at the repository root)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS if commands is None else commands:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 on failure (the message goes to stderr), 2 on misuse."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return handler(args)
    except ImportValidationError as exc:
        print(f"error: nothing was imported.\n{exc}", file=sys.stderr)
    except (
        CommandError,
        ConfigError,
        SeedError,
        PrepareError,
        ValueError,
        migrate.MigrationError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except SQLAlchemyError as exc:
        print(f"error: database problem: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return 1

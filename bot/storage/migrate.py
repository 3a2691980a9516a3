"""Database migrations with Alembic: ``python -m bot migrate``.

The revisions live in bot/storage/migrations/versions (r0001_initial_schema.py is the schema as
it was when migrations began). :func:`upgrade` brings a database to head:

* on PostgreSQL it holds an advisory lock meanwhile, so replicas that start together migrate
  once (the others wait, then find the database at head);
* a database made by the old ``create_all`` (the shop's tables, no ``alembic_version``) first
  gets the first revision's missing tables and nullable columns, is stamped with it, keeping
  its rows, and then goes on to head.

:func:`check` tells whether a database is at head without changing it (the gateway refuses to
start on PostgreSQL when it is not); :func:`new_revision` writes the next revision from the
difference between the database at head and the metadata (``--autogenerate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import pkgutil
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, UniqueConstraint, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.storage
from bot.storage.db import add_missing_columns, create_engine
from bot.storage.schema import metadata

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
FIRST_REVISION = "0001"
VERSION_TABLE = "alembic_version"
# One advisory lock key for every process migrating this project's databases.
LOCK_KEY = zlib.crc32(b"shopbot:migrate")
MIGRATE_COMMAND = "python -m bot migrate"

log = logging.getLogger(__name__)
T = TypeVar("T")


class MigrationError(Exception):
    """A migration could not run or the database is not where the code needs it; the message
    is one line that says what to do."""


class DatabaseBehind(MigrationError):
    """The database is not at the code's head revision."""


def target_metadata() -> MetaData:
    """The project's metadata with every table module of bot/storage loaded.

    Tables are defined in bot/storage/schema.py and in modules named ``*_schema.py`` beside it
    (studio_schema.py, ...): each of those is imported here, so a new one is seen by
    autogenerate and by the head-matches-metadata test without registering it anywhere."""
    for module in pkgutil.iter_modules(bot.storage.__path__):
        if module.name.endswith("_schema"):
            importlib.import_module(f"bot.storage.{module.name}")
    return metadata


def alembic_config() -> Config:
    """Alembic's configuration, built in code: no alembic.ini is needed."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(VERSIONS_DIR))
    # r0002_add_returns.py: a valid module name (mypy and ruff check revisions too).
    cfg.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    heads = script_directory().get_heads()
    if len(heads) != 1:
        raise MigrationError(
            f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}): "
            "merge them into one (alembic merge) before migrating"
        )
    return heads[0]


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision(s), the code's head, and what it holds."""

    current: tuple[str, ...]  # the revisions in alembic_version; () when none
    head: str
    legacy: bool  # the shop's tables without alembic_version: made by the old create_all
    empty: bool  # none of the shop's tables and no alembic_version

    @property
    def at_head(self) -> bool:
        return self.current == (self.head,)

    def describe(self) -> str:
        if self.at_head:
            return f"the database is at head ({self.head})"
        if self.legacy:
            where = "has tables made before migrations (no alembic_version)"
        elif self.empty:
            where = "has no tables yet"
        else:
            where = f"is at revision {', '.join(self.current)}"
        return f"the database {where}; the code needs {self.head}: run `{MIGRATE_COMMAND}`"


@dataclass(frozen=True)
class UpgradeResult:
    before: tuple[str, ...]
    after: str
    # A create_all database (no alembic_version) was stamped with this revision: the first,
    # after adding what it lacked of it, or head when it already matched the metadata.
    stamped: str | None
    waited: bool  # another process held the migration lock first
    head: str  # the code's head revision

    @property
    def changed(self) -> bool:
        return self.stamped is not None or self.before != (self.after,)

    def describe(self) -> str:
        if not self.changed:
            where = "at head" if self.after == self.head else "already at"
            return f"The database is {where} ({self.after}); nothing to do."
        steps = []
        if self.stamped is not None:
            steps.append(
                f"adopted a database made before migrations (kept its rows, stamped {self.stamped})"
            )
            start = self.stamped
        else:
            start = ", ".join(self.before) or "an empty database"
        if start != self.after:
            at_head = " (head)" if self.after == self.head else ""
            steps.append(f"migrated from {start} to {self.after}{at_head}")
        return "Database: " + "; ".join(steps) + "."


def safe_url(url: str) -> str:
    """``url`` without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    lines = str(inner).strip().splitlines()
    return lines[0] if lines else type(inner).__name__


def _first_revision_metadata() -> MetaData:
    revision = script_directory().get_revision(FIRST_REVISION)
    if revision is None:  # pragma: no cover - the file ships with the package
        raise MigrationError(f"the first revision {FIRST_REVISION} is missing")
    frozen: MetaData = revision.module.metadata
    return frozen


def _shop_tables(conn: Connection) -> tuple[set[str], bool]:
    """Names of the first revision's tables present, and whether alembic_version is."""
    present = set(inspect(conn).get_table_names())
    known = set(_first_revision_metadata().tables)
    return present & known, VERSION_TABLE in present


def _state_sync(conn: Connection) -> SchemaState:
    head = head_revision()
    current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
    script = script_directory()
    for revision in current:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise MigrationError(
                f"the database is at revision {revision!r}, which this code does not know "
                "(was it migrated by a newer version?); deploy that version or restore a backup"
            )
    shop, versioned = _shop_tables(conn)
    return SchemaState(
        current=current,
        head=head,
        legacy=bool(shop) and not versioned,
        empty=not shop and not versioned,
    )


@contextlib.contextmanager
def _migration_lock(conn: Connection) -> Iterator[bool]:
    """Hold the advisory lock on PostgreSQL (a session lock: it outlives the transactions the
    migration commits); yield whether another process held it first. SQLite has one writer
    at a time and needs none."""
    if conn.dialect.name != "postgresql":
        yield False
        return
    got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar()
    if not got:
        log.info("another process is migrating the database; waiting for it")
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
    conn.commit()
    try:
        yield not got
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        conn.commit()


def _adopt(conn: Connection, cfg: Config) -> str:
    """Stamp a create_all database and return the revision it was stamped with.

    One made by today's ``create_all`` (tools that call ``create_schema`` on an empty
    database) already matches the metadata: it is stamped head. One made before migrations
    holds only the first revision's tables: it is brought to the first revision's shape
    (missing tables and nullable columns added) and stamped with it; the later revisions then
    run on it. One made by ``create_all`` of a later version (it holds tables the first
    revision does not know) gets today's missing tables and nullable columns and is stamped
    head when that makes it match; otherwise it needs a hand, and the error says what
    differs."""
    cfg.attributes["connection"] = conn
    head = head_revision()
    if not differences(conn):
        command.stamp(cfg, head)
        conn.commit()
        return head
    frozen = _first_revision_metadata()
    later = (set(target_metadata().tables) - set(frozen.tables)) & set(
        inspect(conn).get_table_names()
    )
    shape = target_metadata() if later else frozen
    shape.create_all(conn, checkfirst=True)
    try:
        add_missing_columns(conn, shape)
    except RuntimeError as exc:
        raise MigrationError(str(exc)) from None
    if later:
        if left := differences(conn):
            raise MigrationError(
                "the database was made without migrations by a later version and differs from "
                f"this code's schema in ways that need a hand: {left[:3]}"
            )
        command.stamp(cfg, head)
        conn.commit()
        return head
    command.stamp(cfg, FIRST_REVISION)
    conn.commit()
    return FIRST_REVISION


def _known(revision: str) -> None:
    script = script_directory()
    try:
        found = script.get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        known = ", ".join(sorted(s.revision for s in script.walk_revisions()))
        raise MigrationError(f"unknown revision {revision!r} (known: {known}, head)")


def _upgrade_sync(conn: Connection, revision: str) -> UpgradeResult:
    if revision != "head":
        _known(revision)
    if conn.in_transaction():
        conn.commit()
    with _migration_lock(conn) as waited:
        state = _state_sync(conn)
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        stamped = _adopt(conn, cfg) if state.legacy else None
        command.upgrade(cfg, revision)
        conn.commit()
        after = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
        conn.commit()
    return UpgradeResult(
        before=state.current,
        after=", ".join(after),
        stamped=stamped,
        waited=waited,
        head=state.head,
    )


async def _on_connection(engine: AsyncEngine, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on one connection of ``engine``, turning what can go wrong into a
    one-line :class:`MigrationError`."""
    try:
        conn = await engine.connect()
    except Exception as exc:  # the driver's own errors (asyncpg's, OSError, timeouts)
        url = safe_url(engine.url.render_as_string(hide_password=False))
        raise MigrationError(f"cannot reach the database {url}: {_first_line(exc)}") from None
    try:
        return await conn.run_sync(work)
    except CommandError as exc:
        raise MigrationError(_first_line(exc)) from None
    except DBAPIError as exc:
        raise MigrationError(f"the migration failed: {_first_line(exc)}") from None
    finally:
        await conn.close()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> UpgradeResult:
    """Migrate to ``revision`` (head by default); idempotent."""
    return await _on_connection(engine, lambda conn: _upgrade_sync(conn, revision))


async def check(engine: AsyncEngine) -> SchemaState:
    """Where the database stands, changing nothing."""
    return await _on_connection(engine, _state_sync)


async def ensure_current(engine: AsyncEngine, *, migrate_sqlite: bool = True) -> None:
    """For a server starting: a SQLite database (one host; ``make run`` stays one command) is
    migrated here when ``migrate_sqlite``; any other must already be at head, else
    :class:`DatabaseBehind` names the command that migrates it."""
    if migrate_sqlite and engine.dialect.name == "sqlite":
        result = await upgrade(engine)
        if result.changed:
            log.info("%s", result.describe())
        return
    state = await check(engine)
    if not state.at_head:
        raise DatabaseBehind(state.describe())


def include_object(
    obj: Any, _name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate's filter.

    * A table in the database that no metadata defines is not ours (Rasa's tracker store keeps
      its ``events`` table in the same SQLite file): never propose dropping it. Dropping one of
      the shop's tables is written by hand (``op.drop_table``).
    * A unique constraint on exactly the primary key's columns (shop_meta's
      ``uq_shop_meta_key``): PostgreSQL folds it into the primary key, so it is never
      reflected and would show as missing on every comparison."""
    if type_ == "table" and reflected and compare_to is None:
        return False
    if type_ == "unique_constraint" and not reflected and isinstance(obj, UniqueConstraint):
        table = obj.table
        primary = {column.name for column in table.primary_key.columns}
        return {column.name for column in obj.columns} != primary
    return True


def differences(conn: Connection, target: MetaData | None = None) -> list[Any]:
    """What autogenerate would put in a new revision: the difference between the database on
    ``conn`` and ``target`` (default :func:`target_metadata`); empty when every change of the
    metadata has its revision."""
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": include_object}
    )
    return list(compare_metadata(context, target if target is not None else target_metadata()))


def next_revision_id() -> str:
    """ "0002" after "0001": revisions are numbered in order."""
    numbers = [
        int(script.revision)
        for script in script_directory().walk_revisions()
        if script.revision.isdigit()
    ]
    return f"{max(numbers, default=0) + 1:04d}"


def _new_revision_sync(conn: Connection, message: str) -> Path:
    state = _state_sync(conn)
    if not state.at_head:
        raise DatabaseBehind(state.describe())
    if not differences(conn):
        raise MigrationError(
            "the metadata matches the database at head: there is nothing to put in a revision"
        )
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    written = command.revision(cfg, message=message, autogenerate=True, rev_id=next_revision_id())
    scripts = written if isinstance(written, list) else [written]
    path = Path(scripts[0].path) if scripts and scripts[0] is not None else None
    if path is None:  # pragma: no cover - alembic writes one script here
        raise MigrationError("alembic wrote no revision")
    return path


def _tidy(path: Path) -> None:
    """Format the new revision like the rest of the code (ruff is a dev dependency)."""
    for args in (["check", "--fix", "--quiet"], ["format", "--quiet"]):
        try:
            subprocess.run([sys.executable, "-m", "ruff", *args, str(path)], check=False)
        except OSError:  # pragma: no cover - ruff missing: the file is still valid Python
            return


async def new_revision(engine: AsyncEngine, message: str) -> Path:
    """Write the next revision from the difference between the database (at head) and the
    metadata; return its path. Review it before committing: autogenerate cannot see renames
    and does not move data."""
    if not message.strip():
        raise MigrationError("a new revision needs a message: -m 'what changes'")
    path = await _on_connection(engine, lambda conn: _new_revision_sync(conn, message))
    _tidy(path)
    return path


def run(url: str, work: Callable[[AsyncEngine], Any]) -> Any:
    """Run ``work(engine)`` on a new engine for ``url`` in a new event loop (for entry points
    that are not async, such as the launcher)."""

    async def runner() -> Any:
        engine = create_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(runner())
    except ArgumentError as exc:
        raise MigrationError(f"the database URL {safe_url(url)} is not valid: {exc}") from None


def upgrade_url(url: str) -> UpgradeResult:
    """Migrate the database at ``url`` to head (synchronous)."""
    result: UpgradeResult = run(url, upgrade)
    return result

"""``python -m bot migrate``: fresh databases reach head and match the metadata, a second run
changes nothing, a database made by the old ``create_all`` is adopted with its rows, replicas
migrating together on PostgreSQL both succeed, and the gateway refuses a database behind head.

The PostgreSQL cases run on a scratch database of their own on SHOP_TEST_POSTGRES_URL (set by
``make test``); they are skipped only when it is unset.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.engine import make_url

from bot.cli import main as cli_main
from bot.storage import migrate
from bot.storage.db import create_engine, create_schema
from bot.storage.schema import customers, tickets
from tests.postgres import SERVER_URL, scratch_database

REPO = Path(__file__).resolve().parents[2]
needs_postgres = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with scratch_database("shop_migrate") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    else:
        async with scratch_database("shop_migrate") as url:
            yield url


def _shape(conn: Any) -> dict[str, Any]:
    """Everything about the schema a migration could change, and the stamped revision."""
    insp = inspect(conn)
    shape: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        shape[table] = (
            [(c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table)],
            sorted(
                (i["name"], tuple(i["column_names"]), i["unique"]) for i in insp.get_indexes(table)
            ),
            sorted(str(u["column_names"]) for u in insp.get_unique_constraints(table)),
            sorted(str(f["referred_table"]) for f in insp.get_foreign_keys(table)),
            insp.get_pk_constraint(table)["constrained_columns"],
        )
    shape["revision"] = sorted(MigrationContext.configure(conn).get_current_heads())
    return shape


async def _run_sync(url: str, work: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


async def _upgrade(url: str, revision: str = "head") -> migrate.UpgradeResult:
    engine = create_engine(url)
    try:
        return await migrate.upgrade(engine, revision)
    finally:
        await engine.dispose()


async def _check(url: str) -> migrate.SchemaState:
    engine = create_engine(url)
    try:
        return await migrate.check(engine)
    finally:
        await engine.dispose()


# --- fresh databases ------------------------------------------------------------------------
async def test_a_fresh_database_migrates_to_head_and_matches_the_metadata(db_url: str) -> None:
    before = await _check(db_url)
    assert before.empty and not before.at_head
    result = await _upgrade(db_url)
    assert result.changed and result.before == () and result.after == migrate.head_revision()
    assert (await _check(db_url)).at_head
    # The guard against a schema.py change without a revision: autogenerate finds nothing.
    assert await _run_sync(db_url, migrate.differences) == []
    tables = await _run_sync(db_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == set(migrate.target_metadata().tables) | {"alembic_version"}


async def test_the_guard_sees_a_table_or_column_added_without_a_revision(db_url: str) -> None:
    await _upgrade(db_url)
    changed = MetaData()
    for table in migrate.target_metadata().sorted_tables:
        table.to_metadata(changed)
    Table("returns", changed, Column("id", Integer, primary_key=True))
    changed.tables["customers"].append_column(Column("nickname", String(40), nullable=True))
    found = await _run_sync(db_url, lambda c: migrate.differences(c, changed))
    kinds = sorted(str(diff[0]) for diff in found)
    assert kinds == ["add_column", "add_table"], found


async def test_the_guard_ignores_tables_that_are_not_the_shops(db_url: str) -> None:
    """Rasa's tracker store shares the SQLite file: its tables are never proposed for drop."""
    await _upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, data TEXT)"))
            await conn.execute(text("CREATE INDEX ix_events_data ON events (data)"))
        async with engine.connect() as conn:
            assert await conn.run_sync(migrate.differences) == []
        assert (await migrate.check(engine)).at_head
    finally:
        await engine.dispose()


async def test_migrating_twice_changes_nothing(db_url: str) -> None:
    await _upgrade(db_url)
    first = await _run_sync(db_url, _shape)
    again = await _upgrade(db_url)
    assert not again.changed
    assert (
        again.describe() == f"The database is at head ({migrate.head_revision()}); nothing to do."
    )
    assert await _run_sync(db_url, _shape) == first


# --- a database made by the old create_all ---------------------------------------------------
async def test_a_create_all_database_is_stamped_and_keeps_its_rows(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:  # the old way: create_all, no alembic_version
            await conn.run_sync(migrate._first_revision_metadata().create_all)
            # An older create_all had no complaint severity yet (a nullable column added later).
            await conn.execute(text("ALTER TABLE tickets DROP COLUMN severity"))
            await conn.execute(
                customers.insert().values(id="C1", name="Li Wei", created_at=NOW, language="zh")
            )
            await conn.execute(
                text(
                    "INSERT INTO tickets (id, kind, status, payload, idempotency_key, "
                    "created_at, updated_at) VALUES ('TK-1', 'message', 'open', '{}', 'k1', "
                    ":now, :now)"
                ),
                {"now": NOW},
            )
        state = await migrate.check(engine)
        assert state.legacy and not state.at_head
        assert "no alembic_version" in state.describe()
        result = await migrate.upgrade(engine)
        assert result.stamped == migrate.FIRST_REVISION and result.after == migrate.head_revision()
        assert "kept its rows" in result.describe()
        async with engine.connect() as conn:
            assert (await conn.execute(select(customers.c.name))).scalars().all() == ["Li Wei"]
            row = (await conn.execute(select(tickets.c.id, tickets.c.severity))).one()
            assert tuple(row) == ("TK-1", None)
            assert await conn.run_sync(migrate.differences) == []
        assert (await migrate.check(engine)).at_head
        assert not (await migrate.upgrade(engine)).changed
    finally:
        await engine.dispose()


async def test_a_create_all_database_of_a_later_version_is_stamped_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        await create_schema(engine)  # today's create_all: tables of later revisions too
        async with engine.begin() as conn:
            await conn.execute(text("ALTER TABLE tickets DROP COLUMN severity"))
            await conn.execute(
                customers.insert().values(id="C1", name="Li Wei", created_at=NOW, language="zh")
            )
        result = await migrate.upgrade(engine)
        assert result.stamped == migrate.head_revision() == result.after
        async with engine.connect() as conn:
            assert (await conn.execute(select(customers.c.name))).scalars().all() == ["Li Wei"]
            assert await conn.run_sync(migrate.differences) == []
    finally:
        await engine.dispose()


async def test_create_schema_on_a_migrated_database_migrates_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    await _upgrade(url, migrate.FIRST_REVISION)
    engine = create_engine(url)
    try:
        await create_schema(engine)  # must not make tables behind the migrations' back
        assert (await migrate.check(engine)).at_head
    finally:
        await engine.dispose()


# --- PostgreSQL replicas -----------------------------------------------------------------------
def _migrate_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SHOP_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "bot", "migrate", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_postgres
async def test_two_migrate_runs_at_once_on_postgresql_both_succeed(pg_url: str) -> None:
    runs = await asyncio.gather(
        asyncio.to_thread(_migrate_cli, pg_url), asyncio.to_thread(_migrate_cli, pg_url)
    )
    for run in runs:
        assert run.returncode == 0, run.stderr
    outputs = sorted(run.stdout.strip() for run in runs)
    head = migrate.head_revision()
    assert outputs == [
        f"Database: migrated from an empty database to {head} (head).",
        f"The database is at head ({head}); nothing to do.",
    ]
    rows = await _run_sync(pg_url, lambda c: c.execute(text("SELECT * FROM alembic_version")).all())
    assert [tuple(row) for row in rows] == [(head,)]


@needs_postgres
async def test_a_migration_waits_for_the_advisory_lock(pg_url: str) -> None:
    import asyncpg

    holder = await asyncpg.connect(
        make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", migrate.LOCK_KEY)
        task = asyncio.create_task(_upgrade(pg_url))
        await asyncio.sleep(1.0)
        assert not task.done()
        assert (await _check(pg_url)).empty  # nothing was created while the lock was held
        await holder.execute("SELECT pg_advisory_unlock($1)", migrate.LOCK_KEY)
        result = await asyncio.wait_for(task, 60)
    finally:
        await holder.close()
    assert result.waited and result.after == migrate.head_revision()


# --- checks and errors ---------------------------------------------------------------------------
def test_check_exits_non_zero_while_behind_and_zero_at_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    assert cli_main(["migrate", "--revision", migrate.FIRST_REVISION]) == 0
    capsys.readouterr()
    if migrate.head_revision() != migrate.FIRST_REVISION:  # pragma: no cover - later revisions
        assert cli_main(["migrate", "--check"]) == 1
        assert "run `python -m bot migrate`" in capsys.readouterr().err
    assert cli_main(["migrate"]) == 0
    assert cli_main(["migrate", "--check"]) == 0
    assert f"at head ({migrate.head_revision()})" in capsys.readouterr().out


def test_check_on_an_empty_database_names_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    assert cli_main(["migrate", "--check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"The database has no tables yet; the code needs {migrate.head_revision()}: "
        "run `python -m bot migrate`."
    )


def test_unknown_revisions_and_an_unreachable_database_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    assert cli_main(["migrate", "--revision", "nope"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown revision 'nope' (known: 0001") and err.endswith(", head)")

    asyncio.run(_upgrade(url))

    async def stamp_unknown() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
        await engine.dispose()

    asyncio.run(stamp_unknown())
    assert cli_main(["migrate", "--check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: the database is at revision 'ffff', which this code does not")
    assert "\n" not in err

    monkeypatch.setenv("SHOP_DATABASE_URL", "postgresql+asyncpg://shop:secret@127.0.0.1:1/shop")
    assert cli_main(["migrate"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot reach the database postgresql+asyncpg://shop:***@")
    assert "secret" not in err and "\n" not in err


def test_autogenerate_writes_the_next_numbered_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table added to the metadata becomes r0002_<message>.py, which then migrates."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
    monkeypatch.setattr(migrate, "VERSIONS_DIR", copy / "versions")
    extended = MetaData()
    for table in migrate.target_metadata().sorted_tables:
        table.to_metadata(extended)
    Table(
        "returns", extended, Column("id", Integer, primary_key=True), Column("reason", String(40))
    )
    monkeypatch.setattr(migrate, "target_metadata", lambda: extended)
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"

    async def scenario() -> tuple[Path, migrate.UpgradeResult]:
        engine = create_engine(url)
        try:
            await migrate.upgrade(engine)
            path = await migrate.new_revision(engine, "add returns")
            return path, await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    before, new = migrate.head_revision(), migrate.next_revision_id()
    assert new == f"{int(before) + 1:04d}"
    path, result = asyncio.run(scenario())
    assert path == copy / "versions" / f"r{new}_add_returns.py"
    source = path.read_text()
    assert f'revision = "{new}"' in source
    assert f'down_revision: str | None = "{before}"' in source
    assert 'op.create_table(\n        "returns"' in source
    assert result.after == new and result.before == (before,)
    assert asyncio.run(_run_sync(url, lambda c: migrate.differences(c, extended))) == []

    # Databases made by create_all without migrations: of the first revision's day (stamped
    # with it, then every later revision runs) and of today's metadata (stamped head).
    first = migrate._first_revision_metadata()
    for made_with, stamped in ((first, migrate.FIRST_REVISION), (extended, new)):
        other = f"sqlite+aiosqlite:///{tmp_path / f'made-{stamped}.db'}"

        async def made_by_create_all(other: str = other, tables: MetaData = made_with) -> None:
            engine = create_engine(other)
            async with engine.begin() as conn:
                await conn.run_sync(tables.create_all)
            await engine.dispose()

        asyncio.run(made_by_create_all())
        adopted = asyncio.run(_upgrade(other))
        assert (adopted.stamped, adopted.after) == (stamped, new)
        assert asyncio.run(_run_sync(other, lambda c: migrate.differences(c, extended))) == []


# --- the gateway ---------------------------------------------------------------------------
@needs_postgres
def test_the_gateway_refuses_a_postgresql_database_behind_head(pg_url: str) -> None:
    env = dict(os.environ, SHOP_DATABASE_URL=pg_url, GATEWAY_HOST="127.0.0.1", GATEWAY_PORT="1")
    run = subprocess.run(
        [sys.executable, "-m", "bot.gateway"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last == (
        "gateway: not starting: the database has no tables yet; the code needs "
        f"{migrate.head_revision()}: run `python -m bot migrate`"
    )
    assert "Traceback" not in run.stderr


async def test_the_gateway_start_migrates_a_sqlite_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        await migrate.ensure_current(engine)
        assert (await migrate.check(engine)).at_head
    finally:
        await engine.dispose()


async def test_servers_that_may_not_migrate_refuse_a_behind_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        with pytest.raises(migrate.DatabaseBehind, match="run `python -m bot migrate`"):
            await migrate.ensure_current(engine, migrate_sqlite=False)
    finally:
        await engine.dispose()


# --- who migrates: seed and the launcher ------------------------------------------------------
def test_seed_migrates_an_old_database_before_seeding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    config = tmp_path / "config.yml"
    config.write_text(
        f"database:\n  url: {url}\ndemo:\n  products: 49\n  customers: 20\n  orders: 60\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("SHOP_DATABASE_URL", raising=False)

    async def old_database() -> None:
        engine = create_engine(url)
        await create_schema(engine)  # made before migrations: no alembic_version
        await engine.dispose()

    asyncio.run(old_database())
    assert cli_main(["--config", str(config), "seed", "--today", "2026-04-21"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Database: adopted a database made before migrations")
    assert "Seeded the demo shop for 2026-04-21" in out
    assert asyncio.run(_check(url)).at_head


def test_the_launcher_migrates_before_it_starts_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import launcher

    started: list[str] = []

    def start(stack: launcher.Stack) -> None:
        started.append(stack.database_url)
        raise RuntimeError("stop before spawning")  # main()'s loop is not under test here

    monkeypatch.setattr(launcher.Stack, "start", start)
    monkeypatch.setattr(launcher.signal, "signal", lambda *_args: None)  # keep pytest's handlers
    monkeypatch.setenv("SHOP_DATABASE_URL", "postgresql+asyncpg://shop:secret@127.0.0.1:1/shop")
    assert launcher.main(["--log-dir", str(tmp_path / "log")]) == 1
    err = capsys.readouterr().err
    assert "error: cannot reach the database" in err and "secret" not in err
    assert started == []  # nothing was started on a database that could not be migrated

    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv("SHOP_DATABASE_URL", url)
    assert launcher.main(["--log-dir", str(tmp_path / "log")]) == 1  # a failed start: exit 1
    assert started == [url]
    out = capsys.readouterr()
    assert "stop before spawning" in out.err
    assert "Database: migrated from an empty database" in out.out
    assert asyncio.run(_check(url)).at_head

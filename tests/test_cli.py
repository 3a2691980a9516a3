"""The command line: seed, import, prepare-training, errors and exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import build_parser, main
from bot.config import REPO_ROOT
from tests.shop.test_importer import good_export, write_csv


@pytest.fixture
def small_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config with a small demo shop and a database file of its own."""
    config = tmp_path / "config.yml"
    settings = {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"},
        "demo": {"products": 49, "customers": 20, "orders": 60},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    monkeypatch.delenv("SHOP_DATABASE_URL", raising=False)
    monkeypatch.delenv("SHOP_CONFIG", raising=False)
    return config


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_seed_skip_and_force(small_shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(small_shop, "seed", "--today", "2026-04-21") == 0
    assert "Seeded the demo shop for 2026-04-21: 49 products, 20 customers, 60 orders" in (
        capsys.readouterr().out
    )
    assert run(small_shop, "seed") == 0
    out = capsys.readouterr().out
    assert "already has data (seeded on 2026-04-21" in out and "--force" in out
    assert run(small_shop, "seed", "--force", "--today", "2026-05-01") == 0
    assert "for 2026-05-01" in capsys.readouterr().out


def test_bad_arguments_exit_2(small_shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(small_shop, "seed", "--today", "21/04/2026")
    assert info.value.code == 2
    assert "use YYYY-MM-DD" in capsys.readouterr().err
    assert main([]) == 2


def test_import_good_bad_and_dry_run(
    small_shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(tmp_path / "good", good_export())
    assert run(small_shop, "import", str(good), "--dry-run") == 0
    assert "is valid: 2 products" in capsys.readouterr().out
    assert run(small_shop, "import", str(good)) == 0
    assert "Imported 2 products, 2 customers" in capsys.readouterr().out

    export = good_export()
    export["orders"][1]["total"] = "abc"
    bad = write_csv(tmp_path / "bad", export)
    assert run(small_shop, "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert "nothing was imported" in err
    assert "orders.csv line 3, field total: 'abc' is not a number" in err

    assert run(small_shop, "import", str(tmp_path / "missing")) == 1
    assert "does not exist" in capsys.readouterr().err

    assert run(small_shop, "seed") == 0  # the imported shop is not overwritten
    assert "(imported:" in capsys.readouterr().out


def test_prepare_training(
    small_shop: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_args = ["--nlu-out", str(tmp_path / "gen"), "--jieba-out", str(tmp_path / "jieba")]
    assert run(small_shop, "prepare-training", *out_args) == 1
    assert "no products in the database" in capsys.readouterr().err
    assert run(small_shop, "seed") == 0
    assert run(small_shop, "prepare-training", *out_args) == 0
    out = capsys.readouterr().out
    assert "lookup.yml" in out and "regex.yml" in out and "userdict.txt" in out
    assert (tmp_path / "gen" / "lookup.yml").exists()
    assert (tmp_path / "gen" / "regex.yml").exists()
    assert (tmp_path / "jieba" / "userdict.txt").exists()


def test_config_errors_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yml"
    config.write_text("demo:\n  seeds: 1\n", encoding="utf-8")
    assert main(["--config", str(config), "seed"]) == 1
    assert "unknown key(s) ['seeds']" in capsys.readouterr().err


def test_new_commands_plug_in() -> None:
    def add_hello(subparsers: Any) -> None:
        parser = subparsers.add_parser("hello")
        parser.set_defaults(handler=lambda args: 0)

    args: argparse.Namespace = build_parser([add_hello]).parse_args(["hello"])
    assert args.handler(args) == 0


def test_python_dash_m_bot_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("seed", "import", "prepare-training"):
        assert command in result.stdout


def test_identity_sign_prints_the_web_sender_ids_of_a_customer(
    small_shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.web_identity import sign
    from bot.shop.demo_records import LI_WEI_ID

    secret = "cli-test-web-identity-secret"
    monkeypatch.setenv("WEB_IDENTITY_SECRET", secret)
    assert run(small_shop, "seed", "--today", "2026-04-21") == 0
    capsys.readouterr()
    assert run(small_shop, "identity", "sign", LI_WEI_ID) == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"sender_id=demo-liwei identity_hash={sign(secret, 'demo-liwei')}" in lines
    assert run(small_shop, "identity", "sign", "--sender-id", "shop-user-42") == 0
    assert capsys.readouterr().out == (
        f"sender_id=shop-user-42 identity_hash={sign(secret, 'shop-user-42')}\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C9999"], "there is no customer 'C9999'"),
        (["--sender-id", "guest-0123"], "guests"),
        (["--sender-id", "has space"], "is not a web sender id"),
    ],
)
def test_identity_sign_refuses(
    small_shop: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("WEB_IDENTITY_SECRET", "cli-test-web-identity-secret")
    assert run(small_shop, "seed", "--today", "2026-04-21") == 0
    assert run(small_shop, "identity", "sign", *args) == 1
    assert message in capsys.readouterr().err


def test_identity_sign_needs_the_secret(
    small_shop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEB_IDENTITY_SECRET", raising=False)
    monkeypatch.setattr("bot.cli.REPO_ROOT", small_shop.parent)  # no .env there
    assert run(small_shop, "identity", "sign", "--sender-id", "x") == 1
    assert "WEB_IDENTITY_SECRET is not set" in capsys.readouterr().err


def test_proactive_run_once_dry_run_prints_and_writes_nothing(
    small_shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m bot proactive run-once --dry-run` on a shop with one stalled parcel of a
    customer who wrote on Telegram: the message it would send, and no notice stored."""
    import asyncio
    from datetime import UTC, datetime

    from bot.storage.db import create_engine
    from bot.storage.schema import proactive_notices
    from tests.core.test_proactive import Records

    assert run(small_shop, "seed", "--today", "2026-04-21") == 0
    capsys.readouterr()
    url = f"sqlite+aiosqlite:///{small_shop.parent / 'shop.db'}"

    async def make() -> str:
        engine = create_engine(url)
        try:
            records = Records(engine, now=datetime.now(UTC))
            cid, _ = await records.customer("en")
            return await records.parcel(cid, shipped_days_ago=3)
        finally:
            await engine.dispose()

    async def stored() -> int:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return len((await conn.execute(proactive_notices.select())).all())
        finally:
            await engine.dispose()

    order = asyncio.run(make())
    assert run(small_shop, "proactive", "run-once", "--dry-run") == 0
    out = capsys.readouterr().out
    [line] = [ln for ln in out.splitlines() if order in ln and "stalled" in ln]
    assert "telegram" in line and "has not moved since" in line
    assert "dry run: nothing written" in out
    assert asyncio.run(stored()) == 0
    assert run(small_shop, "proactive", "run-once") == 0
    assert asyncio.run(stored()) >= 1

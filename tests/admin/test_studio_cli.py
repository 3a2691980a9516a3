"""`python -m bot studio ...` and `python -m bot admin add-user` on a copy of the project."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from tests.admin.conftest import HOLDOUT, TEST_STORIES


@pytest.fixture
def config_file(tmp_path: Path, project: Path) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"},
                "studio": {
                    "project_dir": str(project),
                    "model_dir": str(tmp_path / "models"),
                    "holdout": str(HOLDOUT),
                    "test_stories": str(TEST_STORIES),
                },
                "rasa": {"model_dir": str(tmp_path / "none")},
            }
        ),
        "utf-8",
    )
    return path


def test_faq_set_and_list(
    config_file: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config_file), "studio", "--author", "script"]
    zh, en = (
        "满 ¥{free_shipping_threshold} 包邮。",
        "Free shipping from ¥{free_shipping_threshold}.",
    )
    assert main([*args, "faq", "set", "shipping_fee", "--zh", zh, "--en", en]) == 0
    assert "¥99 包邮" in (project / "domain" / "faq.yml").read_text("utf-8")
    capsys.readouterr()
    assert main([*args, "faq", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["shipping_fee"]["en"] == en
    assert main([*args, "faq", "set", "shipping_fee", "--zh", en, "--en", en]) == 1
    assert "zh: does not read as Chinese" in capsys.readouterr().err


def test_nlu_add_refuses_a_held_out_phrasing(
    config_file: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config_file), "studio"]
    assert main([*args, "nlu", "add", "greet", "--en", "good evening, dear shop assistant"]) == 0
    assert "dear shop assistant" in (project / "data" / "nlu" / "conversation.yml").read_text()
    assert main([*args, "nlu", "add", "greet", "--en", "hey hey"]) == 1
    assert "held-out" in capsys.readouterr().err


def test_add_user_reads_the_password_from_stdin(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    args = ["--config", str(config_file), "admin", "add-user", "mei", "--role", "editor"]
    assert main([*args, "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert main([*args, "--password-stdin"]) == 1
    assert "already a user" in capsys.readouterr().err


def test_rollback_without_versions_fails(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_file), "studio", "rollback"]) == 1
    assert "no earlier good version" in capsys.readouterr().err
    assert main(["--config", str(config_file), "studio", "status"]) == 0


def test_policies_set_and_list(
    config_file: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config_file), "studio", "--author", "script"]
    zh, en = ("签收后 {return_days} 天内可退货。", "Returns within {return_days} days.")
    assert main([*args, "faq", "set", "return_policy", "--zh", zh, "--en", en]) == 0
    capsys.readouterr()
    assert main([*args, "policies", "set", "return_days=10", "service_hours=08:00-20:00"]) == 0
    assert "return_policy" in capsys.readouterr().out
    assert "Returns within 10 days." in (project / "domain" / "faq.yml").read_text("utf-8")
    overlay = config_file.with_name("config.policies.yml")
    saved = yaml.safe_load(overlay.read_text("utf-8"))["policies"]
    assert saved == {"return_days": 10, "service_hours": "08:00-20:00"}
    assert main([*args, "policies", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)["policies"]
    assert listed["return_days"] == {
        "value": 10,
        "saved": True,
        "config_key": "aftersales.return_days",
        "min": 1,
        "max": 365,
    }
    assert main([*args, "policies", "set", "return_days=0", "shipping_fee=x"]) == 1
    err = capsys.readouterr().err
    assert "return_days: must be between 1 and 365" in err and "shipping_fee" in err
    assert main([*args, "policies", "set", "return_days"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert yaml.safe_load(overlay.read_text("utf-8"))["policies"]["return_days"] == 10

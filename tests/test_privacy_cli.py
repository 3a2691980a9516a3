"""``python -m bot privacy export|erase``: JSON out, erasure with --yes, the audit, misuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run, small_shop  # noqa: F401 - the fixture

CUSTOMER = "C0001"  # Li Wei: identities and orders in every demo shop


@pytest.fixture
def seeded(small_shop: Path) -> Path:  # noqa: F811 - the imported fixture
    assert run(small_shop, "seed", "--today", "2026-04-21") == 0
    return small_shop


def test_export_then_erase_then_audit(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(seeded, "privacy", "export", CUSTOMER, "--by", "Ann Lee") == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["customer"]["id"] == CUSTOMER and exported["customer"]["phone"]
    assert exported["orders"] and exported["identities"]

    assert run(seeded, "privacy", "erase", CUSTOMER, "--yes", "--by", "Ann Lee") == 0
    out = capsys.readouterr().out
    assert f"Erased the personal data of {CUSTOMER}" in out
    assert "Recorded in privacy_audit as staff:Ann Lee." in out
    assert "orders with items and amounts (accounting and tax law)" in out

    target = tmp_path / "after.json"
    assert run(seeded, "privacy", "export", CUSTOMER, "--out", str(target), "--by", "Ann") == 0
    after = json.loads(target.read_text(encoding="utf-8"))
    assert after["customer"]["phone"] is None and after["identities"] == []
    assert {o["recipient"] for o in after["orders"]} == {"[erased]"}
    assert len(after["orders"]) == len(exported["orders"])
    assert [(a["action"], a["actor"]) for a in after["privacy_audit"]] == [
        ("export", "staff:Ann Lee"),
        ("erase", "staff:Ann Lee"),
    ]


def test_misuse_exits_2(seeded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(seeded, "privacy", "erase", CUSTOMER) == 2
    assert "cannot be undone; run again with --yes" in capsys.readouterr().err
    assert run(seeded, "privacy", "export", "C9999") == 2
    assert "no customer has the id 'C9999'" in capsys.readouterr().err
    assert run(seeded, "privacy", "erase", "C9999", "--yes") == 2
    for bad in (["privacy", "erase", "C 1; drop"], ["privacy"], ["privacy", "erase"]):
        with pytest.raises(SystemExit) as info:
            run(seeded, *bad)
        assert info.value.code == 2
    # Nothing was erased by any of it.
    assert run(seeded, "privacy", "export", CUSTOMER) == 0
    assert json.loads(capsys.readouterr().out)["customer"]["phone"]

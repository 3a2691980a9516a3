"""The gateway never imports a channel and channels never import the gateway: they meet in
:mod:`bot.core.channels`, wired by the composition root (:mod:`bot.gateway.__main__`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offenders(files: list[Path], forbidden: str) -> list[str]:
    found = []
    for path in files:
        for name in sorted(imported_modules(path)):
            if name == forbidden or name.startswith(forbidden + "."):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def package_files(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


@pytest.mark.parametrize(
    ("files", "forbidden"),
    [
        (package_files("adapters"), "bot.gateway"),
        (package_files("bot.handoff"), "adapters"),
        (package_files("bot.handoff"), "bot.gateway"),
        (package_files("bot.admin"), "bot.gateway"),
        (package_files("bot.core"), "bot.gateway"),
        (package_files("bot.core"), "adapters"),
        # Only the composition root (bot/gateway/__main__.py) constructs the channels.
        (
            [p for p in package_files("bot.gateway") if p.name != "__main__.py"],
            "adapters",
        ),
    ],
    ids=[
        "adapters-gateway",
        "handoff-adapters",
        "handoff-gateway",
        "admin-gateway",
        "core-gateway",
        "core-adapters",
        "gateway-adapters",
    ],
)
def test_no_import_across_the_edge(files: list[Path], forbidden: str) -> None:
    assert files
    assert offenders(files, forbidden) == []

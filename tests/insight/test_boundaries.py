"""bot.insight reads the shop through bot.storage only: no services, core, actions, handoff,
channels or gateway (those packages are being re-laid out, and the models must not depend on
them)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.insight

FORBIDDEN = ("bot.services", "bot.core", "bot.actions", "bot.handoff", "bot.gateway", "adapters")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_insight_imports_stay_inside_their_boundary() -> None:
    package = Path(bot.insight.__file__).parent
    files = sorted(package.glob("*.py"))
    assert len(files) >= 8
    for path in files:
        bad = [m for m in imported_modules(path) if m.startswith(FORBIDDEN)]
        assert not bad, f"{path.name} imports {bad}"

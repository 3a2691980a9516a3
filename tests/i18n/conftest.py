"""The Rasa domain as the text tests read it (all files of rasa_project/domain merged)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.config import REPO_ROOT

DOMAIN_DIR = REPO_ROOT / "rasa_project" / "domain"


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("intents", "entities", "actions"):
            merged.setdefault(key, []).extend(data.get(key) or [])
        for key in ("slots", "forms", "responses"):
            merged.setdefault(key, {}).update(data.get(key) or {})
    return merged

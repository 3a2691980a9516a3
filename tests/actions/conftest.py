"""Fixtures for the action tests: the seeded demo shop of tests/conftest.py, a clock pinned to
the shop's seeding day, the real domain, and a dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions._deps import Deps, use_deps
from bot.config import REPO_ROOT, Config

DOMAIN_DIR = REPO_ROOT / "rasa_project" / "domain"


@pytest.fixture()
def now(cfg: Config, shop_today: date) -> datetime:
    """Noon on the day the test shop was seeded, in the shop's timezone."""
    return datetime.combine(shop_today, time(12, 0), tzinfo=ZoneInfo(cfg.shop.timezone))


@pytest.fixture()
def deps(cfg: Config, shop_engine: AsyncEngine, now: datetime) -> Iterator[Deps]:
    """The actions' dependencies: a private copy of the seeded shop and a pinned clock."""
    with use_deps(Deps(config=cfg, engine=shop_engine, clock=lambda: now)) as current:
        yield current


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The assistant's domain (all files of rasa_project/domain merged) as rasa-sdk sees it."""
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in ("intents", "entities", "actions"):
            merged.setdefault(key, []).extend(data.get(key) or [])
        for key in ("slots", "forms", "responses"):
            merged.setdefault(key, {}).update(data.get(key) or {})
    return merged


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(autouse=True)
def _no_implicit_deps(monkeypatch: pytest.MonkeyPatch) -> None:
    """An action run without the ``deps`` fixture would open the repository's own database
    (bot.actions._deps.get_deps) and leave its connection thread running, which keeps pytest
    from exiting: such a test fails instead."""
    from bot.actions import _deps

    def refuse(url: str, **_: Any) -> Any:
        raise AssertionError(f"an action ran without the `deps` fixture (it would open {url})")

    monkeypatch.setattr(_deps, "create_engine", refuse)

"""Start the real stack once per test session: Rasa (trained model), action server, gateway.

Everything listens on free loopback ports and uses its own freshly seeded SQLite file, so a
running `make run` on the same machine is not disturbed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from bot.config import DEFAULT_CONFIG_PATH
from bot.launcher import Stack, StackPorts, default_model_path
from tests.adapters.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.adapters.fake_telegram import FakeTelegram
from tests.factory import ShopFactory
from tests.integration.helpers import (
    ADMIN_TOKEN,
    LINK_SECRET,
    TELEGRAM_SECRET,
    WEB_SECRET,
    Chat,
)


class ThreadedTelegram:
    """The fake Telegram Bot API on its own event loop in a thread, so the real gateway
    process (started by the synchronous stack fixture) can call it during the session."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.fake = FakeTelegram()

    def start(self) -> str:
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="session")
def telegram() -> Iterator[FakeTelegram]:
    server = ThreadedTelegram()
    server.start()
    try:
        yield server.fake
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram) -> Iterator[Stack]:
    model = default_model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` first")
    tmp = tmp_path_factory.mktemp("stack")
    db_url = f"sqlite+aiosqlite:///{tmp / 'shop.db'}"
    # The shipped settings, with the web chat's rate limits off: the whole session talks from
    # one address, and the demo customers are shared between tests.
    settings = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    settings["web"].update(messages_per_minute_per_sender=0, messages_per_minute_per_ip=0)
    # The proactive scheduler runs only when a test asks (POST /api/admin/proactive/run), and
    # at any hour of the day the suite runs.
    settings["proactive"].update(enabled=False, quiet_hours="")
    config = tmp / "config.yml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, SHOP_DATABASE_URL=db_url, SHOP_CONFIG=str(config))
    subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
    ports = StackPorts.free_loopback()
    running = Stack(
        ports=ports,
        database_url=db_url,
        log_dir=tmp / "logs",
        model_path=model,
        extra_env={
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "WEB_IDENTITY_SECRET": WEB_SECRET,
            "SHOP_CONFIG": str(config),
            # Test conversations must not teach the repository's recommendation bandit.
            "SHOP_RECOMMEND_BANDIT_PATH": str(tmp / "bandit.json"),
            # The Telegram channel in webhook mode, talking to the fake Bot API.
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE_URL": telegram.url,
            # Signs the deep links that link chat accounts to customers.
            "LINK_SECRET": LINK_SECRET,
        },
    )
    running.start()
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def shop(stack: Stack) -> Iterator[ShopFactory]:
    """Makes the customers and orders a test needs in the stack's database (tests/factory.py)."""
    factory = ShopFactory(stack.database_url)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture()
def new_chat(stack: Stack, request: pytest.FixtureRequest) -> Any:
    """Factory of chats; each test gets fresh guest sender ids unless it asks for a demo one."""
    counter = iter(range(1000))

    def make(sender_id: str | None = None) -> Chat:
        sid = sender_id or f"guest-{request.node.name[:40]}-{next(counter)}"
        sid = "".join(ch if ch.isalnum() or ch in "._:@-" else "-" for ch in sid)
        chat = Chat(stack.gateway_url, sid)
        if sender_id is not None:
            # Demo customers are shared between tests: start each test from a clean slate.
            chat.send(payload="/restart")
        return chat

    return make

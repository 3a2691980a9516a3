"""A gateway for the browser test: the real app and a fake Rasa in a background event loop.

The page is driven by a synchronous WebDriver, so the servers run on their own loop in a
thread. Override ``chat_base_url`` (and ``chat_question``) to run the same test against the
real stack.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from selenium.webdriver.chrome.webdriver import WebDriver
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.gateway.__main__ import build_app
from bot.storage.db import create_engine
from tests.browser.webchat import RoundTrip, open_chromium
from tests.gateway.fake_rasa import FakeActionServer, FakeRasa
from tests.gateway.helpers import make_config
from tests.gateway.seed import seed_shop

T = TypeVar("T")

ORDERS = ["260315004217", "260402118830"]


def demo_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers shaped like the real bot's: a question with buttons and cards, then an answer."""
    sender, message = body["sender"], str(body["message"])
    if message.startswith("/"):
        order = next((o for o in ORDERS if o in message), ORDERS[0])
        return [
            {
                "recipient_id": sender,
                "text": f"Order {order} is in transit with SF Express (tracking SF1234567890).\n"
                "Latest: arrived at the Shanghai hub. Expected delivery: tomorrow.",
            }
        ]
    return [
        {
            "recipient_id": sender,
            "text": "You have several recent orders. Which one do you mean?",
            "buttons": [
                {"title": f"Order {o}", "payload": f'/inform{{"order_id":"{o}"}}'} for o in ORDERS
            ],
        },
        {
            "recipient_id": sender,
            "text": "You might also like:",
        },
        {
            "recipient_id": sender,
            "custom": {
                "type": "product_cards",
                "products": [
                    {
                        "id": "P0001",
                        "name": "SoundPods Pro wireless earbuds",
                        "price": 399.0,
                        "currency": "CNY",
                        "image": "/products/P0001.svg",
                        "rating": 4.7,
                        "stock": 35,
                        "payload": '/product_inquiry{"product":"P0001"}',
                    },
                    {
                        "id": "P0002",
                        "name": "AquaPure electric kettle 1.7 L",
                        "price": 159.0,
                        "price_text": "¥159.00",
                        "currency": "CNY",
                        "image": "/products/P0002.svg",
                        "rating": 4.5,
                        "stock": 0,
                    },
                ],
            },
        },
    ]


class BackgroundGateway:
    """The gateway, a fake Rasa and a fake action server on a loop in a daemon thread."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        demo_picker: bool = True,
        config: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.demo_picker = demo_picker  # on, as in the shipped config.yml
        self.config = config or {}  # more config sections, e.g. {"insight": {...}}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.rasa = FakeRasa(reply=demo_reply)
        self.actions = FakeActionServer()
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.engine: AsyncEngine | None = None
        self.media_dir = tmp_path / "media"  # photos customers send

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> str:
        self.thread.start()
        return self.run(self._start())

    def stop(self) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()

    async def _start(self) -> str:
        rasa_url = await self.rasa.start()
        actions_url = await self.actions.start()
        sections: dict[str, Any] = {
            "web": {"demo_picker": self.demo_picker},
            "channels": {"media_dir": str(self.media_dir)},
            **self.config,
        }
        cfg = make_config(self.tmp_path, rasa_url=rasa_url, actions_url=actions_url, **sections)
        self.engine = create_engine(cfg.database.url)
        await seed_shop(self.engine, extra_products=True)
        self.runner = web.AppRunner(build_app(cfg, engine=self.engine))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.rasa.stop()
        await self.actions.stop()
        if self.engine is not None:
            await self.engine.dispose()


@pytest.fixture
def chat_gateway(tmp_path: Path) -> Iterator[BackgroundGateway]:
    gateway = BackgroundGateway(tmp_path)
    gateway.url = gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def chat_base_url(chat_gateway: BackgroundGateway) -> str:
    return chat_gateway.url


@pytest.fixture
def chat_question() -> str:
    """A question that the bot answers with buttons (demo-liwei has several orders)."""
    return "Where is my order?"


@pytest.fixture
def chat_answer_check() -> Callable[[RoundTrip], None]:
    """Checks the answer to the clicked button; the fake Rasa answers about the chosen order."""

    def check(trip: RoundTrip) -> None:
        order = trip.button_title.removeprefix("Order ")
        assert order in ORDERS and order in trip.answer, trip

    return check


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[WebDriver]:
    with open_chromium(tmp_path / "chromium-profile") as driver:
        yield driver

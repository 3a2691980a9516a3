"""Linking a Telegram account with the shop's deep link (``/start <token>``), through the real
gateway and python-telegram-bot against the fake Bot API: linked once and greeted in the
customer's language; forged, expired and reused tokens refused with a clear text; bad tokens
counted until linking is paused for the account."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.gateway.__main__ import build_app
from bot.i18n import t
from bot.services.customers import resolve_customer
from bot.services.linking import sign_token
from bot.storage.schema import identities, inbox, link_tokens, messages
from tests.adapters.fake_telegram import FakeTelegram, text_update
from tests.adapters.test_telegram import eventually, post, settle, telegram_config
from tests.factory import ShopFactory
from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.gateway.fake_rasa import FakeRasa

__all__ = ["actions_url", "engine", "fake_rasa"]

LINK_SECRET = "shop-link-secret-for-tests"
Client = TestClient[Any, Any]
Gateway = Callable[..., Awaitable[Client]]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str, tg: FakeTelegram
) -> AsyncIterator[Gateway]:
    """Factory: a started gateway with the Telegram channel and (unless told) LINK_SECRET."""
    clients: list[Client] = []

    async def make(*, secret: str | None = LINK_SECRET) -> Client:
        cfg = telegram_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            api_url=tg.url,
            telegram_mode="webhook",
        )
        cfg = dataclasses.replace(cfg, secrets=dataclasses.replace(cfg.secrets, link_secret=secret))
        client: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def shop(engine: AsyncEngine) -> AsyncIterator[ShopFactory]:
    factory = ShopFactory(engine.url.render_as_string(hide_password=False))
    yield factory
    factory.close()


def token_for(customer_id: str, *, now: datetime | None = None, secret: str = LINK_SECRET) -> str:
    issued = now or datetime.now(UTC)
    return sign_token(secret, customer_id, now=issued, valid_for=timedelta(days=7))


async def reply_to(client: Client, tg: FakeTelegram, update: dict[str, Any]) -> str:
    """Post an update and wait for the one new text the bot sends."""
    before = len(tg.sent_texts())
    await post(client, update)
    await eventually(lambda: len(tg.sent_texts()) > before, "the answer")
    return tg.sent_texts()[-1]


async def linked_to(engine: AsyncEngine, user_id: int) -> str | None:
    customer = await resolve_customer(engine, "telegram", str(user_id))
    return None if customer is None else customer.id


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_deep_link_links_the_account_once_in_the_customers_language(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine,
    shop: ShopFactory, language: str,
) -> None:  # fmt: skip
    customer = shop.customer(language)
    token = token_for(customer.id)
    client = await gateway()
    # The Telegram app is in the other language: the answer is in the customer's own.
    app_language = "en" if language == "zh" else "zh-hans"
    update = text_update(301, 7301, f"/start {token}", language_code=app_language)
    said = await reply_to(client, tg, update)
    name = customer.name
    assert said == t(
        "link.done", language, name=name, shop="演示商店" if language == "zh" else "Demo Shop"
    )
    assert await linked_to(engine, 7301) == customer.id
    assert fake_rasa.requests == []  # answered by the gateway
    # Telegram delivers the same update again: one answer, one use.
    assert (await (await post(client, update)).json())["outcome"] == "duplicate"
    # The token is not kept with the message.
    async with engine.connect() as conn:
        logged = [r.payload for r in (await conn.execute(select(messages))).all()]
        stored = [r.payload for r in (await conn.execute(select(inbox))).all()]
        uses = (await conn.execute(select(link_tokens))).all()
    assert token not in repr(logged) + repr(stored) and len(uses) == 1
    # The next message reaches the assistant as the customer's.
    await post(client, text_update(302, 7301, "where is my order"))
    await eventually(lambda: fake_rasa.requests, "the message to reach Rasa")
    assert fake_rasa.requests[0]["metadata"]["customer_id"] == customer.id
    await settle(0.2)
    assert len(tg.sent_texts()) == 2


async def test_reused_expired_and_forged_links_are_refused(
    gateway: Gateway, tg: FakeTelegram, engine: AsyncEngine, shop: ShopFactory
) -> None:
    customer = shop.customer("zh")
    token = token_for(customer.id)
    client = await gateway()
    await reply_to(client, tg, text_update(311, 7311, f"/start {token}"))
    assert await linked_to(engine, 7311) == customer.id
    # The same link opened by another account: used already.
    said = await reply_to(client, tg, text_update(312, 7312, f"/start {token}"))
    assert said == t("link.used", "en")
    # An expired link (issued 8 days ago); a new conversation: the Telegram app's language.
    old = token_for(customer.id, now=datetime.now(UTC) - timedelta(days=8))
    said = await reply_to(client, tg, text_update(313, 7313, f"/start {old}", language_code="zh"))
    assert said == t("link.expired", "zh")
    assert await linked_to(engine, 7313) is None
    # Forged: another shop's key, and a token whose customer id was changed.
    forged = token_for(customer.id, secret="not the shop's secret")
    said = await reply_to(client, tg, text_update(314, 7312, f"/start {forged}"))
    assert said == t("link.invalid", "en")
    other = token_for("C0002")
    tampered = other[:-14] + token[-14:]
    said = await reply_to(client, tg, text_update(315, 7312, f"/start {tampered}"))
    assert said == t("link.invalid", "en")
    assert await linked_to(engine, 7312) is None


async def test_bad_links_pause_linking_for_the_account(
    gateway: Gateway, tg: FakeTelegram, engine: AsyncEngine, shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    client = await gateway()
    for n in range(5):
        guess = token_for(customer.id, secret=f"guess {n}")
        said = await reply_to(client, tg, text_update(320 + n, 7320, f"/start {guess}"))
        assert said.startswith("Too many invalid links") == (n == 4)
    # Even a genuine link is refused while linking is paused for this account...
    said = await reply_to(client, tg, text_update(330, 7320, f"/start {token_for(customer.id)}"))
    assert said.startswith("Too many invalid links")
    assert await linked_to(engine, 7320) is None
    # ... but not for another account.
    said = await reply_to(client, tg, text_update(331, 7321, f"/start {token_for(customer.id)}"))
    assert said.startswith("Hello") and await linked_to(engine, 7321) == customer.id


async def test_without_link_secret_nothing_is_linked(
    gateway: Gateway, tg: FakeTelegram, engine: AsyncEngine, shop: ShopFactory
) -> None:
    customer = shop.customer()
    client = await gateway(secret=None)
    said = await reply_to(client, tg, text_update(341, 7341, f"/start {token_for(customer.id)}"))
    assert said == t("link.unavailable", "en")
    assert await linked_to(engine, 7341) is None


async def test_other_start_parameters_still_greet(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await post(client, text_update(351, 7351, "/start campaign42"))
    await eventually(lambda: tg.ok("sendMessage"), "the greeting")
    assert fake_rasa.messages() == ["/greet"]


async def test_writing_to_the_bot_links_nothing(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    await post(client, text_update(361, 7361, "where is order 260315004217"))
    await eventually(lambda: fake_rasa.requests, "the message to reach Rasa")
    assert fake_rasa.requests[0]["metadata"]["customer_id"] is None  # a guest
    async with engine.connect() as conn:
        rows = (await conn.execute(select(identities))).all()
    assert {row.channel for row in rows} == {"web"}  # only the seeded web identities

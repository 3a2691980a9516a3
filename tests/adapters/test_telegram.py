"""The Telegram channel: the real python-telegram-bot client against a fake Bot API on loopback,
the real gateway (pipeline, inbox, outbox) and a scripted Rasa; webhook and polling mode."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters import enabled_channels
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.callbacks import MAX_CALLBACK_BYTES, CallbackCodec, callback_token
from adapters.telegram.commands import HELP_TEXT, help_text
from adapters.telegram.inbound import MalformedUpdate, language_hint, parse_update, read_update
from adapters.telegram.render import PhotoPart, TextPart, card_caption, plan_parts
from adapters.telegram.sender import delivery_error
from adapters.telegram.settings import SECRET_HEADER, WEBHOOK_PATH, TelegramSettings
from bot.config import Config, ConfigError, load_config
from bot.core.buttons import ButtonStore
from bot.core.message import Button, OutgoingMessage, ProductCard
from bot.core.pipeline import HOLDING_TEXT
from bot.gateway.__main__ import build_app
from bot.services.catalog import get_product
from bot.shop.images import render_product_png
from bot.storage.db import create_engine
from bot.storage.schema import inbox, outbox
from tests.adapters.fake_telegram import (
    TOKEN,
    FakeTelegram,
    callback_update,
    message_update,
    photo_update,
    text_update,
)
from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.gateway.fake_rasa import ORDER_BUTTON, PRODUCT_CARDS, FakeRasa
from tests.gateway.helpers import ADMIN_TOKEN
from tests.gateway.seed import seed_shop

__all__ = ["actions_url", "engine", "fake_rasa"]

SECRET = "s3cret-Token_value"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FAST = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
EN_ORDER = "Which order? (where is my order)"
ZH_ORDER = "请问是哪个订单？（我的订单到哪了）"

Client = TestClient[Any, Any]


def telegram_config(
    tmp_path: Path,
    *,
    rasa_url: str,
    actions_url: str,
    api_url: str = "http://127.0.0.1:9",
    token: str | None = TOKEN,
    secret: str | None = SECRET,
    db_file: Path | None = None,
    **channels: Any,
) -> Config:
    env = {"ADMIN_TOKEN": ADMIN_TOKEN, "TELEGRAM_API_BASE_URL": api_url}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    if secret is not None:
        env["TELEGRAM_SECRET_TOKEN"] = secret
    overrides: dict[str, dict[str, Any]] = {
        "rasa": {"url": rasa_url, "timeout_s": 5},
        "actions": {"url": actions_url},
        "database": {"url": f"sqlite+aiosqlite:///{db_file or tmp_path / 'shop.db'}"},
        "channels": {"telegram": "on", "media_dir": str(tmp_path / "media"), **channels},
        "delivery": FAST,
    }
    return load_config(path=tmp_path / "no-config.yml", env=env, overrides=overrides)


async def eventually(check: Callable[[], object], what: str, within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.4) -> None:
    """Let the pipeline's worker run a few rounds (to show nothing more happens)."""
    await asyncio.sleep(seconds)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


Gateway = Callable[..., Awaitable[Client]]


@pytest.fixture
async def gateway(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str, tg: FakeTelegram
) -> AsyncIterator[Gateway]:
    """Factory: a started gateway with the Telegram channel (webhook mode unless told)."""
    clients: list[Client] = []

    async def make(*, db: AsyncEngine | None = None, **channels: Any) -> Client:
        channels.setdefault("telegram_mode", "webhook")
        cfg = telegram_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            api_url=tg.url,
            **channels,
        )
        client: Client = TestClient(TestServer(build_app(cfg, engine=db or engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def post(
    client: Client, update: Any, *, secret: str | None = SECRET, **kwargs: Any
) -> ClientResponse:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if "data" in kwargs:
        headers["Content-Type"] = kwargs.pop("content_type", "application/json")
        return await client.post(WEBHOOK_PATH, data=kwargs.pop("data"), headers=headers)
    return await client.post(WEBHOOK_PATH, json=update, headers=headers)


async def rows(db: AsyncEngine, table: Any) -> list[Any]:
    async with db.connect() as conn:
        return list((await conn.execute(select(table).order_by(table.c.id))).all())


def jpeg(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(out, format="JPEG")
    return out.getvalue()


# --- configuration ----------------------------------------------------------------------------
def test_telegram_on_without_bot_token_names_the_variable(tmp_path: Path) -> None:
    cfg = telegram_config(tmp_path, rasa_url="http://r", actions_url="http://a", token=None)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        enabled_channels(cfg)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_app(cfg)


def test_webhook_mode_without_secret_token_names_the_variable(tmp_path: Path) -> None:
    cfg = telegram_config(
        tmp_path, rasa_url="http://r", actions_url="http://a", secret=None, telegram_mode="webhook"
    )
    with pytest.raises(ConfigError, match="TELEGRAM_SECRET_TOKEN"):
        TelegramAdapter(cfg)
    with pytest.raises(ConfigError, match="TELEGRAM_SECRET_TOKEN"):
        build_app(cfg)


@pytest.mark.parametrize(
    ("mode", "secret", "expected"),
    [
        ("auto", SECRET, "webhook"),
        ("auto", None, "polling"),
        ("polling", SECRET, "polling"),
        ("webhook", SECRET, "webhook"),
    ],
)
def test_mode_follows_config_and_secret(
    tmp_path: Path, mode: str, secret: str | None, expected: str
) -> None:
    cfg = telegram_config(
        tmp_path, rasa_url="http://r", actions_url="http://a", secret=secret, telegram_mode=mode
    )
    assert TelegramSettings.from_config(cfg).mode == expected


@pytest.mark.parametrize(
    ("channels", "secret", "api_url", "needle"),
    [
        ({"telegram_mode": "hook"}, SECRET, "http://127.0.0.1:9", "telegram_mode"),
        ({}, "has spaces and ünïcode", "http://127.0.0.1:9", "TELEGRAM_SECRET_TOKEN"),
        ({"telegram_max_text_chars": 5000}, SECRET, "http://127.0.0.1:9", "max_text_chars"),
        ({}, SECRET, "api.telegram.org", "TELEGRAM_API_BASE_URL"),
    ],
)
def test_bad_settings_are_named(
    tmp_path: Path, channels: dict[str, Any], secret: str, api_url: str, needle: str
) -> None:
    cfg = telegram_config(
        tmp_path, rasa_url="http://r", actions_url="http://a", secret=secret, api_url=api_url,
        **channels,
    )  # fmt: skip
    with pytest.raises(ConfigError, match=needle):
        TelegramSettings.from_config(cfg)


def test_default_api_is_telegrams(tmp_path: Path) -> None:
    cfg = load_config(path=tmp_path / "none.yml", env={"TELEGRAM_BOT_TOKEN": TOKEN})
    settings = TelegramSettings.from_config(cfg)
    assert settings.api_root == "https://api.telegram.org"
    assert settings.mode == "polling"


def test_backoff_doubles_and_stays_capped_after_any_number_of_failures(tmp_path: Path) -> None:
    cfg = telegram_config(tmp_path, rasa_url="http://r", actions_url="http://a")
    settings = TelegramSettings.from_config(cfg)  # FAST: 0.05 s doubling, at most 0.2 s
    assert [settings.backoff(n) for n in (0, 1, 2, 3, 4)] == [0.05, 0.05, 0.1, 0.2, 0.2]
    # Polling that keeps failing for days: 2**1024 would overflow float arithmetic.
    for failures in (1025, 5000, 10**9):
        assert settings.backoff(failures) == 0.2


async def test_rejected_token_stops_start_up_naming_it(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str, tg: FakeTelegram
) -> None:
    cfg = telegram_config(
        tmp_path, rasa_url=fake_rasa.url, actions_url=actions_url, api_url=tg.url, token="9:wrong"
    )
    client: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        await client.start_server()
    await client.close()


# --- pure parts -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-hans", "zh"), ("zh", "zh"), ("ZH-TW", "zh"), ("en", "en"), ("en-GB", "en"),
     ("de", None), (None, None), ("", None)],
)  # fmt: skip
def test_language_hint(code: str | None, expected: str | None) -> None:
    assert language_hint(code) == expected


def _update(data: dict[str, Any]) -> Update:
    return parse_update(data)


@pytest.mark.parametrize(
    "data",
    [
        {"update_id": 1, "edited_message": text_update(1, 5, "edited")["message"]},
        {"update_id": 2, "channel_post": {"message_id": 1, "date": 0,
                                          "chat": {"id": -100, "type": "channel"}, "text": "x"}},
        message_update(3, 5, sticker={"file_id": "s", "file_unique_id": "s", "width": 1,
                                      "height": 1, "is_animated": False, "is_video": False,
                                      "type": "regular"}),
        {"update_id": 4, "poll": {"id": "p", "question": "?", "options": [], "total_voter_count": 0,
                                  "is_closed": False, "is_anonymous": True, "type": "regular",
                                  "allows_multiple_answers": False}},
        {"update_id": 5, "message": {**text_update(5, 5, "hi group")["message"],
                                     "chat": {"id": -42, "type": "group", "title": "g"}}},
        {"update_id": 6, "message": {**text_update(6, 5, "beep")["message"],
                                     "from": {"id": 5, "is_bot": True, "first_name": "b"}}},
        {"update_id": 7, "callback_query": {**callback_update(7, 5, "x")["callback_query"],
                                            "data": None, "game_short_name": "g"}},
        text_update(8, 5, "   "),
        {"update_id": 9},
    ],
)  # fmt: skip
def test_updates_the_assistant_ignores(data: dict[str, Any]) -> None:
    assert read_update(_update(data)) is None


@pytest.mark.parametrize(
    ("text", "command", "kept"),
    [
        ("/start", "start", "/start"),
        ("/start ref42", "start", "/start ref42"),
        ("/help@demo_shop_bot", "help", "/help@demo_shop_bot"),
        ("/HELP", "help", "/HELP"),
        ("  where is my order  ", None, "where is my order"),
        ('/inform{"x": 1}', None, '/inform{"x": 1}'),
    ],
)
def test_text_and_commands(text: str, command: str | None, kept: str) -> None:
    inbound = read_update(_update(text_update(10, 77, text, language_code="zh-hans")))
    assert inbound is not None
    assert (inbound.command, inbound.text) == (command, kept)
    assert (inbound.external_id, inbound.chat_id, inbound.language_code) == ("77", 77, "zh-hans")


def test_photo_takes_the_largest_size_and_caption() -> None:
    data = photo_update(11, 77, [("s", 90, 60), ("l", 1280, 960), ("m", 320, 240)], "破了")
    inbound = read_update(_update(data))
    assert inbound is not None and inbound.photo is not None
    assert (inbound.photo.file_id, inbound.text, inbound.command) == ("l", "破了", None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"message": {}}, "update_id"),
        ({"update_id": "7"}, "update_id"),
        ({"update_id": True}, "update_id"),
        ({"update_id": -1}, "update_id"),
        ({"update_id": 1, "message": "text"}, "body"),
        ({"update_id": 1, "message": {"message_id": 1, "date": "yesterday"}}, "body"),
        ({"update_id": 1, "callback_query": {"id": "q", "from": {"id": 1}}}, "body"),
    ],
)
def test_malformed_updates_name_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(MalformedUpdate) as err:
        parse_update(data)
    assert err.value.field == field


def test_message_without_chat_is_malformed() -> None:
    update = parse_update({"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x"}})
    with pytest.raises(MalformedUpdate, match="chat"):
        read_update(update)


CARD = ProductCard(
    id="P0001", name="SoundPods Pro", price=399.0, rating=4.7, stock=3,
    image="/products/P0001.svg", payload='/product_inquiry{"product":"P0001"}',
)  # fmt: skip


@pytest.mark.parametrize(
    ("message", "lang", "expected"),
    [
        (OutgoingMessage(text="hi"), "en", [TextPart("hi")]),
        (
            OutgoingMessage(text="First sentence. Second sentence.", buttons=(Button("A", "/a"),)),
            "en",
            [TextPart("First sentence."), TextPart("Second sentence.", (Button("A", "/a"),))],
        ),
        (OutgoingMessage(buttons=(Button("是", "/affirm"),)), "zh",
         [TextPart("请选择：", (Button("是", "/affirm"),))]),
        (OutgoingMessage(image="https://cdn.example/p.jpg"), "en",
         [PhotoPart("https://cdn.example/p.jpg")]),
        (OutgoingMessage(custom={"type": "product_cards", "products": [
            {"id": "P0001", "name": "SoundPods Pro", "price": 399.0, "rating": 4.7,
             "image": "/products/P0001.svg", "payload": '/product_inquiry{"product":"P0001"}'},
            {"id": "P0002", "name": "No picture", "price_text": "¥5.00"},
        ]}), "zh", [
            PhotoPart("/products/P0001.svg", "SoundPods Pro\n¥399.00 · ★ 4.7",
                      (Button("查看详情", '/product_inquiry{"product":"P0001"}'),)),
            TextPart("No picture\n¥5.00"),
        ]),
        (OutgoingMessage(custom={"type": "something_else"}), "en", []),
    ],
)  # fmt: skip
def test_plan_parts(message: OutgoingMessage, lang: Any, expected: list[Any]) -> None:
    assert plan_parts(message, lang, 20) == expected


def test_card_caption_stock_and_limit() -> None:
    sold_out = ProductCard(id="P9", name="Kettle", price=59.5, stock=0)
    assert card_caption(sold_out, "en") == "Kettle\n¥59.50 · Out of stock"
    assert card_caption(sold_out, "zh") == "Kettle\n¥59.50 · 暂时缺货"
    long = ProductCard(id="P9", name="x" * 2000)
    assert len(card_caption(long, "en")) == 1024


@pytest.mark.parametrize(
    ("exc", "permanent", "retry_after"),
    [
        (RetryAfter(7), False, 7.0),
        (Forbidden("Forbidden: bot was blocked by the user"), True, None),
        (BadRequest("Bad Request: chat not found"), True, None),
        (ChatMigrated(-1001), True, None),
        (TimedOut(), False, None),
        (NetworkError("Internal Server Error (500)"), False, None),
    ],
)
def test_delivery_errors(exc: Exception, permanent: bool, retry_after: float | None) -> None:
    error = delivery_error(exc)  # type: ignore[arg-type]
    assert (error.permanent, error.retry_after) == (permanent, retry_after)


def test_help_text_is_bilingual_customer_language_first() -> None:
    zh = help_text("zh", "Demo Shop", "演示商店")
    en = help_text("en", "Demo Shop", "演示商店")
    assert zh.startswith("我是演示商店") and "I'm the Demo Shop assistant" in zh
    assert en.startswith("I'm the Demo Shop assistant") and "我是演示商店" in en
    assert set(HELP_TEXT) == {"zh", "en"}


async def test_callback_tokens_survive_a_new_codec(engine: AsyncEngine) -> None:
    long_payload = '/product_inquiry{"product":"P0001","variant":"' + "黑色" * 20 + '"}'
    codec = CallbackCodec(ButtonStore(engine))
    short = '/inform{"order_id":"260315004217"}'
    assert await codec.encode(short) == short
    token = await codec.encode(long_payload)
    assert token == callback_token(long_payload) == await codec.encode(long_payload)
    assert token.startswith("#") and len(token.encode()) <= MAX_CALLBACK_BYTES
    plain = await codec.encode("yes")  # a payload Rasa sends without "/" comes back as text
    fresh = CallbackCodec(ButtonStore(engine))  # a restarted gateway
    assert await fresh.decode(token) == long_payload
    assert await fresh.decode(plain) == "yes"
    assert await fresh.decode(short) == short
    assert await fresh.decode("#unknownTokenxxxxxxxx") is None
    assert await fresh.decode("other-bot-data") is None


async def test_product_png(engine: AsyncEngine) -> None:
    product = await get_product(engine, "P0001")
    assert product is not None
    data = render_product_png(product)
    assert data.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(data)).size == (400, 400)


# --- webhook: round trips ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code", "answer", "lang"),
    [("where is my order", "en", EN_ORDER, "en"), ("我的订单到哪了", "zh-hans", ZH_ORDER, "zh")],
)
async def test_webhook_round_trip(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa,
    text: str, code: str, answer: str, lang: str,
) -> None:  # fmt: skip
    client = await gateway()
    response = await post(client, text_update(100, 501, text, language_code=code))
    assert response.status == 200
    assert (await response.json())["outcome"] == "queued"
    await eventually(lambda: tg.ok("sendPhoto"), "the photo")
    [message] = tg.ok("sendMessage")
    assert message.params["chat_id"] == 501 and message.params["text"] == answer
    assert message.callback_data == [ORDER_BUTTON["payload"]]
    assert message.button_titles == [ORDER_BUTTON["title"]]
    [photo] = tg.ok("sendPhoto")
    assert photo.files["photo"].startswith(PNG_MAGIC)  # the SVG picture, uploaded as PNG
    assert message.at <= photo.at
    [request] = fake_rasa.requests
    assert request["sender"] == "telegram:501" and request["message"] == text
    assert request["metadata"]["language"] == lang


async def test_button_press_becomes_a_payload_and_is_answered(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    update = callback_update(101, 502, ORDER_BUTTON["payload"])
    for _ in range(2):  # Telegram delivers the press again: handled once
        assert (await post(client, update)).status == 200
    await eventually(lambda: tg.ok("sendMessage"), "the answer")
    await settle()
    assert fake_rasa.messages() == [ORDER_BUTTON["payload"]]
    assert tg.sent_texts() == [f"You picked {ORDER_BUTTON['payload']}"]
    [answer] = tg.ok("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "cq-101"


async def test_long_payload_goes_as_token_and_works_after_restart(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    long_payload = '/choose_variant{"product":"P0001","color":"' + "午夜黑" * 12 + '"}'
    assert len(long_payload.encode()) > MAX_CALLBACK_BYTES
    fake_rasa.reply = lambda body: [
        {"text": "Pick a colour", "buttons": [{"title": "午夜黑", "payload": long_payload}]}
    ]
    first = await gateway()
    await post(first, text_update(102, 503, "colours?"))
    await eventually(lambda: tg.ok("sendMessage"), "the buttons")
    [data] = tg.ok("sendMessage")[0].callback_data
    assert data.startswith("#") and len(data.encode()) <= MAX_CALLBACK_BYTES
    await first.close()

    fake_rasa.reply = lambda body: [{"text": f"got {body['message']}"}]
    second = await gateway()
    await post(second, callback_update(103, 503, data))
    await eventually(lambda: len(tg.ok("sendMessage")) == 2, "the answer to the press")
    assert fake_rasa.messages()[-1] == long_payload


async def test_unknown_button_token_is_answered_not_processed(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    response = await post(
        client, callback_update(104, 504, "#notAtokenWeKnow00000", language_code="zh")
    )
    assert (await response.json())["outcome"] == "ignored"
    await eventually(lambda: tg.ok("answerCallbackQuery"), "the callback answer")
    assert "失效" in tg.ok("answerCallbackQuery")[0].params["text"]
    assert fake_rasa.requests == []


async def test_product_cards_are_photos_with_caption_and_button(
    gateway: Gateway, tg: FakeTelegram
) -> None:
    client = await gateway()
    await post(client, text_update(105, 505, "show me a card"))
    await eventually(lambda: tg.ok("sendPhoto"), "the card")
    assert tg.sent_texts() == ["Here you go"]
    [card] = tg.ok("sendPhoto")
    product = cast(list[dict[str, Any]], PRODUCT_CARDS["products"])[0]
    assert card.params["caption"] == f"{product['name']}\n¥399.00 · ★ 4.7"
    assert card.callback_data == [product["payload"]]
    assert card.button_titles == ["Details"]
    assert card.files["photo"].startswith(PNG_MAGIC)


async def test_absolute_image_url_is_passed_as_is(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = lambda body: [{"image": "https://cdn.example.com/p/1.jpg"}]
    client = await gateway()
    await post(client, text_update(106, 506, "picture please"))
    await eventually(lambda: tg.ok("sendPhoto"), "the photo")
    [photo] = tg.ok("sendPhoto")
    assert photo.params["photo"] == "https://cdn.example.com/p/1.jpg" and photo.files == {}


async def test_photo_telegram_cannot_take_falls_back_to_text(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = lambda body: [{"custom": PRODUCT_CARDS}]
    tg.fail("sendPhoto", 400, description="Bad Request: wrong type of the web page content")
    client = await gateway()
    await post(client, text_update(107, 507, "cards"))
    await eventually(lambda: tg.ok("sendMessage"), "the caption as text")
    [message] = tg.ok("sendMessage")
    assert message.params["text"].startswith("SoundPods Pro wireless earbuds\n¥399.00")
    assert message.callback_data == ['/product_inquiry{"product":"P0001"}']


async def test_customer_photo_is_stored_and_passed_on(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    big, small = jpeg((10, 200, 10)), jpeg((0, 0, 0))
    tg.add_file("ph-big", big)
    tg.add_file("ph-small", small)
    client = await gateway()
    sizes = [("ph-small", 90, 67), ("ph-big", 1280, 960)]
    response = await post(client, photo_update(108, 508, sizes, caption="the lid is broken"))
    assert response.status == 200
    await eventually(lambda: fake_rasa.requests, "Rasa to get the message")
    [request] = fake_rasa.requests
    assert request["message"] == "the lid is broken"
    [attachment] = request["metadata"]["attachments"]
    assert attachment["kind"] == "image" and attachment["mime_type"] == "image/jpeg"
    assert attachment["url"].startswith("/media/")
    stored = tmp_path / "media" / attachment["url"].removeprefix("/media/")
    assert stored.read_bytes() == big
    assert [c.params["file_id"] for c in tg.ok("getFile")] == ["ph-big"]
    served = await client.get(attachment["url"])
    assert served.status == 200 and await served.read() == big


async def test_photo_without_caption_answers_the_question(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    tg.add_file("ph-1", jpeg())
    client = await gateway()
    await post(client, photo_update(109, 509, [("ph-1", 800, 600)]))
    await eventually(lambda: fake_rasa.requests, "Rasa to get the photo")
    assert fake_rasa.requests[0]["message"] == "/inform"
    assert len(fake_rasa.requests[0]["metadata"]["attachments"]) == 1


async def test_photo_download_failure_asks_telegram_to_retry(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    tg.add_file("ph-2", jpeg())
    tg.fail("getFile", 500)
    client = await gateway()
    update = photo_update(110, 510, [("ph-2", 800, 600)], caption="broken")
    first = await post(client, update)
    assert first.status == 503 and "photo" in (await first.json())["error"]
    assert (await post(client, update)).status == 200  # Telegram's redelivery
    await eventually(lambda: fake_rasa.requests, "Rasa to get the photo")
    await settle(0.2)
    assert len(fake_rasa.requests) == 1


# --- commands -----------------------------------------------------------------------------------
async def test_start_greets_through_rasa(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await post(client, text_update(111, 511, "/start"))
    await eventually(lambda: tg.ok("sendMessage"), "the greeting")
    assert fake_rasa.messages() == ["/greet"]
    assert tg.sent_texts() == ["You picked /greet"]


async def test_start_in_a_chinese_conversation_is_answered_in_chinese(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await post(client, text_update(112, 512, "你好", language_code="zh-hans"))
    await eventually(lambda: tg.ok("sendPhoto"), "the first answer")
    await post(client, text_update(113, 512, "/start", language_code="zh-hans"))
    await eventually(lambda: "已收到：/greet" in tg.sent_texts(), "the Chinese greeting")


async def test_first_start_of_a_chinese_user_is_answered_in_chinese(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await post(client, text_update(114, 513, "/start", language_code="zh-hans"))
    await eventually(lambda: tg.ok("sendMessage"), "the greeting")
    assert tg.sent_texts() == ["已收到：/greet"]


@pytest.mark.parametrize(("code", "first"), [("zh-hans", "我是"), ("en", "I'm the")])
async def test_help_is_bilingual_without_rasa_and_once(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine,
    code: str, first: str,
) -> None:  # fmt: skip
    client = await gateway()
    update = text_update(115, 514, "/help", language_code=code)
    assert (await (await post(client, update)).json())["outcome"] == "answered"
    assert (await (await post(client, update)).json())["outcome"] == "duplicate"
    await post(client, text_update(116, 514, "/whatever", language_code=code))  # unknown command
    await eventually(lambda: len(tg.ok("sendMessage")) == 2, "the help texts")
    await settle()
    texts = tg.sent_texts()
    assert len(texts) == 2 and texts[0] == texts[1]
    assert texts[0].startswith(first) and "/help" in texts[0]
    assert "我是" in texts[0] and "I'm the" in texts[0]
    assert fake_rasa.requests == []
    assert [r.status for r in await rows(engine, inbox)] == ["done", "done"]


# --- duplicates, ignored updates, bad requests ------------------------------------------------
async def test_repeated_update_id_is_handled_once(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    update = text_update(120, 520, "where is my order")
    outcomes = [(await (await post(client, update)).json())["outcome"] for _ in range(3)]
    assert outcomes == ["queued", "duplicate", "duplicate"]
    await eventually(lambda: tg.ok("sendPhoto"), "the answer")
    await settle()
    assert len(fake_rasa.requests) == 1
    assert tg.sent_texts() == [EN_ORDER]


IGNORED_UPDATES: list[dict[str, Any]] = [
    {"update_id": 130, "edited_message": text_update(130, 530, "edited")["message"]},
    {"update_id": 131, "channel_post": {"message_id": 1, "date": 0,
                                        "chat": {"id": -100, "type": "channel"}, "text": "x"}},
    message_update(132, 530, sticker={"file_id": "s", "file_unique_id": "s", "width": 1,
                                      "height": 1, "is_animated": False, "is_video": False,
                                      "type": "regular"}),
    {"update_id": 133, "poll": {"id": "p", "question": "?", "options": [],
                                "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
                                "type": "regular", "allows_multiple_answers": False}},
    {"update_id": 134, "message": {**text_update(134, 530, "group")["message"],
                                   "chat": {"id": -42, "type": "supergroup", "title": "g"}}},
    {"update_id": 135, "my_chat_member": {"chat": {"id": 530, "type": "private"}}},
    {"update_id": 136, "message_reaction": {"future": "fields the library cannot read"}},
]  # fmt: skip


async def test_other_update_kinds_are_acknowledged_and_ignored(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    for update in IGNORED_UPDATES:
        response = await post(client, update)
        assert response.status == 200, update
        assert (await response.json())["outcome"] == "ignored", update
    await settle(0.2)
    assert fake_rasa.requests == [] and await rows(engine, inbox) == []
    assert not tg.ok("sendMessage")


async def test_bad_secret_token_is_refused(
    gateway: Gateway, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    for secret, status in [(None, 401), ("wrong", 403), ("", 403), (SECRET + "x", 403),
                           (SECRET[:-1], 403), ("ünïcode", 403)]:  # fmt: skip
        response = await post(client, text_update(140, 540, "hi"), secret=secret)
        assert response.status == status, secret
        assert SECRET_HEADER in (await response.json())["error"]
    assert await rows(engine, inbox) == [] and fake_rasa.requests == []


MALFORMED_BODIES = [
    (b"{not json", "application/json", "body"),
    (b"", "application/json", "body"),
    (b"[1, 2]", "application/json", "body"),
    (b'{"update_id": "1"}', "application/json", "update_id"),
    (b'{"message": {"text": "hi"}}', "application/json", "update_id"),
    (b'{"update_id": 1, "message": "hi"}', "application/json", "body"),
    (b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "x"}}',
     "application/json", "message.chat"),
    (b"\xff\xfe{", "application/json", "body"),
    (b"update_id=1", "application/x-www-form-urlencoded", "Content-Type"),
]  # fmt: skip


async def test_malformed_bodies_get_400_naming_the_field(
    gateway: Gateway, engine: AsyncEngine, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    for body, content_type, field in MALFORMED_BODIES:
        response = await post(client, None, data=body, content_type=content_type)
        assert response.status == 400, body
        error = await response.json()
        assert error["field"] == field and error["error"], body
    assert await rows(engine, inbox) == [] and fake_rasa.requests == []


# --- delivery: platform errors, Rasa outage, restart ------------------------------------------
async def test_platform_500_then_recovery_delivers_exactly_once(
    gateway: Gateway, tg: FakeTelegram
) -> None:
    tg.fail("sendMessage", 500, times=2)
    client = await gateway()
    await post(client, text_update(150, 550, "where is my order"))
    await eventually(lambda: tg.ok("sendPhoto"), "the delivery after the errors")
    await settle()
    assert [c.status for c in tg.calls_to("sendMessage")] == [500, 500, 200]
    assert tg.sent_texts() == [EN_ORDER]
    assert len(tg.ok("sendPhoto")) == 1


async def test_failure_halfway_through_a_split_text_repeats_nothing(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = lambda body: [{"text": "One sentence here. Another one there. A third."}]
    tg.fail("sendMessage", 502, after=1)  # the second piece fails once
    client = await gateway(telegram_max_text_chars=20)
    await post(client, text_update(151, 551, "long answer please"))
    await eventually(lambda: len(tg.ok("sendMessage")) == 3, "all three pieces")
    await settle()
    assert tg.sent_texts() == ["One sentence here.", "Another one there.", "A third."]


async def test_rate_limit_waits_retry_after(gateway: Gateway, tg: FakeTelegram) -> None:
    tg.fail("sendMessage", 429, retry_after=1)
    client = await gateway()
    await post(client, text_update(152, 552, "where is my order"))
    await eventually(lambda: tg.ok("sendMessage"), "the delivery after the flood wait")
    limited, delivered = tg.calls_to("sendMessage")
    assert limited.status == 429 and delivered.status == 200
    assert delivered.at - limited.at >= 0.95  # not the 0.05 s backoff of the config
    assert tg.sent_texts() == [EN_ORDER]


async def test_blocked_bot_gives_up_at_once(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.reply = lambda body: [{"text": "hello"}]
    tg.fail("sendMessage", 403, times=5)
    client = await gateway()
    await post(client, text_update(153, 553, "hi"))
    await eventually(lambda: tg.calls_to("sendMessage"), "the attempt")
    await settle()
    assert len(tg.calls_to("sendMessage")) == 1
    [row] = await rows(engine, outbox)
    assert (row.status, row.attempts) == ("dead", 1)
    assert "blocked" in row.last_error


async def test_rasa_down_then_up_holding_reply_then_answer_once(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    fake_rasa.status = 503
    client = await gateway()
    await post(client, text_update(160, 560, "我的订单到哪了", language_code="zh-hans"))
    await eventually(lambda: tg.ok("sendMessage"), "the holding reply")
    assert tg.sent_texts() == [HOLDING_TEXT["zh"]]
    fake_rasa.status = 200
    await eventually(lambda: tg.ok("sendPhoto"), "the real answer")
    await settle()
    assert tg.sent_texts() == [HOLDING_TEXT["zh"], ZH_ORDER]


async def test_restart_between_receiving_and_answering(
    tmp_path: Path, fake_rasa: FakeRasa, actions_url: str, tg: FakeTelegram
) -> None:
    db_file = tmp_path / "restart.db"
    url = f"sqlite+aiosqlite:///{db_file}"
    cfg = telegram_config(
        tmp_path, rasa_url=fake_rasa.url, actions_url=actions_url, api_url=tg.url,
        db_file=db_file, telegram_mode="webhook",
    )  # fmt: skip
    first_db = create_engine(url)
    await seed_shop(first_db)
    fake_rasa.status = 503
    first: Client = TestClient(TestServer(build_app(cfg, engine=first_db)))
    await first.start_server()
    response = await post(first, text_update(170, 570, "where is my order"))
    assert response.status == 200
    await eventually(lambda: tg.ok("sendMessage"), "the holding reply")
    await first.close()
    await first_db.dispose()

    fake_rasa.status = 200
    second_db = create_engine(url)
    second: Client = TestClient(TestServer(build_app(cfg, engine=second_db)))
    await second.start_server()
    try:
        await eventually(lambda: tg.ok("sendPhoto"), "the answer after the restart")
        await settle()
    finally:
        await second.close()
        await second_db.dispose()
    assert tg.sent_texts() == [HOLDING_TEXT["en"], EN_ORDER]
    user_turns = [e for e in fake_rasa.trackers["telegram:570"] if e["event"] == "user"]
    assert len(user_turns) == 1


async def test_shutdown_lets_a_message_being_sent_finish(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    fake_rasa.reply = lambda body: [{"text": "on its way"}]
    tg.slow["sendMessage"] = 0.4
    client = await gateway()
    await post(client, text_update(175, 575, "hi"))
    await eventually(lambda: "sendMessage" in tg.received, "the send to start")
    await client.close()  # while Telegram is still answering
    assert tg.sent_texts() == ["on its way"]
    [row] = await rows(engine, outbox)
    assert row.status == "sent"  # not sent again after the restart


# --- webhook registration and polling ----------------------------------------------------------
async def test_webhook_is_registered_with_public_url_and_secret(
    gateway: Gateway, tg: FakeTelegram
) -> None:
    await gateway(public_url="https://shop.example.com/")
    await eventually(lambda: tg.webhook is not None, "setWebhook")
    assert tg.webhook is not None
    assert tg.webhook["url"] == "https://shop.example.com/webhooks/telegram"
    assert tg.webhook["secret_token"] == SECRET
    assert tg.webhook["allowed_updates"] == ["message", "callback_query"]
    assert not tg.calls_to("getUpdates")


async def test_webhook_without_public_url_is_not_registered(
    gateway: Gateway, tg: FakeTelegram
) -> None:
    await gateway()
    await settle(0.2)
    assert not tg.calls_to("setWebhook") and not tg.calls_to("getUpdates")


@pytest.mark.parametrize(
    ("text", "code", "answer"),
    [("where is my order", "en", EN_ORDER), ("我的订单到哪了", "zh-hans", ZH_ORDER)],
)
async def test_polling_round_trip(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa, text: str, code: str, answer: str
) -> None:
    client = await gateway(telegram_mode="polling")
    tg.push_update(text_update(200, 600, text, language_code=code))
    await eventually(lambda: tg.ok("sendPhoto"), "the answer")
    assert tg.sent_texts() == [answer]
    assert tg.calls_to("deleteWebhook")[0].at < tg.calls_to("getUpdates")[0].at
    await eventually(lambda: any(c.params.get("offset") == 201 for c in tg.ok("getUpdates")),
                     "the offset to move past the update")  # fmt: skip
    assert (await client.post(WEBHOOK_PATH, json={})).status == 404  # no webhook in this mode


async def test_polling_handles_a_redelivered_update_once_and_buttons(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    await gateway(telegram_mode="polling")
    tg.push_update(text_update(210, 610, "where is my order"))
    tg.push_update(text_update(210, 610, "where is my order"))  # the same update again
    tg.push_update(callback_update(211, 610, ORDER_BUTTON["payload"]))
    await eventually(lambda: tg.ok("answerCallbackQuery"), "the button press")
    await eventually(lambda: len(tg.ok("sendMessage")) == 2, "both answers")
    await settle()
    assert fake_rasa.messages() == ["where is my order", ORDER_BUTTON["payload"]]
    assert tg.sent_texts() == [EN_ORDER, f"You picked {ORDER_BUTTON['payload']}"]


async def test_polling_survives_errors_with_backoff(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    tg.fail("deleteWebhook", 502)
    tg.fail("getUpdates", 500, times=2)
    await gateway(telegram_mode="polling")
    tg.push_update(text_update(220, 620, "where is my order"))
    await eventually(lambda: tg.ok("sendPhoto"), "the answer after the errors")
    statuses = [c.status for c in tg.calls_to("getUpdates")]
    assert statuses[:3] == [500, 500, 200]
    assert [c.status for c in tg.calls_to("deleteWebhook")] == [502, 200]


async def test_polling_skips_an_update_the_library_cannot_read(
    gateway: Gateway, tg: FakeTelegram, fake_rasa: FakeRasa
) -> None:
    await gateway(telegram_mode="polling")
    unreadable = text_update(230, 630, "hello")
    unreadable["message"]["date"] = "yesterday"
    tg.push_update(unreadable)
    tg.push_update(text_update(231, 630, "where is my order"))
    await eventually(lambda: tg.ok("sendPhoto"), "the answer to the readable update")
    assert fake_rasa.messages() == ["where is my order"]
    await eventually(
        lambda: any(c.params.get("offset") == 232 for c in tg.ok("getUpdates")), "the offset"
    )


async def test_polling_stops_cleanly_on_shutdown(gateway: Gateway, tg: FakeTelegram) -> None:
    client = await gateway(telegram_mode="polling")
    await eventually(lambda: tg.calls_to("getUpdates"), "polling to start")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await client.close()
    assert loop.time() - started < 2.0
    count = len(tg.calls_to("getUpdates"))
    await settle(0.3)
    assert len(tg.calls_to("getUpdates")) == count

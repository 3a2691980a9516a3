"""The WeChat channel over real HTTP: signed and AES-encrypted webhook requests against the real
gateway app, a fake Rasa, and a fake WeChat API (tokens, customer-service messages, media)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.wechat import media as wechat_media
from adapters.wechat.adapter import WeChatAdapter
from adapters.wechat.client import WeChatApi
from adapters.wechat.crypto import WeChatCipher, decode_aes_key, wechat_signature
from adapters.wechat.inbound import parse_xml
from bot.config import Config, ConfigError, load_config
from bot.core.outbox import DeliveryError
from bot.core.pipeline import HOLDING_TEXT
from bot.gateway.__main__ import build_app
from bot.storage.schema import outbox
from tests.adapters.fake_wechat import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    APP_SECRET,
    JPEG_BYTES,
    PNG_1PX,
    TOKEN,
    FakeWeChat,
    WeChatClient,
    cdata,
    encrypt,
    sign,
)
from tests.gateway.fake_rasa import FakeActionServer, FakeRasa, scripted_reply

Client = TestClient[Any, Any]
FAST_DELIVERY = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
URL = "/webhooks/wechat"


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def actions_url() -> AsyncIterator[str]:
    fake = FakeActionServer()
    yield await fake.start()
    await fake.stop()


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat()
    await fake.start()
    yield fake
    await fake.stop()


def wechat_config(
    tmp_path: Path,
    *,
    rasa_url: str = "http://127.0.0.1:9",
    actions_url: str = "http://127.0.0.1:9",
    api_url: str = "",
    env: dict[str, str] | None = None,
    **channels: Any,
) -> Config:
    """A Config with the WeChat channel on; secrets as WeChat's admin page would give them."""
    secrets = {"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": APP_SECRET}
    secrets.update(env or {})
    overrides: dict[str, dict[str, Any]] = {
        "rasa": {"url": rasa_url, "timeout_s": 5},
        "actions": {"url": actions_url},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"},
        "channels": {
            "wechat": "on",
            "wechat_api_base_url": api_url,
            "media_dir": str(tmp_path / "media"),
            **channels,
        },
        "delivery": FAST_DELIVERY,
    }
    env_vars = {k: v for k, v in secrets.items() if v}
    return load_config(path=tmp_path / "no-config.yml", env=env_vars, overrides=overrides)


@dataclass
class Gateway:
    http: Client
    wechat: WeChatClient

    async def post(self, xml: str | bytes, **kwargs: Any) -> tuple[int, str]:
        query, body = self.wechat.request(xml, **kwargs)
        return await self.post_raw(query, body)

    async def post_raw(self, query: dict[str, str], body: bytes) -> tuple[int, str]:
        resp = await self.http.post(
            URL, params=query, data=body, headers={"Content-Type": "text/xml"}
        )
        return resp.status, await resp.text()

    async def say(self, openid: str, text: str, **kwargs: Any) -> dict[str, str] | None:
        """Send a text message; the passive reply's fields, or None for ``success``."""
        status, body = await self.post(self.wechat.text_xml(openid, text, **kwargs))
        assert status == 200, body
        return self.wechat.read_reply(body)

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
def fake_picture_host(monkeypatch: pytest.MonkeyPatch, fake_wechat: FakeWeChat) -> None:
    """The fake WeChat on 127.0.0.1 (plain http) stands in for WeChat's picture CDN."""
    authority = fake_wechat.url.split("://", 1)[1]
    monkeypatch.setattr(wechat_media, "PICTURE_HOSTS", frozenset({authority}))
    monkeypatch.setattr(wechat_media, "PICTURE_SCHEMES", frozenset({"http", "https"}))


MakeGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def make_gateway(
    tmp_path: Path,
    engine: AsyncEngine,
    fake_rasa: FakeRasa,
    actions_url: str,
    fake_wechat: FakeWeChat,
) -> AsyncIterator[MakeGateway]:
    """Factory: a gateway on loopback; ``safe=True`` for AES mode, channel settings as kwargs."""
    gateways: list[Gateway] = []

    async def make(
        *, safe: bool = False, env: dict[str, str] | None = None, **channels: Any
    ) -> Gateway:
        env = dict(env or {})
        if safe:
            env.setdefault("WECHAT_AES_KEY", AES_KEY)
        cfg = wechat_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            api_url=fake_wechat.url,
            env=env,
            **channels,
        )
        http: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
        await http.start_server()
        gateway = Gateway(http, WeChatClient(aes_key=AES_KEY if safe else None))
        gateways.append(gateway)
        return gateway

    yield make
    for gateway in gateways:
        await gateway.close()


async def eventually(check: Callable[[], bool], within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def settle() -> None:
    """Long enough for several worker rounds: a duplicate delivery would show up by then."""
    await asyncio.sleep(0.4)


async def outbox_rows(engine: AsyncEngine, conversation_id: str) -> list[Any]:
    async with engine.connect() as conn:
        query = select(outbox).where(outbox.c.conversation_id == conversation_id)
        return list((await conn.execute(query.order_by(outbox.c.id))).all())


def three_buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa answering texts with three buttons and payloads with a confirmation."""
    if str(body.get("message", "")).startswith("/"):
        return scripted_reply(body)
    zh = body.get("metadata", {}).get("language") == "zh"
    return [
        {
            "text": "请选择：" if zh else "Choose one:",
            "buttons": [
                {"title": "查订单" if zh else "Order status", "payload": "/order_status"},
                {"title": "退货" if zh else "Return", "payload": "/return_request"},
                {"title": "人工" if zh else "Human", "payload": "/request_human"},
            ],
        }
    ]


# --- URL verification -----------------------------------------------------------------------
async def test_url_verification(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    resp = await gw.http.get(URL, params=gw.wechat.verify_query("4ByGGj1234"))
    assert resp.status == 200
    assert await resp.text() == "4ByGGj1234"

    resp = await gw.http.get(URL, params=gw.wechat.verify_query("x", token="wrong-token"))
    assert resp.status == 403
    assert (await resp.json())["field"] == "signature"

    query = gw.wechat.verify_query("x")
    del query["signature"]
    resp = await gw.http.get(URL, params=query)
    assert resp.status == 403

    query = gw.wechat.verify_query("x")
    del query["echostr"]
    resp = await gw.http.get(URL, params=query)
    assert resp.status == 400
    assert (await resp.json())["field"] == "echostr"


# --- round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize(
    ("text", "expected", "header"),
    [
        ("我的订单到哪了", "请问是哪个订单？（我的订单到哪了）", "请回复数字选择："),
        ("where is my order", "Which order? (where is my order)", "Reply with a number:"),
    ],
    ids=["zh", "en"],
)
async def test_round_trip(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    safe: bool,
    text: str,
    expected: str,
    header: str,
) -> None:
    gw = await make_gateway(safe=safe, public_url="https://shop.example.com")
    reply = await gw.say("oUser_1", text)
    assert reply is not None
    assert reply["ToUserName"] == "oUser_1"
    assert reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text"
    assert reply["Content"] == (
        f"{expected}\n{header}\n1. 260315004217\n\nhttps://shop.example.com/products/P0001.svg"
    )
    [request] = fake_rasa.requests
    assert request["sender"] == "wechat:oUser_1"
    assert request["message"] == text
    assert request["metadata"]["language"] == ("zh" if header.startswith("请") else "en")
    assert fake_wechat.calls == []  # answered passively: no API call at all


async def test_reply_text_is_escaped_safely(make_gateway: MakeGateway, fake_rasa: FakeRasa) -> None:
    tricky = "a ]]> b <c/> & d \x01 </Content><Content>injected"
    fake_rasa.reply = lambda body: [{"text": tricky}]
    for safe in (False, True):
        gw = await make_gateway(safe=safe)
        reply = await gw.say(f"oEsc{int(safe)}", "hi")
        assert reply is not None
        assert reply["Content"] == tricky.replace("\x01", "")


async def test_product_cards_are_numbered_lines(
    make_gateway: MakeGateway, fake_rasa: FakeRasa
) -> None:
    gw = await make_gateway()
    reply = await gw.say("oCards", "推荐耳机")
    assert reply is not None
    assert reply["Content"] == (
        "为您推荐\n\n请回复数字选择：\n1. SoundPods Pro wireless earbuds · ¥399.00 · ★4.7"
    )
    await gw.say("oCards", "1")
    assert fake_rasa.messages()[-1] == '/product_inquiry{"product":"P0001"}'


# --- passive timeout and the customer-service API -------------------------------------------
async def test_slow_answer_gets_success_then_customer_service_message(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    gw = await make_gateway(wechat_passive_timeout_s=0.3)
    fake_rasa.hold = asyncio.Event()  # Rasa answers only when the test lets it
    reply = await gw.say("oSlow", "where is my order")
    assert reply is None  # "success", before Rasa answered
    assert fake_wechat.sent() == []
    fake_rasa.hold.set()
    await eventually(lambda: len(fake_wechat.sent()) == 1)
    await settle()
    [(touser, content)] = fake_wechat.sent()
    assert touser == "oSlow"
    assert content == "Which order? (where is my order)\nReply with a number:\n1. 260315004217"
    assert len(fake_wechat.token_calls()) == 1


@pytest.mark.parametrize("passive_timeout", [4.5, 0.0], ids=["passive", "customer_service"])
async def test_long_answer_is_split_by_utf8_bytes(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    passive_timeout: float,
) -> None:
    long_text = "".join(f"第{i}句：您的订单已经发货，预计三天内送达。" for i in range(120))
    assert len(long_text.encode()) > 3 * 2048
    fake_rasa.reply = lambda body: [{"text": long_text}]
    gw = await make_gateway(wechat_passive_timeout_s=passive_timeout)
    reply = await gw.say("oLong", "我的订单")
    parts = [reply["Content"]] if reply is not None else []
    assert (reply is not None) == (passive_timeout > 0)
    await eventually(lambda: "".join(parts + [c for _, c in fake_wechat.sent()]) == long_text)
    await settle()
    parts += [c for _, c in fake_wechat.sent()]
    assert "".join(parts) == long_text  # nothing lost, nothing twice
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert all(p.endswith("。") for p in parts)  # split at sentence ends


async def test_split_message_resumes_after_a_failed_part(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    """The second of three parts fails: the retry sends parts two and three, not one again."""
    long_text = "".join(f"Sentence number {i} of a long answer. " for i in range(150)).strip()
    fake_rasa.reply = lambda body: [{"text": long_text}]
    gw = await make_gateway(wechat_passive_timeout_s=0.0)
    fake_wechat.fail_next(1, status=500, after=1)
    await gw.say("oResume", "hello")
    await eventually(lambda: len(fake_wechat.sent()) >= 3)
    await settle()
    parts = [c for _, c in fake_wechat.sent()]
    assert len(parts) == 3
    assert " ".join(parts) == long_text


# --- numbered options -----------------------------------------------------------------------
@pytest.mark.parametrize("choice", ["2", "２", "第2个", " 2. "])
async def test_number_selects_the_option(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, choice: str
) -> None:
    fake_rasa.reply = three_buttons
    fake_rasa.intents = {"我要退货": "return_request"}  # what Rasa reads it as (a calm request)
    gw = await make_gateway()
    reply = await gw.say("oOpt", "我要退货")
    assert reply is not None
    assert reply["Content"] == "请选择：\n请回复数字选择：\n1. 查订单\n2. 退货\n3. 人工"
    reply = await gw.say("oOpt", choice)
    assert fake_rasa.messages()[-1] == "/return_request"
    assert reply is not None and reply["Content"] == "已收到：/return_request"
    # That answer had no options: a "2" now is text, not the old choice.
    await gw.say("oOpt", "2")
    assert fake_rasa.messages()[-1] == "2"


async def test_out_of_range_number_is_text(make_gateway: MakeGateway, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = three_buttons
    gw = await make_gateway()
    await gw.say("oRange", "help")
    await gw.say("oRange", "4")
    assert fake_rasa.messages()[-1] == "4"


async def test_options_from_customer_service_messages_number_across_the_answer(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    def buttons_then_cards(body: dict[str, Any]) -> list[dict[str, Any]]:
        if str(body.get("message", "")).startswith("/"):
            return scripted_reply(body)
        return [
            {
                "text": "Choose:",
                "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}],
            },
            scripted_reply({"message": "card", "metadata": {"language": "en"}})[1],
        ]

    fake_rasa.reply = buttons_then_cards
    gw = await make_gateway(wechat_passive_timeout_s=0.0)  # everything via the API
    assert await gw.say("oMulti", "hello") is None
    await eventually(lambda: len(fake_wechat.sent()) == 2)
    assert [c for _, c in fake_wechat.sent()] == [
        "Choose:\nReply with a number:\n1. A\n2. B",
        "Reply with a number:\n3. SoundPods Pro wireless earbuds · ¥399.00 · ★4.7",
    ]
    await gw.say("oMulti", "3")
    await eventually(lambda: fake_rasa.messages()[-1] == '/product_inquiry{"product":"P0001"}')


# --- images and events ----------------------------------------------------------------------
@pytest.mark.usefixtures("fake_picture_host")
async def test_image_from_pic_url_is_stored_and_passed_on(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat, tmp_path: Path
) -> None:
    fake_wechat.pictures["broken.jpg"] = JPEG_BYTES
    gw = await make_gateway()
    xml = gw.wechat.image_xml("oPic", pic_url=f"{fake_wechat.url}/pics/broken.jpg", media_id="M1")
    status, _ = await gw.post(xml)
    assert status == 200
    [request] = fake_rasa.requests
    assert request["message"] == "/inform"
    [attachment] = request["metadata"]["attachments"]
    assert attachment["kind"] == "image"
    assert attachment["mime_type"] == "image/jpeg"
    assert attachment["url"].startswith("/media/")
    stored = tmp_path / "media" / attachment["url"].removeprefix("/media/")
    assert stored.read_bytes() == JPEG_BYTES
    assert "/cgi-bin/media/get" not in fake_wechat.paths()  # PicUrl was enough
    resp = await gw.http.get(attachment["url"])  # the gateway serves it
    assert resp.status == 200 and await resp.read() == JPEG_BYTES


async def test_image_without_pic_url_comes_from_the_media_api(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    fake_wechat.media["MEDIA_9"] = PNG_1PX
    gw = await make_gateway()
    status, _ = await gw.post(gw.wechat.image_xml("oMedia", pic_url="", media_id="MEDIA_9"))
    assert status == 200
    [attachment] = fake_rasa.requests[0]["metadata"]["attachments"]
    assert attachment["mime_type"] == "image/png"
    assert fake_wechat.paths() == ["/cgi-bin/token", "/cgi-bin/media/get"]


@pytest.mark.usefixtures("fake_picture_host")
async def test_image_that_cannot_be_fetched_keeps_its_wechat_url(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    gw = await make_gateway()
    pic_url = f"{fake_wechat.url}/pics/gone.jpg"  # 404, and the media id is unknown too
    status, _ = await gw.post(gw.wechat.image_xml("oGone", pic_url=pic_url, media_id="NOPE"))
    assert status == 200
    [attachment] = fake_rasa.requests[0]["metadata"]["attachments"]
    assert attachment["url"] == pic_url


HOSTILE_PIC_URLS = [
    "http://127.0.0.1:5005/conversations/web:victim/tracker",  # Rasa's API
    "http://localhost:5055/webhook",  # the action server
    "https://127.0.0.1/pics/x.jpg",
    "https://10.0.0.5/a.jpg",
    "https://192.168.1.1/admin",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://[::1]:8000/api/admin/tickets",
    "https://2130706433/",  # 127.0.0.1 as a number
    "https://evil.example.com/a.jpg",
    "https://mmbiz.qpic.cn.evil.example.com/a.jpg",
    "https://mmbiz.qpic.cn@127.0.0.1:5005/status",
    "https://mmbiz.qpic.cn\\@127.0.0.1/",
    "https://mmbiz.qpic.cn:5005/a.jpg",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
]


@pytest.mark.parametrize("url", HOSTILE_PIC_URLS)
def test_picture_url_refuses_anything_but_wechat_picture_hosts(url: str) -> None:
    assert wechat_media.picture_url(url) is None


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("http://mmbiz.qpic.cn/mmbiz_jpg/AbC/0", "https://mmbiz.qpic.cn/mmbiz_jpg/AbC/0"),
        (
            "https://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png",
            "https://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png",
        ),
        ("https://mmbiz.qlogo.cn/mmbiz/x/0", "https://mmbiz.qlogo.cn/mmbiz/x/0"),
        ("https://MMSNS.qpic.cn:443/x", "https://mmsns.qpic.cn/x"),
    ],
)
def test_picture_url_allows_wechat_hosts_over_https(url: str, fetched: str) -> None:
    assert wechat_media.picture_url(url) == fetched


async def test_a_hostile_pic_url_is_never_fetched_and_the_media_api_is_used(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A PicUrl on loopback (here the fake WeChat itself, which would answer) is refused: the
    message still reaches Rasa, the picture comes from media/get, the URL is passed on nowhere."""
    fake_wechat.pictures["inside.jpg"] = JPEG_BYTES
    fake_wechat.media["MEDIA_OK"] = PNG_1PX
    gw = await make_gateway()
    hostile = f"{fake_wechat.url}/pics/inside.jpg"
    with caplog.at_level(logging.WARNING, logger="adapters.wechat"):
        status, _ = await gw.post(
            gw.wechat.image_xml("oHostile", pic_url=hostile, media_id="MEDIA_OK")
        )
    assert status == 200
    assert "/pics/inside.jpg" not in fake_wechat.paths()
    assert fake_wechat.paths() == ["/cgi-bin/token", "/cgi-bin/media/get"]
    [request] = fake_rasa.requests
    [attachment] = request["metadata"]["attachments"]
    assert attachment["url"].startswith("/media/") and attachment["mime_type"] == "image/png"
    assert hostile not in str(fake_rasa.requests)
    assert "PicUrl refused" in caplog.text


async def test_a_hostile_pic_url_without_media_id_still_processes_the_message(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    gw = await make_gateway()
    hostile = "http://127.0.0.1:5005/conversations/web:victim/tracker"
    status, _ = await gw.post(gw.wechat.image_xml("oNoMedia", pic_url=hostile, media_id=""))
    assert status == 200
    [request] = fake_rasa.requests
    assert request["message"] == "/inform"
    assert not request["metadata"].get("attachments")
    assert hostile not in str(fake_rasa.requests)


@pytest.mark.usefixtures("fake_picture_host")
async def test_a_redirect_from_an_allowed_host_is_not_followed(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    fake_wechat.pictures["secret.jpg"] = JPEG_BYTES
    fake_wechat.redirects["bounce.jpg"] = "http://127.0.0.1:5005/status"
    fake_wechat.redirects["bounce2.jpg"] = f"{fake_wechat.url}/pics/secret.jpg"
    fake_wechat.media["MEDIA_R"] = PNG_1PX
    gw = await make_gateway()
    for name in ("bounce.jpg", "bounce2.jpg"):
        pic_url = f"{fake_wechat.url}/pics/{name}"
        status, _ = await gw.post(
            gw.wechat.image_xml(f"o{name}", pic_url=pic_url, media_id="MEDIA_R")
        )
        assert status == 200
    assert "/pics/secret.jpg" not in fake_wechat.paths()
    for request in fake_rasa.requests:
        [attachment] = request["metadata"]["attachments"]
        assert attachment["mime_type"] == "image/png"  # from media/get, not the redirect


async def test_subscribe_greets_in_the_customers_language(
    make_gateway: MakeGateway, fake_rasa: FakeRasa
) -> None:
    gw = await make_gateway()
    await gw.say("oSub", "你好")
    status, body = await gw.post(gw.wechat.event_xml("oSub", "subscribe"))
    assert status == 200
    request = fake_rasa.requests[-1]
    assert (request["message"], request["metadata"]["language"]) == ("/greet", "zh")
    reply = gw.wechat.read_reply(body)
    assert reply is not None and reply["Content"] == "已收到：/greet"


@pytest.mark.parametrize(
    ("key", "sent"),
    [
        ("/order_status", "/order_status"),
        ('/faq/shipping_time{"x":"1"}', '/faq/shipping_time{"x":"1"}'),
        ("MENU_HELP", "MENU_HELP"),
    ],
)
async def test_menu_click_becomes_payload_or_text(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, key: str, sent: str
) -> None:
    gw = await make_gateway()
    status, body = await gw.post(gw.wechat.event_xml("oClick", "CLICK", key))
    assert status == 200
    assert fake_rasa.messages() == [sent]
    assert gw.wechat.read_reply(body) is not None


@pytest.mark.parametrize(
    "build",
    [
        lambda c: c.event_xml("oIgn", "unsubscribe"),
        lambda c: c.event_xml("oIgn", "VIEW", "https://shop.example.com"),
        lambda c: c.event_xml("oIgn", "CLICK", ""),
        lambda c: c.other_xml("oIgn", "voice"),
        lambda c: c.other_xml("oIgn", "location"),
        lambda c: c.text_xml("oIgn", "   "),
    ],
    ids=["unsubscribe", "view", "empty-click", "voice", "location", "blank-text"],
)
async def test_other_messages_get_success_and_are_not_forwarded(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, build: Callable[[WeChatClient], str]
) -> None:
    gw = await make_gateway()
    assert await gw.post(build(gw.wechat)) == (200, "success")
    assert fake_rasa.requests == []


# --- duplicates -----------------------------------------------------------------------------
@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_repeated_msg_id_is_answered_once(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat, safe: bool
) -> None:
    gw = await make_gateway(safe=safe)
    xml = gw.wechat.text_xml("oDup", "where is my order", msg_id="6054768590064713728")
    first = await gw.post(xml)
    again = await gw.post(xml)  # re-signed and re-encrypted, like WeChat's retry
    assert first[0] == 200 and gw.wechat.read_reply(first[1]) is not None
    assert again == (200, "success")
    assert fake_rasa.messages() == ["where is my order"]
    # Retries racing the first delivery: one answer among all of them.
    xml = gw.wechat.text_xml("oDup", "second question", msg_id="6054768590064713729")
    fake_rasa.delay_s = 0.2
    results = await asyncio.gather(*(gw.post(xml) for _ in range(3)))
    answers = [gw.wechat.read_reply(body) for _, body in results]
    assert sum(a is not None for a in answers) == 1
    assert fake_rasa.messages().count("second question") == 1
    await settle()
    assert fake_wechat.sent() == []


async def test_retry_takes_the_answer_still_waiting_in_the_outbox(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    """The first request timed out and the API is failing: WeChat's retry gets the answer
    passively, and the customer-service API never sends it as well."""
    gw = await make_gateway(wechat_passive_timeout_s=0.2)
    fake_wechat.fail_next(1000, status=500)
    fake_rasa.delay_s = 0.4
    xml = gw.wechat.text_xml("oRetry", "where is my order")
    assert await gw.post(xml) == (200, "success")
    await asyncio.sleep(0.5)  # Rasa has answered; the API keeps failing
    passive = []
    for _ in range(20):  # the worker may hold the row at the moment of a retry
        reply = gw.wechat.read_reply((await gw.post(xml))[1])
        if reply is not None:
            passive.append(reply["Content"])
            break
        await asyncio.sleep(0.05)
    fake_wechat.fail_next(0)
    await settle()
    delivered = passive + [c for _, c in fake_wechat.sent()]
    assert delivered == ["Which order? (where is my order)\nReply with a number:\n1. 260315004217"]


# --- platform failures and tokens -----------------------------------------------------------
@pytest.mark.parametrize(
    "failure", [{"status": 500}, {"errcode": -1}, {"status": 429}], ids=["http500", "busy", "429"]
)
async def test_api_failure_then_recovery_delivers_exactly_once(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    failure: dict[str, int],
) -> None:
    gw = await make_gateway(wechat_passive_timeout_s=0.0)
    fake_wechat.fail_next(2, **failure)
    assert await gw.say("oFail", "where is my order") is None
    await eventually(lambda: len(fake_wechat.sent()) == 1)
    await settle()
    assert len(fake_wechat.sent()) == 1
    sends = [p for p in fake_wechat.paths() if p == "/cgi-bin/message/custom/send"]
    assert len(sends) == 3  # two refused, one accepted


async def test_access_token_is_cached_and_refreshed_when_expired(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    gw = await make_gateway(wechat_passive_timeout_s=0.0)
    await gw.say("oTok", "first")
    await gw.say("oTok", "second")
    await eventually(lambda: len(fake_wechat.sent()) == 2)
    assert len(fake_wechat.token_calls()) == 1  # cached
    fake_wechat.expire_tokens()
    await gw.say("oTok", "third")
    await eventually(lambda: len(fake_wechat.sent()) == 3)
    await settle()
    assert len(fake_wechat.token_calls()) == 2  # refreshed once after errcode 42001
    assert [c.split(" (")[1].split(")")[0] for _, c in fake_wechat.sent()] == [
        "first",
        "second",
        "third",
    ]


async def test_token_is_refreshed_shortly_before_it_expires(fake_wechat: FakeWeChat) -> None:
    now = [1000.0]
    fake_wechat.expires_in = 7200
    async with aiohttp.ClientSession() as session:
        api = WeChatApi(session, fake_wechat.url, APP_ID, APP_SECRET, clock=lambda: now[0])
        first = await api.access_token()
        now[0] += 6800  # 100 s before the 5-minute margin
        assert await api.access_token() == first
        now[0] += 200  # inside the margin: fetched again
        assert await api.access_token() != first
    assert len(fake_wechat.token_calls()) == 2


@pytest.mark.parametrize(
    ("errcode", "permanent", "retry_after"),
    [
        (45015, True, None),
        (45047, True, None),
        (48001, True, None),
        (45011, False, 60.0),
        (-1, False, None),
        (40001, False, None),
    ],
)
async def test_customer_service_errcodes(
    fake_wechat: FakeWeChat, errcode: int, permanent: bool, retry_after: float | None
) -> None:
    async with aiohttp.ClientSession() as session:
        api = WeChatApi(session, fake_wechat.url, APP_ID, APP_SECRET)
        fake_wechat.fail_next(2, errcode=errcode)
        with pytest.raises(DeliveryError) as err:
            await api.send_text("oErr", "hi")
    assert err.value.permanent is permanent
    assert err.value.retry_after == retry_after
    assert str(errcode) in str(err.value)


async def test_out_of_window_message_is_given_up_not_retried(
    make_gateway: MakeGateway, fake_wechat: FakeWeChat, engine: AsyncEngine
) -> None:
    gw = await make_gateway(wechat_passive_timeout_s=0.0)
    fake_wechat.fail_next(1, errcode=45015)
    await gw.say("oWindow", "where is my order")
    await eventually(lambda: "/cgi-bin/message/custom/send" in fake_wechat.paths())
    await settle()
    row, _image = await outbox_rows(engine, "wechat:oWindow")  # text, then an image
    assert (row.status, row.attempts) == ("dead", 1)
    assert "45015" in row.last_error and "48 hours" in row.last_error


async def test_wrong_app_secret_is_reported_without_leaking_it(
    make_gateway: MakeGateway, fake_wechat: FakeWeChat, engine: AsyncEngine
) -> None:
    secret = "a-wrong-secret-value-42"
    gw = await make_gateway(wechat_passive_timeout_s=0.0, env={"WECHAT_APP_SECRET": secret})
    await gw.say("oSecret", "hello")
    await eventually(lambda: len(fake_wechat.token_calls()) == 1)
    await settle()
    row, _image = await outbox_rows(engine, "wechat:oSecret")  # text, then an image
    assert row.status == "pending"  # kept: fixing the secret and restarting delivers it
    assert "40125" in row.last_error and "WECHAT_APP_SECRET" in row.last_error
    assert secret not in row.last_error


# --- Rasa outage and gateway restart --------------------------------------------------------
async def test_rasa_down_then_up(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    gw = await make_gateway()
    fake_rasa.status = 503
    reply = await gw.say("oDown", "我的订单到哪了")
    assert reply is not None and reply["Content"] == HOLDING_TEXT["zh"]
    assert fake_wechat.sent() == []
    fake_rasa.status = 200
    await eventually(lambda: len(fake_wechat.sent()) == 1)
    await settle()
    assert fake_wechat.sent() == [
        ("oDown", "请问是哪个订单？（我的订单到哪了）\n请回复数字选择：\n1. 260315004217")
    ]


async def test_gateway_restart_between_receiving_and_answering(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, fake_wechat: FakeWeChat
) -> None:
    first = await make_gateway(safe=True)
    fake_rasa.status = 503
    reply = await first.say("oRestart", "where is my order")
    assert reply is not None and reply["Content"] == HOLDING_TEXT["en"]
    await first.close()
    fake_rasa.status = 200
    second = await make_gateway(safe=True)
    await eventually(lambda: len(fake_wechat.sent()) == 1)
    await settle()
    assert fake_wechat.sent() == [
        ("oRestart", "Which order? (where is my order)\nReply with a number:\n1. 260315004217")
    ]
    # The restarted gateway still knows the numbered options of that answer.
    await second.say("oRestart", "1")
    assert fake_rasa.messages()[-1] == '/inform{"order_id":"260315004217"}'


# --- authentication -------------------------------------------------------------------------
def _aes_request(
    client: WeChatClient, xml: str, *, app_id: str = APP_ID, encrypted: str | None = None
) -> tuple[dict[str, str], bytes]:
    """A safe-mode request built by hand (another app id, or a given Encrypt value)."""
    timestamp, nonce = str(int(time.time())), "777"
    secret = encrypted if encrypted is not None else encrypt(xml.encode(), AES_KEY, app_id)
    query = {
        "signature": sign(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": sign(TOKEN, timestamp, nonce, secret),
    }
    return (
        query,
        f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName><Encrypt>{cdata(secret)}</Encrypt></xml>".encode(),
    )


@pytest.mark.parametrize(
    ("safe", "case", "field"),
    [
        (False, "wrong-token", "signature"),
        (False, "missing-signature", "signature"),
        (False, "stale-timestamp", "timestamp"),
        (False, "bad-timestamp", "timestamp"),
        (True, "wrong-token", "msg_signature"),
        (True, "other-app", "Encrypt"),
        (True, "plain-in-safe-mode", "encrypt_type"),
    ],
)
async def test_bad_signatures_are_403(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, safe: bool, case: str, field: str
) -> None:
    gw = await make_gateway(safe=safe)
    xml = gw.wechat.text_xml("oAuth", "hello")
    if case == "wrong-token":
        query, body = gw.wechat.request(xml, token="not-the-token")
    elif case == "missing-signature":
        query, body = gw.wechat.request(xml)
        del query["signature"]
    elif case == "stale-timestamp":
        gw.wechat.clock_offset = -3600
        query, body = gw.wechat.request(xml)
    elif case == "bad-timestamp":
        query, body = gw.wechat.request(xml)
        query["timestamp"] = "yesterday"
    elif case == "other-app":
        query, body = _aes_request(gw.wechat, xml, app_id="wx_another_app_000")
    else:
        query, body = gw.wechat.request(xml, encrypted=False)
    resp = await gw.http.post(URL, params=query, data=body)
    assert resp.status == 403
    error = await resp.json()
    assert error["field"] == field
    assert fake_rasa.requests == []


async def test_encrypted_message_without_aes_key_is_400(make_gateway: MakeGateway) -> None:
    gw = await make_gateway()
    client = WeChatClient(aes_key=AES_KEY)
    status, body = await gw.post_raw(*client.request(client.text_xml("oX", "hi")))
    assert status == 400
    assert "WECHAT_AES_KEY" in body


# --- malformed and hostile bodies -----------------------------------------------------------
MALFORMED = [
    ("not xml at all", "not well-formed"),
    ("<xml><ToUserName>gh</ToUserName>", "not well-formed"),
    ("", "empty"),
    ("<root><MsgType>text</MsgType></root>", "root element must be <xml>"),
    (
        "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<FromUserName> is missing",
    ),
    (
        "<xml><ToUserName>gh</ToUserName><FromUserName>o u</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
        "<FromUserName> must be an openid",
    ),
    (
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>"
        "<CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
        "<CreateTime> must be",
    ),
    ("\xff\xfe<xml/>", "not well-formed"),
]


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize(("xml", "error"), MALFORMED)
async def test_malformed_bodies_are_400_naming_the_problem(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, safe: bool, xml: str, error: str
) -> None:
    gw = await make_gateway(safe=safe)
    data = xml.encode("latin-1") if xml.startswith("\xff") else xml.encode()
    status, body = await gw.post(data)
    assert status == 400
    assert error in body
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("encrypted", "error"),
    [
        ("not base64 !!", "not base64"),
        ("QUJD", "multiple of 16"),
        ("A" * 64, "bad padding"),
    ],
)
async def test_broken_encrypt_values_are_400(
    make_gateway: MakeGateway, encrypted: str, error: str
) -> None:
    gw = await make_gateway(safe=True)
    status, body = await gw.post_raw(*_aes_request(gw.wechat, "", encrypted=encrypted))
    assert status == 400
    assert error in body


def hostile_bodies(leak_url: str) -> dict[str, str]:
    fields = (
        "<ToUserName>gh</ToUserName><FromUserName>oEvil</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId>"
    )
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return {
        "internal-entity": f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "pwned">]>'
        f"<xml>{fields}<Content>&x;</Content></xml>",
        "external-entity": f'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "{leak_url}/xxe">]>'
        f"<xml>{fields}<Content>&xxe;</Content></xml>",
        "file-entity": '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<xml>{fields}<Content>&xxe;</Content></xml>",
        "external-dtd": f'<!DOCTYPE xml SYSTEM "{leak_url}/evil.dtd">'
        f"<xml>{fields}<Content>hi</Content></xml>",
        "parameter-entity": f'<!DOCTYPE xml [<!ENTITY % p SYSTEM "{leak_url}/p.dtd"> %p;]>'
        f"<xml>{fields}<Content>hi</Content></xml>",
        "billion-laughs": f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol0 "lol">{lol}]>'
        f"<xml>{fields}<Content>&lol9;</Content></xml>",
    }


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
@pytest.mark.parametrize(
    "name",
    [
        "internal-entity",
        "external-entity",
        "file-entity",
        "external-dtd",
        "parameter-entity",
        "billion-laughs",
    ],
)
async def test_hostile_xml_is_rejected_unparsed(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    safe: bool,
    name: str,
) -> None:
    gw = await make_gateway(safe=safe)
    hostile = hostile_bodies(fake_wechat.url)[name]
    started = time.monotonic()
    status, body = await gw.post(hostile)  # in safe mode: inside the encrypted payload
    assert status == 400, body
    assert "DTD" in body
    assert time.monotonic() - started < 5.0  # expanding the entities would take far longer
    if safe:  # and as the outer body of a safe-mode request
        query, _ = gw.wechat.request(hostile)
        status, body = await gw.post_raw(query, hostile.encode())
        assert status == 400 and "DTD" in body
    assert fake_wechat.calls == []  # no external entity or DTD was fetched
    assert fake_rasa.requests == []
    assert "pwned" not in body and "root:" not in body and "LEAKED" not in body


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_oversized_body_is_413(
    make_gateway: MakeGateway, fake_rasa: FakeRasa, safe: bool
) -> None:
    gw = await make_gateway(safe=safe)
    xml = gw.wechat.text_xml("oBig", "x" * 70_000)
    status, body = await gw.post(xml)
    assert status == 413
    assert "65536" in body
    assert fake_rasa.requests == []


def test_parse_xml_refuses_dtd_before_expanding_anything() -> None:
    bomb = hostile_bodies("http://127.0.0.1:9")["billion-laughs"].encode()
    started = time.monotonic()
    with pytest.raises(ValueError, match="DTD"):
        parse_xml(bomb)
    assert time.monotonic() - started < 5.0  # expanding a billion entities would take far longer


# --- crypto against WeChat's published sample -----------------------------------------------
def test_decrypts_wechats_published_sample() -> None:
    """The sample message of WeChat's message-encryption documentation (WXBizMsgCrypt demo)."""
    token, key, app_id = (
        "spamtest",
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "wx2c2769f8efd9abc2",
    )
    timestamp, nonce = "1409735669", "1320562132"
    encrypted = (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFV"
        "AFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVt"
        "icbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0V"
        "xpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrc"
        "pCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
    )
    assert (
        wechat_signature(token, timestamp, nonce, encrypted)
        == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    )
    xml = WeChatCipher(decode_aes_key(key), app_id).decrypt(encrypted)
    fields = parse_xml(xml)
    assert fields["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert fields["MsgType"] == "text"


def test_cipher_round_trip_and_app_id_check() -> None:
    cipher = WeChatCipher(decode_aes_key(AES_KEY), APP_ID)
    xml = "<xml><Content>你好 hello</Content></xml>".encode()
    assert cipher.decrypt(cipher.encrypt(xml)) == xml
    assert cipher.encrypt(xml) != cipher.encrypt(xml)  # a fresh random prefix each time
    other = WeChatCipher(decode_aes_key(AES_KEY), "wx_other")
    with pytest.raises(ValueError, match="another app id"):
        other.decrypt(cipher.encrypt(xml))


# --- configuration --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "channels", "message"),
    [
        ({"WECHAT_TOKEN": ""}, {}, "WECHAT_TOKEN"),
        (
            {"WECHAT_AES_KEY": AES_KEY, "WECHAT_APP_ID": "", "WECHAT_APP_SECRET": ""},
            {},
            "WECHAT_APP_ID",
        ),
        ({"WECHAT_AES_KEY": AES_KEY[:-1]}, {}, "43-character"),
        ({"WECHAT_AES_KEY": AES_KEY[:-1] + "!"}, {}, "base64"),
        ({"WECHAT_APP_ID": ""}, {}, "WECHAT_APP_ID"),  # a secret without an app id
        ({}, {"wechat_passive_timeout_s": 5}, "wechat_passive_timeout_s"),
        ({}, {"wechat_max_text_bytes": 10}, "wechat_max_text_bytes"),
        ({}, {"wechat_api_base_url": "ftp://x"}, "WECHAT_API_BASE_URL"),
    ],
)
def test_configuration_errors_name_the_setting(
    tmp_path: Path, env: dict[str, str], channels: dict[str, Any], message: str
) -> None:
    cfg = wechat_config(tmp_path, env=env, **channels)
    with pytest.raises(ConfigError, match=message):
        build_app(cfg)


async def test_without_app_secret_only_passive_replies_work(
    make_gateway: MakeGateway,
    fake_rasa: FakeRasa,
    fake_wechat: FakeWeChat,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="adapters.wechat.adapter"):
        gw = await make_gateway(env={"WECHAT_APP_SECRET": ""}, wechat_passive_timeout_s=0.3)
    assert "WECHAT_APP_SECRET" in caplog.text
    reply = await gw.say("oPassive", "hello")
    assert reply is not None  # passive replies still work
    fake_rasa.delay_s = 0.6
    assert await gw.say("oPassive", "slow one") is None
    await eventually(lambda: len(fake_rasa.requests) == 2)

    async def late_rows() -> list[Any]:
        rows = await outbox_rows(engine, "wechat:oPassive")
        return [r for r in rows if "slow one" in str(r.message)]

    for _ in range(100):  # the answer comes 0.6 s after the request, then one attempt
        if (late := await late_rows()) and all(r.status == "dead" for r in late):
            break
        await asyncio.sleep(0.05)
    late = await late_rows()
    assert late and all(r.status == "dead" for r in late)
    assert "WECHAT_APP_SECRET" in late[0].last_error
    assert fake_wechat.calls == []


def test_adapter_reports_its_mode(tmp_path: Path) -> None:
    plain = WeChatAdapter(wechat_config(tmp_path))
    safe = WeChatAdapter(wechat_config(tmp_path, env={"WECHAT_AES_KEY": AES_KEY}))
    assert (plain.mode, safe.mode) == ("plain", "aes")
    assert plain.credentials == (APP_ID, APP_SECRET)

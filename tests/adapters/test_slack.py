"""The Slack channel: the real slack-bolt and slack_sdk clients against a fake Slack on loopback,
the real gateway (pipeline, inbox, outbox) and a scripted Rasa; the Events API with signed
requests and Socket Mode."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.blocks import MAX_ACTIONS_PER_BLOCK
from adapters.slack.inbound import (
    inbound_action,
    inbound_message,
    is_customer_message,
    parse_body,
    plain_text,
)
from adapters.slack.render import CUSTOMER_ACTION_PREFIX, Renderer
from adapters.slack.sender import delivery_error
from adapters.slack.settings import EVENTS_PATH, PUBLIC_API_BASE_URL, SlackSettings
from bot.config import Config, ConfigError, load_config
from bot.core.message import Button, OutgoingMessage, ProductCard
from bot.core.pipeline import HOLDING_TEXT
from bot.gateway.__main__ import build_app
from bot.storage.schema import outbox
from tests.adapters.fake_slack import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    block_actions,
    dm_event,
    envelope,
    event_callback,
    form_body,
    mention_event,
    sign,
)
from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.gateway.fake_rasa import ORDER_BUTTON, FakeRasa
from tests.gateway.helpers import ADMIN_TOKEN

__all__ = ["actions_url", "engine", "fake_rasa"]

FAST = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
PUBLIC_URL = "https://shop.example.com"
EN_TEXT, EN_ANSWER = "where is my order", "Which order? (where is my order)"
ZH_TEXT, ZH_ANSWER = "我的订单到哪了", "请问是哪个订单？（我的订单到哪了）"
DM = "D0CUSTOMER"
MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "slack-app-manifest.yml"

Client = TestClient[Any, Any]
Gateway = Callable[..., Awaitable[Client]]


def slack_config(
    tmp_path: Path,
    *,
    rasa_url: str = "http://127.0.0.1:9",
    actions_url: str = "http://127.0.0.1:9",
    api_url: str = "",
    env: dict[str, str] | None = None,
    **channels: Any,
) -> Config:
    environment = {
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    if api_url:
        environment["SLACK_API_BASE_URL"] = api_url
    environment.update(env or {})
    environment = {k: v for k, v in environment.items() if v}
    overrides: dict[str, dict[str, Any]] = {
        "rasa": {"url": rasa_url, "timeout_s": 5},
        "actions": {"url": actions_url},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"},
        "channels": {"slack": "on", "media_dir": str(tmp_path / "media"), **channels},
        "delivery": FAST,
    }
    return load_config(path=tmp_path / "no-config.yml", env=environment, overrides=overrides)


async def eventually(check: Callable[[], object], what: str, limit_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.4) -> None:
    """Let the pipeline's worker run several rounds (to show nothing more happens)."""
    await asyncio.sleep(seconds)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str, slack: FakeSlack
) -> AsyncIterator[Gateway]:
    """Factory: a started gateway with the Slack channel (Events API unless told)."""
    clients: list[Client] = []

    async def make(*, env: dict[str, str] | None = None, **channels: Any) -> Client:
        channels.setdefault("public_url", PUBLIC_URL)
        cfg = slack_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            api_url=slack.api_url,
            env=env,
            **channels,
        )
        client: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def post_event(
    client: Client, body: dict[str, Any], *, headers: dict[str, str] | None = None
) -> ClientResponse:
    raw = json.dumps(body).encode()
    all_headers = {**sign(raw), "Content-Type": "application/json", **(headers or {})}
    return await client.post(EVENTS_PATH, data=raw, headers=all_headers)


async def click(client: Client, payload: dict[str, Any]) -> ClientResponse:
    raw = form_body(payload)
    headers = {**sign(raw), "Content-Type": "application/x-www-form-urlencoded"}
    return await client.post(EVENTS_PATH, data=raw, headers=headers)


def texts(slack: FakeSlack) -> list[str]:
    return [m["text"] for m in slack.posted()]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def ts(n: int) -> str:
    return f"1712000{n:03d}.000100"


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "channels", "variable"),
    [
        ({"SLACK_BOT_TOKEN": ""}, {}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, {"slack_mode": "events"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": ""}, {"slack_mode": "auto"}, "SLACK_SIGNING_SECRET"),
        ({}, {"slack_mode": "socket"}, "SLACK_APP_TOKEN"),
        ({}, {"slack_mode": "websocket"}, "slack_mode"),
        ({}, {"slack_max_text_chars": 10}, "slack_max_text_chars"),
        ({"SLACK_API_BASE_URL": "slack.example/api"}, {}, "SLACK_API_BASE_URL"),
    ],
)
def test_missing_or_bad_settings_stop_start_up_naming_them(
    tmp_path: Path, env: dict[str, str], channels: dict[str, Any], variable: str
) -> None:
    cfg = slack_config(tmp_path, env=env, **channels)
    with pytest.raises(ConfigError, match=variable):
        SlackSettings.from_config(cfg)
    with pytest.raises(ConfigError, match=variable):
        build_app(cfg)


@pytest.mark.parametrize(
    ("mode", "app_token", "secret", "expected"),
    [
        ("auto", APP_TOKEN, SIGNING_SECRET, "socket"),
        ("auto", APP_TOKEN, "", "socket"),
        ("auto", "", SIGNING_SECRET, "events"),
        ("events", APP_TOKEN, SIGNING_SECRET, "events"),
        ("socket", APP_TOKEN, "", "socket"),
    ],
)
def test_mode_follows_config_and_tokens(
    tmp_path: Path, mode: str, app_token: str, secret: str, expected: str
) -> None:
    env = {"SLACK_APP_TOKEN": app_token, "SLACK_SIGNING_SECRET": secret}
    settings = SlackSettings.from_config(slack_config(tmp_path, env=env, slack_mode=mode))
    assert settings.mode == expected


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("", PUBLIC_API_BASE_URL),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"),
        ("https://slack.example/api/", "https://slack.example/api/"),
    ],
)
def test_api_base_url_ends_with_a_slash(tmp_path: Path, base: str, expected: str) -> None:
    settings = SlackSettings.from_config(slack_config(tmp_path, api_url=base))
    assert settings.api_base_url == expected


def test_events_route_only_with_a_signing_secret(tmp_path: Path) -> None:
    env = {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""}
    socket_only = build_app(slack_config(tmp_path, env=env, slack_mode="socket"))
    events = build_app(slack_config(tmp_path))
    paths = [{r.canonical for r in app.router.resources()} for app in (socket_only, events)]
    assert EVENTS_PATH not in paths[0]
    assert EVENTS_PATH in paths[1]


def test_app_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "im:history", "im:read", "app_mentions:read", "files:read"} <= scopes
    assert {"channels:history", "groups:history", "users:read", "commands"} <= scopes
    settings = manifest["settings"]
    assert {"message.im", "app_mention", "message.channels"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
    assert settings["interactivity"]["is_enabled"] is True
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/handoff"]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True


# --- Slack -> internal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"<@{BOT_USER_ID}> where is my order", "where is my order"),
        (f"<@{BOT_USER_ID}|shopbot>  订单  到哪了", "订单 到哪了"),
        ("ask <@U0OTHER> about it", "ask @U0OTHER about it"),
        (
            "see <https://shop.example/p/1|the page> &amp; <https://x.example>",
            "see the page & https://x.example",
        ),
        ("in <#C0GENERAL|general> <!here>", "in #general @here"),
        ("5 &lt; 6 &gt; 4", "5 < 6 > 4"),
        (f"<@{BOT_USER_ID}>", ""),
    ],
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw, BOT_USER_ID) == expected


@pytest.mark.parametrize(
    ("changes", "customer"),
    [
        ({}, True),
        ({"subtype": "file_share"}, True),
        ({"subtype": "thread_broadcast"}, True),
        ({"user": BOT_USER_ID}, False),  # the bot's own message
        ({"bot_id": "B0OTHER", "subtype": "bot_message"}, False),
        ({"bot_id": "B0OTHER"}, False),  # a bot posting as a user
        ({"subtype": "message_changed"}, False),
        ({"subtype": "message_deleted"}, False),
        ({"subtype": "channel_join"}, False),
        ({"user": None}, False),
        ({"user": "U 1"}, False),
        ({"hidden": True}, False),
    ],
)
def test_which_messages_are_a_customer_writing(changes: dict[str, Any], customer: bool) -> None:
    event = {**dm_event("hello"), **changes}
    event = {k: v for k, v in event.items() if v is not None}
    assert is_customer_message(event, BOT_USER_ID) is customer


@pytest.mark.parametrize(
    ("extra", "thread_ts"),
    [({}, ts(1)), ({"thread_ts": ts(0)}, ts(0))],
)
def test_message_is_answered_in_its_thread(extra: dict[str, Any], thread_ts: str) -> None:
    inbound = inbound_message(dm_event("hi", ts=ts(1), **extra), BOT_USER_ID)
    assert inbound.user == "U0CUSTOMER"
    assert inbound.address == {"channel": DM, "thread_ts": thread_ts}
    assert inbound.dedupe_key == f"msg:{DM}:{ts(1)}"


@pytest.mark.parametrize(
    ("payload", "address"),
    [
        (block_actions("/greet", thread_ts=ts(1)), {"channel": DM, "thread_ts": ts(1)}),
        (
            block_actions("/greet", thread_ts=None, message_ts=ts(2)),
            {"channel": DM, "thread_ts": ts(2)},
        ),
    ],
)
def test_button_click_becomes_a_payload(payload: dict[str, Any], address: dict[str, str]) -> None:
    inbound = inbound_action(payload, payload["actions"][0])
    assert inbound is not None
    assert (inbound.user, inbound.payload, inbound.address) == ("U0CUSTOMER", "/greet", address)


def test_button_without_a_payload_is_not_answered() -> None:
    payload = block_actions("not-a-payload")
    assert inbound_action(payload, payload["actions"][0]) is None


@pytest.mark.parametrize(
    ("raw", "content_type", "error"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "JSON object, got list"),
        (b'{"event": {}}', "application/json", "no `type`"),
        (b"\xff\xfe", "application/json", "UTF-8"),
        (b"foo=bar", "application/x-www-form-urlencoded", "payload"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded", "not valid JSON"),
    ],
)
def test_malformed_bodies_are_named(raw: bytes, content_type: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_body(raw, content_type)


def test_signing_helper_matches_slack_sdk() -> None:
    body = b'{"type":"event_callback"}'
    headers = sign(body, timestamp=1_700_000_000)
    expected = SignatureVerifier(SIGNING_SECRET).generate_signature(
        timestamp="1700000000", body=body
    )
    assert headers["X-Slack-Signature"] == expected


# --- internal -> Slack ------------------------------------------------------------------------


def test_buttons_become_an_actions_block_with_payload_values() -> None:
    buttons = tuple(Button(f"Order {i}", f'/inform{{"order_id":"{i}"}}') for i in range(30))
    rendered = Renderer(max_text_chars=3000).render(
        OutgoingMessage(text="Which order?", buttons=buttons), "en"
    )
    actions = [b for b in rendered.blocks if b["type"] == "actions"]
    elements = [e for block in actions for e in block["elements"]]
    assert [len(b["elements"]) for b in actions] == [MAX_ACTIONS_PER_BLOCK, 5]
    assert [e["value"] for e in elements] == [b.payload for b in buttons]
    ids = [e["action_id"] for e in elements]
    assert len(set(ids)) == len(ids) and all(i.startswith(CUSTOMER_ACTION_PREFIX) for i in ids)
    assert rendered.text == "Which order?"


@pytest.mark.parametrize("limit", [100, 500])
def test_long_text_is_split_into_sections_at_the_limit(limit: int) -> None:
    text = " ".join(f"Sentence {i} is about R&D <b>." for i in range(60))
    rendered = Renderer(max_text_chars=limit).render(OutgoingMessage(text=text), "en")
    sections = [b["text"]["text"] for b in rendered.blocks]
    assert len(sections) > 1 and all(len(s) <= limit for s in sections)
    joined = " ".join(sections).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    assert joined.split() == text.split()


@pytest.mark.parametrize(
    ("public_url", "png", "image", "block"),
    [
        (PUBLIC_URL, True, "/products/P0001.svg", ("image", f"{PUBLIC_URL}/products/P0001.png")),
        (PUBLIC_URL, False, "/products/P0001.svg", ("link", f"{PUBLIC_URL}/products/P0001.svg")),
        ("", True, "/products/P0001.svg", None),
        ("", False, "https://cdn.example/a.jpg", ("image", "https://cdn.example/a.jpg")),
        ("", False, "https://cdn.example/a.svg", ("link", "https://cdn.example/a.svg")),
    ],
)
def test_images_are_blocks_when_slack_can_fetch_them(
    public_url: str, png: bool, image: str, block: tuple[str, str] | None
) -> None:
    renderer = Renderer(max_text_chars=3000, public_url=public_url, png_products=png)
    rendered = renderer.render(OutgoingMessage(image=image), "zh")
    if block is None:
        assert rendered.blocks == ()
    elif block[0] == "image":
        assert rendered.blocks == (
            {"type": "image", "image_url": block[1], "alt_text": "查看图片"},
        )
    else:
        assert rendered.blocks[0]["text"]["text"] == f"<{block[1]}|查看图片>"


@pytest.mark.parametrize(
    ("image", "public_url", "png", "expected"),
    [
        ("https://cdn.example/p9.jpg", PUBLIC_URL, True, "https://cdn.example/p9.jpg"),
        ("/products/P9.svg", PUBLIC_URL, True, f"{PUBLIC_URL}/products/P9.png"),
        ("https://cdn.example/p9.svg", PUBLIC_URL, True, f"{PUBLIC_URL}/products/P9.png"),
        (None, PUBLIC_URL, True, f"{PUBLIC_URL}/products/P9.png"),
        ("/products/P9.svg", PUBLIC_URL, False, None),
        (None, "", True, None),
    ],
)
def test_card_picture(image: str | None, public_url: str, png: bool, expected: str | None) -> None:
    card = ProductCard(id="P9", name="Kettle", image=image)
    renderer = Renderer(max_text_chars=3000, public_url=public_url, png_products=png)
    assert renderer.card_image(card) == expected


def test_product_card_without_a_picture_is_text_and_a_button() -> None:
    cards = {
        "type": "product_cards",
        "products": [
            {"id": "P9", "name": "Kettle <2L>", "price": 99.5, "rating": 4.24, "payload": "/p9"}
        ],
    }
    rendered = Renderer(max_text_chars=3000).render(OutgoingMessage(custom=cards), "zh")
    section, actions = rendered.blocks
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Kettle &lt;2L&gt;*\n¥99.50 · ★4.2"},
    }
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [("查看详情", "/p9")]


def _api_error(status: int, error: str, headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={},
        data={"ok": False, "error": error},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)


@pytest.mark.parametrize(
    ("exc", "permanent", "retry_after"),
    [
        (_api_error(429, "ratelimited", {"Retry-After": "7"}), False, 7.0),
        (_api_error(200, "ratelimited"), False, None),
        (_api_error(500, "internal_error"), False, None),
        (_api_error(503, "service_unavailable"), False, None),
        (_api_error(200, "fatal_error"), False, None),
        (_api_error(200, "channel_not_found"), True, None),
        (_api_error(200, "not_in_channel"), True, None),
        (_api_error(200, "invalid_auth"), True, None),
    ],
)
def test_delivery_errors(exc: SlackApiError, permanent: bool, retry_after: float | None) -> None:
    error = delivery_error(exc)
    assert (error.permanent, error.retry_after) == (permanent, retry_after)


# --- Events API: round trips --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "answer"), [(EN_TEXT, EN_ANSWER), (ZH_TEXT, ZH_ANSWER)])
async def test_direct_message_round_trip(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa, text: str, answer: str
) -> None:
    client = await gateway()
    resp = await post_event(client, event_callback(dm_event(text, ts=ts(1))))
    assert resp.status == 200
    first, second = await slack.wait_for_posts(2)
    request = fake_rasa.requests[0]
    assert request["sender"] == "slack:U0CUSTOMER" and request["message"] == text
    assert request["metadata"]["channel"] == "slack"
    assert first["channel"] == DM and first["thread_ts"] == ts(1)
    assert first["text"] == answer
    section, actions = first["blocks"]
    assert section["text"]["text"] == answer
    button = actions["elements"][0]
    assert (button["text"]["text"], button["value"]) == (
        ORDER_BUTTON["title"],
        ORDER_BUTTON["payload"],
    )
    # The product picture as PNG on the public URL (Slack shows no SVG).
    assert second["thread_ts"] == ts(1)
    assert second["blocks"][0]["image_url"] == f"{PUBLIC_URL}/products/P0001.png"
    assert all(c.token == BOT_TOKEN for c in slack.called("chat.postMessage"))


async def test_url_verification_answers_the_challenge(gateway: Gateway) -> None:
    client = await gateway()
    body = {
        "token": "x",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    resp = await post_event(client, body)
    assert resp.status == 200
    assert (await resp.json())["challenge"] == body["challenge"]


async def test_acknowledged_before_the_answer(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay_s = 1.0
    client = await gateway()
    resp = await post_event(client, event_callback(dm_event(EN_TEXT)))
    assert resp.status == 200
    assert slack.called("chat.postMessage") == []  # acknowledged; the answer comes after
    await slack.wait_for_posts(1)


async def test_mention_in_a_channel_is_answered_once_in_its_thread(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    mention = mention_event("where is my order", ts=ts(5), thread_ts=ts(4))
    # Slack sends app_mention and (with message.channels) a message event for one mention.
    channel_message = {**mention, "type": "message", "channel_type": "channel"}
    assert (await post_event(client, event_callback(mention))).status == 200
    assert (await post_event(client, event_callback(channel_message))).status == 200
    await slack.wait_for_posts(2)
    await settle()
    assert fake_rasa.messages() == ["where is my order"]
    assert {(m["channel"], m["thread_ts"]) for m in slack.posted()} == {("C0GENERAL", ts(4))}
    assert len(slack.posted()) == 2


async def test_button_click_is_answered_in_the_thread(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await post_event(client, event_callback(dm_event(EN_TEXT, ts=ts(1))))
    await slack.wait_for_posts(2)
    button = slack.posted()[0]["blocks"][1]["elements"][0]
    payload = block_actions(
        button["value"],
        action_id=button["action_id"],
        message_ts=slack.posted()[0]["ts"],
        thread_ts=slack.posted()[0]["thread_ts"],
    )
    resp = await click(client, payload)
    assert resp.status == 200
    await slack.wait_for_posts(3)
    assert fake_rasa.messages()[-1] == ORDER_BUTTON["payload"]
    assert slack.posted()[2]["thread_ts"] == ts(1)
    assert slack.posted()[2]["text"] == f"You picked {ORDER_BUTTON['payload']}"


async def test_product_cards_with_picture_and_button(gateway: Gateway, slack: FakeSlack) -> None:
    client = await gateway()
    await post_event(client, event_callback(dm_event("show me a card")))
    _, cards = await slack.wait_for_posts(2)
    section, actions = cards["blocks"]
    assert section["text"]["text"] == "*SoundPods Pro wireless earbuds*\n¥399.00 · ★4.7"
    assert section["accessory"]["image_url"] == f"{PUBLIC_URL}/products/P0001.png"
    assert actions["elements"][0]["value"] == '/product_inquiry{"product":"P0001"}'


async def test_rejected_picture_is_sent_again_as_a_link(gateway: Gateway, slack: FakeSlack) -> None:
    client = await gateway()
    # Slack cannot fetch the card's picture (a public_url it cannot reach).
    slack.fail(
        "chat.postMessage",
        status=200,
        error="invalid_blocks",
        match=lambda p: "accessory" in str(p),
    )
    await post_event(client, event_callback(dm_event("show me a card")))
    await slack.wait_for_posts(2)
    await settle()
    cards = slack.posted()[1]
    assert "accessory" not in cards["blocks"][0]
    assert len(slack.posted()) == 2


# --- Events API: what is ignored and what is refused ------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        dm_event("from the bot itself", user=BOT_USER_ID, bot_id=BOT_ID),
        dm_event("another bot", subtype="bot_message", bot_id="B0OTHER", user=None),
        dm_event("edited", subtype="message_changed", user=None),
        dm_event("", subtype="message_deleted", user=None),
        dm_event("chatter without a mention", channel="C0GENERAL", channel_type="channel"),
        {"type": "reaction_added", "user": "U0CUSTOMER", "reaction": "thumbsup"},
    ],
)
async def test_events_that_are_not_customers_writing_are_acknowledged_and_ignored(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa, event: dict[str, Any]
) -> None:
    client = await gateway()
    event = {k: v for k, v in event.items() if v is not None}
    resp = await post_event(client, event_callback(event))
    assert resp.status == 200
    # A real message afterwards is the only one Rasa sees.
    await post_event(client, event_callback(dm_event(EN_TEXT, ts=ts(9))))
    await slack.wait_for_posts(2)
    assert fake_rasa.messages() == [EN_TEXT]


def _now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda raw: {
            "X-Slack-Request-Timestamp": str(_now()),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
        lambda raw: sign(b"a different body"),
        lambda raw: sign(raw, secret="a-different-secret"),
        lambda raw: sign(raw, timestamp=_now() - 10 * 60),  # a replay, 10 minutes old
        lambda raw: {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=ab"},
        lambda raw: {},
    ],
    ids=["zeros", "other-body", "other-secret", "stale", "bad-timestamp", "unsigned"],
)
async def test_bad_signatures_are_refused(
    gateway: Gateway, fake_rasa: FakeRasa, make_headers: Callable[[bytes], dict[str, str]]
) -> None:
    client = await gateway()
    raw = json.dumps(event_callback(dm_event(EN_TEXT))).encode()
    resp = await client.post(
        EVENTS_PATH, data=raw, headers={"Content-Type": "application/json", **make_headers(raw)}
    )
    assert resp.status == 401
    assert (await resp.json())["field"] == "X-Slack-Signature"
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'["event_callback"]', "application/json"),
        (b"token=x&team_id=T1", "application/x-www-form-urlencoded"),
        ('{"type": "event_callback", "event": "caf\xe9"}'.encode("latin-1"), "application/json"),
    ],
)
async def test_malformed_signed_bodies_get_400(
    gateway: Gateway, raw: bytes, content_type: str
) -> None:
    client = await gateway()
    resp = await client.post(
        EVENTS_PATH, data=raw, headers={**sign(raw), "Content-Type": content_type}
    )
    assert resp.status == 400
    assert (await resp.json())["field"] == "body"


# --- exactly once -----------------------------------------------------------------------------


async def test_slack_retries_are_answered_once(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    body = event_callback(dm_event(EN_TEXT, ts=ts(1)))
    assert (await post_event(client, body)).status == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await post_event(client, body, headers=retry)).status == 200
    await slack.wait_for_posts(2)
    await settle()
    assert fake_rasa.messages() == [EN_TEXT]
    assert len(slack.posted()) == 2


async def test_platform_500_then_recovery_delivers_once(gateway: Gateway, slack: FakeSlack) -> None:
    client = await gateway()
    slack.fail("chat.postMessage", times=2, status=500)
    slack.fail("chat.postMessage", times=1, status=500, error="html")
    await post_event(client, event_callback(dm_event(EN_TEXT)))
    await slack.wait_for_posts(2)
    await settle()
    assert texts(slack)[0] == EN_ANSWER
    assert len(slack.posted()) == 2
    assert len(slack.called("chat.postMessage")) == 5


async def test_lost_answer_is_not_posted_twice(gateway: Gateway, slack: FakeSlack) -> None:
    client = await gateway()
    # Slack posts the message, then the answer is lost (a 500): the retry finds it.
    slack.fail("chat.postMessage", times=1, status=500, after_effect=True)
    await post_event(client, event_callback(dm_event(EN_TEXT, ts=ts(1))))
    await slack.wait_for_posts(2)
    await settle()
    assert texts(slack) == [EN_ANSWER, "View image"]
    assert slack.called("conversations.replies")[0].params["ts"] == ts(1)


async def test_rate_limit_waits_for_retry_after(gateway: Gateway, slack: FakeSlack) -> None:
    client = await gateway()
    slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=1)
    await post_event(client, event_callback(dm_event(EN_TEXT)))
    await slack.wait_for_posts(2)
    first, second = slack.called("chat.postMessage")[:2]
    assert second.at - first.at >= 0.95  # not the 0.05 s backoff of the tests' config
    assert texts(slack)[0] == EN_ANSWER


async def test_permanent_error_is_not_retried(
    gateway: Gateway, slack: FakeSlack, engine: AsyncEngine
) -> None:
    client = await gateway()
    slack.fail("chat.postMessage", times=1, status=200, error="channel_not_found")
    await post_event(client, event_callback(dm_event(EN_TEXT)))
    await slack.wait_for_posts(1)  # the image after the refused text still goes
    await settle()
    async with engine.connect() as conn:
        statuses = [r.status for r in await conn.execute(select(outbox).order_by(outbox.c.id))]
    assert statuses == ["dead", "sent"]
    assert len(slack.called("chat.postMessage")) == 2


async def test_rasa_down_then_up_holding_reply_then_answer_once(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.status = 503
    client = await gateway()
    await post_event(client, event_callback(dm_event(ZH_TEXT, ts=ts(1))))
    await slack.wait_for_posts(1)
    assert texts(slack) == [HOLDING_TEXT["zh"]]
    fake_rasa.status = 200
    await slack.wait_for_posts(3)
    await settle()
    assert texts(slack)[1] == ZH_ANSWER
    assert len(slack.posted()) == 3
    assert all(m["thread_ts"] == ts(1) for m in slack.posted())


async def test_gateway_restart_between_receiving_and_answering(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    fake_rasa.status = 503
    first = await gateway()
    assert (await post_event(first, event_callback(dm_event(EN_TEXT, ts=ts(1))))).status == 200
    await eventually(lambda: fake_rasa.requests, "the first attempt")
    await first.close()
    fake_rasa.status = 200
    second = await gateway()  # a new app on the same database
    await eventually(lambda: EN_ANSWER in texts(slack), "the answer after the restart")
    # Slack's retry of the update reaches the new gateway too: still answered once.
    await post_event(second, event_callback(dm_event(EN_TEXT, ts=ts(1))))
    await settle()
    assert texts(slack).count(EN_ANSWER) == 1
    user_turns = [e for e in fake_rasa.trackers["slack:U0CUSTOMER"] if e["event"] == "user"]
    assert [e["text"] for e in user_turns] == [EN_TEXT]
    assert all(m["thread_ts"] == ts(1) for m in slack.posted())


async def test_auth_failure_is_left_for_slack_to_retry(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    slack.fail("auth.test", status=500)
    body = event_callback(dm_event(EN_TEXT))
    assert (await post_event(client, body)).status == 503
    assert (await post_event(client, body, headers={"X-Slack-Retry-Num": "1"})).status == 200
    await slack.wait_for_posts(2)
    assert fake_rasa.messages() == [EN_TEXT]


# --- files ------------------------------------------------------------------------------------


async def test_customer_photo_is_downloaded_with_the_bot_token(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    client = await gateway()
    photo = slack.add_file("broken.png", png(), "image/png")
    pdf = slack.add_file("invoice.pdf", b"%PDF-1.4", "application/pdf")
    event = dm_event("it arrived broken", subtype="file_share", files=[photo, pdf])
    assert (await post_event(client, event_callback(event))).status == 200
    await slack.wait_for_posts(1)
    assert [p for p, _ in slack.file_requests] == [
        photo["url_private_download"].split("/files-pri/")[1].split("?")[0]
    ]
    assert all(auth == f"Bearer {BOT_TOKEN}" for _, auth in slack.file_requests)
    (attachment,) = fake_rasa.requests[0]["metadata"]["attachments"]
    assert attachment["kind"] == "image" and attachment["mime_type"] == "image/png"
    name = attachment["url"].removeprefix("/media/")
    assert (tmp_path / "media" / name).read_bytes() == png()
    media = await client.get(attachment["url"])
    assert media.status == 200 and await media.read() == png()


async def test_photo_alone_is_answered(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    photo = slack.add_file("p.png", png(), "image/png")
    await post_event(client, event_callback(dm_event("", subtype="file_share", files=[photo])))
    await slack.wait_for_posts(1)
    assert fake_rasa.messages() == ["/inform"]


async def test_file_url_off_slack_gets_no_token(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    photo = {**slack.add_file("p.png", png(), "image/png")}
    photo["url_private_download"] = "http://attacker.example/steal.png"
    photo["url_private"] = "http://attacker.example/steal.png"
    await post_event(client, event_callback(dm_event("look", subtype="file_share", files=[photo])))
    await slack.wait_for_posts(1)
    assert slack.file_requests == []
    assert "attachments" not in fake_rasa.requests[0]["metadata"]


# --- Socket Mode ------------------------------------------------------------------------------


@pytest.fixture
async def socket_gateway(gateway: Gateway, slack: FakeSlack) -> Client:
    client = await gateway(env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_SIGNING_SECRET": ""})
    await slack.wait_for(lambda: slack.sockets)
    return client


@pytest.mark.parametrize(("text", "answer"), [(EN_TEXT, EN_ANSWER), (ZH_TEXT, ZH_ANSWER)])
async def test_socket_mode_round_trip(
    socket_gateway: Client, slack: FakeSlack, fake_rasa: FakeRasa, text: str, answer: str
) -> None:
    assert slack.called("apps.connections.open")[0].token == APP_TOKEN
    env = envelope(event_callback(dm_event(text, ts=ts(1))))
    await slack.push(env)
    await slack.wait_for(lambda: slack.acked(env["envelope_id"]))
    await slack.wait_for_posts(2)
    assert fake_rasa.messages() == [text]
    assert slack.posted()[0]["text"] == answer and slack.posted()[0]["thread_ts"] == ts(1)


async def test_socket_mode_redelivery_is_answered_once(
    socket_gateway: Client, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    body = event_callback(dm_event(EN_TEXT, ts=ts(1)))
    first, again = envelope(body), envelope(body, retry_attempt=1)
    await slack.push(first)
    await slack.push(again)
    await slack.wait_for(
        lambda: slack.acked(first["envelope_id"]) and slack.acked(again["envelope_id"])
    )
    await slack.wait_for_posts(2)
    await settle()
    assert fake_rasa.messages() == [EN_TEXT]
    assert len(slack.posted()) == 2


async def test_socket_mode_button_click(
    socket_gateway: Client, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    env = envelope(block_actions("/greet", thread_ts=ts(3)), "interactive")
    await slack.push(env)
    await slack.wait_for(lambda: slack.acked(env["envelope_id"]))
    await slack.wait_for_posts(1)
    assert fake_rasa.messages() == ["/greet"]
    assert slack.posted()[0]["thread_ts"] == ts(3)


async def test_socket_mode_envelope_not_acknowledged_until_it_can_be_handled(
    socket_gateway: Client, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    slack.fail("auth.test", status=500)
    body = event_callback(dm_event(EN_TEXT))
    first = envelope(body)
    await slack.push(first)
    await slack.wait_for(lambda: slack.called("auth.test"))
    await settle(0.2)
    assert not slack.acked(first["envelope_id"])
    again = envelope(body, retry_attempt=1)  # Slack redelivers an unacknowledged envelope
    await slack.push(again)
    await slack.wait_for(lambda: slack.acked(again["envelope_id"]))
    await slack.wait_for_posts(2)
    assert fake_rasa.messages() == [EN_TEXT]

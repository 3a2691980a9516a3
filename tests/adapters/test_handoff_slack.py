"""Handoff end to end: a Telegram (or Slack) customer, staff in Slack threads, the real gateway.

The real python-telegram-bot and slack-bolt / slack_sdk clients talk to fake Telegram and Slack
servers on loopback; Rasa is the scripted fake (it pauses and resumes like Rasa does).
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.settings import EVENTS_PATH
from adapters.slack.staff_render import OpeningRenderer, thread_link
from adapters.telegram.settings import SECRET_HEADER, WEBHOOK_PATH
from bot.config import Config, load_config
from bot.gateway.__main__ import build_app
from bot.handoff.service import HandoffService
from bot.handoff.setup import HANDOFF_KEY
from bot.handoff.store import Handoff, HandoffStore
from bot.services import tickets
from bot.storage.schema import handoff_messages, handoffs
from tests.adapters.fake_slack import (
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    block_actions,
    command_body,
    dm_event,
    event_callback,
    form_body,
    sign,
    staff_message,
)
from tests.adapters.fake_telegram import (
    TOKEN,
    FakeTelegram,
    callback_update,
    photo_update,
    text_update,
)
from tests.core.test_handoff import KeywordScorer
from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import ADMIN_TOKEN

__all__ = ["actions_url", "engine", "fake_rasa"]

SUPPORT = "C0SUPPORT"
STAFF, OUTSIDER = "U0STAFF01", "U0OUTSIDE"
TG_SECRET = "s3cret-Token_value"
FAST = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
ALL_DAY = {"service_hours": "00:00-24:00", "timezone": "Asia/Shanghai"}
MANIFEST = Path(__file__).resolve().parents[2] / "docs" / "slack-app-manifest.yml"

Client = TestClient[Any, Any]
Gateway = Callable[..., Awaitable[Client]]


def handoff_config(
    tmp_path: Path,
    *,
    rasa_url: str,
    actions_url: str,
    tg_url: str,
    slack_url: str,
    **handoff: Any,
) -> Config:
    env = {
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_SECRET_TOKEN": TG_SECRET,
        "TELEGRAM_API_BASE_URL": tg_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": slack_url,
        "SLACK_SUPPORT_CHANNEL": SUPPORT,
    }
    overrides: dict[str, dict[str, Any]] = {
        "rasa": {"url": rasa_url, "timeout_s": 5},
        "actions": {"url": actions_url},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"},
        "channels": {
            "telegram": "on",
            "telegram_mode": "webhook",
            "slack": "on",
            "slack_mode": "events",
            "media_dir": str(tmp_path / "media"),
        },
        "delivery": FAST,
        "shop": ALL_DAY,
        # Tests give the service their own scorer; the trained model is not loaded here.
        "handoff": {"sentiment_model": "", **handoff},
    }
    return load_config(path=tmp_path / "no-config.yml", env=env, overrides=overrides)


async def eventually(check: Callable[[], object], what: str, limit_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def settle(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    fake.add_user(STAFF, "Anna", channels=(SUPPORT,))
    fake.add_user("U0STAFF02", "Bo", channels=(SUPPORT,))
    fake.add_user("U0STAFF03", "Chen", channels=(SUPPORT,))  # three members: paged listing
    fake.add_user(OUTSIDER, "Mallory")
    yield fake
    await fake.stop()


@pytest.fixture
async def gateway(
    tmp_path: Path,
    engine: AsyncEngine,
    fake_rasa: FakeRasa,
    actions_url: str,
    tg: FakeTelegram,
    slack: FakeSlack,
) -> AsyncIterator[Gateway]:
    clients: list[Client] = []

    async def make(**handoff: Any) -> Client:
        cfg = handoff_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            tg_url=tg.url,
            slack_url=slack.api_url,
            **handoff,
        )
        client: Client = TestClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def service_of(client: Client) -> HandoffService:
    service = client.app[HANDOFF_KEY].service
    assert service is not None
    return service


async def telegram(client: Client, update: dict[str, Any]) -> None:
    response = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: TG_SECRET})
    assert response.status == 200, await response.text()


async def slack_event(client: Client, event: dict[str, Any]) -> None:
    raw = json.dumps(event_callback(event)).encode()
    headers = {**sign(raw), "Content-Type": "application/json"}
    response = await client.post(EVENTS_PATH, data=raw, headers=headers)
    assert response.status == 200, await response.text()


async def click(
    client: Client,
    handoff_id: int,
    verb: str,
    user: str,
    thread_ts: str,
    *,
    reply_in: str | None = None,
) -> None:
    """Press a button of the message ``thread_ts`` (a reply inside thread ``reply_in``, else
    the thread's opening message)."""
    payload = block_actions(
        str(handoff_id),
        user=user,
        channel=SUPPORT,
        message_ts=thread_ts,
        thread_ts=reply_in,
        action_id=f"handoff:{verb}",
    )
    raw = form_body(payload)
    headers = {**sign(raw), "Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post(EVENTS_PATH, data=raw, headers=headers)
    assert response.status == 200, await response.text()


async def slash(client: Client, user: str, text: str = "") -> ClientResponse:
    raw = command_body("/handoff", text, user=user, channel=SUPPORT)
    headers = {**sign(raw), "Content-Type": "application/x-www-form-urlencoded"}
    return await client.post(EVENTS_PATH, data=raw, headers=headers)


async def record(engine: AsyncEngine, conversation_id: str) -> Handoff:
    found = await HandoffStore(engine).latest_for(conversation_id)
    assert found is not None
    return found


def opening(slack: FakeSlack) -> dict[str, Any]:
    [message] = [m for m in slack.posted() if m["channel"] == SUPPORT and not m["thread_ts"]]
    return message


def blocks_text(message: dict[str, Any]) -> str:
    parts = []
    for block in message.get("blocks") or []:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields", [])]
        parts += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def button_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def in_thread(slack: FakeSlack, thread_ts: str) -> list[str]:
    return [m["text"] for m in slack.thread(SUPPORT, thread_ts)]


def png(color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), color).save(out, format="PNG")
    return out.getvalue()


# --- the full loop ------------------------------------------------------------------------------


async def test_telegram_customer_to_slack_staff_and_back_to_the_bot(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    await telegram(client, text_update(1, 501, "where is my order"))
    await eventually(lambda: tg.sent_texts(), "the bot's first answer")
    await telegram(client, text_update(2, 501, "I want to talk to a real person"))
    await eventually(lambda: any("connecting you" in t for t in tg.sent_texts()), "connecting")
    connecting = tg.ok("sendMessage")[-1]
    assert "Expected wait: about 3 min" in connecting.params["text"]
    assert connecting.callback_data == ["/handoff_cancel"]
    assert fake_rasa.events_for("telegram:501") == ["pause"]

    # The thread appears in the support channel with what staff need.
    await eventually(lambda: slack.called("chat.postMessage"), "the opening message")
    top = opening(slack)
    thread_ts = top["ts"]
    shown = blocks_text(top)
    for expected in (
        "Handoff #1",
        "waiting for a colleague",
        "telegram · `501`",
        "English (en)",
        "the customer asked for a person",
        "> 👤 where is my order",
        "> 🤖 Which order? (where is my order)",
        "> 👤 I want to talk to a real person",
        "guest",
    ):
        assert expected in shown, expected
    assert button_ids(top) == ["handoff:claim", "handoff:resolve", "handoff:close"]

    # The customer writes on: it goes to the thread, not to Rasa.
    await telegram(client, text_update(3, 501, "my parcel never arrived"))
    await eventually(lambda: in_thread(slack, thread_ts), "the relayed message")
    assert in_thread(slack, thread_ts) == ["👤 *Customer:* my parcel never arrived"]
    assert fake_rasa.messages() == ["where is my order", "I want to talk to a real person"]

    # Someone outside the support channel cannot claim or reply.
    await click(client, 1, "claim", OUTSIDER, thread_ts)
    await slack_event(
        client, staff_message("hi", user=OUTSIDER, channel=SUPPORT, thread_ts=thread_ts)
    )
    assert [e["user"] for e in slack.ephemerals] == [OUTSIDER, OUTSIDER]
    assert all("Only members of" in e["text"] for e in slack.ephemerals)
    assert (await record(engine, "telegram:501")).status == "waiting"

    # A colleague claims; the customer is told; the opening message shows it.
    sent_before = len(tg.sent_texts())
    await click(client, 1, "claim", STAFF, thread_ts)
    await eventually(lambda: len(tg.sent_texts()) > sent_before, "the claim notice")
    assert tg.sent_texts()[-1] == "Anna from our team is here to help you now."
    await eventually(lambda: slack.updates, "the opening message update")
    assert "claimed by <@U0STAFF01>" in blocks_text(slack.updates[-1])
    assert button_ids(slack.updates[-1]) == ["handoff:resolve", "handoff:close"]

    # A staff reply reaches Telegram; a note does not.
    reply = staff_message(
        "Sorry about that, let me check.", user=STAFF, channel=SUPPORT, thread_ts=thread_ts
    )
    await slack_event(client, reply)
    await slack_event(client, reply)  # Slack's retry of the same event
    note = staff_message(
        "note: courier says lost", user=STAFF, channel=SUPPORT, thread_ts=thread_ts
    )
    await slack_event(client, note)
    await eventually(lambda: "Anna: Sorry about that, let me check." in tg.sent_texts(), "reply")
    await settle()
    assert tg.sent_texts()[sent_before:] == [
        "Anna from our team is here to help you now.",
        "Anna: Sorry about that, let me check.",
    ]
    async with engine.connect() as conn:
        stored = (
            await conn.execute(select(handoff_messages).order_by(handoff_messages.c.id))
        ).all()
    assert [(m.direction, m.staff_user, m.text) for m in stored if m.direction != "system"] == [
        ("customer", None, "my parcel never arrived"),
        ("staff", STAFF, "Sorry about that, let me check."),
        ("note", STAFF, "courier says lost"),
    ]

    # /handoff lists it for staff only.
    listing = await slash(client, STAFF)
    assert listing.status == 200
    text = (await listing.json())["text"]
    assert "Active (1)" in text and "#1" in text and "Waiting (0)" in text
    assert thread_link("https://fake.slack.test/", SUPPORT, thread_ts) in text
    refused = await (await slash(client, OUTSIDER)).json()
    assert "Only members of" in refused["text"]

    # Resolve: Rasa resumes, the bot asks for a rating; the rating is stored.
    await click(client, 1, "resolve", STAFF, thread_ts)
    await eventually(lambda: "rate" in tg.sent_texts()[-1], "the rating question")
    # Resumed once: by the click's resolve, or by the worker's round if it was resuming then.
    await eventually(
        lambda: fake_rasa.events_for("telegram:501") == ["pause", "resume"], "Rasa resumed once"
    )
    question = tg.ok("sendMessage")[-1]
    assert question.button_titles == ["★☆☆☆☆", "★★☆☆☆", "★★★☆☆", "★★★★☆", "★★★★★"]
    await telegram(client, callback_update(4, 501, question.callback_data[3]))
    await eventually(lambda: "Thank you for your rating" in tg.sent_texts()[-1], "thanks")
    done = await record(engine, "telegram:501")
    assert (done.status, done.rating, done.ended_by) == ("resolved", 4, f"staff:{STAFF}")

    # The bot answers again.
    await telegram(client, text_update(5, 501, "where is my order now"))
    await eventually(
        lambda: "Which order? (where is my order now)" in tg.sent_texts(), "the bot's answer"
    )
    await eventually(lambda: "rating ★★★★☆" in blocks_text(slack.updates[-1]), "rating shown")
    assert "resolved by <@U0STAFF01>" in blocks_text(slack.updates[-1])
    assert button_ids(slack.updates[-1]) == []
    # A late reply in the resolved thread is refused, not relayed.
    late = staff_message("anything else?", user=STAFF, channel=SUPPORT, thread_ts=thread_ts)
    await slack_event(client, late)
    assert "was not sent" in slack.ephemerals[-1]["text"]
    assert "anything else?" not in " ".join(tg.sent_texts())


async def test_the_transcript_staff_see_has_no_personal_data(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack
) -> None:
    client = await gateway()
    said = "call me on 13812345678 or mail jo.doe@example.com, I moved to 42 Elm Street"
    await telegram(client, text_update(1, 502, said))
    await eventually(lambda: tg.sent_texts(), "the bot's first answer")
    await telegram(client, text_update(2, 502, "收件人 张三 要转人工"))
    await eventually(lambda: slack.called("chat.postMessage"), "the opening message")
    shown = blocks_text(opening(slack))
    for private in ("13812345678", "jo.doe@example.com", "42 Elm Street", "张三"):
        assert private not in shown, private
    for marker in ("phone", "email", "address", "name"):
        assert f"&lt;{marker}&gt;" in shown or f"<{marker}>" in shown, marker
    # What the customer writes during the handoff reaches staff as written.
    thread_ts = opening(slack)["ts"]
    await telegram(client, text_update(3, 502, "my number is 13812345678"))
    await eventually(lambda: in_thread(slack, thread_ts), "the relayed message")
    assert in_thread(slack, thread_ts) == ["👤 *Customer:* my number is 13812345678"]


async def test_chinese_customer_and_back_to_the_bot(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    await telegram(client, text_update(1, 502, "我要转人工", language_code="zh-hans"))
    await eventually(lambda: tg.sent_texts(), "the connecting text")
    assert tg.sent_texts()[0].startswith("正在为您转接人工客服，预计等待约 3 分钟")
    assert tg.ok("sendMessage")[0].button_titles == ["返回机器人"]
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    thread_ts = opening(slack)["ts"]
    assert "中文 (zh)" in blocks_text(opening(slack))
    await slack_event(
        client, staff_message("您好，我来帮您查", user=STAFF, channel=SUPPORT, thread_ts=thread_ts)
    )
    await eventually(lambda: "Anna：您好，我来帮您查" in tg.sent_texts(), "the staff reply")
    assert tg.sent_texts()[1] == "客服 Anna 已接入，为您服务。"  # replying claimed it
    await telegram(client, text_update(2, 502, "返回机器人", language_code="zh-hans"))
    await eventually(lambda: tg.sent_texts()[-1].startswith("好的，已为您转回智能助手"), "back")
    await eventually(
        lambda: "ℹ️ The customer went back to the bot." in in_thread(slack, thread_ts), "the note"
    )
    await eventually(
        lambda: "the customer went back to the bot" in blocks_text(slack.updates[-1]), "update"
    )
    assert (await record(engine, "telegram:502")).status == "cancelled"
    await telegram(client, text_update(3, 502, "我的订单到哪了", language_code="zh-hans"))
    await eventually(lambda: "请问是哪个订单？（我的订单到哪了）" in tg.sent_texts(), "bot")


async def test_sentiment_trigger_opens_a_thread_with_the_score(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, fake_rasa: FakeRasa, engine: AsyncEngine
) -> None:
    client = await gateway()
    service_of(client).sentiment = KeywordScorer()
    await telegram(client, text_update(1, 503, "this is terrible"))
    await eventually(lambda: tg.sent_texts(), "the bot's answer")
    await telegram(client, text_update(2, 503, "awful, you are useless"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    shown = blocks_text(opening(slack))
    assert "strongly negative messages" in shown
    assert "-0.90 (negative, mean of the latest 2)" in shown
    assert "mood: angry -> angry (-0.90, -0.90)" in shown  # the trend, oldest first
    await eventually(lambda: any("connecting you" in t for t in tg.sent_texts()), "connecting")
    assert fake_rasa.messages() == ["this is terrible"]
    assert (await record(engine, "telegram:503")).reason == "negative_sentiment"


async def test_unclaimed_handoff_becomes_a_ticket(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, engine: AsyncEngine
) -> None:
    client = await gateway(claim_timeout_s=0.3)
    await telegram(client, text_update(1, 504, "real person please"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    thread_ts = opening(slack)["ts"]
    await eventually(lambda: any("leave a" in t for t in tg.sent_texts()), "the offer", 5)
    await telegram(client, text_update(2, 504, "Call me on 13812345678 about the refund"))
    await eventually(lambda: "ticket TK-" in tg.sent_texts()[-1], "the ticket number")
    [ticket] = await tickets.list_tickets(engine, kind="message")
    assert ticket.payload["text"] == "Call me on 13812345678 about the refund"
    assert ticket.id in tg.sent_texts()[-1]
    await eventually(
        lambda: (
            f"ℹ️ The customer left a message: ticket {ticket.id}." in in_thread(slack, thread_ts)
        ),
        "the note in the thread",
    )
    assert "👤 *Customer:* Call me on 13812345678 about the refund" in in_thread(slack, thread_ts)
    await eventually(
        lambda: f"message left as ticket {ticket.id}" in blocks_text(slack.updates[-1]), ""
    )


async def test_restart_mid_handoff_keeps_the_thread_and_routing(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    first = await gateway()
    await telegram(first, text_update(1, 505, "real person"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    thread_ts = opening(slack)["ts"]
    await click(first, 1, "claim", STAFF, thread_ts)
    await eventually(lambda: "Anna from our team is here to help you now." in tg.sent_texts(), "")
    # Slack is down when the customer writes; the gateway stops before it can relay.
    slack.fail("chat.postMessage", times=100)
    await telegram(first, text_update(2, 505, "hello? are you there?"))
    await settle(0.3)
    await first.close()
    slack.failures.clear()

    second = await gateway()  # a new gateway process on the same database
    await eventually(
        lambda: "👤 *Customer:* hello? are you there?" in in_thread(slack, thread_ts), "relay"
    )
    await slack_event(
        second, staff_message("Yes, still here!", user=STAFF, channel=SUPPORT, thread_ts=thread_ts)
    )
    await eventually(lambda: "Anna: Yes, still here!" in tg.sent_texts(), "the reply after restart")
    assert fake_rasa.messages() == ["real person"]
    assert len([m for m in slack.posted() if not m["thread_ts"]]) == 1  # one thread, kept


async def test_photos_pass_both_ways(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, tmp_path: Path
) -> None:
    client = await gateway()
    await telegram(client, text_update(1, 506, "real person"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    thread_ts = opening(slack)["ts"]
    photo = png((200, 20, 20))
    tg.add_file("ph-1", photo)
    await telegram(client, photo_update(2, 506, [("ph-1", 16, 12)], caption="the lid is cracked"))
    await eventually(lambda: slack.called("files.completeUploadExternal"), "the upload")
    assert [u["data"] for u in slack.uploads.values()] == [photo]
    [complete] = slack.called("files.completeUploadExternal")
    assert complete.params["thread_ts"] == thread_ts and complete.params["channel_id"] == SUPPORT
    assert "👤 *Customer:* the lid is cracked" in in_thread(slack, thread_ts)

    staff_photo = png((20, 200, 20))
    file = slack.add_file("label.png", staff_photo, "image/png")
    event = staff_message(
        "Here is the return label", user=STAFF, channel=SUPPORT, thread_ts=thread_ts,
        subtype="file_share", files=[file],
    )  # fmt: skip
    await slack_event(client, event)
    await eventually(lambda: tg.ok("sendPhoto"), "the staff photo on Telegram")
    [sent_photo] = tg.ok("sendPhoto")
    assert Image.open(io.BytesIO(sent_photo.files["photo"])).getpixel((0, 0)) == (20, 200, 20)
    assert "Anna: Here is the return label" in tg.sent_texts()


async def test_slack_customer_is_answered_in_their_own_thread(
    gateway: Gateway, slack: FakeSlack, fake_rasa: FakeRasa
) -> None:
    client = await gateway()
    await slack_event(client, dm_event("I need a real person", ts="1712000001.000100"))
    await eventually(lambda: slack.called("chat.postMessage") and len(slack.posted()) >= 2, "")
    top = opening(slack)
    assert "slack · `U0CUSTOMER`" in blocks_text(top)
    await slack_event(
        client, staff_message("Hi there", user=STAFF, channel=SUPPORT, thread_ts=top["ts"])
    )
    await eventually(
        lambda: any(m["text"] == "Anna: Hi there" for m in slack.posted()), "the relayed reply"
    )
    [relayed] = [m for m in slack.posted() if m["text"] == "Anna: Hi there"]
    assert (relayed["channel"], relayed["thread_ts"]) == ("D0CUSTOMER", "1712000001.000100")


@pytest.mark.parametrize(("text", "expected"), [("waiting", "Waiting (1)"), ("bogus", "Usage")])
async def test_handoff_command_arguments(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, text: str, expected: str
) -> None:
    client = await gateway()
    await telegram(client, text_update(1, 507, "real person"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")
    answer = (await (await slash(client, STAFF, text)).json())["text"]
    assert expected in answer
    assert "Active" not in answer


async def test_membership_is_cached(gateway: Gateway, tg: FakeTelegram, slack: FakeSlack) -> None:
    client = await gateway()
    for _ in range(3):
        assert (await slash(client, STAFF)).status == 200
    # Three members at two per page: one listing is two calls, made once.
    assert len(slack.called("conversations.members")) == 2


def test_opening_message_in_chinese_for_chinese_staff() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)
    handoff = Handoff(
        id=3,
        conversation_id="web:demo-liwei",
        channel="web",
        external_id="demo-liwei",
        customer_id="C0001",
        language="zh",
        reason="severe_complaint",
        detail={"severity": "critical", "ticket_id": "TK-20260421-0001"},
        status="waiting",
        snapshot={
            "customer": {"id": "C0001", "name": "Li Wei", "name_zh": "李伟", "segment": "vip"},
            "orders": [
                {
                    "id": "260315004217",
                    "status": "in_transit",
                    "total_cents": 39900,
                    "items": [{"name_en": "Earbuds", "name_zh": "无线耳机", "quantity": 1}],
                }
            ],
            "turns": [{"direction": "in", "text": "耳机<坏了>&没声音"}],
            "sentiment": -0.82,
            "sentiment_n": 3,
            "sentiment_scores": [-0.2, -0.6, -0.9],
        },
        sentiment=-0.82,
        created_at=now,
        updated_at=now,
    )
    text, blocks = OpeningRenderer("zh", "Asia/Shanghai").render(handoff, now)
    shown = blocks_text({"blocks": blocks})
    for expected in (
        "转人工 #3",
        "等待接入",
        "Li Wei (李伟) · C0001 · vip",
        "严重投诉 (critical), TK-20260421-0001",
        "`260315004217` 运输中 · ¥399.00 · 无线耳机 ×1",
        "耳机&lt;坏了&gt;&amp;没声音",  # Slack markup escaped
        "-0.82",
        "情绪：平静 -> 不满 -> 愤怒（-0.20, -0.60, -0.90）",  # the mood trend
        "2026-04-21 10:00",  # shop time
    ):
        assert expected in shown, expected
    assert [e["text"]["text"] for e in blocks[-1]["elements"]] == [
        "接入",
        "解决（转回机器人）",
        "关闭",
    ]
    assert "转人工 #3" in text  # the notification is in the staff language too


def test_app_manifest_has_the_staff_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # conversations.members, users.info, files upload, the slash command, thread replies
    assert {"channels:read", "groups:read", "users:read", "files:write", "commands"} <= scopes
    assert {"channels:history", "groups:history", "chat:write"} <= scopes


async def test_thread_mapping_and_pause_are_stored(
    gateway: Gateway, tg: FakeTelegram, slack: FakeSlack, engine: AsyncEngine
) -> None:
    client = await gateway()
    await telegram(client, text_update(1, 508, "real person"))
    await eventually(lambda: slack.called("chat.postMessage"), "the thread")

    async def mapped() -> bool:
        async with engine.connect() as conn:
            row = (await conn.execute(select(handoffs))).one()
        return (row.slack_channel, row.thread_ts, row.rasa_state) == (
            SUPPORT,
            opening(slack)["ts"],
            "paused",
        )

    await eventually(mapped, "the thread and Rasa's pause in the database")
    assert service_of(client).available


async def test_a_proactive_notice_alerts_staff_in_the_support_channel_once(
    gateway: Gateway, slack: FakeSlack, engine: AsyncEngine
) -> None:
    """The gateway gives its Slack staff desk to the proactive scheduler (README "Insight")."""
    from datetime import UTC, datetime

    from tests.core.test_proactive import Records

    records = Records(engine, now=datetime.now(UTC))
    cid, _ = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)  # no scan for 58 h: stalled
    client = await gateway()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for _ in range(2):
        response = await client.post("/api/admin/proactive/run", headers=auth)
        assert response.status == 200, await response.text()
    alerts = [m for m in slack.posted() if m["channel"] == SUPPORT and order in m["text"]]
    assert len(alerts) == 1
    assert "tracking stalled" in alerts[0]["text"] and cid in alerts[0]["text"]
    [notice] = await records.notices(order)
    assert notice.staff_alert == "slack"

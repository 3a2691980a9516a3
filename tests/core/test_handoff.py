"""Handoff to staff: the rules (table-driven) and the service on the real pipeline, with a
scripted Rasa, a recording channel and a recording staff desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError
from bot.core.message import IncomingMessage
from bot.core.outbox import DeliveryError
from bot.core.rasa_client import RasaBadResponse, RasaClient, RasaUnavailable
from bot.handoff.rules import (
    CANCEL_PAYLOAD,
    STATUSES,
    TRANSITIONS,
    ServiceHours,
    can_transition,
    check_settings,
    expected_wait_s,
    handoff_request,
    is_cancel,
    mentioned_order_ids,
    normalise_phrase,
    parse_rating,
    parse_request,
    rating_payload,
    sentiment_triggers,
    staff_note,
)
from bot.services import tickets
from bot.storage.schema import handoff_messages, handoffs, orders
from tests.gateway.helpers import make_config
from tests.handoff.harness import (
    OTHER,
    STAFF,
    KeywordScorer,
    MakeHarness,
    eventually,
    rows,
)

# --- rules ----------------------------------------------------------------------------------------


def test_every_status_has_transitions_and_open_ones_can_end() -> None:
    assert set(TRANSITIONS) == set(STATUSES)
    for status in ("waiting", "active", "message"):
        assert can_transition(status, "cancelled") and can_transition(status, "closed")
    for status in ("resolved", "closed", "cancelled", "expired"):
        assert not TRANSITIONS[status]


@pytest.mark.parametrize(
    ("current", "to", "allowed"),
    [
        ("waiting", "active", True),
        ("message", "active", True),  # a colleague arrives late
        ("waiting", "message", True),
        ("message", "expired", True),
        ("active", "message", False),
        ("active", "waiting", False),
        ("resolved", "active", False),
        ("waiting", "expired", False),
    ],
)
def test_transitions(current: str, to: str, allowed: bool) -> None:
    assert can_transition(current, to) is allowed


PHRASES = ("back to bot", "返回机器人")


@pytest.mark.parametrize(
    ("text", "payload", "cancel"),
    [
        ("back to bot", None, True),
        ("Back to BOT!", None, True),
        ("back   to bot.", None, True),
        ("返回机器人", None, True),
        ("返回 机器人。", None, True),
        ("ｂａｃｋ ｔｏ ｂｏｔ", None, True),  # full-width letters
        ("I don't want to go back to bot mode", None, False),  # a sentence is relayed
        ("bot", None, False),
        ("", None, False),
        (None, CANCEL_PAYLOAD, True),
        (None, "/greet", False),
    ],
)
def test_cancel_phrases(text: str | None, payload: str | None, cancel: bool) -> None:
    assert is_cancel(text, payload, PHRASES) is cancel


@pytest.mark.parametrize(
    ("text", "payload", "expected"),
    [
        (None, rating_payload(7, 4), (4, 7)),
        (None, '/handoff_rating{"rating": 5}', (5, None)),
        (None, '/handoff_rating{"rating": 6, "handoff_id": 1}', None),
        (None, "/handoff_rating{broken", None),
        (None, "/greet", None),
        ("3", None, (3, None)),
        ("５", None, (5, None)),
        ("★★", None, (2, None)),
        ("0", None, None),
        ("12", None, None),
        ("great", None, None),
    ],
)
def test_ratings(text: str | None, payload: str | None, expected: tuple[int, int] | None) -> None:
    rating = parse_rating(text, payload)
    assert (None if rating is None else (rating.rating, rating.handoff_id)) == expected


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("note: customer is a reseller", "customer is a reseller"),
        ("NOTE:check stock", "check stock"),
        ("  note：退货地址已核对", "退货地址已核对"),
        ("备注: 老客户", "老客户"),
        ("a note: not one", None),
        ("notes are internal", None),
    ],
)
def test_staff_notes(text: str, note: str | None) -> None:
    assert staff_note(text) == note


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, 21, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("hours", "now", "open_"),
    [
        ("09:00-21:00", _at(9), True),
        ("09:00-21:00", _at(20, 59), True),
        ("09:00-21:00", _at(21), False),
        ("09:00-21:00", _at(8, 59), False),
        ("09:00-12:00, 13:00-18:00", _at(12, 30), False),
        ("09:00-12:00, 13:00-18:00", _at(13, 0), True),
        ("22:00-02:00", _at(23), True),
        ("22:00-02:00", _at(1, 59), True),
        ("22:00-02:00", _at(2), False),
        ("00:00-24:00", _at(0), True),
        ("00:00-24:00", _at(23, 59), True),
        # 09:00-21:00 in Shanghai is 01:00-13:00 UTC.
        ("09:00-21:00", datetime(2026, 4, 21, 0, 30, tzinfo=UTC), False),
        ("09:00-21:00", datetime(2026, 4, 21, 12, 30, tzinfo=UTC), True),
    ],
)
def test_service_hours(hours: str, now: datetime, open_: bool) -> None:
    assert ServiceHours.parse(hours, "Asia/Shanghai").is_open(now) is open_


@pytest.mark.parametrize("hours", ["9-21", "09:00", "25:00-26:00", "09:60-10:00", "09:00-24:30"])
def test_bad_service_hours_are_named(hours: str) -> None:
    with pytest.raises(ConfigError, match="service_hours"):
        ServiceHours.parse(hours, "Asia/Shanghai")


def test_bad_timezone_is_named() -> None:
    with pytest.raises(ConfigError, match="timezone"):
        ServiceHours.parse("09:00-21:00", "Mars/Olympus")


@pytest.mark.parametrize(
    ("scores", "triggered"),
    [
        ([-0.9, -0.8, -0.7], True),
        ([0.5, -0.9, -0.8, -0.7], True),  # only the latest three count
        ([-0.9, -0.8, 0.9], False),
        ([-0.95], False),  # one message is not enough (min 2)
        ([-0.7, -0.7], True),
        ([-0.5, -0.6, -0.6], False),  # not below -0.6
        ([], False),
    ],
)
def test_sentiment_trigger(scores: list[float], triggered: bool) -> None:
    mean = sentiment_triggers(scores, threshold=-0.6, window=3, min_messages=2)
    assert (mean is not None) is triggered


@pytest.mark.parametrize(
    ("waits", "ahead", "expected"),
    [
        ([], 0, 180.0),  # no history: the default
        ([60.0, 120.0, 600.0], 0, 120.0),  # the median
        ([60.0, 120.0, 600.0], 2, 240.0),  # half a median more per customer ahead
        ([600.0], 0, 300.0),  # never beyond the claim timeout
    ],
)
def test_expected_wait(waits: list[float], ahead: int, expected: float) -> None:
    assert expected_wait_s(waits, ahead=ahead, default_s=180.0, cap_s=300.0) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("where is 260315004217?", ["260315004217"]),
        ("订单260315004217和260402118830", ["260315004217", "260402118830"]),
        ("call 13812345678", []),
        ("2603150042171", []),  # 13 digits is not an order number
        (None, []),
    ],
)
def test_mentioned_orders(text: str | None, expected: list[str]) -> None:
    assert mentioned_order_ids(text, "[0-9]{12}") == expected


def test_handoff_requests_round_trip() -> None:
    message = handoff_request("severe_complaint", severity="critical", ticket_id="TK-1")
    request = parse_request(message)
    assert request is not None and request.reason == "severe_complaint"
    assert dict(request.detail) == {"severity": "critical", "ticket_id": "TK-1"}
    unknown = parse_request({"type": "handoff", "reason": "sunspots"})
    assert unknown is not None and unknown.reason == "customer_request"
    assert parse_request({"type": "product_cards"}) is None
    with pytest.raises(ValueError, match="one of"):
        handoff_request("vip")


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"staff_language": "fr"}, "staff_language"),
        ({"sentiment_threshold": -2}, "sentiment_threshold"),
        ({"sentiment_window": 2, "sentiment_min_messages": 3}, "sentiment_min_messages"),
        ({"severe_complaint_levels": ["urgent"]}, "severe_complaint_levels"),
        ({"claim_timeout_s": 0}, "claim_timeout_s"),
        ({"cancel_phrases": ["!!"]}, "cancel_phrases"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, section: dict[str, Any], key: str) -> None:
    cfg = make_config(tmp_path, rasa_url="http://x", actions_url="http://x", handoff=section)
    with pytest.raises(ConfigError, match=key):
        check_settings(cfg)


def test_phrases_normalise() -> None:
    assert normalise_phrase("  Back-to_BOT ") == "backtobot"


# --- the service on the real pipeline ------------------------------------------------------------


async def test_full_loop_request_relay_reply_note_resolve_rating(make_harness: MakeHarness) -> None:
    h = await make_harness()
    [connecting] = await h.say("I want to talk to a real person")
    assert "connecting you" in (connecting.text or "") and "about 3 min" in (connecting.text or "")
    assert [b.payload for b in connecting.buttons] == [CANCEL_PAYLOAD]
    record = await h.record()
    assert (record.status, record.reason, record.language) == ("waiting", "customer_request", "en")
    assert h.rasa.events_for("telegram:501") == ["pause"]
    await eventually(lambda: len(h.staff.opened) == 1)

    # While waiting, the customer's messages go to the thread, not to Rasa.
    assert await h.say("my parcel 260315004217 never arrived") == []
    await eventually(lambda: h.staff.customer_texts() == ["my parcel 260315004217 never arrived"])
    assert h.rasa.messages() == ["I want to talk to a real person"]

    claimed = await h.service.claim(record.id, STAFF)
    assert claimed.result == "ok" and claimed.handoff is not None
    assert (await h.service.claim(record.id, OTHER)).result == "taken"
    await h.service.staff_reply(record.id, STAFF, text="Hi, I'm checking it now", slack_ts="1.1")
    note = await h.service.staff_reply(
        record.id, OTHER, text="note: courier lost it", slack_ts="1.2"
    )
    assert note.note
    await eventually(lambda: len(h.sender.sent) == 2)
    assert h.sender.texts() == [
        "Anna from our team is here to help you now.",
        "Anna: Hi, I'm checking it now",
    ]

    resolved = await h.service.resolve(record.id, STAFF)
    assert resolved.result == "ok"
    # Resumed once, by the resolve or by the worker's round if it was resuming at that moment.
    await eventually(lambda: h.rasa.events_for("telegram:501") == ["pause", "resume"])
    await eventually(lambda: len(h.sender.sent) == 3)
    ask = h.sender.sent[2].message
    assert "rate" in (ask.text or "")
    assert [b.payload for b in ask.buttons] == [rating_payload(record.id, n) for n in range(1, 6)]

    [thanks] = await h.say(payload=rating_payload(record.id, 4))
    assert "★★★★☆" in (thanks.text or "")
    final = await h.record()
    assert (final.status, final.rating, final.staff_user) == ("resolved", 4, STAFF.user_id)

    # The bot answers again.
    [answer, _image] = await h.say("where is my order")
    assert answer.text == "Which order? (where is my order)"

    stored = await rows(h.engine, handoff_messages)
    assert [(m["direction"], m["staff_user"]) for m in stored if m["direction"] != "system"] == [
        ("customer", None),
        ("staff", STAFF.user_id),
        ("note", OTHER.user_id),
    ]
    assert (await h.service.staff_reply(record.id, STAFF, text="late")).result == "ended"


async def test_bare_digit_right_after_resolve_is_a_rating_later_it_is_not(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness()
    await h.say("转人工")
    record = await h.record()
    await h.service.resolve(record.id, STAFF)
    [thanks] = await h.say("5")
    assert thanks.text is not None and "感谢" in thanks.text  # the conversation is Chinese
    assert (await h.record()).rating == 5
    # Not asked any more: a digit now goes to Rasa.
    await h.say("3")
    assert h.rasa.messages()[-1] == "3"
    assert (await h.record()).rating == 5


async def test_customer_goes_back_to_the_bot_in_chinese(make_harness: MakeHarness) -> None:
    h = await make_harness()
    await h.say("我要人工客服")
    [back] = await h.say("返回机器人")
    assert back.text == "好的，已为您转回智能助手。请问还有什么可以帮您？"
    record = await h.record()
    assert (record.status, record.ended_by, record.rasa_state) == (
        "cancelled",
        "customer",
        "running",
    )
    assert h.rasa.events_for("telegram:501") == ["pause", "resume"]
    answer = await h.say("我的订单到哪了")
    assert answer[0].text == "请问是哪个订单？（我的订单到哪了）"
    # "back to bot" again right after: answered, not sent to Rasa.
    before = len(h.rasa.requests)
    assert await h.say("返回机器人") != []
    assert len(h.rasa.requests) == before


async def test_unclaimed_handoff_offers_a_message_that_becomes_a_ticket(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness(claim_timeout_s=0.2)
    await h.say("real person please")
    await eventually(lambda: len(h.sender.sent) == 1, within_s=3)
    offer = h.sender.sent[0].message
    assert "leave a message" in (offer.text or "")
    assert (await h.record()).status == "message"
    [done] = await h.say("Please call me back about order 260315004217")
    [ticket] = await tickets.list_tickets(h.engine, kind="message")
    assert ticket.id in (done.text or "")
    assert ticket.payload["text"] == "Please call me back about order 260315004217"
    assert ticket.sender_id == "telegram:501" and ticket.category == "handoff"
    record = await h.record()
    assert (record.status, record.ticket_id, record.rasa_state) == ("expired", ticket.id, "running")
    assert h.rasa.messages() == ["real person please"]  # the message went to the ticket
    await h.say("where is my order")  # the bot is back
    assert h.rasa.messages()[-1] == "where is my order"


async def test_a_colleague_can_still_claim_after_the_timeout(make_harness: MakeHarness) -> None:
    h = await make_harness(claim_timeout_s=0.1)
    await h.say("real person please")
    await eventually(lambda: len(h.sender.sent) == 1, within_s=3)
    record = await h.record()
    assert (await h.service.claim(record.id, STAFF)).result == "ok"
    assert await h.say("thanks for coming") == []  # relayed, not a ticket
    assert await tickets.list_tickets(h.engine, kind="message") == []


async def test_ignored_offer_lapses_and_the_bot_is_back(make_harness: MakeHarness) -> None:
    h = await make_harness(claim_timeout_s=0.1, leave_message_timeout_s=0.1)
    await h.say("real person please")

    async def expired_and_resumed() -> bool:
        record = await h.record()
        return (record.status, record.rasa_state) == ("expired", "running")

    await eventually(expired_and_resumed, within_s=3)
    await h.say("where is my order")
    assert h.rasa.messages()[-1] == "where is my order"


async def test_outside_service_hours_the_customer_may_leave_a_message(
    make_harness: MakeHarness,
) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    closed = f"{(now + timedelta(hours=2)):%H}:00-{(now + timedelta(hours=3)):%H}:00"
    h = await make_harness(shop={"service_hours": closed, "timezone": "Asia/Shanghai"})
    [offer] = await h.say("人工客服")
    assert "不是人工客服的服务时间" in (offer.text or "") and closed in (offer.text or "")
    record = await h.record()
    assert (record.status, record.needs_thread) == ("message", False)
    await h.service.tick()
    assert h.staff.opened == []  # nobody is there to see a thread


async def test_without_a_staff_desk_a_request_becomes_a_ticket(make_harness: MakeHarness) -> None:
    h = await make_harness(desk=False)
    [reply] = await h.say("I want to talk to a real person")
    [ticket] = await tickets.list_tickets(h.engine, kind="message")
    assert ticket.id in (reply.text or "") and ticket.category == "request_human"
    assert await rows(h.engine, handoffs) == []
    assert h.rasa.events_for("telegram:501") == []


def _sentiment_rasa(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"recipient_id": body["sender"], "text": "I see."}]


async def test_negative_sentiment_over_recent_messages_hands_off(make_harness: MakeHarness) -> None:
    # The trigger alone (the apology: tests/handoff/test_emotion_replies.py).
    h = await make_harness(emotion_replies=False)
    h.rasa.reply = _sentiment_rasa
    assert (await h.say("this is terrible"))[0].text == "I see."  # one message is not enough
    [connecting] = await h.say("awful service, useless bot")
    assert "connecting you" in (connecting.text or "")
    record = await h.record()
    assert record.reason == "negative_sentiment"
    assert record.detail["sentiment"] == pytest.approx(-0.9)
    assert record.snapshot["sentiment"] == pytest.approx(-0.9)
    assert h.rasa.messages() == ["this is terrible"]  # the second never reached Rasa
    assert isinstance(h.service.sentiment, KeywordScorer)
    assert h.service.sentiment.calls == 2  # each message scored once, not once per window
    # After the handoff ends, the cooldown keeps the trigger quiet.
    await h.service.close_handoff(record.id, STAFF)
    assert (await h.say("still terrible"))[0].text == "I see."
    assert (await h.say("awful"))[0].text == "I see."


async def test_sentiment_needs_negative_mean_not_one_bad_word(make_harness: MakeHarness) -> None:
    h = await make_harness(cooldown_s=0, emotion_replies=False)
    h.rasa.reply = _sentiment_rasa
    for text in ("hello", "terrible weather today", "where is my parcel", "thanks"):
        assert (await h.say(text))[0].text == "I see."
    assert await rows(h.engine, handoffs) == []


async def test_sentiment_trigger_can_be_switched_off(make_harness: MakeHarness) -> None:
    h = await make_harness(on_negative_sentiment=False, emotion_replies=False)
    h.rasa.reply = _sentiment_rasa
    for text in ("terrible", "awful", "useless"):
        assert (await h.say(text))[0].text == "I see."


def _reply_with(*messages: dict[str, Any]) -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"recipient_id": body["sender"], **m} for m in messages]

    return reply


@pytest.mark.parametrize(
    ("severity", "handed_off"), [("critical", True), ("high", True), ("medium", False)]
)
async def test_severe_complaint(make_harness: MakeHarness, severity: str, handed_off: bool) -> None:
    h = await make_harness()
    h.rasa.reply = _reply_with(
        {"text": "Sorry! Complaint TK-1 recorded."},
        {"custom": handoff_request("severe_complaint", severity=severity, ticket_id="TK-1")},
    )
    replies = await h.say("the kettle caught fire")
    assert replies[0].text == "Sorry! Complaint TK-1 recorded."
    assert all((r.custom or {}).get("type") != "handoff" for r in replies)
    started = await h.service.store.latest_for("telegram:501")
    assert (started is not None) is handed_off
    assert len(replies) == (2 if handed_off else 1)
    if started is not None:
        assert dict(started.detail) == {"severity": severity, "ticket_id": "TK-1"}


@pytest.mark.parametrize("enabled", [True, False])
async def test_two_fallbacks(make_harness: MakeHarness, enabled: bool) -> None:
    h = await make_harness(on_two_fallbacks=enabled)
    h.rasa.reply = _reply_with({"custom": handoff_request("two_fallbacks")})
    [reply] = await h.say("blorp fizzwax")
    if enabled:
        assert "connecting you" in (reply.text or "")
        assert (await h.record()).reason == "two_fallbacks"
    else:
        assert "talk to a member of our team" in (reply.text or "")
        assert [b.payload for b in reply.buttons] == ["/request_human"]
        assert await rows(h.engine, handoffs) == []


async def test_vip_customers_go_to_a_person_at_once(make_harness: MakeHarness) -> None:
    h = await make_harness(vip_segments=["vip"])
    message = IncomingMessage(channel="web", external_id="demo-liwei", text="你好")
    reply = await h.pipeline.submit(message, wait_s=5)
    assert "正在为您转接人工客服" in (reply.messages[0].text or "")
    record = await h.service.store.latest_for("web:demo-liwei")
    assert record is not None and record.reason == "vip"
    assert record.snapshot["customer"]["name_zh"] == "李伟"
    # A regular customer is answered by the bot.
    emma = IncomingMessage(channel="web", external_id="demo-emma", text="hello")
    assert (await h.pipeline.submit(emma, wait_s=5)).messages[0].text == "Which order? (hello)"


async def test_orders_above_the_value_limit_go_to_a_person(make_harness: MakeHarness) -> None:
    h = await make_harness(order_value_limit=1000)
    now = datetime.now(UTC)
    common = {
        "customer_id": "C0001",
        "status": "paid",
        "created_at": now,
        "recipient": "Li Wei",
        "phone": "13812345678",
        "shipping_address": "Shanghai",
    }
    async with h.engine.begin() as conn:
        await conn.execute(
            insert(orders),
            [
                {"id": "260101000500", "total_cents": 50_000, **common},
                {"id": "260101099900", "total_cents": 299_900, **common},
            ],
        )
    assert (await h.say("where is 260101000500"))[0].text is not None
    assert await rows(h.engine, handoffs) == []
    [connecting] = await h.say("and 260101099900?")
    assert "connecting you" in (connecting.text or "")
    record = await h.record()
    assert dict(record.detail) == {"order_id": "260101099900", "total_cents": 299_900}


async def test_rasa_down_at_resolve_holds_the_next_message_until_resumed(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness()
    await h.say("real person")
    record = await h.record()
    h.rasa.status = 503
    await h.service.resolve(record.id, STAFF)
    assert (await h.record()).rasa_state == "resume_pending"
    message = IncomingMessage(channel="telegram", external_id="501", text="is it fixed?")
    # The wait ends as soon as the message is held; the long limit only covers a loaded machine.
    reply = await h.pipeline.submit(message, address={"chat_id": 501}, wait_s=10)
    assert reply.outcome == "held"
    h.rasa.status = 200
    await eventually(lambda: "Which order? (is it fixed?)" in h.sender.texts(), within_s=15)
    assert h.rasa.events_for("telegram:501") == ["pause", "resume"]
    assert (await h.record()).rasa_state == "running"


async def test_staff_thread_and_relays_survive_slack_errors_in_order(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness()
    h.staff.failures = [DeliveryError("Slack API error: internal_error (HTTP 500)")] * 2
    await h.say("real person")
    for text in ("one", "two", "three"):
        await h.say(text)
    await eventually(lambda: h.staff.customer_texts() == ["one", "two", "three"], within_s=5)
    assert len(h.staff.opened) == 1


async def test_restart_mid_handoff_keeps_routing(
    make_harness: MakeHarness, engine: AsyncEngine
) -> None:
    first = await make_harness()
    await first.say("real person")
    record = await first.record()
    await first.service.claim(record.id, STAFF)
    await first.service.close()
    await first.pipeline.close()
    second = await make_harness()  # a new gateway on the same database
    assert await second.say("are you still there?") == []
    await eventually(lambda: second.staff.customer_texts() == ["are you still there?"])
    outcome = await second.service.staff_reply(record.id, STAFF, text="yes!", slack_ts="9.9")
    assert outcome.result == "ok"
    await eventually(lambda: "Anna: yes!" in second.sender.texts())
    assert second.rasa.messages() == ["real person"]


async def test_relayed_photos_and_staff_images(make_harness: MakeHarness) -> None:
    from bot.core.message import Attachment

    h = await make_harness()
    await h.say("real person")
    photo = Attachment(kind="image", url="/media/abc.jpg", mime_type="image/jpeg")
    message = IncomingMessage(channel="telegram", external_id="501", attachments=(photo,))
    await h.pipeline.submit(message, address={"chat_id": 501}, wait_s=5)
    await eventually(lambda: any(m.attachments for _, m in h.staff.posted))
    record = await h.record()
    staff_photo = Attachment(kind="image", url="/media/def.png", mime_type="image/png")
    await h.service.staff_reply(record.id, STAFF, text=None, attachments=(staff_photo,))
    await eventually(lambda: any(i.message.image == "/media/def.png" for i in h.sender.sent))


# --- Rasa's pause and resume --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "token"),
    [
        (200, None, None),
        (200, None, "s3cret"),
        (503, RasaUnavailable, None),
        (403, RasaBadResponse, "x"),
    ],
)
async def test_pause_and_resume_append_tracker_events(
    status: int, error: type[Exception] | None, token: str | None
) -> None:
    seen: list[tuple[str, str, dict[str, str], Any]] = []

    async def events(request: web.Request) -> web.Response:
        seen.append((request.method, request.path, dict(request.query), await request.json()))
        return web.json_response({"events": []}, status=status)

    app = web.Application()
    app.router.add_post("/conversations/{sender}/tracker/events", events)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    try:
        async with RasaClient(url, url, auth_token=token) as rasa:
            for call in (rasa.pause, rasa.resume):
                if error is None:
                    await call("telegram:501")
                else:
                    with pytest.raises(error):
                        await call("telegram:501")
    finally:
        await server.close()
    assert [(m, p, body) for m, p, _, body in seen] == [
        ("POST", "/conversations/telegram:501/tracker/events", {"event": "pause"}),
        ("POST", "/conversations/telegram:501/tracker/events", {"event": "resume"}),
    ]
    assert all(query.get("token") == token for _, _, query, _ in seen)


async def test_a_failed_pause_is_retried_by_the_worker(
    make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await make_harness()
    real_pause = h.service.rasa.pause
    failures = [RasaUnavailable("Rasa is restarting")]

    async def flaky_pause(sender: str) -> None:
        if failures:
            raise failures.pop()
        await real_pause(sender)

    monkeypatch.setattr(h.service.rasa, "pause", flaky_pause)
    [connecting] = await h.say("real person")  # the handoff starts all the same
    assert "connecting you" in (connecting.text or "")

    async def paused() -> bool:
        return (await h.record()).rasa_state == "paused"

    await eventually(paused)
    assert failures == [] and h.rasa.events_for("telegram:501") == ["pause"]

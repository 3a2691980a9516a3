"""A Telegram customer through the real stack: the python-telegram-bot adapter in the gateway
process, the real Rasa model and action server, and the fake Bot API on loopback."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest

from bot.launcher import Stack
from tests.adapters.fake_telegram import Call, FakeTelegram, callback_update, text_update
from tests.integration.helpers import TELEGRAM_SECRET, has_han, http_json

pytestmark = pytest.mark.integration

_update_ids = itertools.count(10_000)
_user_ids = itertools.count(700_000)


def post_update(stack: Stack, update: dict[str, object], secret: str = TELEGRAM_SECRET) -> int:
    result = http_json(
        "POST",
        f"{stack.gateway_url}/webhooks/telegram",
        update,
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    )
    return result.status


def sent_to(telegram: FakeTelegram, chat_id: int) -> list[Call]:
    return [
        c
        for c in telegram.calls
        if c.status == 200
        and c.method in ("sendMessage", "sendPhoto")
        and int(c.params.get("chat_id", 0)) == chat_id
    ]


def wait_for(
    telegram: FakeTelegram, chat_id: int, done: Callable[[list[Call]], bool], what: str
) -> list[Call]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        calls = sent_to(telegram, chat_id)
        if done(calls):
            return calls
        time.sleep(0.2)
    raise AssertionError(f"Telegram never got {what}; sent: {sent_to(telegram, chat_id)}")


def text_of(call: Call) -> str:
    return str(call.params.get("text") or call.params.get("caption") or "")


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("你好", has_han),
        ("hello there", lambda t: not has_han(t)),
        ("你们支持哪些付款方式？", lambda t: has_han(t) and ("支付" in t or "付款" in t)),
        ("which payment methods do you accept?", lambda t: "pay" in t.lower()),
    ],
    ids=["greet-zh", "greet-en", "faq-zh", "faq-en"],
)
def test_a_telegram_customer_is_answered_in_their_language(
    stack: Stack, telegram: FakeTelegram, text: str, check: Callable[[str], bool]
) -> None:
    user = next(_user_ids)
    assert post_update(stack, text_update(next(_update_ids), user, text)) == 200
    calls = wait_for(telegram, user, bool, "an answer")
    assert check(text_of(calls[0])), text_of(calls[0])


def test_a_repeated_update_is_answered_once(stack: Stack, telegram: FakeTelegram) -> None:
    user, update_id = next(_user_ids), next(_update_ids)
    update = text_update(update_id, user, "你们的客服几点上班？")
    assert post_update(stack, update) == 200
    assert post_update(stack, update) == 200  # Telegram's retry of the same update
    first = wait_for(telegram, user, bool, "an answer")
    time.sleep(2)
    assert len(sent_to(telegram, user)) == len(first)


def test_buttons_come_back_as_payloads_and_cards_as_photos(
    stack: Stack, telegram: FakeTelegram
) -> None:
    user = next(_user_ids)
    # Several products match: the bot asks which one, with a button per product.
    post_update(stack, text_update(next(_update_ids), user, "how much are the earbuds?"))
    calls = wait_for(telegram, user, lambda cs: any(c.callback_data for c in cs), "buttons")
    before = len(calls)
    data = next(c for c in calls if c.callback_data).callback_data[0]
    post_update(stack, callback_update(next(_update_ids), user, data))
    answer = wait_for(
        telegram,
        user,
        lambda cs: any(c.method == "sendPhoto" for c in cs[before:]),
        "the product card answering the button",
    )
    assert telegram.ok("answerCallbackQuery")
    # The chosen product comes back as a photo card with its price in the caption.
    photos = [c for c in answer[before:] if c.method == "sendPhoto"]
    assert photos and "¥" in text_of(photos[0])


def test_a_wrong_secret_is_refused(stack: Stack, telegram: FakeTelegram) -> None:
    user = next(_user_ids)
    assert post_update(stack, text_update(next(_update_ids), user, "hi"), secret="wrong") == 403
    time.sleep(1)
    assert not sent_to(telegram, user)

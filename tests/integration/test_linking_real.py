"""Linking Telegram accounts and the phone check's limit through the real stack: the real Rasa
model, action server and gateway, the fake Bot API on loopback. Records come from
tests/factory.py (fixture ``shop``)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from bot.launcher import Stack
from bot.services.linking import sign_token
from tests.adapters.fake_telegram import FakeTelegram, text_update
from tests.factory import ShopFactory
from tests.integration.helpers import LINK_SECRET
from tests.integration.test_telegram_real import post_update, sent_to, text_of, wait_for

pytestmark = pytest.mark.integration

_update_ids = itertools.count(20_000)
_user_ids = itertools.count(800_000)


def say(stack: Stack, telegram: FakeTelegram, user: int, text: str, expect: str) -> str:
    """Send ``text``; the bot's new messages once one of them contains ``expect``."""
    before = len(sent_to(telegram, user))
    assert post_update(stack, text_update(next(_update_ids), user, text)) == 200
    calls = wait_for(
        telegram,
        user,
        lambda cs: any(expect in text_of(c) for c in cs[before:]),
        f"an answer with {expect!r} to {text!r}",
    )
    return "\n".join(text_of(c) for c in calls[before:])


def test_a_deep_link_links_the_account_and_its_orders_come_as_buttons(
    stack: Stack, telegram: FakeTelegram, shop: ShopFactory
) -> None:
    customer = shop.customer("zh")
    order = shop.order(customer, status="in_transit", days_ago=1)
    token = sign_token(LINK_SECRET, customer.id, now=datetime.now(UTC), valid_for=timedelta(days=7))
    user = next(_user_ids)
    said = say(stack, telegram, user, f"/start {token}", "已关联")
    assert customer.name in said
    before = len(sent_to(telegram, user))
    post_update(stack, text_update(next(_update_ids), user, "我的订单到哪了"))
    calls = wait_for(
        telegram, user, lambda cs: any(c.callback_data for c in cs[before:]), "order buttons"
    )
    assert any(order.id in data for c in calls[before:] for data in c.callback_data)
    # The same link from another account links nothing.
    other = next(_user_ids)
    say(stack, telegram, other, f"/start {token}", "used already")  # their app is in English


def test_a_phone_brute_force_on_telegram_is_locked_at_the_fifth_wrong_number(
    stack: Stack, telegram: FakeTelegram, shop: ShopFactory
) -> None:
    order = shop.order(shop.customer("en"), status="delivered", days_ago=2)
    assert order.tracking_number
    user = next(_user_ids)
    ask = f"where is my order {order.id}"
    assert "phone" in say(stack, telegram, user, ask, "phone")
    for wrong in ("13900000001", "13900000002"):
        say(stack, telegram, user, wrong, "doesn't match")
    said = say(stack, telegram, user, "13900000003", "doesn't match our records")
    # A new form: the count goes on.
    say(stack, telegram, user, ask, "phone number")
    say(stack, telegram, user, "13900000004", "doesn't match")
    said = say(stack, telegram, user, "13900000005", "Too many wrong phone numbers")
    assert order.tracking_number not in said
    # Another form: locked at once, no phone asked, nothing revealed.
    said = say(stack, telegram, user, ask, "Too many wrong phone numbers")
    assert order.tracking_number not in said and "delivered" not in said


def test_a_guest_giving_the_customers_own_phone_is_linked(
    stack: Stack, telegram: FakeTelegram, shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    order = shop.order(customer, status="delivered", days_ago=2)
    assert order.tracking_number
    user = next(_user_ids)
    said = say(stack, telegram, user, f"where is my order {order.id}", "phone")
    assert order.tracking_number not in said
    said = say(stack, telegram, user, customer.phone, order.tracking_number)
    assert "linked this chat account" in said
    before = len(sent_to(telegram, user))
    post_update(stack, text_update(next(_update_ids), user, "where is my order"))
    calls = wait_for(
        telegram, user, lambda cs: any(c.callback_data for c in cs[before:]), "order buttons"
    )
    assert any(order.id in data for c in calls[before:] for data in c.callback_data)

"""The proactive service end to end: a Telegram customer whose parcel's tracking stalled gets
exactly one message on Telegram (the real gateway, the fake Bot API) and staff get one alert
(the stack has no Slack: the alert is recorded on the notice), and a second round sends
nothing more."""

from __future__ import annotations

import itertools
import time

import pytest

from bot.launcher import Stack
from tests.adapters.fake_telegram import FakeTelegram, text_update
from tests.factory import ShopFactory
from tests.integration.helpers import ADMIN_TOKEN, http_json
from tests.integration.test_telegram_real import post_update, sent_to, text_of, wait_for

pytestmark = pytest.mark.integration

_update_ids = itertools.count(50_000)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def proactive_round(stack: Stack) -> dict[str, object]:
    result = http_json("POST", f"{stack.gateway_url}/api/admin/proactive/run", headers=AUTH)
    assert result.status == 200, result.body
    assert isinstance(result.body, dict) and result.body["ran"] is True
    return result.body


def outcomes(body: dict[str, object], order_id: str) -> list[str]:
    notices = body["notices"]
    assert isinstance(notices, list)
    return [n["outcome"] for n in notices if n["subject"] == order_id]


def test_a_stalled_parcel_is_told_once_on_the_customers_telegram(
    stack: Stack, telegram: FakeTelegram, shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    user = 880_000 + int(time.time()) % 100_000
    shop.identity(customer, "telegram", str(user))
    # The customer wrote to the shop's bot once: that is the channel the shop answers on.
    assert post_update(stack, text_update(next(_update_ids), user, "hello")) == 200
    wait_for(telegram, user, bool, "an answer to hello")
    order = shop.order(customer, status="in_transit", days_ago=3)  # last scan 58 h ago

    first = proactive_round(stack)
    assert outcomes(first, order.id) == ["queued"]
    calls = wait_for(
        telegram,
        user,
        lambda cs: any(order.id in text_of(c) for c in cs),
        "the proactive message",
    )
    told = [c for c in calls if order.id in text_of(c)]
    assert len(told) == 1
    assert "has not moved since" in text_of(told[0]) and "coupon" in text_of(told[0])

    notices = http_json(
        "GET", f"{stack.gateway_url}/api/admin/proactive/notices", headers=AUTH
    ).body
    assert isinstance(notices, list)
    [notice] = [n for n in notices if n["subject"] == order.id]
    assert notice["reason"] == "stalled" and notice["channel"] == "telegram"
    assert notice["staff_alert"] == "logged"  # no Slack in this stack: recorded for staff

    second = proactive_round(stack)
    assert outcomes(second, order.id) == ["duplicate"]
    time.sleep(3)  # the outbox worker polls every second: anything queued would be sent
    after = [c for c in sent_to(telegram, user) if order.id in text_of(c)]
    assert len(after) == 1

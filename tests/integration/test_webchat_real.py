"""The web chat page in headless Chromium against the real Rasa, action server and gateway."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.launcher import Stack
from tests.browser.webchat import REPORTS_DIR, open_chromium, webchat_round_trip
from tests.factory import ShopFactory
from tests.integration.helpers import identity_hash

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_customer_asks_clicks_an_order_button_and_reads_its_status(
    stack: Stack, tmp_path: Path, shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    shop.order(customer, status="delivered", days_ago=3)
    shop.order(customer, status="in_transit", days_ago=1)
    sender = customer.sender
    with open_chromium(tmp_path / "profile") as driver:
        trip = webchat_round_trip(
            driver,
            stack.gateway_url,
            question="Where is my order?",
            sender=sender,
            identity_hash=identity_hash(sender),
            timeout_s=60,
            screenshot=REPORTS_DIR / "webchat-real.png",
        )
    clicked = re.search(r"[0-9]{12}", trip.button_payload)
    assert clicked, trip.button_payload
    assert clicked.group(0) in trip.answer
    assert "order" in trip.answer.lower()

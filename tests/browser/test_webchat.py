"""The web chat page in headless Chromium: ask, get buttons, click one, see the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from tests.browser.webchat import RoundTrip, webchat_round_trip
from tests.gateway.helpers import identity_hash

pytestmark = pytest.mark.browser


def test_webchat_question_button_answer(
    chromium: WebDriver,
    chat_base_url: str,
    chat_question: str,
    chat_answer_check: Callable[[RoundTrip], None],
) -> None:
    trip = webchat_round_trip(
        chromium,
        chat_base_url,
        question=chat_question,
        sender="demo-liwei",
        identity_hash=identity_hash("demo-liwei"),
    )
    assert trip.question_replies, "the bot answered the question"
    chat_answer_check(trip)
    for card in chromium.find_elements(By.CSS_SELECTOR, "#messages .card"):
        assert card.find_element(By.CSS_SELECTOR, ".card-name").text
        assert card.find_element(By.CSS_SELECTOR, ".card-price").text.startswith("¥")

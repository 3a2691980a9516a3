"""The web chat page's identity in headless Chromium: a guest identity from the gateway kept
across reloads, the demo picker switching to a signed demo customer, unsigned ids ignored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.services.web_identity import GUEST_ID_RE
from tests.browser.conftest import BackgroundGateway
from tests.browser.webchat import BOT_ROWS, open_chromium
from tests.gateway.helpers import identity_hash
from tests.gateway.seed import LIWEI

pytestmark = pytest.mark.browser


def stored_identity(driver: WebDriver) -> dict[str, Any] | None:
    raw = driver.execute_script("return window.localStorage.getItem('shopchat.identity');")
    return None if raw is None else dict(json.loads(raw))


def ask(driver: WebDriver, gateway: BackgroundGateway, text: str) -> dict[str, Any]:
    """Type ``text``, wait for the bot's answer; the request Rasa got for it."""
    wait = WebDriverWait(driver, 20)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages[data-history='loaded']"))
    rows_before = len(driver.find_elements(By.CSS_SELECTOR, BOT_ROWS))
    wait.until(lambda d: d.find_element(By.ID, "input")).send_keys(text, Keys.ENTER)
    wait.until(
        lambda d: (
            not d.find_elements(By.ID, "typing")
            and len(d.find_elements(By.CSS_SELECTOR, BOT_ROWS)) > rows_before
        )
    )
    errors = driver.find_elements(By.CSS_SELECTOR, "#messages > .msg.error")
    assert not errors, [e.text for e in errors]
    return next(r for r in reversed(gateway.rasa.requests) if r["message"] == text)


def test_the_page_gets_a_guest_identity_and_keeps_it_over_a_reload(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=en")
    wait = WebDriverWait(chromium, 20)
    guest = wait.until(stored_identity)
    assert GUEST_ID_RE.fullmatch(guest["sender_id"])
    assert guest["identity_hash"] == identity_hash(guest["sender_id"])
    first = ask(chromium, chat_gateway, "what is your return policy")
    assert first["sender"] == f"web:{guest['sender_id']}"
    assert first["metadata"]["customer_id"] is None

    chromium.refresh()
    wait.until(lambda d: d.find_element(By.ID, "input"))
    assert stored_identity(chromium) == guest
    second = ask(chromium, chat_gateway, "and the shipping fee?")
    assert second["sender"] == first["sender"]


def test_an_unsigned_sender_in_the_url_is_not_believed(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=en&sender=demo-liwei")  # the old README's way
    request = ask(chromium, chat_gateway, "where is my order")
    assert request["sender"] != "web:demo-liwei"
    assert GUEST_ID_RE.fullmatch(request["sender"].removeprefix("web:"))
    assert request["metadata"]["customer_id"] is None


def test_a_forged_hash_is_refused_with_a_message(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=zh&sender=demo-liwei&identity_hash={'0' * 64}")
    wait = WebDriverWait(chromium, 20)
    wait.until(lambda d: d.find_element(By.ID, "input")).send_keys("我的订单", Keys.ENTER)
    error = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#messages > .msg.error"))
    assert "无法确认您的身份" in error[0].text
    assert not [r for r in chat_gateway.rasa.requests if r["sender"] == "web:demo-liwei"]


def test_a_signed_sender_from_the_shop_is_used(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    signed = identity_hash("demo-liwei")
    chromium.get(f"{chat_gateway.url}/?lang=en&sender=demo-liwei&identity_hash={signed}")
    request = ask(chromium, chat_gateway, "where is my order")
    assert request["sender"] == "web:demo-liwei"
    assert request["metadata"]["customer_id"] == LIWEI


def test_the_demo_picker_switches_to_a_signed_demo_customer(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=en")
    wait = WebDriverWait(chromium, 20)
    picker = wait.until(lambda d: d.find_element(By.ID, "customer-picker"))
    assert picker.is_displayed()
    wait.until(lambda d: len(Select(picker).options) == 3)
    assert Select(picker).first_selected_option.get_attribute("value") == "guest"
    assert ask(chromium, chat_gateway, "hello as a guest")["metadata"]["customer_id"] is None

    Select(picker).select_by_value("demo-liwei")
    assert "identity_hash=" + identity_hash("demo-liwei") in chromium.current_url
    request = ask(chromium, chat_gateway, "where is my order")
    assert request["sender"] == "web:demo-liwei"
    assert request["metadata"]["customer_id"] == LIWEI

    Select(picker).select_by_value("guest")  # back to this browser's own guest
    request = ask(chromium, chat_gateway, "hello again")
    assert request["sender"] == f"web:{stored_identity(chromium)['sender_id']}"  # type: ignore[index]


def test_without_the_demo_switch_there_is_no_picker(tmp_path: Path) -> None:
    gateway = BackgroundGateway(tmp_path, demo_picker=False)
    gateway.url = gateway.start()
    try:
        with open_chromium(tmp_path / "profile") as driver:
            driver.get(f"{gateway.url}/?lang=en")
            WebDriverWait(driver, 20).until(stored_identity)
            assert not driver.find_element(By.ID, "customer-picker").is_displayed()
            request = ask(driver, gateway, "hi")
            assert request["metadata"]["customer_id"] is None
    finally:
        gateway.stop()

"""The chat page `/` in headless Chromium: the conversation so far after a reload, and the
photo button (keyboard reachable) that uploads to POST /api/chat/photo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import BackgroundGateway
from tests.browser.test_webchat_identity import ask
from tests.browser.webchat import BOT_ROWS, USER_BUBBLES

pytestmark = pytest.mark.browser

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


def loaded(driver: WebDriver) -> None:
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#messages[data-history='loaded']")
    )


def test_the_page_shows_the_conversation_so_far_after_a_reload(
    chromium: WebDriver, chat_gateway: BackgroundGateway
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=en")
    ask(chromium, chat_gateway, "Where is my order?")
    chip = chromium.find_element(By.CSS_SELECTOR, f"{BOT_ROWS} .buttons > button.chip")
    title = chip.text
    chip.click()
    WebDriverWait(chromium, 20).until(
        lambda d: (
            not d.find_elements(By.ID, "typing")
            and "in transit" in d.find_elements(By.CSS_SELECTOR, BOT_ROWS)[-1].text
        )
    )
    rows_before = [r.text for r in chromium.find_elements(By.CSS_SELECTOR, BOT_ROWS)]

    chromium.refresh()
    loaded(chromium)
    users = [b.text for b in chromium.find_elements(By.CSS_SELECTOR, USER_BUBBLES)]
    assert users == ["Where is my order?", title]
    assert [r.text for r in chromium.find_elements(By.CSS_SELECTOR, BOT_ROWS)] == rows_before
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#messages .card")) == 2
    # Old quick replies cannot be pressed again (the welcome's suggestions still can).
    chips = chromium.find_elements(By.CSS_SELECTOR, "#messages > .msg .chip")
    assert chips and not any(c.is_enabled() for c in chips)


def test_the_photo_button_uploads_a_photo_into_the_media_store(
    chromium: WebDriver, chat_gateway: BackgroundGateway, tmp_path: Path
) -> None:
    chromium.get(f"{chat_gateway.url}/?lang=en")
    loaded(chromium)
    # Keyboard: Shift+Tab from the text box reaches the labelled photo button.
    box = chromium.find_element(By.ID, "input")
    box.click()
    ActionChains(chromium).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    focused = chromium.switch_to.active_element
    assert focused.get_attribute("id") == "photo"
    assert focused.get_attribute("aria-label") == "Send a photo"

    photo = tmp_path / "damage.jpg"
    photo.write_bytes(JPEG)
    rows_before = len(chromium.find_elements(By.CSS_SELECTOR, BOT_ROWS))
    chromium.find_element(By.ID, "photo-input").send_keys(str(photo))
    WebDriverWait(chromium, 20).until(
        lambda d: (
            not d.find_elements(By.ID, "typing")
            and len(d.find_elements(By.CSS_SELECTOR, BOT_ROWS)) > rows_before
        )
    )
    assert chromium.find_elements(By.CSS_SELECTOR, "#messages > .msg.user img.msg-image")
    assert not chromium.find_elements(By.CSS_SELECTOR, "#messages > .msg.error")
    name = f"{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert (chat_gateway.media_dir / name).read_bytes() == JPEG
    request = chat_gateway.rasa.requests[-1]
    assert request["metadata"]["attachments"][0]["url"] == f"/media/{name}"

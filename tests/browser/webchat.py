"""Drive the web chat page in headless Chromium (Debian's chromium + chromium-driver).

Reusable against any running gateway: :func:`open_chromium` starts the browser and
:func:`webchat_round_trip` holds one question-button-answer exchange on the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=430,900",
    "--lang=en-US",
)
# Screenshots of the last browser run (git-ignored; the committed pictures sit in reports/).
REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports" / "tmp"

BOT_ROWS = "#messages > .msg.bot:not(.typing)"
USER_BUBBLES = "#messages > .msg.user .bubble"


@contextmanager
def open_chromium(profile_dir: Path, *, network_log: bool = False) -> Iterator[WebDriver]:
    """Headless Chromium with a throw-away profile; fails (not skips) when it is not installed.
    ``network_log``: keep the DevTools network events (:func:`requested_urls`)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: run `make browser-deps` "
            "(installs Debian's chromium and chromium-driver) before the browser test"
        )
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={profile_dir}")
    if network_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: WebDriver) -> list[str]:
    """Every URL the browser requested since the last call (needs ``network_log``)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(str(message["params"]["request"]["url"]))
    return urls


@dataclass(frozen=True)
class RoundTrip:
    question_replies: list[str]  # texts of the bot rows answering the question
    button_title: str
    button_payload: str
    answer: str  # text of the bot rows answering the click


def _rows_text(rows: list[WebElement]) -> list[str]:
    """Visible text of message rows or bubbles (a row's avatar initial left out)."""
    bodies = [r.find_elements(By.CSS_SELECTOR, ".msg-body") for r in rows]
    return [b[0].text if b else r.text for r, b in zip(rows, bodies, strict=True)]


def webchat_round_trip(
    driver: WebDriver,
    base_url: str,
    *,
    question: str,
    sender: str | None = None,
    identity_hash: str | None = None,
    lang: str = "en",
    timeout_s: float = 30.0,
    screenshot: Path | None = REPORTS_DIR / "webchat.png",
) -> RoundTrip:
    """Ask ``question``, wait for an answer with buttons, click the first, wait for its answer.

    ``sender`` with its ``identity_hash`` is the shop's signed customer (``?sender=...&
    identity_hash=...``); without them the page talks as its guest."""
    wait = WebDriverWait(driver, timeout_s)
    query = {"lang": lang}
    if sender is not None:
        query.update(sender=sender, identity_hash=identity_hash or "")
    driver.get(f"{base_url.rstrip('/')}/?{urlencode(query)}")
    box = wait.until(lambda d: d.find_element(By.ID, "input"))
    assert driver.find_element(By.ID, "shop-name").text, "the shop name is missing"

    box.send_keys(question, Keys.ENTER)
    wait.until(lambda d: question in _rows_text(d.find_elements(By.CSS_SELECTOR, USER_BUBBLES)))
    assert box.get_attribute("value") == "", "the input is cleared after sending"

    def answer_buttons(d: WebDriver) -> list[WebElement] | None:
        if d.find_elements(By.ID, "typing"):
            return None
        chips = d.find_elements(By.CSS_SELECTOR, f"{BOT_ROWS} .buttons > button.chip")
        return [c for c in chips if c.is_enabled()] or None

    buttons = wait.until(answer_buttons)
    question_replies = _rows_text(driver.find_elements(By.CSS_SELECTOR, BOT_ROWS))
    button = buttons[0]
    title, payload = button.text, button.get_attribute("data-payload") or ""
    assert title and payload.startswith("/"), (title, payload)
    bot_rows_before = len(question_replies)

    button.click()
    wait.until(lambda d: _rows_text(d.find_elements(By.CSS_SELECTOR, USER_BUBBLES))[-1] == title)
    assert not button.is_enabled(), "a clicked button is disabled"
    assert "chosen" in (button.get_attribute("class") or "")
    group = button.find_elements(By.XPATH, "./../button")
    assert all(not b.is_enabled() for b in group), "its sibling buttons are disabled too"

    def new_answer(d: WebDriver) -> list[WebElement] | None:
        if d.find_elements(By.ID, "typing"):
            return None
        rows = d.find_elements(By.CSS_SELECTOR, BOT_ROWS)
        return rows[bot_rows_before:] or None

    answer_rows = wait.until(new_answer)
    answer = "\n".join(_rows_text(answer_rows))
    assert answer.strip(), "the answer to the button is empty"
    errors = driver.find_elements(By.CSS_SELECTOR, "#messages > .msg.error")
    assert not errors, f"the page shows errors: {_rows_text(errors)}"
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
    return RoundTrip(question_replies[:], title, payload, answer)

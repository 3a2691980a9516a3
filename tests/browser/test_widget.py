"""The embeddable widget in headless Chromium, on a shop's page of another origin that adds it
with one script tag: open, chat, history after a reload, a photo during a return, the unread
badge, a phone-sized screen, keyboard only, and no request to anyone but the gateway and the
shop's page."""

from __future__ import annotations

import hashlib
import html
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.shadowroot import ShadowRoot
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from bot.core.message import OutgoingMessage
from bot.gateway.context import SERVICES_KEY
from tests.browser.conftest import BackgroundGateway, demo_reply
from tests.browser.webchat import open_chromium, requested_urls
from tests.gateway.helpers import identity_hash

pytestmark = pytest.mark.browser

RETURN_QUESTION = "Please send a photo showing the problem, or tap Skip."
PHOTO_THANKS = "Thanks, I've added 1 photo(s) to your request."
GREETING = "Hello from the test shop"
# A JPEG the gateway takes (checked by its first bytes).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8

BOT_ROWS = ".messages > .msg.bot:not(.typing):not(.error)"
USER_BUBBLES = ".messages > .msg.user .bubble"


def widget_reply(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The demo answers, plus a return form that asks for a photo and thanks for one."""
    sender, message = body["sender"], str(body["message"])
    if body.get("metadata", {}).get("attachments"):
        return [{"recipient_id": sender, "text": PHOTO_THANKS}]
    if "return" in message:
        skip = {"title": "Skip", "payload": '/inform{"aftersales_photo":"none"}'}
        return [{"recipient_id": sender, "text": RETURN_QUESTION, "buttons": [skip]}]
    return demo_reply(body)


class ShopPage:
    """The shop's own site: another origin, one script tag, a log of what it was asked for."""

    def __init__(self, gateway: BackgroundGateway, sender: str | None = None) -> None:
        self.gateway = gateway
        self.sender = sender  # a logged-in customer, signed by the shop's backend
        self.requests: list[str] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> str:
        self.url = self.gateway.run(self._start())
        return self.url

    def stop(self) -> None:
        if self.runner is not None:
            self.gateway.run(self.runner.cleanup())

    async def _page(self, request: web.Request) -> web.Response:
        self.requests.append(request.path)
        src = html.escape(f"{self.gateway.url}/widget.js", quote=True)
        signed = (
            f'data-sender-id="{self.sender}" data-identity-hash="{identity_hash(self.sender)}"'
            if self.sender
            else ""
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test shop</title>
<style>
  /* The shop's own styles must not reach into the widget. */
  button {{ background: rgb(255, 0, 0) !important; font-size: 40px !important; }}
  body * {{ color: rgb(0, 0, 255) !important; }}
</style></head>
<body><h1>Test shop</h1><p><a id="shop-link" href="#top">Our products</a></p>
<script src="{src}" data-color="#0a7f5a" data-title="Test Shop" data-lang="en"
  data-position="right" data-greeting="{GREETING}" {signed} async></script>
</body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_get("/", self._page)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[BackgroundGateway]:
    running = BackgroundGateway(tmp_path)
    running.rasa.reply = widget_reply
    running.url = running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def shop(gateway: BackgroundGateway) -> Iterator[ShopPage]:
    page = ShopPage(gateway)
    page.start()
    assert urlsplit(page.url).netloc != urlsplit(gateway.url).netloc  # another origin
    try:
        yield page
    finally:
        page.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    with open_chromium(tmp_path / "widget-profile", network_log=True) as driver:
        driver.get("about:blank")
        requested_urls(driver)  # the browser's own start page is not the shop's
        yield driver


# --- driving the widget ------------------------------------------------------------------


def widget(driver: WebDriver) -> ShadowRoot:
    host = WebDriverWait(driver, 20).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-shop-chat]")
    )
    return host.shadow_root


def part(driver: WebDriver, selector: str) -> WebElement:
    return WebDriverWait(driver, 20).until(
        lambda d: widget(d).find_element(By.CSS_SELECTOR, selector)
    )


def parts(driver: WebDriver, selector: str) -> list[WebElement]:
    return widget(driver).find_elements(By.CSS_SELECTOR, selector)


def texts(driver: WebDriver, selector: str) -> list[str]:
    return [e.text for e in parts(driver, selector)]


def focused(driver: WebDriver) -> str:
    """What has the keyboard focus: "page:<id>" or "widget:<class>"."""
    return str(
        driver.execute_script(
            "var a = document.activeElement;"
            "if (a && a.shadowRoot) { var b = a.shadowRoot.activeElement;"
            "  return 'widget:' + (b ? b.className : ''); }"
            "return 'page:' + (a ? a.id : '');"
        )
    )


def focused_text(driver: WebDriver) -> str:
    return str(
        driver.execute_script(
            "var b = document.activeElement.shadowRoot.activeElement; return b.textContent;"
        )
    )


def open_widget(driver: WebDriver) -> None:
    part(driver, ".sw-launcher").click()
    WebDriverWait(driver, 20).until(lambda d: part(d, ".sw-panel").is_displayed())
    WebDriverWait(driver, 20).until(
        lambda d: widget(d).find_elements(By.CSS_SELECTOR, ".sw[data-history='loaded']")
    )


def ask(driver: WebDriver, text: str) -> list[str]:
    """Type ``text`` and press Enter; the texts of the new bot rows once the answer is in."""
    before = len(parts(driver, BOT_ROWS))
    part(driver, ".composer-input").send_keys(text, Keys.ENTER)
    return answer_after(driver, before)


def answer_after(driver: WebDriver, before: int) -> list[str]:
    WebDriverWait(driver, 20).until(
        lambda d: not parts(d, ".typing") and len(parts(d, BOT_ROWS)) > before
    )
    errors = texts(driver, ".messages > .msg.error")
    assert not errors, errors
    return [
        r.find_element(By.CSS_SELECTOR, ".msg-body").text for r in parts(driver, BOT_ROWS)[before:]
    ]


def only_gateway_and_shop(urls: list[str], gateway: BackgroundGateway, shop: ShopPage) -> None:
    allowed = {urlsplit(gateway.url).netloc, urlsplit(shop.url).netloc}
    fetched = [u for u in urls if urlsplit(u).scheme not in ("data", "blob")]
    assert fetched, "the network log is empty"
    strangers = [u for u in fetched if urlsplit(u).netloc not in allowed]
    assert not strangers, strangers


# --- the tests -------------------------------------------------------------------------------


def test_the_widget_chats_and_shows_the_history_after_a_reload(
    browser: WebDriver, gateway: BackgroundGateway, shop: ShopPage
) -> None:
    browser.get(shop.url)
    launcher = part(browser, ".sw-launcher")
    assert not part(browser, ".sw-panel").is_displayed()
    assert launcher.get_attribute("aria-expanded") == "false"
    # The shop's colour, and none of the shop's own button styles.
    assert launcher.value_of_css_property("background-color") == "rgba(10, 127, 90, 1)"
    assert launcher.value_of_css_property("font-size") != "40px"

    open_widget(browser)
    assert launcher.get_attribute("aria-expanded") == "true"
    assert GREETING in part(browser, ".notice").text
    assert part(browser, "#sw-title").text == "Test Shop"
    replies = ask(browser, "Where is my order?")
    assert any("Which one do you mean?" in r for r in replies)
    cards = parts(browser, ".card")
    assert [c.find_element(By.CSS_SELECTOR, ".card-price").text for c in cards] == [
        "¥399",
        "¥159.00",
    ]
    # Product pictures come from the gateway, not from the shop's origin.
    image = cards[0].find_element(By.CSS_SELECTOR, "img").get_attribute("src") or ""
    assert image.startswith(f"{gateway.url}/products/")
    bot_text = parts(browser, ".msg.bot .bubble")[0]
    assert bot_text.value_of_css_property("color") == "rgba(31, 35, 41, 1)"  # not the shop's

    button = next(
        b for b in parts(browser, ".buttons > button.chip") if b.text == "Order 260402118830"
    )
    before = len(parts(browser, BOT_ROWS))
    button.click()
    answer = answer_after(browser, before)
    assert "260402118830" in answer[0]
    assert not button.is_enabled()
    guest = gateway.rasa.requests[-1]["sender"]

    browser.refresh()
    open_widget(browser)
    assert texts(browser, USER_BUBBLES) == ["Where is my order?", "Order 260402118830"]
    shown = "\n".join(texts(browser, BOT_ROWS))
    assert "Which one do you mean?" in shown and "260402118830" in shown
    assert len(parts(browser, ".card")) == 2
    # Old quick replies are not pressed again by accident.
    assert not any(b.is_enabled() for b in parts(browser, ".buttons > button.chip"))
    # The same guest (kept in the shop origin's localStorage) goes on talking.
    ask(browser, "and the shipping fee?")
    assert gateway.rasa.requests[-1]["sender"] == guest

    assert shop.requests == ["/", "/"]  # the page twice; everything else from the gateway
    only_gateway_and_shop(requested_urls(browser), gateway, shop)


def test_a_photo_during_a_return_is_stored_and_attached(
    browser: WebDriver, gateway: BackgroundGateway, shop: ShopPage, tmp_path: Path
) -> None:
    browser.get(shop.url)
    open_widget(browser)
    assert ask(browser, "I want to return my kettle") == [f"{RETURN_QUESTION}\nSkip"]
    photo = tmp_path / "damage.jpg"
    photo.write_bytes(JPEG)
    photo_button = part(browser, ".composer-photo")
    assert photo_button.get_attribute("aria-label") == "Send a photo"
    before = len(parts(browser, BOT_ROWS))
    part(browser, "input[type=file]").send_keys(str(photo))
    assert answer_after(browser, before) == [PHOTO_THANKS]
    # Shown as the customer's message, kept in the media store, sent to Rasa as an attachment.
    assert parts(browser, ".messages > .msg.user img.msg-image")
    name = f"{hashlib.sha256(JPEG).hexdigest()}.jpg"
    assert (gateway.media_dir / name).read_bytes() == JPEG
    request = gateway.rasa.requests[-1]
    assert request["metadata"]["attachments"] == [
        {"kind": "image", "url": f"/media/{name}", "mime_type": "image/jpeg"}
    ]
    # After a reload the history shows the photo, served by the gateway.
    browser.refresh()
    open_widget(browser)
    image = part(browser, ".messages > .msg.user img.msg-image")
    assert image.get_attribute("src") == f"{gateway.url}/media/{name}"
    only_gateway_and_shop(requested_urls(browser), gateway, shop)


def test_replies_while_closed_show_an_unread_badge(
    browser: WebDriver, gateway: BackgroundGateway, shop: ShopPage
) -> None:
    browser.get(shop.url)
    badge = part(browser, ".sw-badge")
    assert not badge.is_displayed()
    open_widget(browser)
    ask(browser, "hello")
    gateway.rasa.delay_s = 1.5  # the next answer comes after the customer closed the panel
    part(browser, ".composer-input").send_keys("Where is my order?", Keys.ENTER)
    part(browser, ".composer-input").send_keys(Keys.ESCAPE)
    assert not part(browser, ".sw-panel").is_displayed()
    WebDriverWait(browser, 20).until(lambda d: part(d, ".sw-badge").is_displayed())
    assert part(browser, ".sw-badge").text == "3"  # the question, the suggestion, the cards
    label = part(browser, ".sw-launcher").get_attribute("aria-label") or ""
    assert "3 unread" in label
    open_widget(browser)
    assert not part(browser, ".sw-badge").is_displayed()
    assert "Which one do you mean?" in "\n".join(texts(browser, BOT_ROWS))

    # A staff reply pushed while the panel is closed (the push stream, across origins).
    part(browser, ".composer-input").send_keys(Keys.ESCAPE)
    assert gateway.runner is not None
    pipeline = gateway.runner.app[SERVICES_KEY].pipeline
    conversation = gateway.rasa.requests[-1]["sender"]
    staff_reply = [OutgoingMessage(text="Anna: your refund is on its way")]
    gateway.run(pipeline.notify(conversation, staff_reply, staff=True))
    WebDriverWait(browser, 20).until(lambda d: part(d, ".sw-badge").text == "1")
    open_widget(browser)
    assert texts(browser, ".messages > .msg.staff .bubble") == ["Anna: your refund is on its way"]


def test_on_a_phone_the_panel_is_full_screen_and_works_by_keyboard_alone(
    browser: WebDriver, gateway: BackgroundGateway, shop: ShopPage
) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True},
    )
    browser.get(shop.url)
    part(browser, ".sw-launcher")
    keys = ActionChains(browser)
    keys.send_keys(Keys.TAB).perform()
    assert focused(browser) == "page:shop-link"
    keys.send_keys(Keys.TAB).perform()
    assert focused(browser) == "widget:sw-launcher"
    keys.send_keys(Keys.ENTER).perform()
    WebDriverWait(browser, 10).until(lambda d: part(d, ".sw-panel").is_displayed())
    assert focused(browser) == "widget:composer-input"

    panel = part(browser, ".sw-panel")
    assert (panel.rect["x"], panel.rect["y"]) == (0, 0)
    assert (panel.rect["width"], panel.rect["height"]) == (375, 667)
    # Screen-reader roles and names.
    assert panel.get_attribute("role") == "dialog"
    assert panel.get_attribute("aria-labelledby") == "sw-title"
    log = part(browser, ".messages")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    for button in parts(browser, "button"):
        assert button.get_attribute("aria-label") or button.text, button.get_attribute("class")

    keys.send_keys("Where is my order?", Keys.ENTER).perform()
    WebDriverWait(browser, 20).until(lambda d: len(parts(d, ".buttons > button.chip")) >= 2)
    WebDriverWait(browser, 20).until(lambda d: not parts(d, ".typing"))
    # Backwards from the text box: the photo button, then the quick replies.
    keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
    assert focused(browser) == "widget:composer-photo"
    back = ["Details", "Order 260402118830", "Order 260315004217"]  # the card's, the answer's
    for title in back:
        keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        assert (focused(browser), focused_text(browser)) == ("widget:chip", title)
    before = len(parts(browser, BOT_ROWS))
    keys.send_keys(Keys.ENTER).perform()
    assert "260315004217" in answer_after(browser, before)[0]

    keys.send_keys(Keys.ESCAPE).perform()
    assert not part(browser, ".sw-panel").is_displayed()
    assert focused(browser) == "widget:sw-launcher"
    assert part(browser, ".sw-launcher").get_attribute("aria-expanded") == "false"
    only_gateway_and_shop(requested_urls(browser), gateway, shop)


def test_a_signed_customer_pages_back_through_a_long_history_by_scrolling_up(
    browser: WebDriver, gateway: BackgroundGateway
) -> None:
    sender = "demo-liwei"
    for n in range(1, 13):  # 12 questions, 4 messages each: two pages and a half
        body = json.dumps(
            {"sender_id": sender, "identity_hash": identity_hash(sender), "text": f"question {n}"}
        ).encode()
        request = urllib.request.Request(
            f"{gateway.url}/api/chat", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 200
    shop = ShopPage(gateway, sender=sender)
    shop.start()
    try:
        browser.get(shop.url)
        open_widget(browser)
        first = texts(browser, USER_BUBBLES)
        assert first[-1] == "question 12" and "question 1" not in first
        assert gateway.rasa.requests[-1]["metadata"]["customer_id"] is not None
        for _ in range(3):
            if "question 1" in texts(browser, USER_BUBBLES):
                break
            count = len(texts(browser, USER_BUBBLES))
            browser.execute_script("arguments[0].scrollTop = 0;", part(browser, ".messages"))
            WebDriverWait(browser, 10).until(
                lambda d, count=count: len(texts(d, USER_BUBBLES)) > count
            )
        shown = texts(browser, USER_BUBBLES)
        assert shown == [f"question {n}" for n in range(1, 13)]  # each once, in order
        # The customer goes on talking as themselves.
        ask(browser, "and my last order?")
        assert gateway.rasa.requests[-1]["sender"] == f"web:{sender}"
    finally:
        shop.stop()

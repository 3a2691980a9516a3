"""The staff dashboard in headless Chromium: log in, see the numbers of the records this test
created (bar values, table rows), switch the window (the page asks the API again), switch the
language, a 375 px phone viewport without sideways scrolling, and no request to another host."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.studio import accounts
from tests.admin.dashboard_records import Records
from tests.browser.conftest import BackgroundGateway

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PASSWORD = "correct horse battery"


@pytest.fixture
def dashboard_gateway(tmp_path: Path) -> Iterator[BackgroundGateway]:
    # No delay model and no segments summary: the slack rule and the segment keys.
    gateway = BackgroundGateway(
        tmp_path,
        config={
            "insight": {
                "delay_model": str(tmp_path / "no-delay-model.pkl"),
                "segments_summary": str(tmp_path / "no-segments.json"),
            }
        },
    )
    gateway.url = gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def create_records(gateway: BackgroundGateway) -> dict[str, Any]:
    assert gateway.engine is not None
    records = Records(gateway.engine, datetime.now(UTC))

    async def create() -> dict[str, Any]:
        assert gateway.engine is not None
        await accounts.add_user(gateway.engine, "rita", "reviewer", PASSWORD)
        for days_ago in (0.2, 1, 2):
            conversation = await records.conversation(days_ago=days_ago)
            await records.handoff(
                conversation, reason="customer_request", days_ago=days_ago, rating=5
            )
        old = await records.conversation(days_ago=20)
        await records.handoff(old, reason="vip", days_ago=20, rating=1, sentiment=-0.8)
        for days_ago in (1, 3):
            await records.complaint(
                category="delivery_delay", severity="high", days_ago=days_ago, sentiment=-0.5
            )
        customer = await records.customer(segment="loyal_big_spenders")
        late = await records.order(
            customer, status="in_transit", shipped_days_ago=4, eta_in_days=-2
        )
        return {"late": late}

    return gateway.run(create())


def bar_value(driver: WebDriver, chart: str, key: str) -> str | None:
    found = driver.find_elements(
        By.CSS_SELECTOR, f"#{chart} g.bar-row[data-key='{key}'] text.bar-value"
    )
    return found[0].get_attribute("textContent") if found else None


def bar_label(driver: WebDriver, chart: str, key: str) -> str:
    node = driver.find_element(
        By.CSS_SELECTOR, f"#{chart} g.bar-row[data-key='{key}'] text.bar-label"
    )
    return node.get_attribute("textContent") or ""


def test_dashboard_login_numbers_window_language_and_phone(
    chromium: WebDriver, dashboard_gateway: BackgroundGateway
) -> None:
    made = create_records(dashboard_gateway)
    base = dashboard_gateway.url
    driver = chromium
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 800, "deviceScaleFactor": 2, "mobile": True},
    )
    wait = WebDriverWait(driver, 30)
    driver.get(f"{base}/admin/dashboard")

    # Not logged in: /api/admin/me says 401, so the log-in form shows.
    form = wait.until(lambda d: d.find_element(By.ID, "login"))
    wait.until(lambda d: form.is_displayed())
    assert not driver.find_element(By.ID, "panels").is_displayed()
    driver.find_element(By.ID, "login-name").send_keys("rita")
    driver.find_element(By.ID, "login-password").send_keys("wrong password")
    driver.find_element(By.ID, "login-submit").click()
    wait.until(lambda d: d.find_element(By.ID, "login-error").text)
    assert "wrong" in driver.find_element(By.ID, "login-error").text
    password = driver.find_element(By.ID, "login-password")
    password.clear()
    password.send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    wait.until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded-days"))
    assert driver.find_element(By.TAG_NAME, "body").get_attribute("data-loaded-days") == "30"
    assert driver.find_element(By.ID, "panels").is_displayed()
    assert not form.is_displayed()

    # The 30-day window: 4 handoffs (3 asked for, 1 VIP 20 days ago), 2 late-delivery complaints.
    assert bar_value(driver, "reasons", "customer_request") == "3"
    assert bar_value(driver, "reasons", "vip") == "1"
    assert bar_label(driver, "reasons", "customer_request") == "Customer asked"
    assert bar_value(driver, "categories", "delivery_delay") == "2"
    assert bar_label(driver, "categories", "delivery_delay") == "Late delivery"
    assert bar_value(driver, "severities", "high") == "2"
    assert bar_value(driver, "ratings", "5") == "3" and bar_value(driver, "ratings", "1") == "1"
    assert "2.00" not in driver.find_element(By.ID, "ratings-mean").text  # (3*5 + 1) / 4 = 4.00
    assert "4.00" in driver.find_element(By.ID, "ratings-mean").text
    handoffs = driver.find_element(By.CSS_SELECTOR, "#automation [data-stat='handoffs']")
    assert handoffs.text == "4"
    # Charts carry a title and a text alternative.
    svg = driver.find_element(By.CSS_SELECTOR, "#reasons svg")
    assert svg.get_attribute("role") == "img"
    described = svg.get_attribute("aria-labelledby") or ""
    desc = driver.find_element(By.ID, described.split()[1]).get_attribute("textContent") or ""
    assert "Customer asked: 3" in desc
    assert driver.find_elements(By.CSS_SELECTOR, "#sentiment svg path.trend")
    assert driver.find_elements(By.CSS_SELECTOR, "#sentiment svg circle.point")
    # Tables: the segment and the late parcel.
    segment = driver.find_element(By.CSS_SELECTOR, "#segments tr[data-key='loyal_big_spenders']")
    assert "100.0%" in segment.text
    parcel = driver.find_element(By.CSS_SELECTOR, f"#parcels tr[data-order='{made['late']}']")
    assert made["late"] in parcel.text and "past the promised date" in parcel.text
    assert "SF Express" in parcel.text
    headers = [
        th.get_attribute("textContent")
        for th in driver.find_elements(By.CSS_SELECTOR, "#parcels thead th")
    ]
    assert headers[0] == "Order" and "Days left" in headers
    # On a phone each value follows its column's name.
    days_cell = parcel.find_elements(By.CSS_SELECTOR, "td")[2]
    assert days_cell.text == "-2"
    before = driver.execute_script(
        "return getComputedStyle(arguments[0], '::before').content", days_cell
    )
    assert before == '"Days left: "', before

    # 375 px: nothing wider than the screen (a wide table scrolls inside its card; the text
    # alternatives for screen readers are clipped to 1 px).
    wide = driver.execute_script(
        "return [...document.querySelectorAll('body *')]"
        ".filter(e => !e.closest('.sr-only, .scroll > *') "
        "&& e.getBoundingClientRect().right > 376).slice(0, 8).map(e => e.tagName + '#' + e.id + "
        "'.' + e.getAttribute('class') + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    width = driver.execute_script("return window.innerWidth")
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert width == 375 and scroll <= width and not wide, (width, scroll, wide)

    # The 7-day window asks the API again: the VIP handoff of 20 days ago drops out.
    Select(driver.find_element(By.ID, "window")).select_by_value("7")
    wait.until(
        lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded-days") == "7"
    )
    assert bar_value(driver, "reasons", "vip") is None
    assert bar_value(driver, "reasons", "customer_request") == "3"
    assert driver.find_element(By.CSS_SELECTOR, "#automation [data-stat='handoffs']").text == "3"
    asked = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert any(name.endswith("/api/admin/dashboard?days=7") for name in asked), asked
    assert any(name.endswith("/api/admin/dashboard?days=30") for name in asked), asked

    # 中文.
    driver.find_element(By.ID, "lang").click()
    wait.until(lambda d: d.find_element(By.ID, "title").text == "客服数据看板")
    assert bar_label(driver, "reasons", "customer_request") == "客户要求"
    parcel = driver.find_element(By.CSS_SELECTOR, f"#parcels tr[data-order='{made['late']}']")
    assert "已超过承诺送达日" in parcel.text

    # Every request went to the gateway itself.
    every = driver.execute_script(
        "return performance.getEntries().map(e => e.name).filter(n => /^[a-z]+:/.test(n))"
    )
    assert every and all(name.startswith(base) for name in every), every

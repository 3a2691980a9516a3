"""The admin pages in headless Chromium, on the real gateway app (a copy of the Rasa project, a
temporary database, the studio's fake trainer, evaluator and Rasa servers from tests/admin):
log in, edit an FAQ answer, an inline validation error, a policy change in the FAQ preview,
train to "succeeded" and see the version live, roll back, a reviewer without the train
button, and every page at 375 px."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.gateway.app import create_app
from bot.services import review
from bot.storage.db import create_engine, create_schema
from bot.studio import accounts
from bot.studio.deploy import Deployer
from bot.studio.editing import Editor
from tests.admin.conftest import (
    HOLDOUT,
    ROOT,
    TEST_STORIES,
    FakeEvaluator,
    FakeServers,
    FakeTrainer,
    intent_counts,
)
from tests.gateway.fake_rasa import FakeActionServer, FakeRasa
from tests.gateway.helpers import make_config

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
T = TypeVar("T")
PASSWORD = "correct horse battery"
PAGES = ["faq", "nlu", "steps", "policies", "model", "audit", "review"]


class AdminGateway:
    """The gateway app with the studio's fakes, on a loop in a daemon thread."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.rasa = FakeRasa()
        self.actions = FakeActionServer()
        self.servers = FakeServers()
        self.evaluator = FakeEvaluator()
        self.runner: web.AppRunner | None = None
        self.engine: AsyncEngine | None = None
        self.cfg: Config | None = None
        self.project = tmp_path / "project"
        self.url = ""

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def start(self) -> None:
        self.thread.start()
        self.url = self.run(self._start())

    def stop(self) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()

    async def _start(self) -> str:
        self.project.mkdir()
        for name in ("domain", "data", "components", "tests"):
            shutil.copytree(ROOT / "rasa_project" / name, self.project / name)
        for name in ("config.yml", "faq_templates.yml"):
            shutil.copy2(ROOT / "rasa_project" / name, self.project / name)
        baseline = self.tmp_path / "baseline"
        baseline.mkdir()
        (baseline / "shop.tar.gz").write_text(json.dumps(intent_counts(self.project)), "utf-8")
        cfg = make_config(
            self.tmp_path,
            rasa_url=await self.rasa.start(),
            actions_url=await self.actions.start(),
            studio={
                "project_dir": str(self.project),
                "model_dir": str(self.tmp_path / "models"),
                "holdout": str(HOLDOUT),
                "test_stories": str(TEST_STORIES),
            },
            rasa={"model_dir": str(baseline)},
        )
        self.cfg = cfg
        self.engine = create_engine(cfg.database.url)
        await create_schema(self.engine)

        def deployer(engine: AsyncEngine) -> Deployer:
            store = Editor.from_config(cfg).store
            return Deployer.from_config(
                cfg,
                engine,
                store,
                trainer=FakeTrainer(),
                evaluator=self.evaluator,
                servers=self.servers,
            )

        app = create_app(cfg, engine=self.engine, studio_deployer=deployer)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}"

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        await self.rasa.stop()
        await self.actions.stop()
        if self.engine is not None:
            await self.engine.dispose()

    def add_user(self, name: str, role: str) -> None:
        assert self.engine is not None
        self.run(accounts.add_user(self.engine, name, role, PASSWORD))


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[AdminGateway]:
    gateway = AdminGateway(tmp_path)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def wait(driver: WebDriver, seconds: float = 20) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, seconds)


def log_in(driver: WebDriver, admin: AdminGateway, name: str, password: str = PASSWORD) -> None:
    driver.get(admin.url + "/admin")
    # Not logged in: the first page sends the browser to the login page.
    box = wait(driver).until(lambda d: d.find_element(By.ID, "name"))
    assert driver.current_url.endswith("/admin/login.html")
    box.send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()


def faq_card(driver: WebDriver, key: str) -> WebElement:
    return wait(driver).until(lambda d: d.find_element(By.ID, f"faq-{key}"))


def preview(card: WebElement, lang: str) -> str:
    return card.find_element(By.CSS_SELECTOR, f'[data-preview="{lang}"]').text


def test_owner_edits_faq_and_policies_then_trains_and_rolls_back(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    admin.add_user("boss", "owner")
    log_in(chromium, admin, "boss")
    card = faq_card(chromium, "payment_methods")
    assert "boss" in chromium.find_element(By.ID, "who").text
    assert chromium.execute_script("return sessionStorage.getItem('adminCsrf')")
    assert "csrf" not in chromium.current_url.lower()

    # Edit an answer: the preview follows the typing, the save is confirmed.
    en = card.find_element(By.CSS_SELECTOR, 'textarea[data-lang="en"]')
    en.clear()
    en.send_keys("We accept Alipay, WeChat Pay and UnionPay cards.")
    assert preview(card, "en") == "We accept Alipay, WeChat Pay and UnionPay cards."
    card.find_element(By.CSS_SELECTOR, "button.save").click()
    wait(chromium).until(lambda d: card.find_element(By.CSS_SELECTOR, ".notice.ok").text)
    faq = (admin.project / "domain" / "faq.yml").read_text("utf-8")
    assert "We accept Alipay, WeChat Pay and UnionPay cards." in faq

    # A bad answer: the server's error sits next to the field it names.
    zh = card.find_element(By.CSS_SELECTOR, 'textarea[data-lang="zh"]')
    zh.clear()
    zh.send_keys("We take cards")  # English in the Chinese box
    card.find_element(By.CSS_SELECTOR, "button.save").click()
    error = wait(chromium).until(
        lambda d: card.find_elements(By.CSS_SELECTOR, 'textarea[data-lang="zh"] + .field-error')
    )
    assert "Chinese" in error[0].text
    assert not card.find_elements(By.CSS_SELECTOR, 'textarea[data-lang="en"] + .field-error')

    # A policy change shows in the FAQ preview at once.
    chromium.find_element(By.CSS_SELECTOR, '.nav a[data-page="policies"]').click()
    threshold = wait(chromium).until(
        lambda d: d.find_element(By.ID, "policy-free_shipping_threshold")
    )
    assert threshold.get_attribute("value") == "99"
    threshold.clear()
    threshold.send_keys("129")
    chromium.find_element(By.ID, "save-policies").click()
    saved = wait(chromium).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#policy-status .notice.ok")
    )
    assert "shipping_fee" in saved.text
    chromium.find_element(By.CSS_SELECTOR, '.nav a[data-page="faq"]').click()
    card = faq_card(chromium, "shipping_fee")
    assert "¥129" in preview(card, "en") and "¥99" not in preview(card, "en")
    assert "¥129" in preview(card, "zh")

    # Train: progress to "succeeded", the new version is listed and live.
    chromium.find_element(By.CSS_SELECTOR, '.nav a[data-page="model"]').click()
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-version="baseline"]'))
    chromium.find_element(By.ID, "train").click()
    status = wait(chromium, 60).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '#job-status[data-status="succeeded"]')
    )
    assert status.text
    assert chromium.find_element(By.ID, "job-progress").get_attribute("value") == "100"
    assert chromium.find_element(By.ID, "job-metrics").text
    live = wait(chromium).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, 'tr[data-status="active"]:not([data-version="baseline"])'
        )
    )
    version = live[0].get_attribute("data-version") or ""
    assert (
        version.startswith("v") and version in chromium.find_element(By.ID, "active-version").text
    )
    assert [p.name for p in admin.servers.loaded] == [f"{version}.tar.gz"]

    # Its diff shows the FAQ edit.
    live[0].find_element(By.CSS_SELECTOR, "button.diff-button").click()
    diff = wait(chromium).until(lambda d: d.find_element(By.ID, "diff-text"))
    assert "UnionPay" in diff.text
    assert diff.find_elements(By.CSS_SELECTOR, "span.add")

    # Roll back to the baseline.
    chromium.find_element(By.ID, "rollback").click()
    wait(chromium).until(lambda d: d.switch_to.alert).accept()
    wait(chromium).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, 'tr[data-version="baseline"][data-status="active"]'
        )
    )
    assert "baseline" in chromium.find_element(By.ID, "active-version").text
    assert [p.name for p in admin.servers.loaded] == [f"{version}.tar.gz", "shop.tar.gz"]

    # Everything above is in the audit log.
    chromium.find_element(By.CSS_SELECTOR, '.nav a[data-page="audit"]').click()
    rows = wait(chromium).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#audit tbody tr"))
    kinds = [row.get_attribute("data-kind") for row in rows]
    assert kinds.count("model") == 2 and "policy" in kinds and "faq" in kinds

    # Log out: the pages send the browser back to the login page.
    chromium.find_element(By.ID, "logout").click()
    wait(chromium).until(lambda d: d.current_url.endswith("/admin/login.html"))
    chromium.get(admin.url + "/admin/model.html")
    wait(chromium).until(lambda d: d.current_url.endswith("/admin/login.html"))


def test_a_reviewer_reads_but_cannot_train_or_edit(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    admin.add_user("wu", "reviewer")
    log_in(chromium, admin, "wu")
    card = faq_card(chromium, "payment_methods")
    assert card.find_element(By.CSS_SELECTOR, "textarea").get_attribute("readonly") is not None
    assert not card.find_element(By.CSS_SELECTOR, "button.save").is_displayed()
    chromium.get(admin.url + "/admin/model.html")
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-version="baseline"]'))
    assert not chromium.find_element(By.ID, "train").is_displayed()
    assert not chromium.find_element(By.ID, "rollback").is_displayed()
    # The server decides anyway: a reviewer's train request is refused.
    answer = chromium.execute_async_script(
        "const done = arguments[0];"
        "Admin.api('POST', '/api/admin/model/train', {}).then((r) => done(r.status));"
    )
    assert answer == 403
    # The labels switch to Chinese (and stay so).
    chromium.find_element(By.ID, "lang").click()
    wait(chromium).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '.nav a[data-page="faq"]').text == "常见问题"
    )
    assert "审核员" in chromium.find_element(By.ID, "who").text
    chromium.get(admin.url + "/admin/audit.html")
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "main h1").text == "操作记录")


def test_a_wrong_password_is_shown_next_to_the_field(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    admin.add_user("mei", "editor")
    log_in(chromium, admin, "mei", password="not the password")
    error = wait(chromium).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#password + .field-error")
    )
    assert error[0].text
    assert chromium.current_url.endswith("/admin/login.html")


def test_every_page_fits_a_phone(chromium: WebDriver, admin: AdminGateway) -> None:
    admin.add_user("mei", "editor")
    chromium.set_window_size(375, 812)
    log_in(chromium, admin, "mei")
    faq_card(chromium, "payment_methods")
    for page in PAGES:
        chromium.get(f"{admin.url}/admin/{page}.html")
        wait(chromium).until(lambda d: d.find_elements(By.CSS_SELECTOR, "main h1"))
        width = chromium.execute_script("return window.innerWidth")
        assert width <= 400, width
        overflow = chromium.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, (page, overflow)
        logs = [
            entry
            for entry in chromium.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
        ]
        assert not logs, (page, logs)  # no CSP refusals, no script errors

    # The rules page: a YAML error is shown with its step's line.
    chromium.get(f"{admin.url}/admin/steps.html")
    wait(chromium).until(lambda d: d.find_element(By.ID, "new-step")).click()
    chromium.find_element(By.ID, "step-name").send_keys("from the phone")
    box = chromium.find_element(By.ID, "step-yaml")
    box.clear()
    box.send_keys("steps:\n- intent: greet\n- action: utter_nothing_like_this\n")
    chromium.find_element(By.ID, "save-step").click()
    error = wait(chromium).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#step-status .field-error")
    )
    assert "steps[1].action" in error.text and "3" in error.text


def test_an_editor_edits_examples_and_previews_a_reading(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    admin.add_user("mei", "editor")
    log_in(chromium, admin, "mei")
    faq_card(chromium, "payment_methods")
    chromium.get(f"{admin.url}/admin/nlu.html")
    picker = wait(chromium).until(lambda d: d.find_element(By.ID, "intent"))
    Select(picker).select_by_value("greet")
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "section h2").text == "greet")
    english = chromium.find_elements(By.CSS_SELECTOR, "#examples-en .example")
    count = len(english)
    assert count > 0

    # A duplicate is refused next to the example the server names.
    chromium.find_element(By.ID, "add-en").send_keys(english[0].text.upper())
    chromium.find_element(By.ID, "add-en-button").click()
    assert f"({count + 1})" in chromium.find_element(By.ID, "count-en").text
    chromium.find_element(By.ID, "save-examples").click()
    error = wait(chromium).until(
        lambda d: d.find_elements(
            By.CSS_SELECTOR, f'li[data-field="examples.en[{count}]"] + .field-error'
        )
    )
    assert error[0].text

    # Remove it, add a new one, save: the training data has it.
    chromium.find_elements(By.CSS_SELECTOR, "#examples-en button.remove")[-1].click()
    chromium.find_element(By.ID, "add-en").send_keys("greetings from the admin pages")
    chromium.find_element(By.ID, "add-en-button").click()
    chromium.find_element(By.ID, "save-examples").click()
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "#examples .notice.ok"))
    data = "".join(
        p.read_text("utf-8") for p in sorted((admin.project / "data" / "nlu").rglob("*.yml"))
    )
    assert "- greetings from the admin pages" in data

    # The preview asks the running model (the fake Rasa reads everything as greet).
    chromium.find_element(By.ID, "preview-text").send_keys("good morning")
    chromium.find_element(By.ID, "preview").click()
    reading = wait(chromium).until(lambda d: d.find_element(By.ID, "preview-intent"))
    assert "greet" in reading.text and "90.0" in reading.text
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#preview-ranking li")) == 3
    assert admin.rasa.parsed == ["good morning"]


def test_a_refused_model_shows_the_gates_reasons(chromium: WebDriver, admin: AdminGateway) -> None:
    admin.evaluator.failing = ["order status happy path"]
    admin.add_user("boss", "owner")
    log_in(chromium, admin, "boss")
    faq_card(chromium, "payment_methods")
    chromium.get(f"{admin.url}/admin/model.html")
    wait(chromium).until(lambda d: d.find_element(By.ID, "train")).click()
    wait(chromium, 60).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '#job-status[data-status="rejected"]')
    )
    reasons = chromium.find_element(By.ID, "job-refused").text
    assert "order status happy path" in reasons and "test stories fail" in reasons
    assert not admin.servers.loaded
    assert "baseline" in chromium.find_element(By.ID, "active-version").text
    rejected = chromium.find_elements(By.CSS_SELECTOR, 'tr[data-status="rejected"]')
    assert len(rejected) == 1
    # Opened again (another tab, another owner): the newest job is shown.
    chromium.get(f"{admin.url}/admin/model.html")
    wait(chromium).until(
        lambda d: d.find_element(By.CSS_SELECTOR, '#job-status[data-status="rejected"]')
    )


def test_a_reviewer_labels_a_missed_message_into_the_training_data(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    assert admin.engine is not None
    engine = admin.engine
    missed = "my parcel 260315004217 has gone quiet for ages, ring me on 13912345678"
    other = "你们的积分能换什么东西吗"
    item = admin.run(
        review.collect(
            engine,
            kind="low_confidence",
            text=missed,
            language="en",
            conversation_id="web:guest-1",
            message_key="101",
            intent="faq",
            confidence=0.41,
        )
    )
    admin.run(
        review.collect(
            engine,
            kind="nlu_fallback",
            text=other,
            language="zh",
            conversation_id="web:guest-2",
            message_key="102",
        )
    )
    admin.add_user("wu", "reviewer")
    log_in(chromium, admin, "wu")
    faq_card(chromium, "payment_methods")
    chromium.find_element(By.CSS_SELECTOR, '.nav a[data-page="review"]').click()
    row = wait(chromium).until(
        lambda d: d.find_element(By.CSS_SELECTOR, f'article.review-item[data-id="{item}"]')
    )
    shown = row.find_element(By.CSS_SELECTOR, ".review-text").text
    # What the reviewer sees is redacted: the order number stays, the phone does not.
    assert "260315004217" in shown and "13912345678" not in shown
    assert "0.41" in row.text
    Select(row.find_element(By.CSS_SELECTOR, "select")).select_by_value("order_status")
    row.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait(chromium).until(
        lambda d: (
            row.get_attribute("data-status") == "labelled"
            and row.find_element(By.CSS_SELECTOR, ".review-result .notice.ok").text
        )
    )
    examples = "".join(
        path.read_text("utf-8") for path in (admin.project / "data" / "nlu").glob("*.yml")
    )
    assert "has gone quiet for ages" in examples and "13912345678" not in examples
    # The other item: dismissed, nothing trained.
    second = chromium.find_elements(By.CSS_SELECTOR, 'article.review-item[data-status="open"]')
    assert len(second) == 1 and other in second[0].text
    second[0].find_elements(By.CSS_SELECTOR, ".actions button")[-1].click()
    wait(chromium).until(lambda d: second[0].get_attribute("data-status") == "dismissed")
    assert other not in "".join(
        path.read_text("utf-8") for path in (admin.project / "data" / "nlu").glob("*.yml")
    )
    # Only the open ones by default after a reload: none left.
    chromium.refresh()
    wait(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "#review-items p.muted"))


def test_an_editor_edits_one_of_the_assistants_own_replies(
    chromium: WebDriver, admin: AdminGateway
) -> None:
    admin.add_user("mei", "editor")
    log_in(chromium, admin, "mei")
    card = wait(chromium).until(lambda d: d.find_element(By.ID, "reply-utter_goodbye"))
    en = card.find_element(By.CSS_SELECTOR, 'textarea[data-lang="en"]')
    en.clear()
    en.send_keys("Thank you for shopping with us. Bye for now!")
    assert preview(card, "en") == "Thank you for shopping with us. Bye for now!"
    card.find_element(By.CSS_SELECTOR, "button.save").click()
    wait(chromium).until(lambda d: card.find_element(By.CSS_SELECTOR, ".notice.ok").text)
    domain = (admin.project / "domain" / "conversation.yml").read_text("utf-8")
    assert "Thank you for shopping with us. Bye for now!" in domain

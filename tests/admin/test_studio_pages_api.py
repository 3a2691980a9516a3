"""The API the admin pages add: shop policies (validated, audited, rendered into the FAQ at
once), intent and rule/story listings, rules and stories as YAML with the step's line, the NLU
preview through the gateway's Rasa client, and the pages themselves (/admin, CSP, labels)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.admin.pages import STATIC_DIR
from bot.config import load_config
from bot.core.rasa_client import RASA_KEY, RasaClient
from bot.i18n import admin_labels
from bot.studio import accounts
from tests.admin.conftest import AUTH, Studio

pytestmark = pytest.mark.timeout(60)
PASSWORD = "correct horse battery"
RASA_TOKEN = "rasa-secret-token"
SHIPPING = {
    "zh": "订单满 ¥{free_shipping_threshold} 包邮，不满收取 ¥{shipping_fee} 运费。",
    "en": "Free shipping from ¥{free_shipping_threshold}; below that ¥{shipping_fee}.",
}


class FakeParser:
    """Rasa's POST /model/parse: answers a fixed reading, remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []
        self.server: TestServer | None = None

    async def parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.asked.append((body["text"], request.query.get("token")))
        return web.json_response(
            {
                "text": body["text"],
                "intent": {"name": "faq", "confidence": 0.91234},
                "intent_ranking": [
                    {"name": "faq", "confidence": 0.91234},
                    {"name": "order_status", "confidence": 0.05},
                    {"name": "greet", "confidence": 0.02},
                    {"name": "goodbye", "confidence": 0.01},
                ],
                "entities": [
                    {"entity": "order_id", "value": "260315004217", "start": 5, "end": 17}
                ],
                "response_selector": {
                    "faq": {
                        "response": {"intent_response_key": "faq/shipping_fee", "confidence": 0.8}
                    }
                },
            }
        )


@pytest.fixture
async def parser() -> AsyncIterator[FakeParser]:
    fake = FakeParser()
    app = web.Application()
    app.router.add_post("/model/parse", fake.parse)
    fake.server = TestServer(app)
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
def studio_extras(parser: FakeParser) -> Callable[[web.Application], None]:
    assert parser.server is not None
    url = str(parser.server.make_url("")).rstrip("/")

    def add_rasa(app: web.Application) -> None:
        client = RasaClient(url, "http://127.0.0.1:9", timeout_s=5, auth_token=RASA_TOKEN)
        app[RASA_KEY] = client

        async def lifetime(app: web.Application) -> AsyncIterator[None]:
            await client.start()
            yield
            await client.close()

        app.cleanup_ctx.append(lifetime)

    return add_rasa


async def session(studio: Studio, name: str, role: str) -> dict[str, str]:
    """Log ``name`` in (the client keeps the cookie); the CSRF header to send."""
    await accounts.add_user(studio.engine, name, role, PASSWORD)
    response = await studio.client.post(
        "/api/admin/login", json={"name": name, "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    return {"X-CSRF-Token": (await response.json())["csrf_token"]}


def saved_overlay(studio: Studio) -> dict[str, Any] | None:
    """The policies overlay's values (None: no file)."""
    path = Path(studio.cfg.studio.policies_file)
    return yaml.safe_load(path.read_text("utf-8"))["policies"] if path.exists() else None


async def rendered_faq(studio: Studio) -> dict[str, Any]:
    response = await studio.client.get("/api/admin/faq", headers=AUTH)
    assert response.status == 200
    return dict(await response.json())


# --- policies --------------------------------------------------------------------------------
async def test_policies_list_every_value_from_config(studio: Studio) -> None:
    response = await studio.client.get("/api/admin/policies", headers=AUTH)
    assert response.status == 200
    policies = (await response.json())["policies"]
    assert set(policies) == {
        "return_days",
        "quality_return_days",
        "quality_exchange_days",
        "free_shipping_threshold",
        "shipping_fee",
        "service_hours",
        "return_phone",
    }
    assert policies["return_days"]["value"] == studio.cfg.aftersales.return_days
    assert policies["service_hours"]["value"] == studio.cfg.shop.service_hours
    assert policies["free_shipping_threshold"]["config_key"] == "studio.free_shipping_threshold"
    assert not any(p["saved"] for p in policies.values())


async def test_a_policy_change_renders_the_faq_at_once_and_is_audited(studio: Studio) -> None:
    headers = await session(studio, "mei", "editor")
    saved = await studio.client.put("/api/admin/faq/shipping_fee", json=SHIPPING, headers=headers)
    assert saved.status == 200, await saved.text()
    before = (await rendered_faq(studio))["faq"]["shipping_fee"]["rendered"]["en"]
    assert before == "Free shipping from ¥99; below that ¥8."

    response = await studio.client.put(
        "/api/admin/policies",
        json={"free_shipping_threshold": 129, "service_hours": "08:30-22:00"},
        headers=headers,
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["changed"] is True and body["faq_rendered"] == ["shipping_fee"]
    assert body["policies"]["free_shipping_threshold"] == {
        "value": 129,
        "saved": True,
        "config_key": "studio.free_shipping_threshold",
        "min": 0,
        "max": 1_000_000,
    }
    faq = await rendered_faq(studio)
    assert faq["placeholders"]["free_shipping_threshold"] == "129"
    assert faq["faq"]["shipping_fee"]["rendered"]["en"] == "Free shipping from ¥129; below that ¥8."
    assert faq["faq"]["shipping_fee"]["en"] == SHIPPING["en"]  # the template stays as edited
    domain = yaml.safe_load((studio.project / "domain" / "faq.yml").read_text("utf-8"))
    zh = next(v for v in domain["responses"]["utter_faq/shipping_fee"] if v.get("condition"))
    assert zh["text"].strip() == "订单满 ¥129 包邮，不满收取 ¥8 运费。"

    # Every process reads the overlay over config.yml at its next start.
    overlay = Path(studio.cfg.studio.policies_file)
    assert saved_overlay(studio) == {
        "free_shipping_threshold": 129,
        "service_hours": "08:30-22:00",
    }
    again = load_config(path=overlay.with_name("no-config.yml"), env={})
    assert again.studio.free_shipping_threshold == 129
    assert again.shop.service_hours == "08:30-22:00"
    assert again.aftersales.return_days == studio.cfg.aftersales.return_days

    audit = await studio.client.get("/api/admin/audit", params={"kind": "policy"}, headers=AUTH)
    rows = (await audit.json())["changes"]
    assert len(rows) == 1 and rows[0]["author"] == "mei"
    assert rows[0]["before"] == {"free_shipping_threshold": "99", "service_hours": "09:00-21:00"}
    assert rows[0]["after"] == {"free_shipping_threshold": "129", "service_hours": "08:30-22:00"}

    # The same values again: nothing changes, nothing is recorded.
    same = await studio.client.put(
        "/api/admin/policies", json={"free_shipping_threshold": 129}, headers=headers
    )
    assert (await same.json())["changed"] is False
    audit = await studio.client.get("/api/admin/audit", params={"kind": "policy"}, headers=AUTH)
    assert len((await audit.json())["changes"]) == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"return_days": 0}, "return_days", "between 1 and 365"),
        ({"return_days": 366}, "return_days", "between 1 and 365"),
        ({"return_days": "7"}, "return_days", "whole number"),
        ({"shipping_fee": 8.5}, "shipping_fee", "whole number"),
        ({"shipping_fee": True}, "shipping_fee", "whole number"),
        ({"free_shipping_threshold": -1}, "free_shipping_threshold", "between 0"),
        ({"service_hours": "9am-5pm"}, "service_hours", "09:00-21:00"),
        ({"service_hours": "09:00-25:00"}, "service_hours", "impossible"),
        ({"service_hours": 9}, "service_hours", "09:00-21:00"),
        ({"return_phone": "call us"}, "return_phone", "phone number"),
        ({"return_days": 10, "vip_days": 3}, "vip_days", "unknown policy"),
        ({}, "policies", "at least one"),
    ],
)
async def test_bad_policies_are_refused_naming_the_field(
    studio: Studio, body: dict[str, Any], field: str, words: str
) -> None:
    response = await studio.client.put("/api/admin/policies", json=body, headers=AUTH)
    assert response.status == 400, await response.text()
    answer = await response.json()
    assert answer["field"] == field
    assert words in answer["errors"][0]["error"]
    assert saved_overlay(studio) is None  # nothing saved


async def test_every_problem_is_reported_at_once(studio: Studio) -> None:
    body = {"return_days": 0, "service_hours": "late", "return_phone": "x"}
    response = await studio.client.put("/api/admin/policies", json=body, headers=AUTH)
    assert response.status == 400
    fields = [e["field"] for e in (await response.json())["errors"]]
    assert sorted(fields) == ["return_days", "return_phone", "service_hours"]


async def test_policies_need_an_editor_and_the_csrf_token(studio: Studio) -> None:
    assert (await studio.client.get("/api/admin/policies")).status == 401
    unauthenticated = await studio.client.put("/api/admin/policies", json={"return_days": 9})
    assert unauthenticated.status == 401
    headers = await session(studio, "wu", "reviewer")
    assert (await studio.client.get("/api/admin/policies")).status == 200  # reviewers read
    refused = await studio.client.put(
        "/api/admin/policies", json={"return_days": 9}, headers=headers
    )
    assert refused.status == 403 and (await refused.json())["field"] == "role"
    await session(studio, "mei", "editor")
    no_csrf = await studio.client.put("/api/admin/policies", json={"return_days": 9})
    assert no_csrf.status == 403 and (await no_csrf.json())["field"] == "X-CSRF-Token"
    assert saved_overlay(studio) is None


async def test_a_broken_overlay_is_a_config_error(tmp_path: Path) -> None:
    from bot.config import ConfigError

    (tmp_path / "shop.policies.yml").write_text("policies:\n  vip_days: 3\n", "utf-8")
    with pytest.raises(ConfigError, match="unknown policies"):
        load_config(path=tmp_path / "shop.yml", env={})


# --- listings --------------------------------------------------------------------------------
async def test_intents_are_listed_with_example_counts(studio: Studio) -> None:
    assert (await studio.client.get("/api/admin/nlu")).status == 401
    response = await studio.client.get("/api/admin/nlu", headers=AUTH)
    assert response.status == 200
    intents = {item["intent"]: item for item in (await response.json())["intents"]}
    greet = (await (await studio.client.get("/api/admin/nlu/greet", headers=AUTH)).json())[
        "examples"
    ]
    assert intents["greet"]["examples"] == {"zh": len(greet["zh"]), "en": len(greet["en"])}
    assert intents["greet"]["examples"]["zh"] > 0 and intents["greet"]["in_domain"]
    assert intents["faq/shipping_fee"]["examples"]["en"] > 0
    assert "faq" not in intents  # the retrieval intent's examples are under faq/<key>


async def test_rules_and_stories_are_listed(studio: Studio) -> None:
    for kind, top, item_key in [("rules", "rules", "rule"), ("stories", "stories", "story")]:
        assert (await studio.client.get(f"/api/admin/{kind}")).status == 401
        response = await studio.client.get(f"/api/admin/{kind}", headers=AUTH)
        assert response.status == 200
        listed = (await response.json())[kind]
        expected = [
            item[item_key]
            for path in sorted((studio.project / "data" / kind).glob("*.yml"))
            for item in (yaml.safe_load(path.read_text("utf-8")) or {}).get(top) or []
        ]
        assert [item["name"] for item in listed] == expected and expected
        assert all(item["steps"] > 0 and item["file"].startswith("data/") for item in listed)


# --- rules and stories as YAML ---------------------------------------------------------------
async def test_a_rule_is_read_and_saved_as_yaml(studio: Studio) -> None:
    listed = await (await studio.client.get("/api/admin/rules", headers=AUTH)).json()
    name = listed["rules"][0]["name"]
    found = await (await studio.client.get(f"/api/admin/rules/{name}", headers=AUTH)).json()
    assert yaml.safe_load(found["yaml"])["steps"] == found["steps"]

    text = "steps:\n- intent: greet\n- action: utter_greet\n"
    created = await studio.client.put(
        "/api/admin/rules/greet from the pages", json={"yaml": text}, headers=AUTH
    )
    assert created.status == 201, await created.text()
    body = await created.json()
    assert body["steps"] == [{"intent": "greet"}, {"action": "utter_greet"}]
    assert yaml.safe_load(body["yaml"]) == {"steps": body["steps"]}
    saved = yaml.safe_load((studio.project / "data" / "rules" / "studio.yml").read_text("utf-8"))
    assert saved["rules"][-1]["rule"] == "greet from the pages"


async def test_yaml_errors_name_the_step_and_its_line(studio: Studio) -> None:
    text = "steps:\n- intent: greet\n- action: utter_greet\n- action: utter_no_such_thing\n"
    response = await studio.client.put(
        "/api/admin/stories/broken", json={"yaml": text}, headers=AUTH
    )
    assert response.status == 400
    body = await response.json()
    assert body["field"] == "steps[2].action"
    assert body["errors"][0]["line"] == 4 and body["errors"][0]["step"] == 2
    assert not (studio.project / "data" / "stories" / "studio.yml").exists()

    for bad, words in [
        ("steps: [\n- intent: greet\n", "line"),
        ("- intent: greet\n", "mapping"),
        ("", "YAML text"),
    ]:
        response = await studio.client.put(
            "/api/admin/stories/broken", json={"yaml": bad}, headers=AUTH
        )
        assert response.status == 400, bad
        answer = await response.json()
        assert answer["field"] == "yaml" and words in answer["error"], answer
    mixed = await studio.client.put(
        "/api/admin/stories/broken", json={"yaml": text, "steps": []}, headers=AUTH
    )
    assert mixed.status == 400 and (await mixed.json())["field"] == "steps"


# --- NLU preview -----------------------------------------------------------------------------
async def test_preview_asks_rasa_through_the_gateway_client(
    studio: Studio, parser: FakeParser
) -> None:
    response = await studio.client.post(
        "/api/admin/nlu/preview", json={"text": "  运费怎么算  "}, headers=AUTH
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["intent"] == "faq" and body["confidence"] == 0.9123
    assert [r["name"] for r in body["ranking"]] == ["faq", "order_status", "greet"]
    assert body["entities"][0]["entity"] == "order_id"
    assert body["entities"][0]["value"] == "260315004217"
    assert body["faq"] == {"key": "faq/shipping_fee", "confidence": 0.8}
    assert parser.asked == [("运费怎么算", RASA_TOKEN)]


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": 5}, {"text": "x" * 301}],
)
async def test_preview_refuses_empty_or_long_text(
    studio: Studio, parser: FakeParser, body: dict[str, Any]
) -> None:
    response = await studio.client.post("/api/admin/nlu/preview", json=body, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["field"] == "text"
    assert parser.asked == []


async def test_preview_says_503_when_rasa_is_down(studio: Studio, parser: FakeParser) -> None:
    assert parser.server is not None
    await parser.server.close()
    response = await studio.client.post(
        "/api/admin/nlu/preview", json={"text": "hello"}, headers=AUTH
    )
    assert response.status == 503
    body = await response.json()
    assert body["field"] == "rasa" and "Rasa" in body["error"]


async def test_preview_needs_a_login_and_csrf(studio: Studio) -> None:
    response = await studio.client.post("/api/admin/nlu/preview", json={"text": "hi"})
    assert response.status == 401
    await session(studio, "wu", "reviewer")
    no_csrf = await studio.client.post("/api/admin/nlu/preview", json={"text": "hi"})
    assert no_csrf.status == 403


# --- the pages -------------------------------------------------------------------------------
async def test_pages_are_served_with_a_same_origin_csp(studio: Studio) -> None:
    home = await studio.client.get("/admin", allow_redirects=False)
    assert home.status == 302 and home.headers["Location"] == "/admin/faq.html"
    for name in ["login.html", "faq.html", "common.js", "admin.css", "texts.json"]:
        response = await studio.client.get(f"/admin/{name}")
        assert response.status == 200, name
        if name == "faq.html":  # the shared shell with the page's own script
            html = await response.text()
            assert 'data-page="faq"' in html and '<script src="faq.js">' in html
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name in [
        "nothing.html",
        "..%2Fpages.py",
        "pages.py",
        ".hidden.js",
        "page.template.html",
        "common.html",
    ]:
        assert (await studio.client.get(f"/admin/{name}")).status == 404, name


def page_scripts() -> dict[str, str]:
    return {path.name: path.read_text("utf-8") for path in sorted(STATIC_DIR.glob("*.js"))}


def test_every_label_the_pages_use_exists_in_both_languages() -> None:
    labels = admin_labels()
    assert set(labels["zh"]) == set(labels["en"])
    used = {
        key
        for text in page_scripts().values()
        for key in re.findall(r'Admin\.t\(\s*"([a-z_.]+)"\s*[,)]', text)
    }
    assert used and used <= set(labels["en"]), sorted(used - set(labels["en"]))
    nav = re.findall(r'\{ page: "([a-z_]+)"', page_scripts()["common.js"])
    for page in nav:
        assert f"nav.{page}" in labels["en"], page
        assert (STATIC_DIR / f"{page}.js").exists(), page


def test_pages_build_html_from_text_only() -> None:
    for name, text in page_scripts().items():
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, name
        assert "document.write" not in text and "eval(" not in text, name
    for path in STATIC_DIR.glob("*.html"):
        html = path.read_text("utf-8")
        assert "<script>" not in html and "style=" not in html and "http" not in html, path


async def test_the_model_answer_carries_the_newest_job(studio: Studio) -> None:
    before = await (await studio.client.get("/api/admin/model", headers=AUTH)).json()
    assert before["latest_job"] is None
    ids = []
    for _ in range(2):
        response = await studio.client.post("/api/admin/model/train", json={}, headers=AUTH)
        assert response.status == 202
        ids.append((await response.json())["job_id"])
        assert studio.deployer is not None
        await studio.deployer.wait()
    after = await (await studio.client.get("/api/admin/model", headers=AUTH)).json()
    assert after["latest_job"]["id"] == ids[-1] == max(ids)
    assert after["latest_job"]["status"] == "succeeded"


# --- the assistant's own replies -------------------------------------------------------------
GREETING = {
    "en": "Hi! I'm the Demo Shop assistant: orders, products, returns and more. What can I do?",
    "zh": "您好！我是演示商店的智能客服，订单、商品、退换货都可以问我。有什么可以帮您？",
}


async def test_replies_are_listed_without_the_faq_answers(studio: Studio) -> None:
    response = await studio.client.get("/api/admin/responses", headers=AUTH)
    assert response.status == 200
    replies = (await response.json())["responses"]
    assert {"utter_greet", "utter_goodbye", "utter_ask_rephrase"} <= set(replies)
    assert "utter_default" not in replies  # code sends the same text (bot/i18n)
    assert not [name for name in replies if name.startswith("utter_faq")]
    greet = replies["utter_greet"]
    assert greet["file"] == "conversation.yml" and greet["placeholders"] == []
    assert greet["en"].startswith("Hello!") and "您好" in greet["zh"]


async def test_a_reply_is_saved_into_its_domain_file_and_audited(studio: Studio) -> None:
    headers = await session(studio, "mei", "editor")
    saved = await studio.client.put(
        "/api/admin/responses/utter_greet", json=GREETING, headers=headers
    )
    assert saved.status == 200, await saved.text()
    body = await saved.json()
    assert body["changed"] is True and body["en"] == GREETING["en"]
    domain = yaml.safe_load((studio.project / "domain" / "conversation.yml").read_text("utf-8"))
    variations = domain["responses"]["utter_greet"]
    assert [v["text"].strip() for v in variations] == [GREETING["en"], GREETING["zh"]]
    assert variations[1]["condition"] == [{"type": "slot", "name": "language", "value": "zh"}]
    again = await studio.client.put(
        "/api/admin/responses/utter_greet", json=GREETING, headers=headers
    )
    assert (await again.json())["changed"] is False
    audit = await studio.client.get("/api/admin/audit?kind=response", headers=AUTH)
    [row] = (await audit.json())["changes"]
    assert row["name"] == "utter_greet" and row["after"] == GREETING and row["author"] == "mei"


NEW_SLOT = {
    "en": "Hi {first_name}! What can I do for you?",
    "zh": "您好 {first_name}！有什么可以帮您？",
}


@pytest.mark.parametrize(
    ("name", "body", "status", "field"),
    [
        ("utter_nothing", GREETING, 404, "name"),
        ("utter_faq", GREETING, 404, "name"),
        ("utter_default", GREETING, 404, "name"),
        ("utter_greet", {"en": GREETING["en"]}, 400, "zh"),
        ("utter_greet", {**GREETING, "zh": "Hello there, in English"}, 400, "zh"),
        (
            "utter_greet",
            {**GREETING, "en": "Hi {first_name}!", "zh": "您好 {first_name}！"},
            400,
            "zh",
        ),
        ("utter_greet", {**GREETING, "en": ""}, 400, "en"),
        ("utter_greet", {**GREETING, "fr": "Bonjour"}, 400, "fr"),
    ],
)
async def test_bad_replies_are_refused_naming_the_field(
    studio: Studio, name: str, body: dict[str, Any], status: int, field: str
) -> None:
    before = (studio.project / "domain" / "conversation.yml").read_text("utf-8")
    response = await studio.client.put(f"/api/admin/responses/{name}", json=body, headers=AUTH)
    assert response.status == status, await response.text()
    assert (await response.json())["field"] == field
    assert (studio.project / "domain" / "conversation.yml").read_text("utf-8") == before


async def test_replies_need_an_editor(studio: Studio) -> None:
    assert (await studio.client.get("/api/admin/responses")).status == 401
    headers = await session(studio, "wu", "reviewer")
    assert (await studio.client.get("/api/admin/responses")).status == 200
    refused = await studio.client.put(
        "/api/admin/responses/utter_greet", json=GREETING, headers=headers
    )
    assert refused.status == 403

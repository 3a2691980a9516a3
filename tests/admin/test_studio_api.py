"""Studio API: FAQ, NLU, rules and stories with validation and audit rows; training jobs behind
the deploy gate (fake trainer, evaluator and Rasa), versions and rollback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import yaml

from bot.studio.project import ProjectStore, policy_values
from tests.admin.conftest import AUTH, Studio

pytestmark = pytest.mark.timeout(60)


def faq_texts(studio: Studio, key: str) -> dict[str, str]:
    doc = yaml.safe_load((studio.project / "domain" / "faq.yml").read_text("utf-8"))
    found = {}
    for variation in doc["responses"][f"utter_faq/{key}"]:
        found["zh" if variation.get("condition") else "en"] = variation["text"].strip()
    return found


async def audit(studio: Studio, **query: str) -> list[dict[str, Any]]:
    response = await studio.client.get("/api/admin/audit", params=query, headers=AUTH)
    assert response.status == 200
    return list((await response.json())["changes"])


async def job_done(studio: Studio, job_id: int) -> dict[str, Any]:
    assert studio.deployer is not None
    await studio.deployer.wait()
    response = await studio.client.get(f"/api/admin/model/jobs/{job_id}", headers=AUTH)
    assert response.status == 200
    return dict(await response.json())


async def train(studio: Studio, **body: Any) -> dict[str, Any]:
    response = await studio.client.post("/api/admin/model/train", json=body, headers=AUTH)
    assert response.status == 202, await response.text()
    return await job_done(studio, (await response.json())["job_id"])


# --- auth ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/faq"),
        ("PUT", "/api/admin/faq/shipping_fee"),
        ("GET", "/api/admin/nlu/greet"),
        ("PUT", "/api/admin/rules/x"),
        ("GET", "/api/admin/stories/x"),
        ("POST", "/api/admin/model/train"),
        ("GET", "/api/admin/model"),
        ("GET", "/api/admin/model/jobs/1"),
        ("POST", "/api/admin/model/rollback"),
        ("GET", "/api/admin/audit"),
    ],
)
async def test_every_endpoint_needs_the_token(studio: Studio, method: str, path: str) -> None:
    response = await studio.client.request(method, path, json={})
    assert response.status == 401
    wrong = await studio.client.request(
        method, path, json={}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status == 401


# --- FAQ -------------------------------------------------------------------------------------
async def test_faq_lists_every_key_in_both_languages(studio: Studio) -> None:
    response = await studio.client.get("/api/admin/faq", headers=AUTH)
    assert response.status == 200
    body = await response.json()
    assert {"shipping_fee", "return_policy", "payment_methods"} <= set(body["faq"])
    for texts in body["faq"].values():
        assert texts["zh"] and texts["en"]
    assert body["placeholders"]["return_days"] == "7"


async def test_faq_save_writes_the_domain_and_an_audit_row(studio: Studio) -> None:
    before = faq_texts(studio, "payment_methods")
    new = {"zh": "支持支付宝和微信支付。", "en": "We accept Alipay and WeChat Pay."}
    response = await studio.client.put("/api/admin/faq/payment_methods", json=new, headers=AUTH)
    assert response.status == 200, await response.text()
    assert (await response.json())["changed"] is True
    assert faq_texts(studio, "payment_methods") == new
    rows = await audit(studio, kind="faq")
    assert len(rows) == 1
    assert rows[0]["name"] == "payment_methods" and rows[0]["author"] == "admin"
    assert rows[0]["before"] == before and rows[0]["after"] == new
    # The rest of the file is untouched: the comment and the other answers.
    text = (studio.project / "domain" / "faq.yml").read_text("utf-8")
    assert "# Shop policies, answered by the ResponseSelector" in text
    assert faq_texts(studio, "shipping_time")["zh"].startswith("现货商品付款后")
    # Saving the same texts again changes nothing and records nothing.
    again = await studio.client.put("/api/admin/faq/payment_methods", json=new, headers=AUTH)
    assert (await again.json())["changed"] is False
    assert len(await audit(studio, kind="faq")) == 1


async def test_faq_placeholders_are_rendered_from_config(studio: Studio) -> None:
    new = {
        "zh": "满 ¥{free_shipping_threshold} 包邮，签收后 {return_days} 天内可退货。",
        "en": "Free shipping from ¥{free_shipping_threshold}; returns within {return_days} days.",
    }
    response = await studio.client.put("/api/admin/faq/shipping_fee", json=new, headers=AUTH)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["en"] == new["en"]  # as edited
    assert body["rendered"]["en"] == "Free shipping from ¥99; returns within 7 days."
    assert faq_texts(studio, "shipping_fee")["zh"] == "满 ¥99 包邮，签收后 7 天内可退货。"
    # One config change updates every answer that quotes it (rendered before training).
    values = {**policy_values(studio.cfg), "return_days": "10"}
    changed = ProjectStore(studio.project, values).render_faq()
    assert changed == ["shipping_fee"]
    assert faq_texts(studio, "shipping_fee")["en"] == (
        "Free shipping from ¥99; returns within 10 days."
    )


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"zh": "支持支付宝。"}, "en", "required"),
        ({"zh": "", "en": "We accept Alipay."}, "zh", "empty"),
        ({"zh": "支持支付宝。", "en": "支持支付宝和微信支付。"}, "en", "English"),
        ({"zh": "We accept Alipay.", "en": "We accept Alipay."}, "zh", "Chinese"),
        ({"zh": "支持支付宝。", "en": "x" * 2001}, "en", "limit"),
        ({"zh": "{return_days} 天内退货。", "en": "Returns within 7 days."}, "en", "placeholders"),
        ({"zh": "{nope} 天内退货。", "en": "Returns within {nope} days."}, "zh", "unknown"),
        ({"zh": "支持支付宝。", "en": "We accept Alipay.", "fr": "x"}, "fr", "unknown"),
        ({"zh": 5, "en": "We accept Alipay."}, "zh", "string"),
    ],
)
async def test_faq_bad_input_is_400_naming_the_field(
    studio: Studio, body: dict[str, Any], field: str, words: str
) -> None:
    before = faq_texts(studio, "payment_methods")
    response = await studio.client.put("/api/admin/faq/payment_methods", json=body, headers=AUTH)
    assert response.status == 400
    error = await response.json()
    assert field in [p["field"] for p in error["errors"]], error
    assert words in error["error"]
    assert faq_texts(studio, "payment_methods") == before
    assert await audit(studio) == []


async def test_faq_unknown_or_malformed_key(studio: Studio) -> None:
    body = {"zh": "支持支付宝。", "en": "We accept Alipay."}
    missing = await studio.client.put("/api/admin/faq/no_such_key", json=body, headers=AUTH)
    assert missing.status == 404 and (await missing.json())["field"] == "key"
    bad = await studio.client.put("/api/admin/faq/Bad-Key", json=body, headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] == "key"
    not_json = await studio.client.put("/api/admin/faq/payment_methods", data="zh=1", headers=AUTH)
    assert not_json.status == 400


# --- NLU -------------------------------------------------------------------------------------
async def test_nlu_read_and_replace(studio: Studio) -> None:
    response = await studio.client.get("/api/admin/nlu/greet", headers=AUTH)
    assert response.status == 200
    examples = (await response.json())["examples"]
    assert "你好" in examples["zh"] and "hello" in examples["en"]
    examples["en"].append("good evening, dear shop assistant")
    examples["zh"].remove("你好")
    saved = await studio.client.put(
        "/api/admin/nlu/greet", json={"examples": examples}, headers=AUTH
    )
    assert saved.status == 200, await saved.text()
    again = await (await studio.client.get("/api/admin/nlu/greet", headers=AUTH)).json()
    assert "good evening, dear shop assistant" in again["examples"]["en"]
    assert "你好" not in again["examples"]["zh"]
    rows = await audit(studio, kind="nlu", name="greet")
    assert len(rows) == 1 and "你好" in rows[0]["before"]["zh"]
    # Retrieval sub-intents are addressed by their full name.
    faq = await studio.client.get("/api/admin/nlu/faq/shipping_fee", headers=AUTH)
    assert faq.status == 200 and (await faq.json())["examples"]["zh"]


async def test_nlu_unknown_intent_is_404(studio: Studio) -> None:
    for path in ("/api/admin/nlu/no_such_intent", "/api/admin/nlu/faq/no_such_key"):
        assert (await studio.client.get(path, headers=AUTH)).status == 404
        put = await studio.client.put(
            path, json={"examples": {"en": ["hello there my friend"]}}, headers=AUTH
        )
        assert put.status == 404


async def test_a_held_out_phrasing_is_refused_as_a_training_example(studio: Studio) -> None:
    current = await (await studio.client.get("/api/admin/nlu/greet", headers=AUTH)).json()
    examples = current["examples"]
    examples["en"].append("hey hey")  # in tests/data/nlu_holdout.yml
    examples["zh"].append("有客服在线吗？想问点事!!")  # a held-out phrasing, punctuation changed
    response = await studio.client.put(
        "/api/admin/nlu/greet", json={"examples": examples}, headers=AUTH
    )
    assert response.status == 400
    error = await response.json()
    fields = [p["field"] for p in error["errors"]]
    assert f"examples.en[{len(examples['en']) - 1}]" in fields
    assert f"examples.zh[{len(examples['zh']) - 1}]" in fields
    assert "held-out" in error["error"]
    stored = (studio.project / "data" / "nlu" / "conversation.yml").read_text("utf-8")
    assert "- hey hey\n" not in stored


async def test_a_noisy_held_out_phrasing_is_refused_too(studio: Studio) -> None:
    current = await (await studio.client.get("/api/admin/nlu/cancel_order", headers=AUTH)).json()
    examples = current["examples"]
    examples["en"].append("Scrap that order I just made!")  # tests/data/nlu_holdout_noisy.yml
    response = await studio.client.put(
        "/api/admin/nlu/cancel_order", json={"examples": examples}, headers=AUTH
    )
    assert response.status == 400
    error = await response.json()
    assert [p["field"] for p in error["errors"]] == [f"examples.en[{len(examples['en']) - 1}]"]
    assert "held-out" in error["error"]


@pytest.mark.parametrize(
    ("examples", "field", "words"),
    [
        ({"en": ["good evening friends", "Good  Evening friends"]}, "examples.en[1]", "duplicates"),
        ({"en": ["where is my order"]}, "examples.en[0]", "already an example"),
        ({"en": ["   "]}, "examples.en[0]", "empty"),
        ({"en": ["你好朋友们大家好"]}, "examples.en[0]", "English"),
        ({"en": []}, "examples", "at least one"),
        ({"de": ["hallo"]}, "examples", "must be"),
        ({"en": "hello"}, "examples.en", "list"),
    ],
)
async def test_nlu_bad_examples_are_400(
    studio: Studio, examples: dict[str, Any], field: str, words: str
) -> None:
    response = await studio.client.put(
        "/api/admin/nlu/greet", json={"examples": examples}, headers=AUTH
    )
    assert response.status == 400
    error = await response.json()
    assert field in [p["field"] for p in error["errors"]], error
    assert words in error["error"], error


# --- rules and stories -----------------------------------------------------------------------
async def test_rules_read_write_and_step_errors(studio: Studio) -> None:
    found = await studio.client.get("/api/admin/rules/answer an FAQ", headers=AUTH)
    assert found.status == 200
    assert (await found.json())["steps"] == [{"intent": "faq"}, {"action": "utter_faq"}]
    assert (await studio.client.get("/api/admin/rules/nope", headers=AUTH)).status == 404

    bad = {"steps": [{"intent": "greet"}, {"action": "utter_nope"}, {"intent": "nope"}, 5]}
    response = await studio.client.put("/api/admin/rules/greet twice", json=bad, headers=AUTH)
    assert response.status == 400
    fields = [p["field"] for p in (await response.json())["errors"]]
    assert fields == ["steps[1].action", "steps[2].intent", "steps[3]"]

    good = {"steps": [{"intent": "greet"}, {"action": "utter_greet"}]}
    created = await studio.client.put("/api/admin/rules/greet twice", json=good, headers=AUTH)
    assert created.status == 201, await created.text()
    assert (await created.json())["file"] == "data/rules/studio.yml"
    changed = await studio.client.put(
        "/api/admin/rules/answer an FAQ",
        json={"steps": [{"intent": "faq"}, {"action": "utter_faq"}], "wait_for_user_input": False},
        headers=AUTH,
    )
    assert changed.status == 200
    doc = yaml.safe_load((studio.project / "data" / "rules" / "faq.yml").read_text("utf-8"))
    rule = next(r for r in doc["rules"] if r["rule"] == "answer an FAQ")
    assert rule["wait_for_user_input"] is False
    assert [r["name"] for r in await audit(studio, kind="rule")] == [
        "answer an FAQ",
        "greet twice",
    ]


async def test_stories_read_write(studio: Studio) -> None:
    doc = yaml.safe_load((studio.project / "data" / "stories" / "orders.yml").read_text("utf-8"))
    name = doc["stories"][0]["story"]
    found = await studio.client.get(f"/api/admin/stories/{name}", headers=AUTH)
    assert found.status == 200
    steps = (await found.json())["steps"]
    saved = await studio.client.put(
        f"/api/admin/stories/{name}", json={"steps": steps}, headers=AUTH
    )
    assert saved.status == 200 and (await saved.json())["changed"] is False
    bad = await studio.client.put(
        "/api/admin/stories/new", json={"steps": [{"action": "utter_greet"}]}, headers=AUTH
    )
    assert bad.status == 400 and (await bad.json())["field"] == "steps[0]"
    empty = await studio.client.put("/api/admin/stories/new", json={"steps": []}, headers=AUTH)
    assert empty.status == 400 and (await empty.json())["field"] == "steps"


# --- training, the gate, versions, rollback --------------------------------------------------
async def test_train_evaluates_and_hot_swaps_a_good_model(studio: Studio) -> None:
    await studio.client.put(
        "/api/admin/faq/payment_methods",
        json={"zh": "支持支付宝和微信支付。", "en": "We accept Alipay and WeChat Pay."},
        headers=AUTH,
    )
    job = await train(studio)
    assert job["status"] == "succeeded", job
    assert job["progress"] == 1.0 and job["error"] is None
    assert job["metrics"]["holdout_accuracy"] == job["metrics"]["baseline_accuracy"] == 1.0
    assert studio.servers.loaded == [studio.cfg.studio.model_dir and studio.servers.loaded[0]]
    assert studio.servers.loaded[0].name == f"{job['version']}.tar.gz"
    model = await (await studio.client.get("/api/admin/model", headers=AUTH)).json()
    assert model["active"]["version"] == job["version"]
    assert [v["status"] for v in model["versions"]] == ["active", "retired"]  # + the baseline
    detail = await studio.client.get(f"/api/admin/model/versions/{job['version']}", headers=AUTH)
    assert "We accept Alipay and WeChat Pay." in (await detail.json())["diff"]
    assert "domain/faq.yml" in model["active"]["changed_files"]


async def test_the_gate_rejects_a_deliberately_broken_training_set(studio: Studio) -> None:
    first = await train(studio)
    assert first["status"] == "succeeded"
    # Greetings cut down to two examples: the model no longer knows the intent.
    broken = {"examples": {"zh": ["大家好啊朋友们"], "en": ["greetings to all of you"]}}
    saved = await studio.client.put("/api/admin/nlu/greet", json=broken, headers=AUTH)
    assert saved.status == 200, await saved.text()
    job = await train(studio)
    assert job["status"] == "rejected", job
    metrics = job["metrics"]
    assert metrics["holdout_accuracy"] < metrics["baseline_accuracy"] - 0.02
    assert metrics["baseline_version"] == first["version"]
    assert "held-out intent accuracy" in job["error"]
    assert len(studio.servers.loaded) == 1  # only the first model went live
    model = await (await studio.client.get("/api/admin/model", headers=AUTH)).json()
    assert model["active"]["version"] == first["version"]
    assert model["versions"][0]["status"] == "rejected"


async def test_a_failing_test_story_rejects_the_model(studio: Studio) -> None:
    studio.evaluator.failing = ["check an order (zh)"]
    job = await train(studio)
    assert job["status"] == "rejected"
    assert "check an order (zh)" in job["error"]
    assert job["metrics"]["failed_stories"] == ["check an order (zh)"]
    assert studio.servers.loaded == []


async def test_train_without_activation_and_failures(studio: Studio) -> None:
    job = await train(studio, activate=False)
    assert job["status"] == "succeeded" and studio.servers.loaded == []
    studio.trainer.invalid = "rasa data validate failed: utter_x is not defined"
    failed = await train(studio)
    assert failed["status"] == "failed" and "utter_x" in failed["error"]
    studio.trainer.invalid = None
    studio.servers.fail = True
    refused = await train(studio)
    assert refused["status"] == "failed" and "refused the model" in refused["error"]
    bad = await studio.client.post("/api/admin/model/train", json={"activate": "yes"}, headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] == "activate"
    assert (await studio.client.get("/api/admin/model/jobs/999", headers=AUTH)).status == 404
    assert (await studio.client.get("/api/admin/model/jobs/x", headers=AUTH)).status == 400


async def test_one_job_at_a_time(studio: Studio) -> None:
    gate = asyncio.Event()
    original = studio.trainer.validate

    async def slow(project: Any) -> None:
        await gate.wait()
        await original(project)

    studio.trainer.validate = slow  # type: ignore[method-assign]
    first = await studio.client.post("/api/admin/model/train", json={}, headers=AUTH)
    assert first.status == 202
    second = await studio.client.post("/api/admin/model/train", headers=AUTH)
    assert second.status == 409
    assert (await second.json())["job_id"] == (await first.json())["job_id"]
    running = await studio.client.get(
        f"/api/admin/model/jobs/{(await first.json())['job_id']}", headers=AUTH
    )
    assert (await running.json())["status"] in {"queued", "running"}
    gate.set()
    assert (await job_done(studio, (await first.json())["job_id"]))["status"] == "succeeded"


async def test_rollback_hot_swaps_the_previous_good_version(studio: Studio) -> None:
    first = await train(studio)
    second = await train(studio)
    assert second["status"] == "succeeded"
    response = await studio.client.post("/api/admin/model/rollback", headers=AUTH)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["active"]["version"] == first["version"]
    assert body["rolled_back"] == second["version"]
    assert studio.servers.loaded[-1].name == f"{first['version']}.tar.gz"
    # Then to the model Rasa ran before the studio's first deploy, then nothing is left.
    again = await studio.client.post("/api/admin/model/rollback", headers=AUTH)
    assert (await again.json())["active"]["version"] == "baseline"
    empty = await studio.client.post("/api/admin/model/rollback", headers=AUTH)
    assert empty.status == 409
    rows = await audit(studio, kind="model")
    assert [r["name"] for r in rows][:2] == ["baseline", first["version"]]


async def test_two_gateways_recording_the_baseline_at_once_keep_one(studio: Studio) -> None:
    """Two gateways starting together both find no model version and both record the
    baseline: the second finds it taken and carries on."""
    from sqlalchemy import delete, select

    from bot.storage.studio_schema import studio_models

    assert studio.deployer is not None
    async with studio.engine.begin() as conn:
        await conn.execute(delete(studio_models))
    await asyncio.gather(studio.deployer.ensure_baseline(), studio.deployer.ensure_baseline())
    async with studio.engine.connect() as conn:
        versions = (await conn.execute(select(studio_models.c.version))).scalars().all()
    assert versions == ["baseline"]

"""New FAQ keys through the API and the CLI: the response with both languages, its examples,
the audit row; 409 for a taken key; 400 naming the field; the result passes
`rasa data validate` (-m integration)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.studio.overlap import nlu_examples
from bot.studio.project import ProjectStore
from bot.studio.rasa_cli import RASA_BIN, RasaCli
from tests.admin.conftest import AUTH, HOLDOUT, TEST_STORIES, Studio

pytestmark = pytest.mark.timeout(60)

GIFT = {
    "key": "gift_wrapping",
    "zh": "下单时可选择礼品包装，每单加收 ¥10，满 ¥{free_shipping_threshold} 免费。",
    "en": "Gift wrapping can be chosen at checkout for ¥10 per order, free from "
    "¥{free_shipping_threshold}.",
    "examples": {
        "zh": ["可以帮忙包装成礼物吗", "有没有礼品包装服务", "送人的话能包得好看点吗"],
        "en": ["can you gift wrap my order", "do you offer gift wrapping", "wrap it as a present"],
    },
}


def _responses(project: Path) -> dict[str, Any]:
    doc = yaml.safe_load((project / "domain" / "faq.yml").read_text("utf-8"))
    return dict(doc["responses"])


async def test_a_new_key_round_trip(studio: Studio) -> None:
    response = await studio.client.post("/api/admin/faq", json=GIFT, headers=AUTH)
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["key"] == "gift_wrapping" and body["created"] is True
    assert body["rendered"]["en"].endswith("free from ¥99.")
    variations = _responses(studio.project)["utter_faq/gift_wrapping"]
    assert variations[0]["text"].strip().endswith("free from ¥99.")
    assert variations[1]["condition"] == [{"type": "slot", "name": "language", "value": "zh"}]
    assert variations[1]["text"] == "下单时可选择礼品包装，每单加收 ¥10，满 ¥99 免费。"
    # The template keeps the placeholder, so a config change re-renders it.
    templates = yaml.safe_load((studio.project / "faq_templates.yml").read_text("utf-8"))
    assert templates["faq"]["gift_wrapping"]["en"] == GIFT["en"]
    examples = [
        text
        for name, text in nlu_examples(studio.project / "data" / "nlu" / "faq.yml")
        if name == "faq/gift_wrapping"
    ]
    assert sorted(examples) == sorted(GIFT["examples"]["zh"] + GIFT["examples"]["en"])
    # It reads back like every other key, and the NLU API knows its intent.
    listed = await (await studio.client.get("/api/admin/faq", headers=AUTH)).json()
    assert listed["faq"]["gift_wrapping"]["zh"] == GIFT["zh"]
    nlu = await studio.client.get("/api/admin/nlu/faq/gift_wrapping", headers=AUTH)
    assert (await nlu.json())["examples"]["en"] == GIFT["examples"]["en"]
    changes = await (await studio.client.get("/api/admin/audit", headers=AUTH)).json()
    [row] = [c for c in changes["changes"] if c["name"] == "gift_wrapping"]
    assert row["kind"] == "faq" and row["before"] is None
    assert row["after"]["examples"]["zh"] == GIFT["examples"]["zh"]
    # The same key again: 409, nothing written.
    before = (studio.project / "domain" / "faq.yml").read_text("utf-8")
    again = await studio.client.post("/api/admin/faq", json=GIFT, headers=AUTH)
    assert again.status == 409 and (await again.json())["field"] == "key"
    taken = await studio.client.post(
        "/api/admin/faq", json={**GIFT, "key": "shipping_fee"}, headers=AUTH
    )
    assert taken.status == 409
    assert (studio.project / "domain" / "faq.yml").read_text("utf-8") == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"key": "Gift"}, "key"),
        ({"key": "g"}, "key"),
        ({"key": "gift-wrap"}, "key"),
        ({"key": "a" * 42}, "key"),
        ({"key": 7}, "key"),
        ({"zh": ""}, "zh"),
        ({"zh": "Gift wrapping costs 10."}, "zh"),
        ({"en": "礼品包装"}, "en"),
        ({"en": "Free from {nope}."}, "en"),
        ({"examples": {"zh": GIFT["examples"]["zh"][:1], "en": GIFT["examples"]["en"]}},
         "examples.zh"),
        ({"examples": {"zh": GIFT["examples"]["zh"], "en": []}}, "examples.en"),
        ({"examples": ["x"]}, "examples"),
        ({"examples": {"zh": GIFT["examples"]["zh"], "en": ["hi, anyone around?", "x y"]}},
         "examples.en[0]"),
        ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
async def test_bad_input_names_the_field(
    studio: Studio, change: dict[str, Any], field: str
) -> None:
    before = (studio.project / "domain" / "faq.yml").read_text("utf-8")
    response = await studio.client.post("/api/admin/faq", json={**GIFT, **change}, headers=AUTH)
    assert response.status == 400, await response.text()
    body = await response.json()
    assert field in [e["field"] for e in body["errors"]], body
    assert (studio.project / "domain" / "faq.yml").read_text("utf-8") == before


async def test_reviewers_may_not_add_keys(studio: Studio) -> None:
    from bot.studio import accounts

    await accounts.add_user(studio.engine, "wang", "reviewer", "correct horse battery")
    login = await studio.client.post(
        "/api/admin/login", json={"name": "wang", "password": "correct horse battery"}
    )
    csrf = {"X-CSRF-Token": (await login.json())["csrf_token"]}
    response = await studio.client.post("/api/admin/faq", json=GIFT, headers=csrf)
    assert response.status == 403 and (await response.json())["field"] == "role"


def test_the_cli_adds_a_key(tmp_path: Path, project: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"},
                "studio": {"project_dir": str(project)},
            }
        ),
        "utf-8",
    )
    args = ["--config", str(config), "studio", "faq", "add", "gift_wrapping"]
    args += ["--zh", GIFT["zh"], "--en", GIFT["en"]]
    for lang in ("zh", "en"):
        for example in GIFT["examples"][lang]:
            args += [f"--{lang}-example", example]
    assert main(args) == 0
    assert "gift_wrapping" in ProjectStore(project).faq()
    assert main(args) == 1  # taken


@pytest.mark.integration
@pytest.mark.timeout(600)
@pytest.mark.skipif(not RASA_BIN.exists(), reason="needs .venv-rasa (make rasa-env)")
async def test_rasa_data_validate_passes_with_a_new_key(studio: Studio) -> None:
    response = await studio.client.post("/api/admin/faq", json=GIFT, headers=AUTH)
    assert response.status == 201, await response.text()
    # The same check as the training job's first step (rasa data validate --fail-on-warnings).
    await RasaCli(HOLDOUT, TEST_STORIES).validate(studio.project)

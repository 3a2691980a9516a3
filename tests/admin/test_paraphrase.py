"""Paraphrases for review: `python -m bot studio paraphrase` asks the large model (the local fake
OpenAI-compatible server, through the real SDK) for phrasings of a few-shot intent, drops those
that are training examples, held-out phrasings or repeats, and queues the rest as review items;
accepting one adds it to the intent's examples in the project copy, rejecting does not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.admin.studio_extra_routes import MODEL_KEY
from bot.cli import main
from bot.config import LlmConfig
from bot.llm.client import LlmClient
from bot.services import review
from bot.storage.db import create_engine, create_schema
from bot.studio.editing import history
from bot.studio.overlap import nlu_examples
from bot.studio.project import split_languages
from tests.admin.conftest import AUTH, HOLDOUT, TEST_STORIES, Studio
from tests.llm_fake import FakeLlm

pytestmark = pytest.mark.timeout(60)

NEW_ZH = "回复跟我的问题对不上号"
NEW_EN = "your answer went right past my question"
CANDIDATES = {
    "zh": [
        "这个回答没用",  # a training example of not_helpful
        "你这个回复一点用都没有吧",  # like a held-out phrasing
        NEW_ZH,
        "回复跟我的问题对不上号！",  # the same as the one before
        "谢谢",  # a training example of another intent (too short to be "like", but equal)
    ],
    "en": [
        "that didn't help",  # a training example
        "that reply was pointless!",  # a held-out phrasing
        NEW_EN,
        "- " + NEW_EN.upper(),  # the same again
        "这是中文",  # not English
    ],
}


def _config(tmp_path: Path, project: Path, base_url: str) -> Path:
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'studio.db'}"},
                "studio": {
                    "project_dir": str(project),
                    "holdout": str(HOLDOUT),
                    "test_stories": str(TEST_STORIES),
                },
                "llm": {"base_url": base_url, "model": "fake-model", "timeout_s": 5},
            }
        ),
        "utf-8",
    )
    return config


def _examples(project: Path, intent: str) -> list[str]:
    return [
        text
        for path in sorted((project / "data" / "nlu").rglob("*.yml"))
        for name, text in nlu_examples(path)
        if name == intent
    ]


async def _items(tmp_path: Path, **filters: Any) -> list[dict[str, Any]]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'studio.db'}")
    try:
        await create_schema(engine)
        found, _ = await review.items(engine, **filters)
        return found
    finally:
        await engine.dispose()


async def _cli(*argv: str) -> int:
    # The command runs its own event loop; the fake server answers on this one.
    return await asyncio.to_thread(main, list(argv))


async def test_cli_proposes_accept_adds_reject_does_not(
    tmp_path: Path, project: Path, fake_llm: FakeLlm, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_llm.reply("```json\n" + json.dumps(CANDIDATES, ensure_ascii=False) + "\n```")
    config = _config(tmp_path, project, fake_llm.base_url)
    base = ["--config", str(config), "studio", "--author", "wang"]
    before = _examples(project, "not_helpful")

    assert await _cli(*base, "paraphrase", "--intent", "not_helpful", "--count", "5") == 0
    out = json.loads(capsys.readouterr().out)
    [proposal] = out["proposals"]
    assert proposal["intent"] == "not_helpful" and len(proposal["items"]) == 2
    why = {d["text"]: d["why"] for d in proposal["dropped"]}
    assert "training example" in why["这个回答没用"]
    assert "held-out" in why["你这个回复一点用都没有吧"]
    assert "another candidate" in why["回复跟我的问题对不上号！"]
    assert "training example" in why["谢谢"]
    assert "training example" in why["that didn't help"]
    assert "held-out" in why["that reply was pointless!"]
    assert "another candidate" in why[NEW_EN.upper()]
    assert "not in en" in why["这是中文"]
    # The model saw the intent's current examples and was asked for both languages.
    prompt = fake_llm.last_prompt()
    assert "not_helpful" in prompt and "没用" in prompt and '"en": 5' in prompt
    assert _examples(project, "not_helpful") == before  # nothing trained yet

    items = await _items(tmp_path, kind="paraphrase")
    by_text = {i["text"]: i for i in items}
    assert set(by_text) == {NEW_ZH, NEW_EN}
    assert {i["intent"] for i in items} == {"not_helpful"}
    assert {i["status"] for i in items} == {"open"}

    assert await _cli(*base, "review", "accept", str(by_text[NEW_ZH]["id"])) == 0
    assert await _cli(*base, "review", "dismiss", str(by_text[NEW_EN]["id"])) == 0
    after = _examples(project, "not_helpful")
    assert NEW_ZH in after and NEW_EN not in after
    assert len(after) == len(before) + 1
    assert await _cli(*base, "review", "accept", str(by_text[NEW_ZH]["id"])) == 1
    assert "already labelled" in capsys.readouterr().err

    # The same candidates again: the rejected and accepted ones are not proposed twice.
    fake_llm.reply(json.dumps(CANDIDATES, ensure_ascii=False))
    assert await _cli(*base, "paraphrase", "--intent", "not_helpful") == 0
    [again] = json.loads(capsys.readouterr().out)["proposals"]
    assert again["items"] == []
    why = {d["text"]: d["why"] for d in again["dropped"]}
    assert "training example" in why[NEW_ZH]
    assert why[NEW_EN] == "already proposed"

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'studio.db'}")
    try:
        [row] = await history(engine, kind="nlu", name="not_helpful")
    finally:
        await engine.dispose()
    assert row["author"] == "wang" and NEW_ZH in json.dumps(row["after"], ensure_ascii=False)


def _language(example: str) -> str:
    """The language the studio counts an example in."""
    return "zh" if split_languages([example])["zh"] else "en"


def _cut_intent(project: Path, intent: str, keep: int) -> None:
    """Keep only the first ``keep`` examples of ``intent`` per language in the project copy."""
    kept = {"zh": 0, "en": 0}
    for path in sorted((project / "data" / "nlu").glob("*.yml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        for block in data.get("nlu") or []:
            if block.get("intent") != intent:
                continue
            lines = []
            for line in block["examples"].splitlines():
                lang = _language(line)
                if line.strip() and kept[lang] < keep:
                    kept[lang] += 1
                    lines.append(line)
            block["examples"] = "\n".join(lines) + "\n"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    counts = {lang: 0 for lang in kept}
    for path in (project / "data" / "nlu").glob("*.yml"):
        for name, example in nlu_examples(path):
            if name == intent:
                counts[_language(example)] += 1
    assert counts == {"zh": keep, "en": keep}


async def test_few_shot_asks_only_for_the_short_intents_and_languages(
    tmp_path: Path, project: Path, fake_llm: FakeLlm, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_llm.reply(json.dumps({"zh": [NEW_ZH], "en": [NEW_EN]}, ensure_ascii=False))
    config = _config(tmp_path, project, fake_llm.base_url)
    base = ["--config", str(config), "studio"]
    # not_helpful is cut to 5 examples in each language; every other intent has 30 or more.
    _cut_intent(project, "not_helpful", keep=5)
    assert await _cli(*base, "paraphrase", "--few-shot", "--threshold", "20", "--count", "2") == 0
    [proposal] = json.loads(capsys.readouterr().out)["proposals"]
    assert proposal["intent"] == "not_helpful"
    assert len(fake_llm.requests) == 1


async def test_model_off_timeout_and_bad_arguments(
    tmp_path: Path, project: Path, fake_llm: FakeLlm, capsys: pytest.CaptureFixture[str]
) -> None:
    off = _config(tmp_path, project, "")
    assert await _cli("--config", str(off), "studio", "paraphrase", "--intent", "thank") == 1
    assert "llm.base_url" in capsys.readouterr().err
    config = _config(tmp_path, project, fake_llm.base_url)
    base = ["--config", str(config), "studio", "paraphrase"]
    assert await _cli(*base, "--intent", "thank", "--count", "0") == 1
    assert "--count" in capsys.readouterr().err
    assert await _cli(*base, "--intent", "no_such_intent") == 1
    assert "no_such_intent" in capsys.readouterr().err
    fake_llm.fail_status = 500
    assert await _cli(*base, "--intent", "thank") == 1  # the model did not answer
    assert "did not answer" in capsys.readouterr().err
    assert await _items(tmp_path, kind="paraphrase") == []


@pytest.fixture
async def model(fake_llm: FakeLlm) -> FakeLlm:
    return fake_llm


@pytest.fixture
def studio_extras(model: FakeLlm) -> Callable[[web.Application], None]:
    def extras(app: web.Application) -> None:
        config = LlmConfig(base_url=model.base_url, model="fake-model", timeout_s=5)
        app[MODEL_KEY].client = LlmClient(config)

    return extras


async def test_propose_through_the_api(studio: Studio, model: FakeLlm) -> None:
    model.reply(json.dumps({"zh": [NEW_ZH, "这个回答没用"]}, ensure_ascii=False))
    response = await studio.client.post(
        "/api/admin/paraphrase", json={"intent": "not_helpful", "count": 2, "lang": "zh"},
        headers=AUTH,
    )  # fmt: skip
    assert response.status == 200, await response.text()
    body = await response.json()
    assert [(i["kind"], i["text"], i["intent"]) for i in body["items"]] == [
        ("paraphrase", NEW_ZH, "not_helpful")
    ]
    assert body["dropped"][0]["text"] == "这个回答没用"
    assert '"new_per_language": {"zh": 2}}' in model.last_prompt()
    for bad, field in (
        ({}, "intent"),
        ({"intent": "not_helpful", "count": 0}, "count"),
        ({"intent": "not_helpful", "count": True}, "count"),
        ({"intent": "not_helpful", "lang": "fr"}, "lang"),
        ({"intent": "not_helpful", "colour": 1}, "colour"),
    ):
        response = await studio.client.post("/api/admin/paraphrase", json=bad, headers=AUTH)
        assert response.status == 400, bad
        assert (await response.json())["field"] == field
    response = await studio.client.post(
        "/api/admin/paraphrase", json={"intent": "no_such_intent"}, headers=AUTH
    )
    assert (response.status, (await response.json())["field"]) == (404, "intent")
    model.fail_status = 500
    response = await studio.client.post(
        "/api/admin/paraphrase", json={"intent": "not_helpful"}, headers=AUTH
    )
    assert (response.status, (await response.json())["field"]) == (503, "llm")


async def test_accept_through_the_api(studio: Studio) -> None:
    item = await review.collect(
        studio.engine,
        kind="paraphrase",
        text=NEW_EN,
        language="en",
        conversation_id="studio:paraphrase",
        message_key="paraphrase:not_helpful:x",
        intent="not_helpful",
        detail={"source": "llm"},
    )
    other = await review.collect(
        studio.engine,
        kind="low_confidence",
        text="where did my parcel go",
        language="en",
        conversation_id="web:u1",
        message_key="web:u1:m1",
        intent="order_status",
    )
    response = await studio.client.post(
        f"/api/admin/review/{other}", json={"accept": True}, headers=AUTH
    )
    assert response.status == 400
    assert (await response.json())["field"] == "accept"
    response = await studio.client.post(
        f"/api/admin/review/{item}", json={"accept": True}, headers=AUTH
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["status"], body["label"]) == ("labelled", "not_helpful")
    assert NEW_EN in _examples(studio.project, "not_helpful")
    listed = await studio.client.get("/api/admin/review?kind=paraphrase", headers=AUTH)
    assert (await listed.json())["total"] == 1

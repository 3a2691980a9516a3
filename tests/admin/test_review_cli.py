"""`python -m bot studio review list|label|dismiss` on a copy of the project."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.services import review
from bot.storage.db import create_engine, create_schema
from bot.studio.project import ProjectStore
from tests.admin.conftest import HOLDOUT, TEST_STORIES


def _collect(url: str, texts: list[str]) -> list[int]:
    async def work() -> list[int]:
        engine = create_engine(url)
        try:
            await create_schema(engine)
            ids = []
            for i, text in enumerate(texts):
                found = await review.collect(
                    engine,
                    kind="nlu_fallback",
                    text=text,
                    language="en",
                    conversation_id="web:u1",
                    message_key=f"web:u1:m{i}",
                )
                assert found is not None
                ids.append(found)
            return ids
        finally:
            await engine.dispose()

    return asyncio.run(work())


def test_list_label_and_dismiss(
    tmp_path: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "database": {"url": url},
                "studio": {
                    "project_dir": str(project),
                    "holdout": str(HOLDOUT),
                    "test_stories": str(TEST_STORIES),
                },
            }
        ),
        "utf-8",
    )
    label_me, dismiss_me, held_out = _collect(
        url, ["my refund is stuck mail x@y.com", "qwerty uiop", "hi, anyone around?"]
    )
    args = ["--config", str(config), "studio", "--author", "wang"]
    assert main([*args, "review", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 3
    assert "my refund is stuck mail <email>" in [i["text"] for i in listed["items"]]

    assert main([*args, "review", "label", str(label_me), "refund_status"]) == 0
    assert "my refund is stuck mail <email>" in ProjectStore(project).nlu("refund_status")["en"]  # type: ignore[index]
    assert main([*args, "review", "label", str(label_me), "refund_status"]) == 1
    assert "already labelled" in capsys.readouterr().err
    assert main([*args, "review", "label", str(held_out), "greet"]) == 1
    assert "held-out" in capsys.readouterr().err
    assert main([*args, "review", "dismiss", str(dismiss_me)]) == 0
    assert main([*args, "review", "label", "999", "greet"]) == 1
    assert "no review item 999" in capsys.readouterr().err

    assert main([*args, "review", "list", "--status", "labelled"]) == 0
    [item] = json.loads(capsys.readouterr().out)["items"]
    assert (item["label"], item["reviewer"]) == ("refund_status", "wang")
    assert main([*args, "review", "list", "--status", "open"]) == 0
    assert [i["id"] for i in json.loads(capsys.readouterr().out)["items"]] == [held_out]

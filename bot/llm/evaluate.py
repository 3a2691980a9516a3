"""The large-model assist without a live model (`make eval-llm`): retrieval recall@3 of the
shop's facts on held-out questions, how well the shop-related threshold (``llm.min_score``)
separates shop questions from others, and the guard's catch rate on labelled answers.

    python -m bot.llm.evaluate --out reports/llm-assist.md   # and reports/llm-assist.json

The facts are those of the demo shop (seeded from config.yml's ``demo.seed`` into a temporary
database) with config.yml's policy values.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from bot.config import REPO_ROOT, Config, load_config
from bot.llm.facts import Fact, FactIndex, build_index
from bot.llm.guard import check_answer
from bot.report_stamp import format_stamp, stamp
from bot.shop.seed import seed_demo_shop
from bot.storage.db import create_engine

RETRIEVAL = REPO_ROOT / "tests" / "data" / "llm_retrieval.yml"
GUARD = REPO_ROOT / "tests" / "data" / "llm_guard.yml"
CLINC = REPO_ROOT / "data" / "clinc150" / "data_full.json"
K = 3
LANGS = ("en", "zh")


async def demo_index(cfg: Config) -> FactIndex:
    """The facts of the demo shop (catalog only: few customers and orders, for speed)."""
    small = replace(cfg, demo=replace(cfg.demo, customers=20, orders=20))
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp}/shop.db")
        try:
            await seed_demo_shop(engine, small)
            return await build_index(cfg, engine)
        finally:
            await engine.dispose()


def retrieval(index: FactIndex, data: dict[str, Any], min_score: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {f.id for f in index.facts}
    for lang in LANGS:
        items = data[lang]
        hits, misses, kept = 0, [], 0
        for item in items:
            unknown = set(item["facts"]) - known
            if unknown:
                raise SystemExit(f"{RETRIEVAL}: unknown fact id(s) {sorted(unknown)}")
            scored = index.scored(item["q"], lang, K)
            found = [f.id for f, _ in scored]
            if set(found) & set(item["facts"]):
                hits += 1
            else:
                misses.append({"q": item["q"], "expected": item["facts"], "got": found})
            if scored and scored[0][1] >= min_score:
                kept += 1
        off = data.get(f"off_topic_{lang}", [])
        off_kept = [q for q in off if _top(index, q, lang) >= min_score]
        out[lang] = {
            "questions": len(items),
            "recall_at_3": round(hits / len(items), 4),
            "shop_questions_kept": round(kept / len(items), 4),
            "off_topic": len(off),
            "off_topic_rejected": round(1 - len(off_kept) / len(off), 4) if off else None,
            "off_topic_kept": off_kept,
            "misses": misses,
        }
    return out


def _top(index: FactIndex, question: str, lang: str) -> float:
    scored = index.scored(question, lang, 1)
    return scored[0][1] if scored else 0.0


SWEEP = (0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def threshold_sweep(index: FactIndex, data: dict[str, Any]) -> list[dict[str, Any]]:
    """For each candidate ``llm.min_score``: the share of shop questions over it and of
    off-topic questions (ours and CLINC150's out-of-scope ones) under it."""
    clinc: list[str] = []
    if CLINC.is_file():
        clinc = [q for q, _ in json.loads(CLINC.read_text(encoding="utf-8"))["oos_test"]]
    tops = {
        lang: (
            [_top(index, item["q"], lang) for item in data[lang]],
            [_top(index, q, lang) for q in data.get(f"off_topic_{lang}", [])],
        )
        for lang in LANGS
    }
    clinc_tops = [_top(index, q, "en") for q in clinc]
    rows = []
    for threshold in SWEEP:
        row: dict[str, Any] = {"min_score": threshold}
        for lang, (shop, off) in tops.items():
            row[f"{lang}_shop_kept"] = round(sum(s >= threshold for s in shop) / len(shop), 4)
            row[f"{lang}_off_rejected"] = round(sum(s < threshold for s in off) / len(off), 4)
        if clinc_tops:
            rejected = sum(s < threshold for s in clinc_tops) / len(clinc_tops)
            row["clinc_oos_rejected"] = round(rejected, 4)
        rows.append(row)
    return rows


def clinc_out_of_scope(index: FactIndex, min_score: float) -> dict[str, Any] | None:
    """CLINC150's out-of-scope test queries (English, none about shopping) read as
    shop-related: the threshold's false alarms on text nobody wrote for this shop."""
    if not CLINC.is_file():
        return None
    queries = [q for q, _ in json.loads(CLINC.read_text(encoding="utf-8"))["oos_test"]]
    kept = sum(1 for q in queries if _top(index, q, "en") >= min_score)
    return {"queries": len(queries), "rejected": round(1 - kept / len(queries), 4)}


def guard(index: FactIndex, data: dict[str, Any]) -> dict[str, Any]:
    by_id: dict[tuple[str, str], Fact] = {(f.id, f.lang): f for f in index.facts}
    out: dict[str, Any] = {}
    for lang in LANGS:
        good = bad = passed = caught = 0
        by_kind: Counter[str] = Counter()
        caught_kind: Counter[str] = Counter()
        wrong: list[dict[str, Any]] = []
        for item in data[lang]:
            facts = [by_id[(fid, lang)] for fid in item["facts"]]
            result = check_answer(item["answer"], facts, lang=lang)
            if item["kind"] == "good":
                good += 1
                passed += result.ok
                if not result.ok:
                    wrong.append({**item, "problems": result.problems})
            else:
                bad += 1
                by_kind[item["kind"]] += 1
                if not result.ok:
                    caught += 1
                    caught_kind[item["kind"]] += 1
                else:
                    wrong.append({**item, "problems": []})
        out[lang] = {
            "good": good,
            "bad": bad,
            "good_passed": round(passed / good, 4) if good else None,
            "bad_caught": round(caught / bad, 4) if bad else None,
            "caught_by_kind": {k: f"{caught_kind[k]}/{n}" for k, n in sorted(by_kind.items())},
            "wrong": wrong,
        }
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def render(report: dict[str, Any]) -> str:
    r, g, clinc = report["retrieval"], report["guard"], report.get("clinc150_oos")
    lines = [
        "# Large-model assist without a live model",
        "",
        format_stamp(report["stamp"]),
        "",
        f"Facts: {report['facts']} (FAQ answers, policies and the demo shop's catalog, each in "
        f"both languages). Command: `make eval-llm`.",
        "",
        "## Retrieval (BM25) on held-out questions (`tests/data/llm_retrieval.yml`)",
        "",
        f"| language | questions | recall@3 | shop questions over `llm.min_score` "
        f"({report['min_score']:g}) | off-topic questions under it |",
        "|---|---|---|---|---|",
    ]
    for lang in LANGS:
        x = r[lang]
        lines.append(
            f"| {lang} | {x['questions']} | {_pct(x['recall_at_3'])} | "
            f"{_pct(x['shop_questions_kept'])} | {_pct(x['off_topic_rejected'])} "
            f"(of {x['off_topic']}) |"
        )
    if clinc:
        lines += [
            "",
            f"CLINC150 out-of-scope test queries (English, {clinc['queries']}) under the "
            f"threshold: {_pct(clinc['rejected'])}.",
        ]
    lines += [
        "",
        "Candidate thresholds (shop questions kept / off-topic rejected):",
        "",
        "| min_score | en shop kept | en off-topic rejected | zh shop kept | zh off-topic rejected "
        "| CLINC150 oos rejected |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["threshold_sweep"]:
        lines.append(
            f"| {row['min_score']:g} | {_pct(row['en_shop_kept'])} | "
            f"{_pct(row['en_off_rejected'])} | {_pct(row['zh_shop_kept'])} | "
            f"{_pct(row['zh_off_rejected'])} | {_pct(row.get('clinc_oos_rejected'))} |"
        )
    for lang in LANGS:
        if r[lang]["misses"]:
            lines += ["", f"Missed ({lang}):", ""]
            lines += [
                f"- {m['q']}: expected {', '.join(m['expected'])}; got {', '.join(m['got'])}"
                for m in r[lang]["misses"]
            ]
    lines += [
        "",
        "## Guard on labelled answers (`tests/data/llm_guard.yml`)",
        "",
        "| language | good answers passed | bad answers caught | caught by kind |",
        "|---|---|---|---|",
    ]
    for lang in LANGS:
        x = g[lang]
        kinds = ", ".join(f"{k} {v}" for k, v in x["caught_by_kind"].items())
        lines.append(
            f"| {lang} | {_pct(x['good_passed'])} (of {x['good']}) | "
            f"{_pct(x['bad_caught'])} (of {x['bad']}) | {kinds} |"
        )
    for lang in LANGS:
        if g[lang]["wrong"]:
            lines += ["", f"Wrong verdicts ({lang}):", ""]
            lines += [
                f"- [{w['kind']}] {w['answer']}"
                + (f" (flagged: {'; '.join(w['problems'])})" if w["problems"] else " (passed)")
                for w in g[lang]["wrong"]
            ]
    return "\n".join(lines) + "\n"


async def run(cfg: Config) -> dict[str, Any]:
    index = await demo_index(cfg)
    min_score = cfg.llm.min_score
    questions = yaml.safe_load(RETRIEVAL.read_text("utf-8"))
    report = {
        "stamp": stamp(),
        "facts": len(index),
        "min_score": min_score,
        "retrieval": retrieval(index, questions, min_score),
        "threshold_sweep": threshold_sweep(index, questions),
        "clinc150_oos": clinc_out_of_scope(index, min_score),
        "guard": guard(index, yaml.safe_load(GUARD.read_text("utf-8"))),
    }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--out", default="reports/llm-assist.md", help="Markdown report path")
    args = parser.parse_args(argv)
    report = asyncio.run(run(load_config()))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(report), encoding="utf-8")
    out.with_suffix(".json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    r, g = report["retrieval"], report["guard"]
    print(
        "recall@3 "
        + ", ".join(f"{lang} {r[lang]['recall_at_3']:.3f}" for lang in LANGS)
        + "; guard caught "
        + ", ".join(f"{lang} {g[lang]['bad_caught']:.3f}" for lang in LANGS)
        + ", passed good "
        + ", ".join(f"{lang} {g[lang]['good_passed']:.3f}" for lang in LANGS)
        + f"; written to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make eval-entities``: the entity extractor against the labelled messages in
``tests/data/entities/`` -> ``reports/entities.json`` and ``reports/entities.md``.

Two sets per language: ``{zh,en}.jsonl`` was written before the extractor (the code was then
improved in general ways after measuring on it); ``{zh,en}_late.jsonl`` was written after the
extractor and not used to tune it, with one exception it exposed and the report names (an
order number read as part of a money range); a second round of general fixes then used their
misses as its development signal, so they are no longer held out. ``{zh,en}_fresh.jsonl`` were
written (and committed) before that second round and not used to tune it: they are the honest
figure.

Each line of a labelled file is ``{"text": ..., "ents": [[type, text, value?], ...]}``; a
label's offsets are those of its text in the message (the n-th label with the same text is its
n-th occurrence). A value left out is the text itself (lower-cased for e-mails); money values
are written ``[min, max, currency]``. Dates are resolved against :data:`REFERENCE_DAY`.

Per entity type and language: precision, recall and F1 of exact spans (type, start, end) and of
values (the exact span with the right normalised value), and the extractor's time per message.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT, load_config
from bot.entities import TYPES, EntityExtractor
from bot.report_stamp import STAMP_KEY, stamp, stamp_line
from bot.shop.entity_catalog import demo_phrases

DATA_DIR = REPO_ROOT / "tests" / "data" / "entities"
# (key in the report, file, how it was written)
SETS = (
    ("zh", "zh.jsonl", "written before the extractor"),
    ("en", "en.jsonl", "written before the extractor"),
    ("zh-late", "zh_late.jsonl", "written after the extractor; its misses guided round 2"),
    ("en-late", "en_late.jsonl", "written after the extractor; its misses guided round 2"),
    ("zh-fresh", "zh_fresh.jsonl", "fresh (written before this round's changes)"),
    ("en-fresh", "en_fresh.jsonl", "fresh (written before this round's changes)"),
)
REFERENCE_DAY = date(2026, 3, 18)  # a Wednesday
Key = tuple[str, int, int]


def load_labels(path: Path) -> list[dict[str, Any]]:
    """The labelled messages of one file, each label given its offsets."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        text = record["text"]
        seen: Counter[str] = Counter()
        labels = []
        for label in record["ents"]:
            kind, span = label[0], label[1]
            start = _occurrence(text, span, seen[span])
            if start < 0:
                raise ValueError(f"{path.name}:{number}: {span!r} is not in {text!r}")
            seen[span] += 1
            value = label[2] if len(label) > 2 else _default_value(kind, span)
            if kind == "money" and isinstance(value, list):
                value = {"min": value[0], "max": value[1], "currency": value[2]}
            labels.append({"type": kind, "start": start, "end": start + len(span), "value": value})
        items.append({"text": text, "labels": labels})
    return items


def _occurrence(text: str, span: str, skip: int) -> int:
    """Where the ``skip``-th occurrence of ``span`` starts that is not part of a longer Latin
    word or number ("2" in "2 mugs", not in "260315004217"); -1 when there is none."""
    start = text.find(span)
    while start >= 0:
        before, after = text[start - 1 : start] if start else "", text[start + len(span) :][:1]
        inside = (before.isascii() and before.isalnum() and span[:1].isalnum()) or (
            after.isascii() and after.isalnum() and span[-1:].isascii() and span[-1:].isalnum()
        )
        if not inside:
            if skip == 0:
                return start
            skip -= 1
        start = text.find(span, start + 1)
    return -1


def _default_value(kind: str, text: str) -> Any:
    return text.lower() if kind == "email" else text


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-6
    return bool(a == b)


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 1.0 if not gold else 0.0
    r = tp / gold if gold else 1.0 if not predicted else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}


def evaluate(extractor: EntityExtractor, items: list[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {t: Counter() for t in TYPES}
    misses: list[dict[str, Any]] = []
    started = time.perf_counter()
    predictions = [extractor.extract(item["text"], REFERENCE_DAY) for item in items]
    elapsed = time.perf_counter() - started
    for item, predicted in zip(items, predictions, strict=True):
        gold = {(g["type"], g["start"], g["end"]): g["value"] for g in item["labels"]}
        found = {(e.type, e.start, e.end): e.value for e in predicted}
        for key, value in found.items():
            counts[key[0]]["predicted"] += 1
            if key in gold:
                counts[key[0]]["span_tp"] += 1
                counts[key[0]]["value_tp"] += same_value(value, gold[key])
        for key in gold:
            counts[key[0]]["gold"] += 1
        wrong = [k for k in found if k not in gold or not same_value(found[k], gold[k])]
        missed = [k for k in gold if k not in found]
        if wrong or missed:
            misses.append(
                {
                    "text": item["text"],
                    "missed": [_show(item["text"], k, gold[k]) for k in missed],
                    "wrong": [_show(item["text"], k, found[k]) for k in wrong],
                }
            )
    by_type = {}
    for kind, c in counts.items():
        if not c["gold"] and not c["predicted"]:
            continue
        by_type[kind] = {
            "gold": c["gold"],
            "predicted": c["predicted"],
            "span": _prf(c["span_tp"], c["predicted"], c["gold"]),
            "value": _prf(c["value_tp"], c["predicted"], c["gold"]),
        }
    total = Counter[str]()
    for c in counts.values():
        total.update(c)
    return {
        "messages": len(items),
        "ms_per_message": round(elapsed * 1000 / max(len(items), 1), 3),
        "overall": {
            "gold": total["gold"],
            "predicted": total["predicted"],
            "span": _prf(total["span_tp"], total["predicted"], total["gold"]),
            "value": _prf(total["value_tp"], total["predicted"], total["gold"]),
        },
        "by_type": by_type,
        "errors": misses,
    }


def _show(text: str, key: Key, value: Any) -> str:
    return f"{key[0]} {text[key[1] : key[2]]!r} = {json.dumps(value, ensure_ascii=False)}"


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Entity extraction (`make eval-entities`)",
        "",
        stamp_line(),
        "",
        f"Labelled messages: `tests/data/entities/`; relative dates resolved "
        f"against {report['reference_day']}. Span: type, start and end exact; value: the exact "
        "span with the right normalised value. Catalogue: the demo shop's products.",
        "",
        "The `-late` sets were written after the extractor. Round 1 did not tune on them, with "
        "one exception: an order number after 查不到 was read as part of a money amount (不到 + "
        "number), so identifiers (order numbers, phones, e-mails) now win every overlap. Round "
        "2 (general fixes: address shapes, recipient cues, days of the month, money phrasings, "
        "quantity and size words) used their misses as its development signal, so their scores "
        "below are optimistic too.",
        "",
        "The `-fresh` sets were written and committed before round 2 and not used to tune it "
        "(their misses below were not looked at while fixing): they are the honest figure for "
        "messages the extractor has not been shaped by.",
        "",
    ]
    for lang, result in report["languages"].items():
        o = result["overall"]
        lines += [
            f"## {lang} (`{result['file']}`, {result['written']}): {result['messages']} "
            f"messages, {o['gold']} labelled entities",
            "",
            f"Overall span P/R/F1 {o['span']['precision']:.3f} / {o['span']['recall']:.3f} / "
            f"{o['span']['f1']:.3f}; value P/R/F1 {o['value']['precision']:.3f} / "
            f"{o['value']['recall']:.3f} / {o['value']['f1']:.3f}; "
            f"{result['ms_per_message']:.2f} ms per message.",
            "",
            "| type | labelled | found | span P | span R | span F1 | value P | value R "
            "| value F1 |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for kind, row in result["by_type"].items():
            s, v = row["span"], row["value"]
            lines.append(
                f"| {kind} | {row['gold']} | {row['predicted']} | {s['precision']:.3f} | "
                f"{s['recall']:.3f} | {s['f1']:.3f} | {v['precision']:.3f} | {v['recall']:.3f} "
                f"| {v['f1']:.3f} |"
            )
        lines += ["", f"Errors ({len(result['errors'])} messages):", ""]
        for error in result["errors"]:
            parts = [f"missed {m}" for m in error["missed"]] + [
                f"found {w}" for w in error["wrong"]
            ]
            lines.append(f"- `{error['text']}`: " + "; ".join(parts))
        lines.append("")
    return "\n".join(lines)


def run(out: Path) -> dict[str, Any]:
    cfg = load_config()
    started = time.perf_counter()
    extractor = EntityExtractor(demo_phrases(cfg), cfg.nlu.order_id_pattern)
    build_s = time.perf_counter() - started
    report: dict[str, Any] = {
        STAMP_KEY: stamp(),
        "reference_day": REFERENCE_DAY.isoformat(),
        "build_seconds": round(build_s, 2),
        "languages": {},
    }
    for key, name, written in SETS:
        result = evaluate(extractor, load_labels(DATA_DIR / name))
        report["languages"][key] = {"file": name, "written": written, **result}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval_entities", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "entities.json")
    args = parser.parse_args(argv)
    report = run(args.out)
    for lang, result in report["languages"].items():
        o = result["overall"]
        print(
            f"{lang}: span F1 {o['span']['f1']:.3f}, value F1 {o['value']['f1']:.3f}, "
            f"{result['ms_per_message']:.2f} ms per message"
        )
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

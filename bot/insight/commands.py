"""The insight commands: evaluations on CSV files and the shop-side training and exports.

Evaluations (``python -m bot.insight.commands <name> ...``, used by the Makefile):

- ``eval-segments --data CSV --out JSON``: K-Means, Ward and DBSCAN on any order-line file;
  writes JSON, a Markdown report and a PNG of the segments (PCA) beside it.
- ``eval-complaint-risk --out JSON``: the rolling evaluation on the shop database.

Shop commands (``python -m bot segments`` and ``python -m bot insight ...``, see bot/cli.py):
segments into the ``customer_segments`` table, exports, ``train-delay``, ``train-complaint-risk``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, insert

from bot.config import REPO_ROOT, Config
from bot.insight import complaints, delay, segments, synth
from bot.insight.features import (
    FeatureTable,
    load_transactions,
    rfm,
    shop_extras,
    snapshot_lines,
    with_extras,
)
from bot.insight.shopdata import (
    DEFAULT_PROMISE_DAYS,
    OLIST_COLUMNS,
    TRANSACTION_COLUMNS,
    Snapshot,
    Ticket,
    olist_rows,
    read_snapshot,
    transaction_rows,
    write_csv,
)
from bot.insight.tabular import CsvSchemaError
from bot.report_stamp import stamp, stamp_lines
from bot.storage.db import create_engine, create_schema
from bot.storage.schema import customer_segments

MODELS = REPO_ROOT / "var" / "models"
NO_ORDERS = segments.Segment(
    "no_orders_yet",
    "No orders yet",
    "尚未下单的客户",
    "No orders yet: registered, never bought",
    "尚未下单：已注册，还没有购买",
    0,
)
MIN_REAL_COMPLAINTS = 20


# Segments --------------------------------------------------------------------------------------
def write_segment_plot(comparison: segments.Comparison, path: Path) -> None:
    """The chosen segments on the first two principal components."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    x = comparison.prepared.x
    points = (
        PCA(n_components=2, random_state=segments.SEED).fit_transform(x)
        if x.shape[1] > 1
        else np.column_stack([x[:, 0], np.zeros(len(x))])
    )
    labels = comparison.labels
    fig, ax = plt.subplots(figsize=(7, 5))
    for g in sorted({int(v) for v in labels}):
        mask = labels == g
        seg = comparison.segments[g]
        ax.scatter(
            points[mask, 0], points[mask, 1], s=10, alpha=0.7, label=f"{seg.name_en} ({mask.sum()})"
        )
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(
        f"Customer segments ({comparison.chosen or 'none'}), "
        f"PCA of {', '.join(comparison.prepared.names)}",
        fontsize=8,
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def segments_markdown(result: dict[str, Any], command: str, png: Path) -> str:
    lines = [
        "# Customer segments",
        "",
        *stamp_lines(result.get("stamp")),
        f"Regenerate: `{command}` (also writes `{png}`, a PCA plot of the chosen segments).",
        "",
        f"![The chosen segments on the first two principal components]({png.name})",
        "",
        f"{result['n_customers']} customers; features (log-scaled where skewed, standardised): "
        f"{', '.join(result['features'])}. Data: {json.dumps(result.get('data', {}))}.",
        "",
        "| method | grid | criterion | chosen | silhouette | Davies-Bouldin | stability (ARI) "
        "| clusters | sizes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method in ("kmeans", "hierarchical", "dbscan"):
        r = result[method]
        lines.append(
            f"| {method} | {r['grid']} | {r['criterion']} | {r['chosen_param']} | "
            f"{r['silhouette']} | {r['davies_bouldin']} | {r['stability_ari']} | "
            f"{r['n_clusters']} | {r['sizes']} |"
        )
    lines += [
        "",
        f"Chosen method: **{result['chosen']}** (lowest rank sum over the three scores).",
        "",
    ]
    for method in ("kmeans", "hierarchical", "dbscan"):
        if result[method]["chosen_param"] is None:
            lines += [
                f"{method}: no grid value met its criterion ({result[method]['criterion']}); "
                "the customers form no groups this method can separate reproducibly, so it "
                "takes no part in the choice.",
                "",
            ]
    for method in ("kmeans", "hierarchical", "dbscan"):
        lines += [
            f"### {method}: every grid value",
            "",
            "| param | silhouette | DB | ARI | clusters | noise |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for s in result[method]["scores"]:
            lines.append(
                f"| {s['param']} | {s['silhouette']} | {s['davies_bouldin']} | "
                f"{s['stability_ari']} | {s['n_clusters']} | {s['noise_fraction']} |"
            )
        lines.append("")
    lines += ["## Segments", "", "| key | size | name | 说明 |", "| --- | --- | --- | --- |"]
    for seg in result["segments"]:
        lines.append(
            f"| {seg['key']} | {seg['size']} | {seg['name']['en']} / {seg['name']['zh']} | "
            f"{seg['explanation']['en']}<br>{seg['explanation']['zh']} |"
        )
    return "\n".join(lines) + "\n"


def eval_segments(data: Path, out: Path, rounds: int, command: str = "") -> dict[str, Any]:
    lines, stats = load_transactions(data)
    if not lines:
        raise ValueError(f"{data} has no valid order lines ({json.dumps(stats.to_json())})")
    comparison = segments.compare(rfm(lines), rounds=rounds)
    result = comparison.to_json()
    result["data"] = {"path": str(data), **stats.to_json()}
    result["stamp"] = stamp()
    png = out.with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_segment_plot(comparison, png)
    command = command or f"python -m bot.insight.commands eval-segments --data {data} --out {out}"
    out.with_suffix(".md").write_text(segments_markdown(result, command, png), encoding="utf-8")
    return result


def shop_segments(
    cfg: Config, rounds: int = 10, summary_path: Path | None = None
) -> dict[str, Any]:
    """Segment the shop's customers into the ``customer_segments`` table, return the summary."""
    snapshot = read_snapshot(cfg)
    lines = snapshot_lines(snapshot)
    if not lines:
        raise ValueError("the shop has no orders to segment")
    table: FeatureTable = with_extras(rfm(lines), shop_extras(snapshot))
    comparison = segments.compare(table, rounds=rounds)
    assignment = comparison.assignment()
    for cid in snapshot.customers:
        assignment.setdefault(cid, NO_ORDERS.key)
    asyncio.run(_write_segments(cfg, assignment, comparison.chosen or "none"))
    summary = comparison.to_json()
    summary["segments"].append(
        {**NO_ORDERS.to_json(), "size": sum(v == NO_ORDERS.key for v in assignment.values())}
    )
    summary["channels"] = _channel_mix(snapshot, assignment)
    path = summary_path or MODELS / "segments.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _channel_mix(snapshot: Snapshot, assignment: dict[str, str]) -> dict[str, dict[str, int]]:
    mix: dict[str, dict[str, int]] = {}
    for cid, key in assignment.items():
        channel = snapshot.channels.get(cid, "none")
        per = mix.setdefault(key, {})
        per[channel] = per.get(channel, 0) + 1
    return mix


async def _write_segments(cfg: Config, assignment: dict[str, str], method: str) -> None:
    """Replace the stored segments with this run's (the shop's own tiers stay untouched)."""
    engine = create_engine(cfg.database.url)
    try:
        await create_schema(engine)
        now = datetime.now(UTC)
        rows = [
            {"customer_id": cid, "segment": key, "method": method, "computed_at": now}
            for cid, key in sorted(assignment.items())
        ]
        async with engine.begin() as conn:
            await conn.execute(delete(customer_segments))
            if rows:
                await conn.execute(insert(customer_segments), rows)
    finally:
        await engine.dispose()


# Shop exports and training --------------------------------------------------------------------
def export_olist(cfg: Config, out: Path, promise_days: int = DEFAULT_PROMISE_DAYS) -> int:
    return write_csv(out, OLIST_COLUMNS, olist_rows(read_snapshot(cfg), promise_days))


def export_transactions(cfg: Config, out: Path) -> int:
    return write_csv(out, TRANSACTION_COLUMNS, transaction_rows(read_snapshot(cfg)))


def write_synthetic_olist(out: Path, n: int, seed: int) -> int:
    return write_csv(out, OLIST_COLUMNS, synth.olist_orders(n=n, seed=seed))


def train_delay(
    cfg: Config, out: Path, promise_days: int = DEFAULT_PROMISE_DAYS
) -> delay.DelayModel:
    """Fit the delay model on every delivered order of the shop and save it."""
    shipments, _ = delay.parse_olist(olist_rows(read_snapshot(cfg), promise_days))
    ordered = sorted(shipments, key=lambda s: (s.known.purchased, s.order_id))
    x = delay.feature_matrix(ordered, delay.History(ordered))
    y = np.array([s.late for s in ordered], dtype=int)
    model, _ = delay.fit(x, y)
    delay.save(model, out)
    return model


def shop_tickets(snapshot: Snapshot, promise_days: int) -> tuple[list[Ticket], str]:
    """The shop's tickets, or simulated ones when it has too few complaints to learn from."""
    real = sum(t.kind in complaints.COMPLAINT_KINDS for t in snapshot.tickets)
    if real >= MIN_REAL_COMPLAINTS:
        return list(snapshot.tickets), f"database ({real} complaint tickets)"
    simulated = synth.simulate_tickets(snapshot, promise_days)
    note = (
        f"simulated: the database has {real} complaint tickets, fewer than {MIN_REAL_COMPLAINTS}; "
        f"bot.insight.synth.simulate_tickets wrote {len(simulated)} tickets "
        f"({sum(t.kind == 'complaint' for t in simulated)} complaints) from the shop's orders"
    )
    return simulated, note


def complaint_history(
    cfg: Config, promise_days: int = DEFAULT_PROMISE_DAYS
) -> tuple[complaints.History, str]:
    snapshot = read_snapshot(cfg)
    tickets, source = shop_tickets(snapshot, promise_days)
    return complaints.History(snapshot, tickets, promise_days), source


def complaint_markdown(result: dict[str, Any], command: str) -> str:
    m, b = result["model"], result["baseline"]
    lines = [
        "# Complaint risk (next 14 days)",
        "",
        *stamp_lines(result.get("stamp")),
        f"Regenerate: `{command}`.",
        "",
        f"Tickets: {result['tickets']}. Cut-offs every {result['cutoffs']['step_days']} days from "
        f"{result['cutoffs']['first']} to {result['cutoffs']['last']} ({result['cutoffs']['n']}); "
        f"the last {result['cutoffs']['n_test']} are test cut-offs, each scored by models trained "
        "on the earlier cut-offs whose 14-day label windows end by it. Positive rate "
        f"{result['positive_rate']:.1%} of customer-cut-offs.",
        "",
        "| scorer | pooled ROC AUC | pooled PR AUC | mean fold ROC AUC | mean fold PR AUC |",
        "| --- | --- | --- | --- | --- |",
        f"| model (logistic regression, {len(result['features'])} log-scaled features) | "
        f"{m['roc_auc']} | {m['pr_auc']} | {m['mean_fold_roc_auc']} | {m['mean_fold_pr_auc']} |",
        f"| baseline (logistic regression on {', '.join(result['baseline_features'])}) | "
        f"{b['roc_auc']} | {b['pr_auc']} | {b['mean_fold_roc_auc']} | {b['mean_fold_pr_auc']} |",
        "",
        "| test cut-off | train rows | test rows | positives | model ROC | baseline ROC |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in result["folds"]:
        lines.append(
            f"| {f['cutoff']} | {f['n_train']} | {f['n_test']} | {f['positives']} | "
            f"{f['model']['roc_auc']} | {f['baseline']['roc_auc']} |"
        )
    lines += ["", f"Features: {', '.join(result['features'])}."]
    return "\n".join(lines) + "\n"


def eval_complaint_risk(cfg: Config, out: Path, command: str = "") -> dict[str, Any]:
    history, source = complaint_history(cfg)
    result = complaints.evaluate(history)
    result["tickets"] = source
    result["promise_days"] = history.promise_days
    result["stamp"] = stamp()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    command = command or f"python -m bot.insight.commands eval-complaint-risk --out {out}"
    out.with_suffix(".md").write_text(complaint_markdown(result, command), encoding="utf-8")
    return result


# Entry point for the Makefile --------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    from bot.config import load_config

    parser = argparse.ArgumentParser(prog="python -m bot.insight.commands")
    sub = parser.add_subparsers(dest="command", required=True)
    seg = sub.add_parser("eval-segments", help="compare clusterings on an order-line CSV")
    seg.add_argument("--data", type=Path, required=True)
    seg.add_argument("--out", type=Path, required=True)
    seg.add_argument("--rounds", type=int, default=10, help="bootstrap resamples for stability")
    seg.add_argument("--command-line", default="", help="the command shown in the report")
    comp = sub.add_parser("eval-complaint-risk", help="rolling evaluation on the shop database")
    comp.add_argument("--out", type=Path, required=True)
    comp.add_argument("--command-line", default="")
    args = parser.parse_args(argv)
    try:
        if args.command == "eval-segments":
            result = eval_segments(args.data, args.out, args.rounds, args.command_line)
            print(
                f"chosen: {result['chosen']}; "
                + "; ".join(
                    f"{m}: {result[m]['chosen_param']} -> silhouette {result[m]['silhouette']}, "
                    f"DB {result[m]['davies_bouldin']}, ARI {result[m]['stability_ari']}"
                    for m in ("kmeans", "hierarchical", "dbscan")
                )
            )
        else:
            res = eval_complaint_risk(load_config(), args.out, args.command_line)
            print(
                f"complaint risk: model ROC AUC {res['model']['roc_auc']}, "
                f"baseline {res['baseline']['roc_auc']}"
            )
    except (CsvSchemaError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

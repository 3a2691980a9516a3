"""Per-customer RFM and behaviour features, from order lines and (for the shop) its records.

From any order-line file (:func:`load_transactions`):

- ``recency_days``: days from the customer's last order to the reference day (the day after the
  last order in the file, so the newest buyer has recency 1 if they ordered at midnight).
- ``frequency``: distinct orders; ``monetary``: total amount; ``avg_order_value``.
- ``tenure_days``: days from the first order to the reference day.
- ``n_categories``: distinct categories bought (only when the file has categories).

From the shop (:func:`shop_extras`): ``return_rate``, ``complaints``, ``tickets`` (all kinds),
``sentiment`` (mean handoff/complaint score, only when any customer has one); the main channel
is kept for the summary but is not a clustering feature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from bot.insight.shopdata import Snapshot, Ticket
from bot.insight.tabular import ReadStats, parse_datetime, parse_float, read_rows

TRANSACTION_REQUIRED = ("customer_id", "order_id", "order_date", "amount")
COMPLAINT_KINDS = frozenset({"complaint"})


@dataclass(frozen=True)
class Line:
    customer_id: str
    order_id: str
    when: datetime
    amount: float
    category: str


@dataclass(frozen=True)
class FeatureTable:
    customer_ids: list[str]
    names: list[str]
    values: np.ndarray  # customers x features, raw units

    def column(self, name: str) -> np.ndarray:
        return np.asarray(self.values[:, self.names.index(name)])

    def row(self, customer_id: str) -> dict[str, float]:
        i = self.customer_ids.index(customer_id)
        return {n: float(v) for n, v in zip(self.names, self.values[i], strict=True)}


def load_transactions(path: Path) -> tuple[list[Line], ReadStats]:
    """Order lines from a CSV (customer_id, order_id, order_date, amount[, category])."""
    stats = ReadStats()
    lines: list[Line] = []
    for row in read_rows(path, TRANSACTION_REQUIRED):
        stats.rows += 1
        line = _line(row, stats)
        if line is not None:
            lines.append(line)
    stats.kept = len(lines)
    return lines, stats


def _line(row: Mapping[str, str], stats: ReadStats) -> Line | None:
    customer, order = row["customer_id"].strip(), row["order_id"].strip()
    if not customer or not order:
        stats.skip("missing_id")
        return None
    when = parse_datetime(row["order_date"])
    if when is None:
        stats.skip("bad_date")
        return None
    amount = parse_float(row["amount"])
    if amount is None:
        stats.skip("bad_amount")
        return None
    if amount < 0:
        stats.skip("negative_amount")
        return None
    return Line(customer, order, when, amount, row.get("category", "").strip())


def snapshot_lines(snapshot: Snapshot) -> list[Line]:
    """The shop's purchases as order lines (what :func:`transaction_rows` exports)."""
    return [
        Line(order.customer_id, order.id, order.created_at, amount, category)
        for order in snapshot.orders
        if order.status not in ("cancelled", "pending_payment")
        for category, amount in order.item_amounts or (("", order.total),)
    ]


def rfm(lines: Sequence[Line], reference: datetime | None = None) -> FeatureTable:
    """The RFM table of :mod:`this module <bot.insight.features>`; customers sorted by id."""
    if not lines:
        raise ValueError("no valid order lines")
    ref = reference or (max(line.when for line in lines) + timedelta(days=1))
    per: dict[str, list[Line]] = {}
    for line in lines:
        per.setdefault(line.customer_id, []).append(line)
    with_categories = any(line.category for line in lines)
    names = ["recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"]
    if with_categories:
        names.append("n_categories")
    ids = sorted(per)
    rows = []
    for cid in ids:
        own = per[cid]
        orders = {line.order_id for line in own}
        spend = sum(line.amount for line in own)
        row = [
            (ref - max(line.when for line in own)).total_seconds() / 86400,
            float(len(orders)),
            spend,
            spend / len(orders),
            (ref - min(line.when for line in own)).total_seconds() / 86400,
        ]
        if with_categories:
            row.append(float(len({line.category for line in own if line.category})))
        rows.append(row)
    return FeatureTable(ids, names, np.array(rows, dtype=float))


def shop_extras(
    snapshot: Snapshot, tickets: Sequence[Ticket] | None = None
) -> dict[str, dict[str, float]]:
    """Returns, complaints, tickets and sentiment per customer from the shop's records."""
    pool = snapshot.tickets if tickets is None else tickets
    extras: dict[str, dict[str, float]] = {}
    bought: dict[str, list[int]] = {}
    for order in snapshot.orders:
        if order.status in ("cancelled", "pending_payment"):
            continue
        counts = bought.setdefault(order.customer_id, [0, 0])
        counts[0] += 1
        counts[1] += order.status == "returned"
    for cid, (n, returned) in bought.items():
        extras[cid] = {"return_rate": returned / n, "complaints": 0.0, "tickets": 0.0}
    for ticket in pool:
        if ticket.customer_id in extras:
            extras[ticket.customer_id]["tickets"] += 1
            if ticket.kind in COMPLAINT_KINDS:
                extras[ticket.customer_id]["complaints"] += 1
    if snapshot.sentiment:
        for cid, values in extras.items():
            values["sentiment"] = snapshot.sentiment.get(cid, 0.0)
    return extras


def with_extras(table: FeatureTable, extras: Mapping[str, Mapping[str, float]]) -> FeatureTable:
    """``table`` plus the extra columns (0 for a customer without a value)."""
    names = sorted({n for values in extras.values() for n in values})
    if not names:
        return table
    added = np.array(
        [[extras.get(cid, {}).get(n, 0.0) for n in names] for cid in table.customer_ids],
        dtype=float,
    )
    return FeatureTable(table.customer_ids, table.names + names, np.hstack([table.values, added]))

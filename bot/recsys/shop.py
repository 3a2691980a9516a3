"""Train the shop's recommender from its database: `python -m bot.recsys.shop` (`make train`).

Each customer's sequence is their views, add-to-carts, purchases and recommendation clicks in
time order (consecutive events on one product count once: "viewed, carted, bought" is one
step). Purchases come from orders too, so an imported shop without browsing data still trains.
The artifact holds the model, the product ids, and popularity overall and per customer
segment (for cold start); it is written atomically, and the action server reloads it when the
file changes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import REPO_ROOT, load_config
from bot.progress import step
from bot.recsys.baselines import Popularity
from bot.recsys.data import SequenceData, from_sequences, history_matrix, holdout_users
from bot.recsys.metrics import evaluate
from bot.recsys.model import EpochLog, SASRecConfig, SequentialRecommender
from bot.storage.db import create_engine
from bot.storage.schema import customers, order_items, orders, products
from bot.storage.schema import interactions as interactions_table
from bot.storage.times import as_utc

logger = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = REPO_ROOT / "var" / "recsys" / "shop-model.pt"
# Signals the model learns from, and how much each counts towards popularity.
SIGNAL_WEIGHTS = {"view": 0.1, "rec_click": 0.2, "cart": 0.5, "rec_buy": 1.0, "purchase": 1.0}
# A shop is small: a smaller model than for public benchmarks, same architecture.
# Customers with 3+ products needed to hold some out: a fifth early-stop training, two other
# fifths (disjoint) score it against popularity.
MIN_HELDOUT_USERS = 40
MAX_VALID_USERS = 500
MAX_TEST_USERS = 2000
# The budget counts CPU seconds, so a busy machine does not cut training short (about 3 s
# of training on the demo shop).
SHOP_MODEL = SASRecConfig(
    dim=32,
    max_len=30,
    layers=2,
    heads=2,
    dropout=0.3,
    negatives=256,
    time_budget_s=60.0,
    budget_clock="cpu",
)


@dataclass(frozen=True)
class Event:
    customer_id: str
    product_id: str
    kind: str
    ts: datetime


@dataclass(frozen=True)
class ShopHistory:
    """Everything training needs from the shop database."""

    events: tuple[Event, ...]  # time order
    segments: dict[str, str]  # customer id -> segment
    product_ids: tuple[str, ...]


async def load_history(engine: AsyncEngine) -> ShopHistory:
    """Signals from ``interactions`` plus purchases from (not cancelled) orders."""
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    interactions_table.c.customer_id,
                    interactions_table.c.product_id,
                    interactions_table.c.kind,
                    interactions_table.c.ts,
                ).where(interactions_table.c.kind.in_(list(SIGNAL_WEIGHTS)))
            )
        ).all()
        bought = (
            await conn.execute(
                select(orders.c.customer_id, order_items.c.product_id, orders.c.created_at)
                .join(order_items, order_items.c.order_id == orders.c.id)
                .where(orders.c.status != "cancelled")
            )
        ).all()
        segment_rows = (await conn.execute(select(customers.c.id, customers.c.segment))).all()
        product_rows = (await conn.execute(select(products.c.id).order_by(products.c.id))).all()
    events = {Event(r.customer_id, r.product_id, r.kind, as_utc(r.ts)) for r in rows}
    # An order's purchase is usually already an interaction; add the ones that are not.
    recorded = {(e.customer_id, e.product_id, e.ts) for e in events if e.kind == "purchase"}
    for r in bought:
        key = (r.customer_id, r.product_id, as_utc(r.created_at))
        if key not in recorded:
            events.add(Event(*key[:2], "purchase", key[2]))
    ordered = sorted(events, key=lambda e: (e.ts, e.customer_id, e.product_id, e.kind))
    return ShopHistory(
        events=tuple(ordered),
        segments={r.id: r.segment for r in segment_rows},
        product_ids=tuple(r.id for r in product_rows),
    )


def sequences(history: ShopHistory) -> dict[str, list[str]]:
    """Customer -> product ids in time order, consecutive repeats collapsed."""
    out: dict[str, list[str]] = defaultdict(list)
    for event in history.events:
        seq = out[event.customer_id]
        if not seq or seq[-1] != event.product_id:
            seq.append(event.product_id)
    return dict(out)


def popularity(history: ShopHistory) -> dict[str, dict[str, float]]:
    """Weighted signal counts per product: ``"all"`` and one entry per customer segment."""
    overall: defaultdict[str, float] = defaultdict(float)
    by_segment: defaultdict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for event in history.events:
        weight = SIGNAL_WEIGHTS.get(event.kind, 0.0)
        overall[event.product_id] += weight
        segment = history.segments.get(event.customer_id)
        if segment:
            by_segment[f"segment:{segment}"][event.product_id] += weight
    out = {"all": {k: round(v, 3) for k, v in overall.items()}}
    out.update({k: {p: round(v, 3) for p, v in c.items()} for k, c in by_segment.items()})
    return out


@dataclass(frozen=True)
class TrainReport:
    customers: int
    products: int
    events: int
    seconds: float
    epochs: int
    valid_users: int  # customers the model early-stopped on
    test_users: int  # other customers, the model and popularity are scored on
    model_hr: float
    model_ndcg: float
    popularity_hr: float
    popularity_ndcg: float


def train_shop_model(
    history: ShopHistory,
    out: Path,
    *,
    seed: int = 0,
    config: SASRecConfig = SHOP_MODEL,
    on_epoch: Callable[[EpochLog], None] | None = None,
) -> TrainReport:
    """Train on all customers' sequences, early-stopping on a held-out last item of some.

    ``on_epoch`` is called after every epoch (the command line prints a line for each).

    The report's scores are on other customers' held-out last items (the test users, disjoint
    from the early-stopping ones), for the model and for popularity fitted on the same data.
    """
    per_customer = sequences(history)
    # Products without any signal still get an index (and an untrained vector) so the
    # catalogue and the model agree; they are reached through cold start and filters.
    catalogue = list(history.product_ids)
    known = set(catalogue)
    rows = [(c, [p for p in seq if p in known]) for c, seq in sorted(per_customer.items())]
    rows = [(c, seq) for c, seq in rows if seq]
    data = _with_catalogue(rows, catalogue)
    if not any(len(seq) >= 2 for seq in data.sequences):
        raise ValueError(
            "the shop has no customer with two or more viewed or bought products; seed the demo "
            "shop (`make seed`) or import interactions before training"
        )
    eligible = sum(1 for seq in data.sequences if len(seq) >= 3)
    if eligible < MIN_HELDOUT_USERS:
        # Too few customers to hold any out: train a fixed number of epochs on everything.
        model = SequentialRecommender(data.n_items, replace(config, max_epochs=30), seed=seed)
        start = time.perf_counter()
        model.fit(list(data.sequences), progress=on_epoch)
        seconds = time.perf_counter() - start
        model_hr = model_ndcg = pop_hr = pop_ndcg = float("nan")
        valid_users = test_users = 0
    else:
        split = holdout_users(
            data,
            min(MAX_VALID_USERS, eligible // 5),
            min(MAX_TEST_USERS, 2 * eligible // 5),
            seed,
        )
        model = SequentialRecommender(data.n_items, config, seed=seed)
        start = time.perf_counter()
        model.fit(split.fit_sequences, valid=split.valid, progress=on_epoch)
        seconds = time.perf_counter() - start
        result = evaluate(model.scores, split.test)
        pop = Popularity().fit(history_matrix(split.fit_sequences, data.n_items))
        pop_result = evaluate(pop.scores, split.test)
        model_hr, model_ndcg = result.hr, result.ndcg
        pop_hr, pop_ndcg = pop_result.hr, pop_result.ndcg
        valid_users, test_users = len(split.valid.targets), result.users
    report = TrainReport(
        customers=data.n_users,
        products=data.n_items,
        events=len(history.events),
        seconds=round(seconds, 2),
        epochs=len(model.log),
        valid_users=valid_users,
        test_users=test_users,
        model_hr=round(model_hr, 4),
        model_ndcg=round(model_ndcg, 4),
        popularity_hr=round(pop_hr, 4),
        popularity_ndcg=round(pop_ndcg, 4),
    )
    model.save(
        out,
        extra={
            "item_ids": list(data.item_ids),
            "popularity": popularity(history),
            "trained_at": datetime.now(UTC).isoformat(),
            "report": asdict(report),
        },
    )
    return report


def _with_catalogue(rows: Sequence[tuple[str, list[str]]], catalogue: list[str]) -> SequenceData:
    """Index items in catalogue order, so every product has an index even without signals."""
    data = from_sequences([("", catalogue), *rows])
    return SequenceData(data.users[1:], data.sequences[1:], data.item_ids, data.index_of)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.recsys.shop",
        description="Train the shop's recommender from the shop database.",
    )
    parser.add_argument("--config", default=None, help="config.yml to read the database URL from")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = load_config(path=args.config)

    async def load() -> ShopHistory:
        engine = create_engine(cfg.database.url)
        try:
            return await load_history(engine)
        finally:
            await engine.dispose()

    history = asyncio.run(load())

    def show(entry: EpochLog) -> None:
        valid = "" if math.isnan(entry.valid_ndcg) else f"  valid NDCG@10 {entry.valid_ndcg:.3f}"
        print(
            f"    epoch {entry.epoch:3d}  loss {entry.loss:.3f}{valid}  {entry.seconds:.1f} s",
            file=sys.stderr,
        )

    try:
        with step("Training the shop's recommender (stops when validation stops improving)"):
            report = train_shop_model(history, args.out, seed=args.seed, on_epoch=show)
    except ValueError as exc:
        print(f"recommender not trained: {exc}", file=sys.stderr)
        return 1
    print(
        f"recommender: {report.customers} customers, {report.products} products, "
        f"{report.events} events, {report.epochs} epochs in {report.seconds:.1f} s; "
        f"HR@10 {report.model_hr:.3f} / NDCG@10 {report.model_ndcg:.3f} (popularity "
        f"{report.popularity_hr:.3f} / {report.popularity_ndcg:.3f}) on {report.test_users} "
        f"held-out customers, early-stopped on {report.valid_users} others -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

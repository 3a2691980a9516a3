"""`python -m bot.bench_recsys --out reports` (``make bench-recsys``): latency of one
recommendation request.

Seeds a private demo shop, trains the shop model, then runs ``action_recommend_products``
(customer lookup, constraint parsing, database reads, model scoring, bandit re-ranking, reasons
and cards, everything the action server does per request except Rasa's HTTP call) for a fixed
mix of customers, guests, requests in both languages and card-button reactions. Writes
``recsys-bench.md`` and ``recsys-bench.json`` with p50 / p95 / max per scenario.

An entry point like :mod:`bot.bench`: it measures the action, so it sits above bot.actions and
outside bot.recsys (the model layer imports no actions or services).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions._deps import Deps, use_deps
from bot.actions.products import RecommendProducts
from bot.config import load_config
from bot.recsys.shop import load_history, train_shop_model
from bot.report_stamp import format_stamp, stamp
from bot.services.recommend import Recommender, RecommendSettings, use_recommender
from bot.shop.seed import seed_demo_shop
from bot.storage.db import create_engine
from bot.storage.schema import identities

REQUESTS = (
    ("en", "what do you recommend?", None),
    ("zh", "有什么推荐的吗", None),
    ("en", "any good earbuds under 500 yuan?", "earbuds"),
    ("zh", "推荐200元以内的耳机", "耳机"),
    ("en", "a birthday gift for my mom", None),
    ("zh", "送爸爸的礼物，预算五百左右", None),
    ("en", "recommend some kitchen appliances", None),
    ("zh", "推荐点数码产品", None),
)


def tracker(
    sender: str, lang: str, text: str, entities: list[dict[str, Any]], intent: str
) -> Tracker:
    """A tracker whose latest message is ``text`` (or a button payload) from ``sender``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities}
    event = {
        "event": "user",
        "text": text,
        "parse_data": latest,
        "metadata": {},
        "message_id": hashlib.sha1(f"{sender}|{text}".encode()).hexdigest()[:16],
    }
    return Tracker(
        sender_id=sender,
        slots={"language": lang},
        latest_message=latest,
        events=[{"event": "action", "name": "action_listen"}, event],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


async def run(rounds: int, seed: int) -> dict[str, Any]:
    cfg = load_config()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="recsys-bench-") as tmp:
        work = Path(tmp)
        engine = create_engine(f"sqlite+aiosqlite:///{work / 'shop.db'}")
        try:
            await seed_demo_shop(engine, cfg, today=date.today())
            history = await load_history(engine)
            started = time.perf_counter()
            report = train_shop_model(history, work / "model.pt", seed=seed)
            train_s = time.perf_counter() - started
            async with engine.connect() as conn:
                senders = [
                    f"{r.channel}:{r.external_id}"
                    for r in (await conn.execute(select(identities))).all()
                ]
            settings = RecommendSettings(
                model_path=work / "model.pt", bandit_path=work / "bandit.json"
            )
            recommender = Recommender(settings, seed=seed)
            deps = Deps(config=cfg, engine=engine, clock=lambda: datetime.now(UTC))
            timings: dict[str, list[float]] = {"request": [], "guest": [], "button": []}
            first_ms = 0.0
            with use_deps(deps), use_recommender(recommender):
                action = RecommendProducts()
                for step in range(rounds + 1):
                    lang, text, product = REQUESTS[step % len(REQUESTS)]
                    guest = step % 4 == 3
                    sender = f"web:guest-{step}" if guest else rng.choice(senders)
                    entities = [{"entity": "product", "value": product}] if product else []
                    dispatcher = CollectingDispatcher()
                    t0 = time.perf_counter()
                    await action.run(
                        dispatcher, tracker(sender, lang, text, entities, "recommend_products"), {}
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    if step == 0:
                        first_ms = elapsed  # loads the model and the catalogue
                        continue
                    timings["guest" if guest else "request"].append(elapsed)
                    cards = [m["custom"] for m in dispatcher.messages if m.get("custom")]
                    if not cards or not cards[0]["products"]:
                        continue
                    button = rng.choice(cards[0]["products"][0]["buttons"])
                    text_payload = button["payload"]
                    payload = json.loads(text_payload[text_payload.index("{") :])
                    entities = [{"entity": k, "value": v} for k, v in payload.items()]
                    t0 = time.perf_counter()
                    await action.run(
                        CollectingDispatcher(),
                        tracker(sender, lang, button["payload"], entities, "recommend_products"),
                        {},
                    )
                    timings["button"].append((time.perf_counter() - t0) * 1000)
        finally:
            await engine.dispose()
    everything = [v for values in timings.values() for v in values]
    rows = [_summary(name, values) for name, values in (*timings.items(), ("all", everything))]
    result = {
        "date": date.today().isoformat(),
        "train_seconds": round(train_s, 2),
        "train_report": report.__dict__,
        "first_request_ms": round(first_ms, 1),
        "scenarios": rows,
    }
    return result


def _summary(name: str, values: list[float]) -> dict[str, Any]:
    return {
        "scenario": name,
        "requests": len(values),
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "max_ms": round(max(values), 2),
    }


def _markdown(result: dict[str, Any]) -> str:
    report = result["train_report"]
    lines = [
        "# Recommendation latency (action_recommend_products, in process)",
        "",
        format_stamp(result["stamp"]),
        "",
        "Measured with `python -m bot.bench_recsys` on a freshly seeded demo "
        "shop: customer lookup, constraint parsing, database reads, model scoring, bandit "
        "re-ranking, reasons and cards; Rasa's HTTP round trip is not included.",
        "",
        "| scenario | requests | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for row in result["scenarios"]:
        lines.append(
            f"| {row['scenario']} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['max_ms']} |"
        )
    lines += [
        "",
        f"First request (loads the model and the catalogue): {result['first_request_ms']} ms.",
        f"Shop model: {report['customers']} customers, {report['products']} products, "
        f"{report['events']} events, trained in {result['train_seconds']} s "
        f"({report['epochs']} epochs); HR@10 {report['model_hr']} vs popularity "
        f"{report['popularity_hr']} (NDCG@10 {report['model_ndcg']} vs "
        f"{report['popularity_ndcg']}) on the held-out last product of {report['test_users']} "
        f"customers, not the {report['valid_users']} it early-stopped on.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench_recsys", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports"))
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.rounds, args.seed))
    result["stamp"] = stamp()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "recsys-bench.json").write_text(
        json.dumps(result, indent=2) + "\n", encoding="utf-8"
    )
    (args.out / "recsys-bench.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

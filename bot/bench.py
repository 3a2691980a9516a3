"""`make bench`: latency of POST /api/chat against the real stack, written to reports/bench.md.

Starts Rasa, the action server and the gateway on free loopback ports with a freshly seeded
database (like the integration tests), warms them up, then sends a fixed mix of bilingual
messages sequentially and with a few concurrent customers, and reports p50/p95/max.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from bot.config import DEFAULT_CONFIG_PATH, REPO_ROOT
from bot.launcher import Stack, StackPorts, default_model_path
from bot.services.web_identity import sign

MESSAGES = [
    "hi",
    "where is my order 260315004217",
    "我的订单260315004217到哪了",
    "how much are the wireless earbuds",
    "电饭煲有货吗",
    "what is your return policy",
    "运费怎么算",
    "thanks, bye",
]


BENCH_SECRET = "bench-web-identity-secret-0123456789"


def _post(url: str, body: dict[str, str]) -> float:
    signed = {**body, "identity_hash": sign(BENCH_SECRET, body["sender_id"])}
    req = urllib.request.Request(
        url, data=json.dumps(signed).encode(), headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"/api/chat answered {resp.status}")
    return (time.perf_counter() - start) * 1000


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def _summary(name: str, values: list[float]) -> dict[str, float | str | int]:
    return {
        "scenario": name,
        "requests": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(_percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", default=str(REPO_ROOT / "reports"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite+aiosqlite:///{tmp}/shop.db"
        subprocess.run(
            [sys.executable, "-m", "bot", "seed"],
            env={**os.environ, "SHOP_DATABASE_URL": db_url},
            check=True,
        )
        # The shipped settings without the web chat's rate limits: the bench is one client.
        settings = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
        settings["web"].update(messages_per_minute_per_sender=0, messages_per_minute_per_ip=0)
        config = Path(tmp) / "config.yml"
        config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
        stack = Stack(
            ports=StackPorts.free_loopback(),
            database_url=db_url,
            log_dir=Path(tmp) / "logs",
            model_path=default_model_path(),
            extra_env={"WEB_IDENTITY_SECRET": BENCH_SECRET, "SHOP_CONFIG": str(config)},
        )
        stack.start()
        try:
            stack.wait_ready()
            url = f"{stack.gateway_url}/api/chat"
            for text in MESSAGES:  # warm-up: first calls load lazily created resources
                _post(url, {"sender_id": "bench-warmup", "text": text})
            sequential = [
                _post(url, {"sender_id": f"bench-seq-{r}", "text": text})
                for r in range(args.rounds)
                for text in MESSAGES
            ]

            def one_customer(n: int) -> list[float]:
                return [
                    _post(url, {"sender_id": f"bench-conc-{n}-{r}", "text": text})
                    for r in range(max(1, args.rounds // args.concurrency))
                    for text in MESSAGES
                ]

            with ThreadPoolExecutor(args.concurrency) as pool:
                concurrent = [
                    ms for batch in pool.map(one_customer, range(args.concurrency)) for ms in batch
                ]
        finally:
            stack.stop()
    rows = [
        _summary("sequential, one customer at a time", sequential),
        _summary(f"{args.concurrency} customers concurrently", concurrent),
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    lines = [
        "# /api/chat latency",
        "",
        "| scenario | requests | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['scenario']} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} |"
        for r in rows
    ]
    (out / "bench.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

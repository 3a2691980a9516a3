"""The scale profile for real: two Rasa servers, two action servers and two gateways on
PostgreSQL, Redis and RabbitMQ (bot/launcher_scale.py), and the analytics consumer.

The module starts its own scale stack on a scratch PostgreSQL database, a RabbitMQ queue and a
Redis lock prefix of its own (all removed afterwards), on free loopback ports. Customers talk to
the web chat; each turn goes to the other gateway than the turn before. In the load test the
action server of lane 1, then the Rasa of lane 1, then the gateway of lane 2 are killed
(SIGKILL, as a crash) while conversations are under way, and none is restarted: the gateways
fail over to the remaining Rasa and action server, the clients to the remaining gateway (a
request that got no answer is repeated with the same ``message_id`` on the other gateway).
Afterwards every message was answered exactly once and in order, the trackers are in
PostgreSQL and the analytics tables got the events.

SHOP_SCALE_CONVERSATIONS sets the number of concurrent conversations (default 40; `make test`
runs 12). SHOP_TEST_POSTGRES_URL names the PostgreSQL server (the Makefile's default).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.config import DEFAULT_CONFIG_PATH
from bot.core.pipeline import HOLDING_TEXT
from bot.launcher import default_model_path
from bot.launcher_scale import ScaleSettings, ScaleStack, drop_scratch, prepare_database
from tests.factory import ShopFactory
from tests.integration.helpers import (
    ADMIN_TOKEN,
    LINK_SECRET,
    WEB_SECRET,
    http_json,
    identity_hash,
    render,
)

pytestmark = pytest.mark.integration

SERVER_URL = os.environ.get("SHOP_TEST_POSTGRES_URL") or (
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
CONVERSATIONS = int(os.environ.get("SHOP_SCALE_CONVERSATIONS", "40"))
TURNS = ("hello", "where is my order", "thank you")
HOLDING = set(HOLDING_TEXT.values())
TURN_DEADLINE_S = 120.0


def pg_rows(stack: ScaleStack, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg2

    url = make_url(stack.settings.database_url).set(drivername="postgresql")
    conn = psycopg2.connect(url.render_as_string(hide_password=False))
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleStack]:
    model = default_model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` first")
    tmp = tmp_path_factory.mktemp("scale")
    settings = ScaleSettings(database_url=SERVER_URL).scratch("scale")
    shipped = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    shipped["web"].update(messages_per_minute_per_sender=0, messages_per_minute_per_ip=0)
    shipped.setdefault("delivery", {}).update(
        retry_base_s=0.5, retry_max_s=2.0, poll_interval_s=0.3
    )
    config = tmp / "config.yml"
    config.write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    asyncio.run(prepare_database(settings.database_url))
    env = dict(os.environ, SHOP_DATABASE_URL=settings.database_url, SHOP_CONFIG=str(config))
    subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
    stack = ScaleStack(
        settings,
        tmp / "logs",
        model,
        extra_env={
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "WEB_IDENTITY_SECRET": WEB_SECRET,
            "LINK_SECRET": LINK_SECRET,
            "SHOP_CONFIG": str(config),
            "SHOP_RECOMMEND_BANDIT_PATH": str(tmp / "bandit.json"),
            # A Rasa answer takes at most 10 s; a gateway's claim on a message lasts 20 s.
            "RASA_TIMEOUT_S": "10",
            # A Rasa killed while handling a conversation holds its Redis lock this long.
            "TICKET_LOCK_LIFETIME": "15",
        },
    )
    try:
        stack.start()
        stack.wait_ready(timeout_s=300)
        yield stack
    finally:
        stack.stop()
        asyncio.run(drop_scratch(stack.settings))


def _text(message: Any) -> str | None:
    data = json.loads(message) if isinstance(message, str) else message
    return data.get("text") if isinstance(data, dict) else None


def gateway_urls(stack: ScaleStack) -> list[str]:
    return [lane.gateway_url for lane in stack.lanes]


@dataclass
class Turn:
    text: str
    message_id: str
    answer: list[dict[str, Any]] = field(default_factory=list)
    tries: int = 0


class Customer:
    """One web chat customer; turn t goes to gateway (first + t) % 2, and a request that gets
    no answer (connection refused or cut, a 503) is repeated with the same message_id on the
    next gateway until the answer comes."""

    def __init__(self, gateways: list[str], sender_id: str, first: int = 0) -> None:
        self.gateways = gateways
        self.sender_id = sender_id
        self.first = first
        self.turns: list[Turn] = []

    def say(self, text: str) -> str:
        turn = Turn(text, f"{self.sender_id}-{len(self.turns)}")
        start = self.first + len(self.turns)
        self.turns.append(turn)
        body = {
            "sender_id": self.sender_id,
            "identity_hash": identity_hash(self.sender_id),
            "text": text,
            "message_id": turn.message_id,
        }
        deadline = time.monotonic() + TURN_DEADLINE_S
        while time.monotonic() < deadline:
            url = self.gateways[(start + turn.tries) % len(self.gateways)]
            turn.tries += 1
            try:
                result = http_json("POST", f"{url}/api/chat", body, timeout=45)
            except (OSError, ConnectionError, EOFError) as exc:  # the gateway is gone
                last = repr(exc)
                time.sleep(0.3)
                continue
            except Exception as exc:  # http.client.IncompleteRead and the like: cut off
                last = repr(exc)
                time.sleep(0.3)
                continue
            if result.status == 200:
                turn.answer = list(result.body["messages"])
                return render(turn.answer)
            last = f"{result.status}: {result.body}"
            assert result.status == 503, last  # held or timed out: ask again for the answer
            time.sleep(1.0)
        raise AssertionError(f"{self.sender_id}: no answer to {text!r} in time ({last})")


def test_a_form_goes_on_across_gateways(scale: ScaleStack) -> None:
    """The address change form: each turn on the other gateway, the form's state in the
    trackers Rasa shares through PostgreSQL."""
    shop = ShopFactory(scale.settings.database_url)
    try:
        order = shop.order(shop.customer("en"), status="paid", days_ago=0.5)
    finally:
        shop.close()
    chat = Customer(gateway_urls(scale), order.customer.sender)
    first = chat.say(f"I need to change the delivery address for order {order.id}")
    assert "address" in first.lower()
    good = "Room 1201, Building 3, 88 Zhangjiang Road, Pudong, Shanghai 201203"
    assert "88 Zhangjiang Road" in chat.say(good)
    assert order.id in chat.say("yes")
    assert pg_rows(scale, "SELECT shipping_address FROM orders WHERE id = %s", (order.id,)) == [
        (good,)
    ]
    tickets = http_json(
        "GET",
        f"{scale.lanes[1].gateway_url}/api/admin/tickets?order_id={order.id}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert [t["kind"] for t in tickets.body] == ["address_change"]
    # Rasa's trackers are in PostgreSQL: the whole form is in one conversation's events.
    [(users,)] = pg_rows(
        scale,
        "SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'",
        (f"web:{order.customer.sender}",),
    )
    assert users >= 3


def test_concurrent_conversations_survive_killed_processes(scale: ScaleStack) -> None:
    gateways = gateway_urls(scale)
    run = uuid.uuid4().hex[:6]
    customers = [
        Customer(gateways, f"guest-scale-{run}-{i}", first=i) for i in range(CONVERSATIONS)
    ]
    total = CONVERSATIONS * len(TURNS)
    done = 0
    lock = threading.Lock()
    killed: list[str] = []

    def talk(customer: Customer) -> None:
        nonlocal done
        for text in TURNS:
            customer.say(text)
            with lock:
                done += 1

    def faults() -> None:
        # (share of all turns answered, lane, process): lane 1's action server, lane 1's Rasa,
        # lane 2's gateway; none is restarted.
        for share, lane, name in ((0.2, 0, "actions"), (0.4, 0, "rasa"), (0.6, 1, "gateway")):
            while done < share * total:
                time.sleep(0.1)
            scale.lanes[lane].kill(name)
            killed.append(f"{name}-{lane + 1}")

    started = time.monotonic()
    fault_thread = threading.Thread(target=faults, daemon=True)
    fault_thread.start()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        for future in [pool.submit(talk, c) for c in customers]:
            future.result()
    fault_thread.join(timeout=5)
    elapsed = time.monotonic() - started
    assert killed == ["actions-1", "rasa-1", "gateway-2"]
    print(
        f"\n{CONVERSATIONS} conversations x {len(TURNS)} turns in {elapsed:.1f}s; "
        f"repeated requests: {sum(t.tries - 1 for c in customers for t in c.turns)}"
    )

    # Every message answered exactly once and in order. A stored reply reaches the customer
    # in an HTTP response (delivered_inline) or, when no response carried it (the request was
    # cut off by a killed gateway), on the page's push stream, which reads the outbox rows the
    # outbox worker marked sent. Lost: a message without replies, or a reply neither way.
    # Duplicated: a reply that came in a response and is also on the push stream, or a
    # response that does not match the stored replies (a second set stored by another gateway).
    lost, duplicated = [], []
    for customer in customers:
        rows = pg_rows(
            scale,
            "SELECT id, status, done_at FROM inbox WHERE external_id = %s ORDER BY id",
            (customer.sender_id,),
        )
        assert [r[1] for r in rows] == ["done"] * len(TURNS), (customer.sender_id, rows)
        assert [r[2] for r in rows] == sorted(r[2] for r in rows)
        for turn, (inbox_id, _status, _done) in zip(customer.turns, rows, strict=True):
            stored = pg_rows(
                scale,
                "SELECT message, status, delivered_inline FROM outbox "
                "WHERE inbox_id = %s AND kind = 'reply' ORDER BY id",
                (inbox_id,),
            )
            texts = [_text(m) for m, _s, _i in stored]
            inline = [_text(m) for m, _s, delivered in stored if delivered]
            pushed = [
                _text(m) for m, status, delivered in stored if status == "sent" and not delivered
            ]
            got = [m.get("text") for m in turn.answer if m.get("text") not in HOLDING]
            where = (customer.sender_id, turn.text, texts, got)
            if not stored or len(inline) + len(pushed) < len(stored):
                lost.append(where)
            elif got != inline or set(got) & set(pushed):
                duplicated.append(where)
    assert (lost, duplicated) == ([], [])

    # The trackers are in PostgreSQL: every message reached Rasa with its inbox id.
    senders = [f"web:{c.sender_id}" for c in customers]
    tracked = pg_rows(
        scale,
        "SELECT sender_id, count(DISTINCT (data::json -> 'metadata' ->> 'inbox_id')) FROM events "
        "WHERE type_name = 'user' AND sender_id = ANY(%s) GROUP BY sender_id",
        (senders,),
    )
    assert sorted(tracked) == sorted((s, len(TURNS)) for s in senders)

    # The analytics consumer recorded the events of every conversation.
    deadline = time.monotonic() + 60
    while True:
        counted = dict(
            pg_rows(
                scale,
                "SELECT conversation_id, turns FROM analytics_conversations "
                "WHERE conversation_id = ANY(%s)",
                (senders,),
            )
        )
        if len(counted) == len(senders) and min(counted.values()) >= len(TURNS):
            break
        assert time.monotonic() < deadline, f"analytics incomplete: {len(counted)} conversations"
        time.sleep(1)
    report = http_json(
        "GET",
        f"{scale.lanes[0].gateway_url}/api/admin/analytics?conversation_id={senders[0]}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert report.status == 200, report.body
    assert report.body["conversations"][0]["turns"] >= len(TURNS)
    assert sum(d["turns"] for d in report.body["days"]) >= len(TURNS)

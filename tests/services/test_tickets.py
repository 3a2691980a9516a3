"""Tickets: idempotent creation, ids, filters, JSON, the state machine, history, notices."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services.ticket_notices import customer_notice, rma_number, ticket_language
from bot.services.ticket_states import (
    FINAL_STATUSES,
    TRANSITIONS,
    InvalidTransition,
    TicketNotFound,
    allowed_transitions,
)
from bot.services.tickets import (
    TicketEvent,
    create_ticket,
    get_ticket,
    list_tickets,
    ticket_history,
    ticket_id_prefix,
    ticket_to_json,
    transition_ticket,
)
from bot.services.types import Ticket
from bot.shop.store import wipe_shop
from bot.storage.db import create_engine, create_schema


async def make(engine: AsyncEngine, key: str, **overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "kind": "complaint",
        "order_id": "260315004217",
        "customer_id": "C0001",
        "status": "open",
        "category": "delivery",
        "payload": {"text": "快递太慢了", "sentiment": -0.6},
        "channel": "web",
        "sender_id": "web:demo-liwei",
        "idempotency_key": key,
    }
    fields.update(overrides)
    return await create_ticket(engine, **fields)


async def test_create_and_get(engine: AsyncEngine) -> None:
    ticket = await make(engine, "complaint:1")
    assert re.fullmatch(r"TK-[0-9]{8}-0001", ticket.id)
    assert ticket.payload == {"text": "快递太慢了", "sentiment": -0.6}
    assert ticket.created_at == ticket.updated_at and ticket.created_at.tzinfo is not None
    assert await get_ticket(engine, ticket.id) == ticket
    assert await get_ticket(engine, "TK-00000000-0000") is None


async def test_same_key_returns_the_existing_ticket(engine: AsyncEngine) -> None:
    first = await make(engine, "complaint:1")
    second = await make(engine, "complaint:1", payload={"text": "different"})
    assert second == first
    assert len(await list_tickets(engine)) == 1


async def test_ids_count_up_within_a_day(engine: AsyncEngine) -> None:
    ids = [(await make(engine, f"k{i}")).id for i in range(3)]
    assert [i[-4:] for i in ids] == ["0001", "0002", "0003"]
    assert len({i[:11] for i in ids}) == 1


SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("now", "zone", "prefix"),
    [
        # 20:00 UTC is already the next morning in Shanghai: the id shows the shop's day.
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 28, 15, 59, tzinfo=UTC), SHANGHAI, "TK-20261128-"),
        (datetime(2026, 11, 28, 16, 0, tzinfo=UTC), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 29, 0, 30, tzinfo=SHANGHAI), SHANGHAI, "TK-20261129-"),
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), ZoneInfo("Europe/London"), "TK-20261128-"),
        (datetime(2026, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=5))), UTC, "TK-20251231-"),
    ],
)
def test_ticket_ids_use_the_shops_date(now: datetime, zone: tzinfo, prefix: str) -> None:
    assert ticket_id_prefix(now, zone) == prefix


def test_ticket_id_prefix_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ticket_id_prefix(datetime(2026, 11, 28, 20, 0))


async def test_new_tickets_carry_the_shop_local_date(engine: AsyncEngine, cfg: Config) -> None:
    zone = ZoneInfo(cfg.shop.timezone)
    before = datetime.now(zone).strftime("%Y%m%d")
    ticket = await make(engine, "local-date")
    after = datetime.now(zone).strftime("%Y%m%d")
    assert ticket.id[3:11] in {before, after}
    assert ticket_id_prefix(ticket.created_at) == ticket.id[:12]


async def test_concurrent_creation(engine: AsyncEngine) -> None:
    same = await asyncio.gather(*(make(engine, "dup") for _ in range(5)))
    assert len({t.id for t in same}) == 1
    different = await asyncio.gather(*(make(engine, f"k{i}") for i in range(5)))
    assert len({t.id for t in different}) == 5
    assert len(await list_tickets(engine)) == 6


@pytest.mark.parametrize(
    ("filters", "expected_keys"),
    [
        ({}, ["t4", "t3", "t2", "t1"]),
        ({"customer_id": "C0001"}, ["t3", "t1"]),
        ({"order_id": "260411555501"}, ["t4", "t2"]),
        ({"kind": "cancellation"}, ["t3"]),
        ({"customer_id": "C0002", "kind": "return"}, ["t4"]),
        ({"customer_id": "C0003"}, []),
        ({"limit": 2}, ["t4", "t3"]),
    ],
)
async def test_list_filters_newest_first(
    engine: AsyncEngine, filters: dict[str, Any], expected_keys: list[str]
) -> None:
    made = {
        "t1": await make(engine, "t1", kind="complaint", customer_id="C0001"),
        "t2": await make(
            engine, "t2", kind="exchange", customer_id="C0002", order_id="260411555501"
        ),
        "t3": await make(engine, "t3", kind="cancellation", customer_id="C0001"),
        "t4": await make(engine, "t4", kind="return", customer_id="C0002", order_id="260411555501"),
    }
    found = await list_tickets(engine, **filters)
    names = {t.id: name for name, t in made.items()}
    assert [names[t.id] for t in found] == expected_keys


async def test_list_rejects_a_bad_limit(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="limit"):
        await list_tickets(engine, limit=0)


@pytest.mark.parametrize("key", ["", "x" * 201])
async def test_bad_idempotency_key(engine: AsyncEngine, key: str) -> None:
    with pytest.raises(ValueError, match="idempotency_key"):
        await make(engine, key)


async def test_ticket_to_json(engine: AsyncEngine) -> None:
    ticket = await make(engine, "json", category=None, order_id=None)
    data = ticket_to_json(ticket)
    assert set(data) == {
        "id",
        "kind",
        "order_id",
        "customer_id",
        "status",
        "category",
        "created_at",
        "updated_at",
        "severity",
        "sla_due_at",
        "payload",
    }
    assert data["order_id"] is None and data["category"] is None
    assert datetime.fromisoformat(data["created_at"]) == ticket.created_at
    assert data["created_at"].endswith("+00:00")
    assert data["payload"]["text"] == "快递太慢了"


# The state machine, history and notifications -------------------------------------------------
class RecordingNotifier:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[Ticket, TicketEvent]] = []
        self.fail = fail

    async def notify(self, ticket: Ticket, event: TicketEvent) -> None:
        self.calls.append((ticket, event))
        if self.fail:
            raise ConnectionError("outbox down")


PATHS = [
    ("return", ["approved", "item_received", "refunded", "closed"]),
    ("return", ["rejected", "closed"]),
    ("return", ["approved", "cancelled"]),
    ("return", ["approved", "item_received", "rejected", "closed"]),
    ("exchange", ["approved", "item_received", "exchanged", "closed"]),
    ("exchange", ["cancelled"]),
    ("refund", ["approved", "refunded", "closed"]),
    ("refund", ["rejected", "closed"]),
    ("complaint", ["in_progress", "resolved", "closed"]),
    ("complaint", ["in_progress", "resolved", "in_progress", "resolved", "closed"]),
]


@pytest.mark.parametrize(("kind", "path"), PATHS)
async def test_valid_paths_are_recorded_in_the_history(
    engine: AsyncEngine, kind: str, path: list[str]
) -> None:
    ticket = await make(engine, f"{kind}:path", kind=kind, status="requested")
    notifier = RecordingNotifier()
    for step in path:
        done = await transition_ticket(
            engine, ticket.id, step, actor="staff:王芳", note=f"to {step}", notifier=notifier
        )
        assert done.changed and done.ticket.status == step
    stored = await get_ticket(engine, ticket.id)
    assert stored is not None and stored.status == path[-1]
    assert stored.updated_at >= stored.created_at
    history = await ticket_history(engine, ticket.id)
    assert [(e.from_status, e.to_status) for e in history] == list(
        zip([None, "requested", *path[:-1]], ["requested", *path], strict=True)
    )
    assert history[0].actor == "customer" and history[0].note is None
    assert {e.actor for e in history[1:]} == {"staff:王芳"}
    assert [e.note for e in history[1:]] == [f"to {step}" for step in path]
    assert [e.ts for e in history] == sorted(e.ts for e in history)
    assert [event.to_status for _, event in notifier.calls] == path
    assert [t.status for t, _ in notifier.calls] == path


@pytest.mark.parametrize(
    ("kind", "start", "to", "allowed"),
    [
        ("return", "requested", "refunded", ("approved", "cancelled", "rejected")),
        ("return", "requested", "closed", ("approved", "cancelled", "rejected")),
        ("return", "approved", "refunded", ("cancelled", "item_received")),
        ("return", "item_received", "exchanged", ("refunded", "rejected")),
        ("exchange", "item_received", "refunded", ("exchanged", "rejected")),
        ("refund", "approved", "item_received", ("refunded",)),
        ("complaint", "requested", "resolved", ("in_progress",)),
        ("complaint", "requested", "approved", ("in_progress",)),
        ("complaint", "closed", "in_progress", ()),
        ("return", "cancelled", "approved", ()),
        ("return", "requested", "open", ("approved", "cancelled", "rejected")),
        ("cancellation", "approved", "item_received", ("closed", "refunded")),
        ("address_change", "approved", "refunded", ("closed",)),
        ("message", "closed", "open", ()),
    ],
)
async def test_invalid_transitions_raise(
    engine: AsyncEngine, kind: str, start: str, to: str, allowed: tuple[str, ...]
) -> None:
    ticket = await make(engine, f"bad:{kind}:{start}:{to}", kind=kind, status=start)
    notifier = RecordingNotifier()
    with pytest.raises(InvalidTransition) as caught:
        await transition_ticket(engine, ticket.id, to, actor="staff:x", notifier=notifier)
    assert caught.value.allowed == allowed
    assert repr(start) in str(caught.value) and repr(to) in str(caught.value)
    assert allowed_transitions(kind, start) == allowed
    assert (await get_ticket(engine, ticket.id)) == ticket
    assert len(await ticket_history(engine, ticket.id)) == 1
    assert notifier.calls == []


@pytest.mark.parametrize(
    ("kind", "status", "allowed"),
    [
        # Complaints recorded as "open" before the state machine read as "requested".
        ("complaint", "open", ("in_progress",)),
        ("message", "open", ("closed",)),
        ("feedback", "received", ("closed",)),
        ("data_deletion", "requested", ("closed",)),
        ("cancellation", "refunded", ("closed",)),
    ],
)
def test_legacy_statuses_and_other_kinds(kind: str, status: str, allowed: tuple[str, ...]) -> None:
    assert allowed_transitions(kind, status) == allowed


def test_every_state_is_reachable_and_can_end() -> None:
    for kind, machine in TRANSITIONS.items():
        start = "approved" if kind == "cancellation" else "requested"
        seen, todo = {start}, [start]
        while todo:
            for nxt in machine[todo.pop()]:
                assert nxt in machine, (kind, nxt)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen == set(machine), kind
        assert all(machine[s] or s in FINAL_STATUSES for s in machine), kind


async def test_asking_for_the_current_status_changes_nothing(engine: AsyncEngine) -> None:
    ticket = await make(engine, "same", kind="return", status="requested")
    notifier = RecordingNotifier()
    await transition_ticket(engine, ticket.id, "approved", actor="staff:a", notifier=notifier)
    again = await transition_ticket(
        engine, ticket.id, "approved", actor="staff:a", notifier=notifier
    )
    assert not again.changed and again.event is None and again.ticket.status == "approved"
    assert len(notifier.calls) == 1
    assert len(await ticket_history(engine, ticket.id)) == 2


async def test_unknown_ticket(engine: AsyncEngine) -> None:
    with pytest.raises(TicketNotFound, match="TK-19990101-0001"):
        await transition_ticket(engine, "TK-19990101-0001", "closed", actor="staff:a")


async def test_a_failing_notifier_does_not_undo_the_change(engine: AsyncEngine) -> None:
    ticket = await make(engine, "fail", kind="refund", status="requested")
    notifier = RecordingNotifier(fail=True)
    done = await transition_ticket(
        engine, ticket.id, "approved", actor="staff:a", notifier=notifier
    )
    assert done.changed and len(notifier.calls) == 1
    stored = await get_ticket(engine, ticket.id)
    assert stored is not None and stored.status == "approved"


async def test_concurrent_transitions_apply_once(engine: AsyncEngine) -> None:
    ticket = await make(engine, "race", kind="return", status="requested")
    results = await asyncio.gather(
        *(transition_ticket(engine, ticket.id, "approved", actor=f"staff:{i}") for i in range(4)),
        transition_ticket(engine, ticket.id, "rejected", actor="staff:r"),
        return_exceptions=True,
    )
    history = await ticket_history(engine, ticket.id)
    assert len(history) == 2  # the creation and exactly one decision
    winner = history[1].to_status
    changed = [r for r in results if not isinstance(r, BaseException) and r.changed]
    assert len(changed) == 1 and changed[0].ticket.status == winner
    refused = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(refused) == (4 if winner == "rejected" else 1)


async def test_bad_actor_is_refused(engine: AsyncEngine) -> None:
    ticket = await make(engine, "actor", kind="return", status="requested")
    with pytest.raises(ValueError, match="actor"):
        await transition_ticket(engine, ticket.id, "approved", actor="")


async def test_complaint_columns_round_trip(engine: AsyncEngine) -> None:
    due = datetime(2026, 4, 21, 10, 0, tzinfo=UTC)
    ticket = await make(engine, "sla", severity="high", sla_due_at=due)
    stored = await get_ticket(engine, ticket.id)
    assert stored == ticket and stored.severity == "high" and stored.sla_due_at == due
    data = ticket_to_json(stored)
    assert data["severity"] == "high" and data["sla_due_at"] == "2026-04-21T10:00:00+00:00"
    with pytest.raises(ValueError, match="severity"):
        await make(engine, "sla2", severity="urgent")


async def test_older_databases_gain_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE tickets (id VARCHAR(40) PRIMARY KEY, kind VARCHAR(30) NOT NULL, "
            "order_id VARCHAR(32), customer_id VARCHAR(32), status VARCHAR(30) NOT NULL, "
            "category VARCHAR(60), payload JSON NOT NULL, channel VARCHAR(20), "
            "sender_id VARCHAR(200), idempotency_key VARCHAR(200) NOT NULL UNIQUE, "
            "created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)"
        )
        conn.execute(
            "INSERT INTO tickets VALUES ('TK-20260101-0001', 'complaint', NULL, 'C0001', 'open', "
            "NULL, '{}', 'web', 'demo-liwei', 'old', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    old = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await create_schema(old)
        await create_schema(old)  # idempotent
        [ticket] = await list_tickets(old)
        assert ticket.status == "open" and ticket.severity is None and ticket.sla_due_at is None
        done = await transition_ticket(old, ticket.id, "in_progress", actor="staff:a")
        assert done.changed
        assert [e.from_status for e in await ticket_history(old, ticket.id)] == ["open"]
    finally:
        await old.dispose()


async def test_wiping_the_shop_removes_ticket_history(engine: AsyncEngine) -> None:
    ticket = await make(engine, "wipe", kind="return", status="requested")
    await transition_ticket(engine, ticket.id, "approved", actor="staff:a")
    async with engine.begin() as conn:
        await wipe_shop(conn, include_tickets=True)
    assert await list_tickets(engine) == []
    assert await ticket_history(engine, ticket.id) == []


# What the customer is told ----------------------------------------------------------------------
def _event(to: str, frm: str | None = "requested") -> TicketEvent:
    return TicketEvent(
        1,
        "TK-20260421-0007",
        datetime(2026, 4, 21, 2, 0, tzinfo=UTC),
        "staff:a",
        frm,
        to,
        "internal: check photos",
    )


def _ticket(kind: str, status: str, payload: dict[str, Any], **extra: Any) -> Ticket:
    now = datetime(2026, 4, 21, 1, 0, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": "TK-20260421-0007",
        "kind": kind,
        "order_id": "260402118830",
        "customer_id": "C0001",
        "status": status,
        "category": None,
        "payload": payload,
        "channel": "web",
        "sender_id": "demo-liwei",
        "created_at": now,
        "updated_at": now,
    }
    fields.update(extra)
    return Ticket(**fields)


@pytest.mark.parametrize(
    ("kind", "status", "payload", "extra", "zh", "en"),
    [
        (
            "return",
            "approved",
            {"instructions": {"zh": "退货单号 RMA-1", "en": "RMA number RMA-1"}},
            {},
            ["已审核通过", "退货单号 RMA-1"],
            ["is approved", "RMA number RMA-1"],
        ),
        (
            "return",
            "refunded",
            {"refund": {"total_cents": 17857, "method": "alipay"}},
            {},
            ["¥178.57", "支付宝"],
            ["¥178.57", "Alipay"],
        ),
        ("refund", "refunded", {}, {}, ["已原路退回"], ["original payment method"]),
        ("exchange", "exchanged", {}, {}, ["换货商品已为您寄出"], ["replacement"]),
        (
            "exchange",
            "rejected",
            {},
            {},
            ["换货申请", "未能通过"],
            ["exchange request", "could not be approved"],
        ),
        ("return", "item_received", {}, {}, ["已收到"], ["received the item"]),
        ("return", "cancelled", {}, {}, ["已取消"], ["cancelled"]),
        (
            "complaint",
            "requested",
            {},
            {"category": "refund_delay", "sla_due_at": datetime(2026, 4, 21, 9, 0, tzinfo=UTC)},
            ["退款延迟", "4月21日 17:00"],
            ["a delayed refund", "21 Apr 17:00"],
        ),
        (
            "complaint",
            "in_progress",
            {},
            {"sla_due_at": datetime(2026, 4, 21, 9, 0, tzinfo=UTC)},
            ["4月21日 17:00"],
            ["21 Apr 17:00"],
        ),
        ("complaint", "in_progress", {}, {}, ["尽快"], ["as soon as possible"]),
        ("complaint", "resolved", {}, {}, ["处理完毕"], ["resolved"]),
        ("complaint", "closed", {}, {}, ["已关闭"], ["closed"]),
        ("message", "closed", {}, {}, ["已关闭"], ["closed"]),
    ],
)
def test_customer_notices(
    kind: str,
    status: str,
    payload: dict[str, Any],
    extra: dict[str, Any],
    zh: list[str],
    en: list[str],
) -> None:
    ticket = _ticket(kind, status, payload, **extra)
    event = _event(status)
    for lang, parts in (("zh", zh), ("en", en)):
        text = customer_notice(ticket, event, lang, "Asia/Shanghai")  # type: ignore[arg-type]
        for part in parts:
            assert part in text, (lang, text)
        assert "TK-20260421-0007" in text and "{" not in text
        assert "internal" not in text  # staff notes stay internal


def test_notices_use_the_customers_language() -> None:
    ticket = _ticket("return", "approved", {"language": "en"})
    assert "approved" in customer_notice(ticket, _event("approved"), timezone="Asia/Shanghai")
    assert ticket_language(_ticket("return", "approved", {})) == "zh"


def test_every_status_has_a_notice_in_both_languages() -> None:
    for kind, machine in TRANSITIONS.items():
        for status in machine:
            ticket = _ticket(kind, status, {}, category="other")
            for lang in ("zh", "en"):
                text = customer_notice(ticket, _event(status), lang, "Asia/Shanghai")  # type: ignore[arg-type]
                assert ticket.id in text and "{" not in text, (kind, status, lang)


def test_rma_number() -> None:
    assert rma_number("TK-20260421-0003") == "RMA-20260421-0003"
    assert rma_number("X1") == "RMA-X1"

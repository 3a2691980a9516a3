"""Admin ticket API: bearer token, list and filters, one ticket with history, staff transitions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin.routes import NOTIFIER_KEY
from bot.gateway.__main__ import build_app
from bot.services.ticket_notices import customer_notice
from bot.services.tickets import TicketEvent, create_ticket, list_tickets
from bot.services.types import Ticket
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import ADMIN_TOKEN, Client, MakeClient, make_config
from tests.gateway.seed import EMMA, LIWEI

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def tickets(engine: AsyncEngine) -> list[str]:
    specs = [
        ("cancellation", "260420000009", LIWEI, "approved"),
        ("address_change", "260420000009", LIWEI, "approved"),
        ("return", "260411555501", EMMA, "open"),
    ]
    made = []
    for kind, order_id, customer_id, status in specs:
        ticket = await create_ticket(
            engine,
            kind=kind,
            order_id=order_id,
            customer_id=customer_id,
            status=status,
            category=None,
            payload={"reason": "test"},
            channel="web",
            sender_id="web:test",
            idempotency_key=f"{kind}:{order_id}",
        )
        made.append(ticket.id)
    return made


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": f"Bearer {ADMIN_TOKEN[:-1]}"},
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": ADMIN_TOKEN},
        {"X-Admin-Token": ADMIN_TOKEN},
        {"Authorization": "Bearer 令牌"},
    ],
    ids=[
        "none",
        "empty",
        "bearer-only",
        "bearer-space",
        "wrong",
        "longer",
        "shorter",
        "basic-scheme",
        "no-scheme",
        "other-header",
        "non-ascii",
    ],
)
async def test_wrong_or_missing_token_is_401(
    client: Client, tickets: list[str], headers: dict[str, str]
) -> None:
    resp = await client.get("/api/admin/tickets", headers=headers)
    assert resp.status == 401
    body = await resp.json()
    assert "token" in body["error"].lower()
    assert "id" not in str(body)  # no ticket data leaks


async def test_no_admin_token_configured_is_503(make_client: MakeClient) -> None:
    client = await make_client(admin_token=None)
    resp = await client.get("/api/admin/tickets", headers={"Authorization": "Bearer anything"})
    assert resp.status == 503
    assert "ADMIN_TOKEN" in (await resp.json())["error"]


async def test_lists_tickets_with_contract_fields(client: Client, tickets: list[str]) -> None:
    resp = await client.get("/api/admin/tickets", headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert isinstance(body, list)
    assert sorted(t["id"] for t in body) == sorted(tickets)
    for ticket in body:
        for key in ("id", "kind", "order_id", "customer_id", "status", "category", "created_at"):
            assert key in ticket


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("customer_id=C0001", ["address_change", "cancellation"]),
        ("customer_id=C0002", ["return"]),
        ("order_id=260420000009", ["address_change", "cancellation"]),
        ("order_id=260411555501", ["return"]),
        ("kind=cancellation", ["cancellation"]),
        ("customer_id=C0001&kind=return", []),
        ("customer_id=C9999", []),
        ("limit=1", None),
    ],
)
async def test_filters(
    client: Client, tickets: list[str], query: str, kinds: list[str] | None
) -> None:
    resp = await client.get(f"/api/admin/tickets?{query}", headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    if kinds is None:
        assert len(body) == 1
    else:
        assert sorted(t["kind"] for t in body) == kinds


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("limit=abc", "limit"),
        ("customer_id=", "customer_id"),
        ("customer_id=a%20b", "customer_id"),
        ("order_id=" + "1" * 40, "order_id"),
        ("kind=DROP%20TABLE", "kind"),
    ],
)
async def test_bad_filters_are_400(client: Client, query: str, field: str) -> None:
    resp = await client.get(f"/api/admin/tickets?{query}", headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["field"] == field


async def test_token_bytes_that_are_not_utf8_get_401(client: Client) -> None:
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(
        b"GET /api/admin/tickets HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer \xff\xfe\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    response = await reader.read()
    writer.close()
    assert response.startswith(b"HTTP/1.1 401"), response[:200]


# One ticket and staff transitions ----------------------------------------------------------------
async def make_return(engine: AsyncEngine, key: str = "return:260402118830") -> str:
    ticket = await create_ticket(
        engine,
        kind="return",
        order_id="260402118830",
        customer_id=LIWEI,
        status="requested",
        category="no_reason",
        payload={"language": "zh", "rma": "RMA-1"},
        channel="web",
        sender_id="demo-liwei",
        idempotency_key=key,
    )
    return ticket.id


async def transition(client: Client, ticket_id: str, body: object, **kw: Any) -> Any:
    return await client.post(
        f"/api/admin/tickets/{ticket_id}/transition", json=body, headers=kw.get("headers", AUTH)
    )


async def test_list_keeps_the_contract_fields_and_adds_complaint_ones(
    client: Client, engine: AsyncEngine
) -> None:
    await make_return(engine)
    [ticket] = await (await client.get("/api/admin/tickets", headers=AUTH)).json()
    assert {"id", "kind", "order_id", "customer_id", "status", "category", "created_at"} <= set(
        ticket
    )
    assert ticket["severity"] is None and ticket["sla_due_at"] is None


async def test_ticket_detail_with_history(client: Client, engine: AsyncEngine) -> None:
    ticket_id = await make_return(engine)
    resp = await client.get(f"/api/admin/tickets/{ticket_id}", headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == ticket_id and body["status"] == "requested"
    assert body["allowed_transitions"] == ["approved", "cancelled", "rejected"]
    [created] = body["history"]
    assert created["from"] is None and created["to"] == "requested"
    assert created["actor"] == "customer" and created["ts"].endswith("+00:00")


async def test_staff_move_a_ticket_and_history_grows(client: Client, engine: AsyncEngine) -> None:
    ticket_id = await make_return(engine)
    steps = [
        ({"to": "approved", "staff": "王芳", "note": "照片清楚，同意退货"}, "staff:王芳"),
        ({"to": "item_received"}, "staff:admin"),
        ({"to": "refunded", "staff": "  "}, "staff:admin"),
        ({"to": "closed", "staff": "Tom Baker", "note": None}, "staff:Tom Baker"),
    ]
    for body, actor in steps:
        resp = await transition(client, ticket_id, body)
        assert resp.status == 200, await resp.text()
        data = await resp.json()
        assert data["changed"] is True and data["status"] == body["to"]
        assert data["history"][-1]["actor"] == actor
        assert data["history"][-1]["to"] == body["to"]
    detail = await (await client.get(f"/api/admin/tickets/{ticket_id}", headers=AUTH)).json()
    assert [e["to"] for e in detail["history"]] == [
        "requested",
        "approved",
        "item_received",
        "refunded",
        "closed",
    ]
    assert detail["history"][1]["note"] == "照片清楚，同意退货"
    assert detail["allowed_transitions"] == []
    listed = await (await client.get("/api/admin/tickets?kind=return", headers=AUTH)).json()
    assert listed[0]["status"] == "closed"


async def test_repeating_a_transition_changes_nothing(client: Client, engine: AsyncEngine) -> None:
    ticket_id = await make_return(engine)
    first = await (await transition(client, ticket_id, {"to": "approved"})).json()
    again = await transition(client, ticket_id, {"to": "approved"})
    assert again.status == 200
    body = await again.json()
    assert body["changed"] is False and len(body["history"]) == len(first["history"]) == 2


@pytest.mark.parametrize(
    ("to", "allowed"),
    [
        ("refunded", ["approved", "cancelled", "rejected"]),
        ("closed", ["approved", "cancelled", "rejected"]),
        ("in_progress", ["approved", "cancelled", "rejected"]),
        ("teleported", ["approved", "cancelled", "rejected"]),
    ],
)
async def test_invalid_transition_is_409(
    client: Client, engine: AsyncEngine, to: str, allowed: list[str]
) -> None:
    ticket_id = await make_return(engine)
    resp = await transition(client, ticket_id, {"to": to})
    assert resp.status == 409
    body = await resp.json()
    assert body["field"] == "to" and body["allowed_transitions"] == allowed
    assert body["status"] == "requested" and to in body["error"]
    detail = await (await client.get(f"/api/admin/tickets/{ticket_id}", headers=AUTH)).json()
    assert detail["status"] == "requested" and len(detail["history"]) == 1


async def test_unknown_ticket_is_404(client: Client) -> None:
    resp = await client.get("/api/admin/tickets/TK-19990101-0001", headers=AUTH)
    assert resp.status == 404 and (await resp.json())["field"] == "id"
    resp = await transition(client, "TK-19990101-0001", {"to": "closed"})
    assert resp.status == 404 and "TK-19990101-0001" in (await resp.json())["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "to"),
        ({"to": None}, "to"),
        ({"to": 3}, "to"),
        ({"to": ""}, "to"),
        ({"to": "Approved!"}, "to"),
        ({"to": "x" * 31}, "to"),
        ({"to": "approved", "note": 5}, "note"),
        ({"to": "approved", "note": "n" * 2001}, "note"),
        ({"to": "approved", "staff": ["a"]}, "staff"),
        ({"to": "approved", "staff": "a\nb"}, "staff"),
        ({"to": "approved", "staff": "s" * 101}, "staff"),
        ({"to": "approved", "status": "closed"}, "status"),
        (["approved"], "body"),
        ("approved", "body"),
    ],
)
async def test_bad_transition_bodies_are_400(
    client: Client, engine: AsyncEngine, body: object, field: str
) -> None:
    ticket_id = await make_return(engine)
    resp = await transition(client, ticket_id, body)
    assert resp.status == 400
    assert (await resp.json())["field"] == field
    detail = await (await client.get(f"/api/admin/tickets/{ticket_id}", headers=AUTH)).json()
    assert detail["status"] == "requested"


async def test_transition_body_must_be_json(client: Client, engine: AsyncEngine) -> None:
    ticket_id = await make_return(engine)
    url = f"/api/admin/tickets/{ticket_id}/transition"
    resp = await client.post(url, data="to=approved", headers=AUTH)
    assert resp.status == 400 and (await resp.json())["field"] == "Content-Type"
    resp = await client.post(
        url, data="{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert resp.status == 400 and (await resp.json())["field"] == "body"


@pytest.mark.parametrize("ticket_id", ["TK-1;DROP", "TK%20x", "x" * 41])
async def test_bad_ticket_ids_are_400(client: Client, ticket_id: str) -> None:
    resp = await client.get(f"/api/admin/tickets/{ticket_id}", headers=AUTH)
    assert resp.status == 400 and (await resp.json())["field"] == "id"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {ADMIN_TOKEN}"}],
    ids=["none", "wrong", "basic"],
)
async def test_ticket_endpoints_need_the_token(
    client: Client, engine: AsyncEngine, headers: dict[str, str]
) -> None:
    ticket_id = await make_return(engine)
    resp = await client.get(f"/api/admin/tickets/{ticket_id}", headers=headers)
    assert resp.status == 401 and "requested" not in await resp.text()
    resp = await transition(client, ticket_id, {"to": "approved"}, headers=headers)
    assert resp.status == 401
    [ticket] = await list_tickets(engine)
    assert ticket.status == "requested"


class RecordingNotifier:
    def __init__(self) -> None:
        self.calls: list[tuple[Ticket, TicketEvent]] = []

    async def notify(self, ticket: Ticket, event: TicketEvent) -> None:
        self.calls.append((ticket, event))


async def test_every_change_notifies_the_customer(
    tmp_path: Path, engine: AsyncEngine, fake_rasa: FakeRasa, actions_url: str
) -> None:
    cfg = make_config(tmp_path, rasa_url=fake_rasa.url, actions_url=actions_url)
    app = build_app(cfg, engine=engine)
    notifier = RecordingNotifier()
    app[NOTIFIER_KEY] = notifier
    ticket_id = await make_return(engine)
    async with TestClient(TestServer(app)) as client:
        for to in ("approved", "approved", "item_received"):
            assert (await transition(client, ticket_id, {"to": to, "note": "x"})).status == 200
        assert (await transition(client, ticket_id, {"to": "closed"})).status == 409
    assert [(t.status, e.from_status, e.to_status) for t, e in notifier.calls] == [
        ("approved", "requested", "approved"),
        ("item_received", "approved", "item_received"),
    ]
    ticket, event = notifier.calls[0]
    assert ticket.sender_id == "demo-liwei" and ticket.channel == "web"
    assert "已审核通过" in customer_notice(ticket, event, timezone="Asia/Shanghai")


async def test_a_status_change_reaches_the_customer_on_their_channel(
    client: Client, engine: AsyncEngine
) -> None:
    # The customer wrote on the web chat first, so the gateway knows where to reach them.
    await client.post("/api/chat", json={"sender_id": "demo-liwei", "text": "我要退货"})
    ticket_id = await make_return(engine)
    stream = await client.get("/api/chat/events?sender_id=demo-liwei")
    assert (await transition(client, ticket_id, {"to": "approved", "staff": "amy"})).status == 200
    async with asyncio.timeout(10):
        while True:
            line = (await stream.content.readline()).decode()
            if line.startswith("data: "):
                break
    notice = json.loads(line[6:])["text"]
    assert "RMA-1" in notice or ticket_id in notice
    assert any("\u4e00" <= ch <= "\u9fff" for ch in notice)  # in the customer's language
    stream.close()

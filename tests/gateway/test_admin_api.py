"""GET /api/admin/tickets: bearer token, JSON list, filters."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.tickets import create_ticket
from tests.gateway.helpers import ADMIN_TOKEN, Client, MakeClient
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

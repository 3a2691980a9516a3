"""``GET /api/admin/outbox``: dead-lettered bot messages (and the other delivery states)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.message import OutgoingMessage
from bot.core.outbox import NewMessage, Outbox, utcnow
from bot.storage.schema import outbox
from tests.gateway.helpers import ADMIN_TOKEN, Client

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
async def rows(engine: AsyncEngine) -> list[int]:
    box = Outbox(engine)
    ids = await box.add(
        [
            NewMessage("telegram:1", "telegram", "1", OutgoingMessage(text=f"m{i}"), "reply")
            for i in range(4)
        ]
    )
    now = utcnow()
    await box.claim(ids[0], now, 30)
    await box.queue.attempt_failed(ids[0], delay_s=None, now=now, error="blocked by the user")
    async with engine.begin() as conn:  # dead-lettered by an earlier version
        await conn.execute(update(outbox).where(outbox.c.id == ids[1]).values(status="failed"))
    await box.mark_sent(ids[2])
    return ids


async def test_lists_dead_rows_newest_first(client: Client, rows: list[int]) -> None:
    resp = await client.get("/api/admin/outbox?state=dead", headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert [r["id"] for r in body] == [rows[1], rows[0]]
    assert {r["state"] for r in body} == {"dead"}
    oldest = body[1]
    assert (oldest["attempts"], oldest["last_error"]) == (1, "blocked by the user")
    assert oldest["conversation_id"] == "telegram:1" and oldest["message"]["text"] == "m0"
    default = await (await client.get("/api/admin/outbox", headers=AUTH)).json()
    assert [r["id"] for r in default] == [rows[1], rows[0]]


@pytest.mark.parametrize(("state", "index"), [("sent", 2), ("pending", 3)])
async def test_other_states(client: Client, rows: list[int], state: str, index: int) -> None:
    resp = await client.get(f"/api/admin/outbox?state={state}", headers=AUTH)
    assert [r["id"] for r in await resp.json()] == [rows[index]]


async def test_limit_and_paging(client: Client, rows: list[int]) -> None:
    first = await (await client.get("/api/admin/outbox?limit=1", headers=AUTH)).json()
    assert [r["id"] for r in first] == [rows[1]]
    resp = await client.get(f"/api/admin/outbox?limit=1&before_id={rows[1]}", headers=AUTH)
    assert [r["id"] for r in await resp.json()] == [rows[0]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=failed", "state"),
        ("state=", "state"),
        ("state=DEAD", "state"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("limit=x", "limit"),
        ("before_id=-1", "before_id"),
    ],
)
async def test_bad_queries_are_400(client: Client, query: str, field: str) -> None:
    resp = await client.get(f"/api/admin/outbox?{query}", headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["field"] == field


async def test_needs_the_admin_token(client: Client, rows: list[int]) -> None:
    resp = await client.get("/api/admin/outbox?state=dead")
    assert resp.status == 401
    wrong = await client.get("/api/admin/outbox", headers={"Authorization": "Bearer no"})
    assert wrong.status == 401

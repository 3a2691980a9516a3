"""``POST /api/admin/proactive/run`` and ``GET /api/admin/proactive/notices`` on the gateway app
(the scheduler made in its start-up hook; a stalled parcel the test makes), and the handoff
waiting list ``GET /api/admin/handoffs``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.handoff.store import HandoffStore
from tests.core.test_proactive import Records
from tests.gateway.helpers import ADMIN_TOKEN, MakeClient

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def of(body: dict[str, object], order: str) -> list[str]:
    notices = body["notices"]
    assert isinstance(notices, list)
    return [n["outcome"] for n in notices if n["subject"] == order]


async def test_a_round_through_the_admin_api_tells_once(
    make_client: MakeClient, engine: AsyncEngine
) -> None:
    records = Records(engine, now=datetime.now(UTC))
    cid, conversation = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)  # no scan for 58 h
    client = await make_client(proactive={"quiet_hours": ""})

    dry = await client.post("/api/admin/proactive/run", json={"dry_run": True}, headers=AUTH)
    assert dry.status == 200
    body = await dry.json()
    assert body["dry_run"] is True and of(body, order) == ["queued"]
    assert await records.notices(order) == []

    done = await (await client.post("/api/admin/proactive/run", headers=AUTH)).json()
    assert of(done, order) == ["queued"]
    again = await (await client.post("/api/admin/proactive/run", headers=AUTH)).json()
    assert of(again, order) == ["duplicate"]
    assert len(await records.outbox_rows(conversation)) == 1

    listed = await client.get("/api/admin/proactive/notices?status=queued", headers=AUTH)
    assert listed.status == 200
    [notice] = [n for n in await listed.json() if n["subject"] == order]
    assert notice["reason"] == "stalled" and notice["customer_id"] == cid
    assert notice["staff_alert"] == "logged" and order in notice["text"]


async def test_bad_requests_name_the_field(make_client: MakeClient) -> None:
    client = await make_client()
    cases = [
        ("post", "/api/admin/proactive/run", {"dry_run": "yes"}, "dry_run"),
        ("post", "/api/admin/proactive/run", {"dryrun": True}, "dryrun"),
        ("get", "/api/admin/proactive/notices?status=sent", None, "status"),
        ("get", "/api/admin/proactive/notices?limit=0", None, "limit"),
    ]
    for method, path, body, field in cases:
        resp = await getattr(client, method)(path, json=body, headers=AUTH)
        assert resp.status == 400, path
        assert (await resp.json())["field"] == field
    assert (await client.post("/api/admin/proactive/run")).status == 401


async def test_the_handoff_queue_lists_the_longest_wait_first_without_a_model(
    make_client: MakeClient, engine: AsyncEngine, tmp_path: Path
) -> None:
    store = HandoffStore(engine)
    now = datetime.now(UTC)
    for n, waited in ((1, 2), (2, 9), (3, 5)):
        created = now - timedelta(minutes=waited)
        await store.create(
            {
                "conversation_id": f"web:queue-{n}",
                "channel": "web",
                "external_id": f"queue-{n}",
                "customer_id": None,
                "language": "en",
                "reason": "customer_request",
                "detail": {},
                "status": "waiting",
                "snapshot": {},
                "rasa_state": "running",
                "created_at": created,
                "updated_at": created,
            }
        )
    client = await make_client(handoff={"complaint_risk_model": str(tmp_path / "none.pkl")})
    resp = await client.get("/api/admin/handoffs?status=waiting", headers=AUTH)
    assert resp.status == 200
    body = await resp.json()
    assert [h["conversation_id"] for h in body] == ["web:queue-2", "web:queue-3", "web:queue-1"]
    assert body[0]["complaint_risk"] is None and body[0]["priority"] > body[1]["priority"]
    bad = await client.get("/api/admin/handoffs?status=done", headers=AUTH)
    assert bad.status == 400 and (await bad.json())["field"] == "status"

"""GET /api/admin/dashboard: every panel counted from records the test creates, on SQLite and
(with SHOP_TEST_POSTGRES_URL) PostgreSQL; the empty database, bad parameters, authentication;
parcels at risk by the slack rule and by a delay model trained here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.admin import dashboard_routes
from bot.admin import routes as admin_routes
from bot.config import Config, load_config
from bot.core.http import ENGINE_KEY, error_middleware
from bot.insight import delay, synth
from bot.services.dashboard import dashboard
from bot.storage.db import create_engine, create_schema
from bot.studio import accounts
from tests.admin.dashboard_records import Records
from tests.postgres import SERVER_URL, scratch_database

pytestmark = pytest.mark.timeout(120)

TOKEN = "dashboard-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TIMEZONE = "Asia/Shanghai"
Client = TestClient[Any, Any]


@dataclass
class Dashboard:
    client: Client
    engine: AsyncEngine
    cfg: Config
    tmp: Path


def make_cfg(tmp: Path) -> Config:
    return load_config(
        path=tmp / "no-config.yml",
        env={"ADMIN_TOKEN": TOKEN},
        overrides={
            "shop": {"timezone": TIMEZONE},
            "insight": {
                "delay_model": str(tmp / "delay.pkl"),
                "segments_summary": str(tmp / "segments.json"),
            },
        },
    )


@pytest.fixture
async def board(tmp_path: Path) -> AsyncIterator[Dashboard]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    await create_schema(engine)
    cfg = make_cfg(tmp_path)
    app = web.Application(middlewares=[error_middleware])
    app[ENGINE_KEY] = engine
    admin_routes.setup(app, admin_token=TOKEN)
    dashboard_routes.setup(app, cfg)
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    yield Dashboard(client, engine, cfg, tmp_path)
    await client.close()
    await engine.dispose()


async def get(board: Dashboard, query: str = "", **headers: str) -> tuple[int, dict[str, Any]]:
    response = await board.client.get(
        f"/api/admin/dashboard{query}", headers=headers if headers else AUTH
    )
    return response.status, await response.json()


# --- empty database, parameters, authentication --------------------------------------------------
async def test_an_empty_database_gives_zeros_and_the_segments_hint(board: Dashboard) -> None:
    status, body = await get(board)
    assert status == 200, body
    assert body["days"] == 30 and len(body["sentiment"]["days"]) == 30
    assert body["sentiment"]["days"][-1]["day"] == datetime.now(UTC).date().isoformat()
    assert body["automation"] == {
        "conversations": 0,
        "without_person": 0,
        "share_without_person": None,
        "conversations_with_handoff": 0,
        "handoffs": 0,
    }
    assert body["handoffs"]["ratings"] == {
        "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
        "rated": 0,
        "mean": None,
    }
    assert body["complaints"] == {"total": 0, "by_category": [], "by_severity": []}
    assert body["sentiment"]["scored"] == 0
    segments = body["segments"]
    assert segments["segments"] == [] and "python -m bot segments" in segments["hint"]["en"]
    assert "python -m bot segments" in segments["hint"]["zh"]
    assert body["parcels_at_risk"] == {
        "scored_by": "slack_rule",
        "model_file": None,
        "model_error": None,
        "open": 0,
        "parcels": [],
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?days=0", "days"),
        ("?days=366", "days"),
        ("?days=abc", "days"),
        ("?days=-3", "days"),
        ("?days=7.5", "days"),
        ("?days=", "days"),
        ("?days=7&days=30", "days"),
        ("?window=7", "window"),
    ],
)
async def test_bad_parameters_are_a_400_naming_them(
    board: Dashboard, query: str, field: str
) -> None:
    status, body = await get(board, query)
    assert status == 400 and body["field"] == field, body


@pytest.mark.parametrize("days", [1, 7, 365])
async def test_the_window_has_one_sentiment_point_per_day(board: Dashboard, days: int) -> None:
    status, body = await get(board, f"?days={days}")
    assert status == 200 and body["days"] == days and len(body["sentiment"]["days"]) == days
    first = date.fromisoformat(body["from"])
    assert (date.fromisoformat(body["to"]) - first).days == days - 1


async def test_without_credentials_it_is_a_401_and_any_role_may_read(board: Dashboard) -> None:
    response = await board.client.get("/api/admin/dashboard")
    assert response.status == 401 and "error" in await response.json()
    status, _ = await get(board, Authorization="Bearer wrong-token")
    assert status == 401
    status, _ = await get(board, Cookie="shop_admin_session=unknown")
    assert status == 401
    await accounts.add_user(board.engine, "rita", "reviewer", "correct horse battery")
    session = await accounts.login(board.engine, "rita", "correct horse battery", hours=1)
    assert session is not None
    status, body = await get(board, Cookie=f"shop_admin_session={session.token}")
    assert status == 200 and body["days"] == 30


async def test_the_page_and_its_files_are_served_with_a_strict_policy(board: Dashboard) -> None:
    page = await board.client.get("/admin/dashboard")
    assert page.status == 200 and page.content_type == "text/html"
    html = await page.text()
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    assert "http://" not in html.replace('"http://www.w3.org', "") and "https://" not in html
    assert "data-labels=" in html and "{{labels}}" not in html
    assert "客服数据看板" in html  # the labels in both languages come with the page
    for name, kind in (("dashboard.js", "application/javascript"), ("dashboard.css", "text/css")):
        asset = await board.client.get(f"/admin/dashboard/{name}")
        assert asset.status == 200 and asset.content_type == kind
        assert "http://" not in (await asset.text()).replace("http://www.w3.org/2000/svg", "")
    missing = await board.client.get("/admin/dashboard/secrets.py")
    assert missing.status == 404


# --- every panel from created records ----------------------------------------------------------
async def create_panel_records(engine: AsyncEngine, now: datetime) -> None:
    r = Records(engine, now)
    bot_only = [await r.conversation(days_ago=1) for _ in range(3)]
    assert bot_only
    asked = await r.conversation(days_ago=2)
    await r.handoff(asked, reason="customer_request", days_ago=2, rating=5, sentiment=-0.1)
    angry = await r.conversation(days_ago=3, messages_in=4)
    await r.handoff(angry, reason="negative_sentiment", days_ago=3, rating=2, sentiment=-0.9)
    again = await r.conversation(days_ago=3)
    await r.handoff(again, reason="customer_request", days_ago=3, rating=4)
    # A handoff 20 days ago: in the 30-day window, not in the 7-day one.
    old = await r.conversation(days_ago=20)
    await r.handoff(old, reason="vip", days_ago=20, rating=1, sentiment=-0.5)
    # Outside both windows.
    ancient = await r.conversation(days_ago=120)
    await r.handoff(ancient, reason="vip", days_ago=120, rating=1)
    await r.complaint(category="delivery_delay", severity="high", days_ago=1, sentiment=-0.6)
    await r.complaint(category="delivery_delay", severity="medium", days_ago=2)
    await r.complaint(category="quality_defect", severity="high", days_ago=3, sentiment=0.2)
    await r.complaint(category=None, severity=None, days_ago=4)
    await r.complaint(category="quality_defect", severity="critical", days_ago=25)
    # Not complaints: never counted.
    await r.complaint(category="size", severity=None, days_ago=1, kind="return", sentiment=-1.0)


async def check_panels(engine: AsyncEngine, tmp: Path) -> None:
    now = datetime.now(UTC)
    await create_panel_records(engine, now)

    async def board(days: int) -> dict[str, Any]:
        return await dashboard(
            engine,
            days=days,
            timezone=TIMEZONE,
            promise_days=3,
            delay_model=tmp / "no-model.pkl",
            segments_summary=tmp / "no-summary.json",
            now=now,
        )

    week = await board(7)
    assert week["automation"] == {
        "conversations": 6,
        "without_person": 3,
        "share_without_person": 0.5,
        "conversations_with_handoff": 3,
        "handoffs": 3,
    }
    assert week["handoffs"]["by_reason"] == [
        {"reason": "customer_request", "count": 2},
        {"reason": "negative_sentiment", "count": 1},
    ]
    assert week["handoffs"]["ratings"] == {
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
        "rated": 3,
        "mean": 3.67,
    }
    assert week["complaints"]["total"] == 4
    categories = week["complaints"]["by_category"]
    assert categories[0] == {"category": "delivery_delay", "count": 2}
    assert {c["category"]: c["count"] for c in categories} == {
        "delivery_delay": 2,
        "quality_defect": 1,
        None: 1,
    }
    severities = {s["severity"]: s["count"] for s in week["complaints"]["by_severity"]}
    assert severities == {"high": 2, "medium": 1, None: 1}
    # Scores in the week: handoffs -0.1 and -0.9, complaints -0.6 and 0.2 (not the return's).
    scored = [d for d in week["sentiment"]["days"] if d["n"]]
    assert week["sentiment"]["scored"] == 4 == sum(d["n"] for d in scored)
    assert sum(d["mean"] * d["n"] for d in scored) == pytest.approx(-0.1 - 0.9 - 0.6 + 0.2)
    assert sum(round(d["share_negative"] * d["n"]) for d in scored) == 2  # -0.9 and -0.6
    assert all(
        d["mean"] is None and d["share_negative"] is None
        for d in week["sentiment"]["days"]
        if not d["n"]
    )

    month = await board(30)
    assert month["automation"]["conversations"] == 7
    assert month["automation"]["handoffs"] == 4
    assert {r["reason"]: r["count"] for r in month["handoffs"]["by_reason"]}["vip"] == 1
    assert month["handoffs"]["ratings"]["histogram"]["1"] == 1
    assert month["complaints"]["total"] == 5
    assert month["sentiment"]["scored"] == 5  # and the old handoff's -0.5

    year = await board(365)
    assert year["automation"]["handoffs"] == 5 and year["automation"]["conversations"] == 8


async def test_every_panel_counts_the_created_records_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'panels.db'}")
    try:
        await create_schema(engine)
        await check_panels(engine, tmp_path)
    finally:
        await engine.dispose()


@pytest.mark.skipif(not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run on PostgreSQL")
async def test_every_panel_counts_the_created_records_on_postgres(tmp_path: Path) -> None:
    async with scratch_database("dashboard_test") as url:
        engine = create_engine(url)
        try:
            await create_schema(engine)
            await check_panels(engine, tmp_path)
            await check_segments_and_parcels(engine, tmp_path)
        finally:
            await engine.dispose()


# --- segments and parcels ----------------------------------------------------------------------
def write_summary(path: Path) -> None:
    path.write_text(
        json.dumps(
            {
                "segments": [
                    {
                        "key": "loyal_big_spenders",
                        "name": {"en": "Loyal big spenders", "zh": "忠实高消费客户"},
                        "explanation": {"en": "Many orders", "zh": "订单多"},
                        "size": 2,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )


async def check_segments_and_parcels(engine: AsyncEngine, tmp: Path) -> None:
    now = datetime.now(UTC)
    r = Records(engine, now)
    big = [await r.customer(segment="loyal_big_spenders") for _ in range(2)]
    await r.order(big[0], total_cents=50_000)
    await r.order(big[0], total_cents=30_000)
    await r.order(big[1], total_cents=20_000)
    await r.order(big[1], status="cancelled", total_cents=99_900)  # not spent
    await r.order(big[1], status="pending_payment", total_cents=99_900)  # not spent
    quiet = await r.customer(segment="no_orders_yet")
    assert quiet
    await r.customer(segment=None)  # not segmented: not in the table
    late = await r.order(big[0], status="in_transit", shipped_days_ago=5, eta_in_days=-2)
    soon = await r.order(big[1], status="shipped", shipped_days_ago=1, eta_in_days=1)
    later = await r.order(big[1], status="shipped", shipped_days_ago=0.5, eta_in_days=4)
    # No ETA: promised on the purchase day + 3 days (purchase 1.5 days ago).
    no_eta = await r.order(big[0], status="in_transit", shipped_days_ago=0.5)
    summary = tmp / "segments.json"
    write_summary(summary)

    body = await dashboard(
        engine,
        days=30,
        timezone=TIMEZONE,
        promise_days=3,
        delay_model=tmp / "no-model.pkl",
        segments_summary=summary,
        now=now,
    )
    segments = body["segments"]
    assert segments["hint"] is None and segments["customers"] == 3
    rows = {s["key"]: s for s in segments["segments"]}
    assert rows["loyal_big_spenders"]["name"] == {
        "en": "Loyal big spenders",
        "zh": "忠实高消费客户",
    }
    assert rows["loyal_big_spenders"]["size"] == 2
    assert rows["loyal_big_spenders"]["share"] == pytest.approx(0.6667)
    # 500 + 300 + 200 yuan paid, plus the parcels on their way (paid, 100 yuan each) over 2.
    assert rows["loyal_big_spenders"]["mean_spend"] == pytest.approx((1000 + 400) / 2)
    assert rows["no_orders_yet"]["mean_spend"] == 0.0
    assert rows["no_orders_yet"]["name"] == {"en": "no_orders_yet", "zh": "no_orders_yet"}

    parcels = body["parcels_at_risk"]
    assert parcels["scored_by"] == "slack_rule" and parcels["open"] == 4
    order = [p["order_id"] for p in parcels["parcels"]]
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    by_id = {p["order_id"]: p for p in parcels["parcels"]}
    no_eta_promise = (now - timedelta(days=1.5)).astimezone(ZoneInfo(TIMEZONE)).date()
    assert by_id[no_eta]["promised_date"] == (no_eta_promise + timedelta(days=3)).isoformat()
    assert order[0] == late and order.index(soon) < order.index(later)
    assert by_id[late]["days_left"] < 0 and by_id[late]["risk"] is None
    assert "past the promised date" in by_id[late]["reasons"][0]["en"]
    assert "已超过承诺送达日" in by_id[late]["reasons"][0]["zh"]
    assert (
        by_id[later]["days_left"]
        == (date.fromisoformat(by_id[later]["promised_date"]) - today).days
    )

    # With a delay model file: scored by the model, the late parcel first at risk 1.
    model_path = tmp / "delay.pkl"
    train_tiny_model(model_path)
    scored = await dashboard(
        engine,
        days=30,
        timezone=TIMEZONE,
        promise_days=3,
        delay_model=model_path,
        segments_summary=summary,
        now=now,
    )
    risk = scored["parcels_at_risk"]
    assert risk["scored_by"] == "model" and risk["model_file"] == str(model_path)
    assert risk["parcels"][0]["order_id"] == late and risk["parcels"][0]["risk"] == 1.0
    for parcel in risk["parcels"][1:]:
        assert 0.0 <= parcel["risk"] < 1.0
        assert all(set(reason) == {"en", "zh"} for reason in parcel["reasons"])
    risks = [p["risk"] for p in risk["parcels"]]
    assert risks == sorted(risks, reverse=True)


def train_tiny_model(path: Path) -> None:
    shipments, _ = delay.parse_olist(synth.olist_orders(n=400, seed=7))
    x = delay.feature_matrix(shipments, delay.History(shipments))
    y = np.array([s.late for s in shipments], dtype=int)
    grid = {"learning_rate": (0.1,), "max_leaf_nodes": (3,), "l2_regularization": (1.0,)}
    model, _ = delay.fit(x, y, grid)
    delay.save(model, path)


async def test_segments_and_parcels_at_risk_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'parcels.db'}")
    try:
        await create_schema(engine)
        await check_segments_and_parcels(engine, tmp_path)
    finally:
        await engine.dispose()


async def test_the_api_answers_with_the_configured_model_and_summary(board: Dashboard) -> None:
    r = Records(board.engine, datetime.now(UTC))
    customer = await r.customer(segment="loyal_big_spenders")
    parcel = await r.order(customer, status="in_transit", shipped_days_ago=3, eta_in_days=-1)
    write_summary(board.tmp / "segments.json")
    train_tiny_model(board.tmp / "delay.pkl")
    status, body = await get(board, "?days=7")
    assert status == 200, body
    assert body["segments"]["segments"][0]["name"]["zh"] == "忠实高消费客户"
    assert body["parcels_at_risk"]["scored_by"] == "model"
    assert body["parcels_at_risk"]["parcels"][0]["order_id"] == parcel


async def test_an_unreadable_model_file_falls_back_to_the_slack_rule(board: Dashboard) -> None:
    r = Records(board.engine, datetime.now(UTC))
    customer = await r.customer()
    parcel = await r.order(customer, status="shipped", shipped_days_ago=1, eta_in_days=2)
    (board.tmp / "delay.pkl").write_bytes(b"not a pickle")
    status, body = await get(board)
    assert status == 200, body
    risk = body["parcels_at_risk"]
    assert risk["scored_by"] == "slack_rule" and "delay.pkl" in risk["model_error"]
    assert [p["order_id"] for p in risk["parcels"]] == [parcel]


async def test_without_admin_token_a_session_still_reads_the_dashboard(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-token.db'}")
    await create_schema(engine)
    app = web.Application(middlewares=[error_middleware])
    app[ENGINE_KEY] = engine
    admin_routes.setup(app, admin_token=None)
    dashboard_routes.setup(app, make_cfg(tmp_path))
    client: Client = TestClient(TestServer(app))
    await client.start_server()
    try:
        off = await client.get("/api/admin/dashboard")
        assert off.status == 503 and "ADMIN_TOKEN" in (await off.json())["error"]
        await accounts.add_user(engine, "mei", "editor", "correct horse battery")
        session = await accounts.login(engine, "mei", "correct horse battery", hours=1)
        assert session is not None
        response = await client.get(
            "/api/admin/dashboard?days=7", headers={"Cookie": f"shop_admin_session={session.token}"}
        )
        assert response.status == 200 and (await response.json())["days"] == 7
    finally:
        await client.close()
        await engine.dispose()

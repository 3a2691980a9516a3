"""The proactive scheduler on records the tests make: stalled and late parcels, quiet hours,
back in stock, the staff alert, and at most one notice per (subject, reason, customer), also
when two rounds run at once (SQLite here, PostgreSQL in test_proactive_postgres.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.core.proactive import ProactiveScheduler, RunReport
from bot.services.proactive import (
    DelayScorer,
    Offer,
    Parcel,
    QuietHours,
    Settings,
    assess_parcel,
    delivered_history,
    open_parcels,
    record_stock_ask,
)
from bot.storage.db import create_engine, create_schema
from bot.storage.schema import (
    conversations,
    customers,
    orders,
    outbox,
    proactive_notices,
    products,
    shipment_events,
)

TZ = "Asia/Shanghai"
# 12:00 in Shanghai: outside the default quiet hours (22:00-08:00).
NOON = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)
_ids = itertools.count(1)


class FixedScorer(DelayScorer):
    """A delay model that says ``risk`` for every parcel (None: no model)."""

    def __init__(self, risk: float | None) -> None:
        super().__init__(Path("/nonexistent"))
        self.risk = risk

    async def risks(self, parcels: Sequence[Parcel], history: Sequence[Any]) -> dict[str, float]:
        if self.risk is None:
            return {}
        return {p.order_id: self.risk for p in parcels}


class Alerts:
    def __init__(self) -> None:
        self.posted: list[str] = []

    async def post_alert(self, text: str) -> None:
        self.posted.append(text)


class Records:
    """Customers, conversations, parcels and products, written straight into the tables."""

    def __init__(self, engine: AsyncEngine, now: datetime = NOON) -> None:
        self.engine = engine
        self.now = now

    async def customer(
        self, language: str = "en", *, channel: str | None = "telegram", chat: str | None = None
    ) -> tuple[str, str | None]:
        """A customer and (unless ``channel`` is None) the conversation they last wrote in."""
        n = next(_ids)
        cid = f"TP{n:05d}"
        conversation_id = None
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(customers).values(
                    id=cid, name=f"Test {n}", language=language, created_at=self.now
                )
            )
            if channel is not None:
                external = chat or str(900_000 + n)
                conversation_id = f"{channel}:{external}"
                await conn.execute(
                    insert(conversations).values(
                        conversation_id=conversation_id,
                        channel=channel,
                        external_id=external,
                        address={"chat_id": int(external)} if channel == "telegram" else {},
                        customer_id=cid,
                        language=language,
                        owner="bot",
                        created_at=self.now - timedelta(days=3),
                        updated_at=self.now - timedelta(days=1),
                    )
                )
        return cid, conversation_id

    async def parcel(
        self, customer_id: str, *, shipped_days_ago: float, promise_days: float = 3
    ) -> str:
        """An order in transit: picked up when shipped, departed 4 h and arrived 14 h later
        (the events up to now), promised ``promise_days`` after shipping."""
        order_id = f"8{next(_ids):011d}"
        shipped = self.now - timedelta(days=shipped_days_ago)
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(orders).values(
                    id=order_id,
                    customer_id=customer_id,
                    status="in_transit",
                    created_at=shipped - timedelta(hours=20),
                    paid_at=shipped - timedelta(hours=19),
                    shipped_at=shipped,
                    total_cents=9_900,
                    recipient="Test",
                    phone="19900000000",
                    shipping_address="Shanghai",
                    carrier="SF Express",
                    tracking_number="SF1234567890123",
                    eta=shipped + timedelta(days=promise_days),
                )
            )
            for status, hours, where in (
                ("picked_up", 0, ("Hangzhou", "杭州")),
                ("departed", 4, ("Hangzhou sorting centre", "杭州转运中心")),
                ("arrived", 14, ("Shanghai sorting centre", "上海转运中心")),
            ):
                ts = shipped + timedelta(hours=hours)
                if ts <= self.now:
                    await conn.execute(
                        insert(shipment_events).values(
                            order_id=order_id,
                            ts=ts,
                            status=status,
                            location_en=where[0],
                            location_zh=where[1],
                        )
                    )
        return order_id

    async def product(self, stock: int) -> str:
        product_id = f"PX{next(_ids):05d}"
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(products).values(
                    id=product_id,
                    name_en="Trail Runner Shoes",
                    name_zh="越野跑鞋",
                    category="sports",
                    price_cents=39_900,
                    stock=stock,
                )
            )
        return product_id

    async def notices(self, subject: str) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(proactive_notices).where(proactive_notices.c.subject == subject)
                    )
                ).all()
            )

    async def outbox_rows(self, conversation_id: str | None) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(
                (
                    await conn.execute(
                        select(outbox).where(outbox.c.conversation_id == conversation_id)
                    )
                ).all()
            )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'proactive.db'}")
    await create_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def scheduler(
    engine: AsyncEngine,
    cfg: Config,
    *,
    now: datetime = NOON,
    risk: float | None = None,
    alerts: Alerts | None = None,
    **proactive: Any,
) -> ProactiveScheduler:
    settings = dataclasses.replace(cfg.proactive, **proactive) if proactive else cfg.proactive
    return ProactiveScheduler(
        engine,
        dataclasses.replace(cfg, proactive=settings),
        alerts=alerts,
        clock=lambda: now,
        scorer=FixedScorer(risk),
    )


def mine(report: RunReport, subject: str) -> list[str]:
    return [p.outcome for p in report.planned if p.finding.subject == subject]


# --- the rules ------------------------------------------------------------------------------------
def _parcel(last_scan_hours: float, eta_in_hours: float | None) -> Parcel:
    return Parcel(
        order_id="900000000001",
        customer_id="C1",
        carrier="SF Express",
        created_at=NOON - timedelta(days=3),
        paid_at=None,
        shipped_at=NOON - timedelta(days=2),
        eta=NOON + timedelta(hours=eta_in_hours) if eta_in_hours is not None else None,
        last_scan_at=NOON - timedelta(hours=last_scan_hours),
        last_location=("Shanghai sorting centre", "上海转运中心"),
    )


@pytest.mark.parametrize(
    ("last_scan_h", "eta_in_h", "risk", "expected"),
    [
        (47.9, 30, None, None),  # moving, promise ahead, no model
        (48.0, 30, None, "stalled"),  # exactly stall_hours without a scan
        (60, -5, 0.9, "stalled"),  # stalled wins over late
        (5, -1, None, "delay_risk"),  # past the promised date: risk 1 without a model
        (5, 30, 0.6, "delay_risk"),  # the model at the threshold
        (5, 30, 0.59, None),  # just under it
    ],
)
def test_a_parcel_is_stalled_or_at_risk_by_the_thresholds(
    cfg: Config, last_scan_h: float, eta_in_h: float, risk: float | None, expected: str | None
) -> None:
    settings = Settings.from_config(
        dataclasses.replace(
            cfg, proactive=dataclasses.replace(cfg.proactive, stall_hours=48, delay_threshold=0.6)
        )
    )
    found = assess_parcel(_parcel(last_scan_h, eta_in_h), NOON, settings, risk)
    assert (found.reason if found else None) == expected
    if found is not None and found.reason == "delay_risk":
        assert found.detail["overdue"] == (eta_in_h < 0)


def test_quiet_hours_hold_until_they_end() -> None:
    quiet = QuietHours.parse("22:00-08:00", TZ)
    # 23:30 Shanghai -> 08:00 next morning; 03:00 -> 08:00 the same morning; noon -> now.
    assert quiet.hold_until(datetime(2026, 4, 21, 15, 30, tzinfo=UTC)) == datetime(
        2026, 4, 22, 0, 0, tzinfo=UTC
    )
    assert quiet.hold_until(datetime(2026, 4, 20, 19, 0, tzinfo=UTC)) == datetime(
        2026, 4, 21, 0, 0, tzinfo=UTC
    )
    assert quiet.hold_until(NOON) is None
    assert quiet.hold_until(datetime(2026, 4, 21, 0, 0, tzinfo=UTC)) is None  # 08:00 sharp
    day = QuietHours.parse("12:00-14:00", TZ)
    assert day.hold_until(NOON) == datetime(2026, 4, 21, 6, 0, tzinfo=UTC)
    assert QuietHours.parse("", TZ).hold_until(NOON) is None


def test_the_offer_comes_from_the_after_sales_config(cfg: Config) -> None:
    coupon = Offer.from_config(dataclasses.replace(cfg.aftersales, delay_coupon=15))
    assert "¥15.00" in coupon.customer_text("en") and "¥15.00" in coupon.customer_text("zh")
    assert "If it does arrive late" in coupon.customer_text("en")
    assert "To make up for it" in coupon.customer_text("en", late=True)
    free = Offer.from_config(dataclasses.replace(cfg.aftersales, delay_offer="free_return"))
    assert "return it for free" in free.customer_text("en")
    assert (
        Offer.from_config(dataclasses.replace(cfg.aftersales, delay_offer="none")).customer_text(
            "en"
        )
        == ""
    )
    with pytest.raises(ValueError, match="delay_offer"):
        Offer.from_config(dataclasses.replace(cfg.aftersales, delay_offer="cash"))


# --- rounds on the database -----------------------------------------------------------------------
async def test_a_stalled_parcel_is_told_once_in_the_customers_language(
    db: AsyncEngine, cfg: Config
) -> None:
    records = Records(db)
    cid, conversation = await records.customer("zh")
    stalled = await records.parcel(cid, shipped_days_ago=2.9)  # last scan 55.6 h ago
    moving = await records.parcel(cid, shipped_days_ago=1)  # last scan 10 h ago
    alerts = Alerts()
    first = await scheduler(db, cfg, alerts=alerts).run_once()
    assert mine(first, stalled) == ["queued"]
    assert mine(first, moving) == []
    sent = await records.outbox_rows(conversation)
    assert len(sent) == 1
    text = sent[0].message["text"]
    assert stalled in text and "物流信息" in text and "¥10.00" in text
    assert sent[0].kind == "notice" and sent[0].address["chat_id"] > 0
    [notice] = await records.notices(stalled)
    assert (notice.status, notice.reason, notice.outbox_id) == ("queued", "stalled", sent[0].id)
    assert notice.staff_alert == "slack"
    assert len(alerts.posted) == 1 and stalled in alerts.posted[0]

    again = await scheduler(db, cfg, alerts=alerts).run_once()
    assert mine(again, stalled) == ["duplicate"]
    assert len(await records.outbox_rows(conversation)) == 1
    assert len(alerts.posted) == 1


async def test_delay_risk_over_the_threshold_is_told_and_under_it_is_not(
    db: AsyncEngine, cfg: Config
) -> None:
    records = Records(db)
    cid, conversation = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=1)
    low = await scheduler(db, cfg, risk=0.5, delay_threshold=0.7).run_once()
    assert mine(low, order) == []
    high = await scheduler(db, cfg, risk=0.8, delay_threshold=0.7).run_once()
    assert mine(high, order) == ["queued"]
    [row] = await records.outbox_rows(conversation)
    assert "likely to arrive after the promised date" in row.message["text"]
    [notice] = await records.notices(order)
    assert notice.detail["risk"] == 0.8 and notice.detail["offer"]["kind"] == "coupon"
    assert notice.staff_alert == "logged"  # no Slack desk


async def test_a_customer_who_never_wrote_is_recorded_for_staff_only(
    db: AsyncEngine, cfg: Config
) -> None:
    records = Records(db)
    cid, _ = await records.customer("en", channel=None)
    order = await records.parcel(cid, shipped_days_ago=4)
    report = await scheduler(db, cfg).run_once()
    assert mine(report, order) == ["no_channel"]
    [notice] = await records.notices(order)
    assert notice.outbox_id is None and notice.language == "en"


async def test_quiet_hours_hold_the_message_and_a_later_round_sends_it_once(
    db: AsyncEngine, cfg: Config
) -> None:
    night = datetime(2026, 4, 21, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    records = Records(db, now=night)
    cid, conversation = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)
    held = await scheduler(db, cfg, now=night).run_once()
    assert mine(held, order) == ["held"]
    assert await records.outbox_rows(conversation) == []
    still_night = await scheduler(db, cfg, now=night + timedelta(hours=5)).run_once()
    assert still_night.released == 0 and mine(still_night, order) == ["duplicate"]
    morning = night + timedelta(hours=9)  # 08:30
    after = await scheduler(db, cfg, now=morning).run_once()
    assert after.released == 1
    [row] = await records.outbox_rows(conversation)
    assert order in row.message["text"]
    [notice] = await records.notices(order)
    assert notice.status == "queued" and notice.outbox_id == row.id
    later = await scheduler(db, cfg, now=morning + timedelta(hours=1)).run_once()
    assert later.released == 0
    assert len(await records.outbox_rows(conversation)) == 1


async def test_a_dry_run_writes_nothing(db: AsyncEngine, cfg: Config) -> None:
    records = Records(db)
    cid, conversation = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)
    report = await scheduler(db, cfg).run_once(dry_run=True)
    assert mine(report, order) == ["queued"]
    assert await records.notices(order) == []
    assert await records.outbox_rows(conversation) == []


async def test_back_in_stock_is_told_once_after_the_restock(db: AsyncEngine, cfg: Config) -> None:
    records = Records(db)
    cid, conversation = await records.customer("zh")
    product = await records.product(stock=0)
    await record_stock_ask(db, cid, product, NOON - timedelta(days=2))
    await record_stock_ask(db, cid, product, NOON - timedelta(days=1))  # asked again: one ask
    sold_out = await scheduler(db, cfg).run_once()
    assert mine(sold_out, product) == []
    async with db.begin() as conn:
        await conn.execute(update(products).where(products.c.id == product).values(stock=5))
    restocked = await scheduler(db, cfg).run_once()
    assert mine(restocked, product) == ["queued"]
    [row] = await records.outbox_rows(conversation)
    assert "越野跑鞋" in row.message["text"] and "到货" in row.message["text"]
    again = await scheduler(db, cfg).run_once()
    assert mine(again, product) == []  # already told: not even a finding
    assert len(await records.outbox_rows(conversation)) == 1


async def test_an_old_ask_is_not_followed_up(db: AsyncEngine, cfg: Config) -> None:
    records = Records(db)
    cid, _ = await records.customer("en")
    product = await records.product(stock=3)
    await record_stock_ask(db, cid, product, NOON - timedelta(days=cfg.proactive.ask_days + 1))
    report = await scheduler(db, cfg).run_once()
    assert mine(report, product) == []


async def concurrent_rounds_tell_once(url: str, cfg: Config, schema_on: AsyncEngine) -> None:
    """Two schedulers on two engines (two gateways) round at the same time, then the notice
    is written by two handlers at once past the lock: one notice, one outbox row."""
    records = Records(schema_on)
    cid, conversation = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)
    other = await records.parcel(cid, shipped_days_ago=3.5)
    a, b = create_engine(url), create_engine(url)
    try:
        first, second = await asyncio.gather(
            scheduler(a, cfg).run_once(), scheduler(b, cfg).run_once()
        )
        outcomes = sorted(mine(first, order) + mine(second, order))
        assert outcomes.count("queued") == 1, outcomes
        # Past the cluster lock: the unique key alone keeps it to once.
        s1, s2 = scheduler(a, cfg), scheduler(b, cfg)
        [finding] = [f for f in await s1.findings(NOON) if f.subject == other]
        results = await asyncio.gather(
            s1.handle(finding, NOON, dry_run=False),
            s2.handle(finding, NOON, dry_run=False),
            return_exceptions=True,
        )
        queued = [r for r in results if not isinstance(r, BaseException) and r.outcome == "queued"]
        assert len(queued) <= 1, results
    finally:
        await a.dispose()
        await b.dispose()
    async with schema_on.connect() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(proactive_notices)
            .where(proactive_notices.c.subject.in_((order, other)))
        )
    assert count in (1, 2)
    assert len(await records.notices(order)) == 1
    assert len(await records.notices(other)) <= 1
    # Every notice has its one outbox row, and no outbox row is without its notice.
    assert len(await records.outbox_rows(conversation)) == count


async def test_two_concurrent_rounds_on_sqlite_tell_once(tmp_path: Path, cfg: Config) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'two.db'}"
    engine = create_engine(url)
    await create_schema(engine)
    try:
        await concurrent_rounds_tell_once(url, cfg, engine)
    finally:
        await engine.dispose()


async def test_a_customers_notices_and_asks_are_exported_and_erased(
    db: AsyncEngine, cfg: Config, tmp_path: Path
) -> None:
    from bot.services import privacy_erase, privacy_export

    records = Records(db)
    cid, _ = await records.customer("en")
    order = await records.parcel(cid, shipped_days_ago=3)
    product = await records.product(stock=0)
    await record_stock_ask(db, cid, product, NOON)
    await scheduler(db, cfg).run_once()
    exported = await privacy_export.export(db, cid, actor="staff:Ann", now=NOON)
    assert [n["subject"] for n in exported["proactive_notices"]] == [order]
    assert [a["product_id"] for a in exported["stock_asks"]] == [product]
    await privacy_erase.erase(db, cid, actor="staff:Ann", media_dir=tmp_path, now=NOON)
    assert await records.notices(order) == []
    again = await privacy_export.export(db, cid, actor="staff:Ann", now=NOON)
    assert again["proactive_notices"] == [] and again["stock_asks"] == []


async def test_a_trained_delay_model_scores_open_parcels(db: AsyncEngine, tmp_path: Path) -> None:
    """The scheduler's real scorer: a model trained by bot.insight.delay, loaded from its file,
    gives each open parcel with a promise a probability; without the file it gives none."""
    import numpy as np

    from bot.insight import delay, synth

    shipments, _ = delay.parse_olist(synth.olist_orders(n=1500, seed=3))
    x = delay.feature_matrix(shipments, delay.History(shipments))
    y = np.array([s.late for s in shipments], dtype=int)
    model, _ = delay.fit(
        x, y, {"learning_rate": (0.1,), "max_leaf_nodes": (7,), "l2_regularization": (1.0,)}
    )
    path = tmp_path / "delay.pkl"
    delay.save(model, path)

    records = Records(db)
    cid, _ = await records.customer("en")
    tight = await records.parcel(cid, shipped_days_ago=1, promise_days=1.2)
    roomy = await records.parcel(cid, shipped_days_ago=1, promise_days=9)
    async with db.connect() as conn:
        parcels = [p for p in await open_parcels(conn) if p.order_id in (tight, roomy)]
        history = await delivered_history(conn, NOON)
    risks = await DelayScorer(path).risks(parcels, history)
    assert set(risks) == {tight, roomy}
    assert all(0.0 <= r <= 1.0 for r in risks.values())
    assert risks[tight] >= risks[roomy]  # less time left never lowers the risk
    assert await DelayScorer(tmp_path / "missing.pkl").risks(parcels, history) == {}

"""The demo shop: README demo records, realistic shape, determinism, seeding rules."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services import orders as order_service
from bot.services.customers import get_customer, resolve_customer
from bot.services.tickets import create_ticket, list_tickets
from bot.shop.catalog_data import CATEGORIES, PRODUCT_TYPES
from bot.shop.demo_records import DEMO_ORDER_IDS
from bot.shop.generator.base import demo_product_id
from bot.shop.seed import SeedError, generate_demo_shop, seed_demo_shop
from bot.shop.store import ShopData
from bot.storage.db import create_engine
from bot.storage.schema import customers, orders, settings_kv
from tests.conftest import SHOP_TODAY, sqlite_url

TZ = ZoneInfo("Asia/Shanghai")
CARRIERS = {"SF Express", "JD Logistics", "ZTO Express", "YTO Express", "China Post EMS"}

# The aliases TEAM.md fixes per product type (H2's training examples use these nouns).
REQUIRED_ALIASES = {
    "wireless_earbuds": {"earbuds", "earphones", "无线耳机", "蓝牙耳机", "耳机"},
    "headphones": {"耳机", "头戴式耳机"},
    "phone_case": {"iPhone case", "手机壳", "iPhone壳"},
    "power_bank": {"充电宝", "移动电源"},
    "charger": {"充电器", "充电头"},
    "smartwatch": {"smart watch", "智能手表", "手表"},
    "bluetooth_speaker": {"speaker", "蓝牙音箱", "音箱"},
    "keyboard": {"键盘"},
    "mouse": {"鼠标"},
    "tablet": {"平板", "平板电脑"},
    "electric_kettle": {"kettle", "电热水壶", "烧水壶"},
    "rice_cooker": {"电饭煲", "电饭锅"},
    "air_fryer": {"空气炸锅"},
    "blender": {"榨汁机", "破壁机"},
    "vacuum_cleaner": {"vacuum", "吸尘器"},
    "hair_dryer": {"吹风机", "电吹风"},
    "tshirt": {"tee", "t恤", "T恤", "短袖"},
    "hoodie": {"卫衣"},
    "jeans": {"牛仔裤"},
    "dress": {"连衣裙", "裙子"},
    "down_jacket": {"jacket", "羽绒服", "外套"},
    "socks": {"袜子"},
    "running_shoes": {"跑鞋", "跑步鞋"},
    "sneakers": {"运动鞋", "板鞋"},
    "boots": {"靴子"},
    "sandals": {"凉鞋"},
    "lipstick": {"口红"},
    "face_cream": {"moisturizer", "面霜"},
    "sunscreen": {"防晒霜"},
    "shampoo": {"洗发水"},
    "perfume": {"香水"},
    "green_tea": {"tea", "绿茶", "茶叶"},
    "coffee_beans": {"coffee", "咖啡豆"},
    "mixed_nuts": {"nuts", "坚果"},
    "snack_box": {"零食"},
    "yoga_mat": {"瑜伽垫"},
    "dumbbells": {"哑铃"},
    "backpack": {"双肩包", "背包"},
    "water_bottle": {"水杯", "运动水壶"},
    "tent": {"帐篷"},
    "pillow": {"枕头"},
    "bedding_set": {"四件套", "床上用品"},
    "towel": {"毛巾"},
    "mug": {"马克杯", "杯子"},
    "knife_set": {"刀具"},
    "bra": {"文胸", "内衣"},
    "boxer_briefs": {"内裤"},
    "novel": {"小说"},
    "cookbook": {"菜谱"},
}


@pytest.fixture(scope="module")
def shop(cfg: Config) -> ShopData:
    return generate_demo_shop(cfg, SHOP_TODAY)


def local_day(ts: datetime) -> date:
    return ts.astimezone(TZ).date()


def by_id(rows: Any) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


# Determinism ------------------------------------------------------------------------------------
def test_same_seed_and_day_give_the_same_shop(cfg: Config, shop: ShopData) -> None:
    assert generate_demo_shop(cfg, SHOP_TODAY) == shop


def test_another_seed_gives_another_shop_but_the_same_contract_records(
    cfg: Config, shop: ShopData
) -> None:
    other_cfg = dataclasses.replace(cfg, demo=dataclasses.replace(cfg.demo, seed=7))
    other = generate_demo_shop(other_cfg, SHOP_TODAY)
    assert [o["id"] for o in other.orders] != [o["id"] for o in shop.orders]
    assert set(DEMO_ORDER_IDS) <= {o["id"] for o in other.orders}


def test_generator_leaves_the_global_random_state_alone(cfg: Config) -> None:
    random.seed(1234)
    expected = random.random()
    random.seed(1234)
    generate_demo_shop(cfg, SHOP_TODAY)
    assert random.random() == expected


def test_dates_move_with_the_seeding_day(cfg: Config, shop: ShopData) -> None:
    later = generate_demo_shop(cfg, SHOP_TODAY + timedelta(days=10))
    first = by_id(shop.orders)["260402118830"]["delivered_at"]
    second = by_id(later.orders)["260402118830"]["delivered_at"]
    assert second - first == timedelta(days=10)


def test_too_few_products_for_the_taxonomy_is_rejected(cfg: Config) -> None:
    small = dataclasses.replace(cfg, demo=dataclasses.replace(cfg.demo, products=10))
    with pytest.raises(ValueError, match=r"demo\.products"):
        generate_demo_shop(small, SHOP_TODAY)


# README demo records -----------------------------------------------------------------------------
def test_demo_customers_and_identities(shop: ShopData) -> None:
    people = by_id(shop.customers)
    assert people["C0001"] | {"created_at": None} == {
        "id": "C0001",
        "name": "Li Wei",
        "name_zh": "李伟",
        "phone": "13812345678",
        "email": "liwei@example.cn",
        "language": "zh",
        "segment": "vip",
        "created_at": None,
    }
    assert people["C0002"]["name"] == "Emma Clark"
    assert people["C0002"]["phone"] == "+44 7700 900123"
    assert people["C0002"]["language"] == "en"
    pairs = {(i["channel"], i["external_id"]): i["customer_id"] for i in shop.identities}
    assert pairs[("web", "demo-liwei")] == "C0001"
    assert pairs[("web", "demo-emma")] == "C0002"
    assert pairs[("web", "cust-1")] == "C0001"
    assert pairs[("web", "cust-300")] == "C0300"


def demo_item(shop: ShopData, order_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    items = [i for i in shop.order_items if i["order_id"] == order_id]
    assert len(items) == 1
    product = by_id(shop.products)[items[0]["product_id"]]
    return items[0], product


@pytest.mark.parametrize(
    ("order_id", "customer", "status", "alias", "delivered_days_ago"),
    [
        ("260315004217", "C0001", "in_transit", "wireless earbuds", None),
        ("260402118830", "C0001", "delivered", "T-shirt", 3),
        ("260101000001", "C0001", "delivered", "electric kettle", 40),
        ("260420000009", "C0001", "paid", "rice cooker", None),
        ("260411555501", "C0002", "delivered", "running shoes", 2),
    ],
)
def test_demo_orders(
    shop: ShopData,
    order_id: str,
    customer: str,
    status: str,
    alias: str,
    delivered_days_ago: int | None,
) -> None:
    order = by_id(shop.orders)[order_id]
    assert order["customer_id"] == customer
    assert order["status"] == status
    _, product = demo_item(shop, order_id)
    assert alias in product["aliases"]
    if delivered_days_ago is None:
        assert order["delivered_at"] is None
    else:
        assert local_day(order["delivered_at"]) == SHOP_TODAY - timedelta(days=delivered_days_ago)
    phone = "13812345678" if customer == "C0001" else "+44 7700 900123"
    assert order["phone"] == phone


def test_demo_order_in_transit_has_sf_tracking_events_and_eta(shop: ShopData) -> None:
    order = by_id(shop.orders)["260315004217"]
    assert order["carrier"] == "SF Express"
    assert re.fullmatch(r"SF[0-9]{13}", order["tracking_number"])
    eta_in_days = (local_day(order["eta"]) - SHOP_TODAY).days
    assert 1 <= eta_in_days <= 2
    events = [e for e in shop.shipment_events if e["order_id"] == "260315004217"]
    assert len(events) >= 3
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    assert events[0]["status"] == "picked_up"
    assert "delivered" not in {e["status"] for e in events}
    assert events[-1]["location_zh"] and events[-1]["description_en"]
    _, product = demo_item(shop, "260315004217")
    assert product["name_en"] == "SoundPeak Air Pro Wireless Earbuds"
    assert product["name_zh"] == "声浪 Air Pro 真无线蓝牙耳机"


def test_demo_tshirt_is_cotton_with_size_and_colour(shop: ShopData) -> None:
    item, product = demo_item(shop, "260402118830")
    assert "Cotton" in product["name_en"]
    variant = next(v for v in product["variants"] if v["sku"] == item["variant_sku"])
    assert variant["size"] == "L"
    assert (variant["color_en"], variant["color_zh"]) == ("White", "白色")


def test_demo_paid_order_is_not_shipped(shop: ShopData) -> None:
    order = by_id(shop.orders)["260420000009"]
    assert order["paid_at"] is not None
    assert order["shipped_at"] is None and order["carrier"] is None
    assert not [e for e in shop.shipment_events if e["order_id"] == "260420000009"]


def test_demo_product_ids_are_the_first_of_their_type() -> None:
    assert demo_product_id("wireless_earbuds") == "P0001"
    assert demo_product_id("tshirt") == "P0017"
    with pytest.raises(ValueError, match="unknown product type"):
        demo_product_id("spaceship")


# Catalogue --------------------------------------------------------------------------------------
def test_catalogue_covers_every_category_and_type(shop: ShopData) -> None:
    assert len(shop.products) == 200
    assert {p["category"] for p in shop.products} == {c.key for c in CATEGORIES}
    for index, ptype in enumerate(PRODUCT_TYPES):
        of_type = [p for p in shop.products if ptype.aliases_en[0] in p["aliases"]]
        assert len(of_type) >= 4, ptype.key
        assert REQUIRED_ALIASES[ptype.key] <= set(shop.products[index]["aliases"]), ptype.key
    assert set(REQUIRED_ALIASES) == {t.key for t in PRODUCT_TYPES}
    names = [p["name_en"] for p in shop.products] + [p["name_zh"] for p in shop.products]
    assert len(names) == len(set(names))


def test_products_look_like_a_real_shop(shop: ShopData) -> None:
    for p in shop.products:
        assert re.fullmatch(r"P[0-9]{4}", p["id"])
        assert p["image_url"] == f"/products/{p['id']}.svg"
        assert 3.2 <= p["rating"] <= 4.9 and p["rating_count"] >= 3
        assert p["price_cents"] > 0 and p["price_cents"] % 100 == 0
        assert p["stock"] == sum(v["stock"] for v in p["variants"])
        assert len({v["sku"] for v in p["variants"]}) == len(p["variants"])
        assert len(p["specs"]["en"]) == len(p["specs"]["zh"]) >= 2
        assert p["consumable"] == (p["category"] in {"food", "beauty"})
        assert re.search(r"[\u4e00-\u9fff]", p["name_zh"]) and p["description_zh"]
        if p["category"] in {"clothing", "shoes", "underwear"}:
            assert all(v["size"] for v in p["variants"]), p["name_en"]
    variants = [v for p in shop.products for v in p["variants"]]
    assert any(v["stock"] == 0 for v in variants)
    assert sum(v["color_zh"] is not None for v in variants) > len(variants) / 2
    sold_out = [p for p in shop.products if p["stock"] == 0]
    assert 1 <= len(sold_out) <= 20


@pytest.mark.parametrize(
    ("category", "low", "high"),
    [("books", 30, 150), ("electronics", 29, 6000), ("clothing", 29, 2000), ("food", 30, 700)],
)
def test_prices_are_sensible_per_category(
    shop: ShopData, category: str, low: int, high: int
) -> None:
    prices = [p["price_cents"] / 100 for p in shop.products if p["category"] == category]
    assert prices and low <= min(prices) and max(prices) <= high


# Customers, orders, interactions ----------------------------------------------------------------
def test_customers_mix_languages_segments_and_contacts(shop: ShopData) -> None:
    assert len(shop.customers) == 300
    languages = Counter(c["language"] for c in shop.customers)
    segments = Counter(c["segment"] for c in shop.customers)
    assert languages["zh"] > 100 and languages["en"] > 50
    assert {"regular", "vip", "new"} <= set(segments)
    assert sum(c["name_zh"] is not None for c in shop.customers) > 100
    assert len({c["phone"] for c in shop.customers}) == 300
    assert sum(c["email"] is None for c in shop.customers) > 0


def test_orders_have_realistic_status_mix_and_consistent_money(shop: ShopData) -> None:
    assert len(shop.orders) == 3000
    statuses = Counter(o["status"] for o in shop.orders)
    assert statuses["delivered"] > 0.75 * len(shop.orders)
    assert statuses["cancelled"] < 0.1 * len(shop.orders)
    assert statuses["in_transit"] + statuses["shipped"] >= 5
    assert statuses["paid"] >= 2
    items = Counter(i["order_id"] for i in shop.order_items)
    subtotal = Counter[str]()
    for i in shop.order_items:
        subtotal[i["order_id"]] += i["quantity"] * i["unit_price_cents"]
    for o in shop.orders:
        assert 1 <= items[o["id"]] <= 3
        expected = subtotal[o["id"]] - o["discount_cents"] + o["shipping_cents"]
        assert o["total_cents"] == expected
    assert sum(o["discount_cents"] > 0 for o in shop.orders) > 100


def test_generated_order_ids_encode_the_creation_day(shop: ShopData) -> None:
    ids = [o["id"] for o in shop.orders]
    assert len(ids) == len(set(ids))
    year_ago = datetime.combine(SHOP_TODAY, datetime.min.time(), TZ) - timedelta(days=366)
    for o in shop.orders:
        assert re.fullmatch(r"[0-9]{12}", o["id"])
        if o["id"] not in DEMO_ORDER_IDS:
            assert o["id"][:6] == local_day(o["created_at"]).strftime("%y%m%d")
            assert o["created_at"] >= year_ago


def test_everything_happened_before_the_seeding_day(shop: ShopData) -> None:
    midnight = datetime.combine(SHOP_TODAY, datetime.min.time(), TZ).astimezone(UTC)
    for o in shop.orders:
        for key in ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at"):
            assert o[key] is None or (o[key].tzinfo is UTC and o[key] < midnight), (o["id"], key)
    assert all(e["ts"] < midnight for e in shop.shipment_events)
    assert all(i["ts"] < midnight for i in shop.interactions)


def test_shipped_orders_have_carrier_and_ordered_events(shop: ShopData) -> None:
    events: dict[str, list[dict[str, Any]]] = {}
    for e in shop.shipment_events:
        events.setdefault(e["order_id"], []).append(e)
    for o in shop.orders:
        if o["status"] in {"shipped", "in_transit", "delivered", "returned"}:
            assert o["carrier"] in CARRIERS and o["tracking_number"], o["id"]
            trail = events[o["id"]]
            assert [e["ts"] for e in trail] == sorted(e["ts"] for e in trail)
            assert trail[0]["status"] == "picked_up"
            if o["status"] in {"delivered", "returned"}:
                assert trail[-1]["status"] == "delivered"
                assert trail[-1]["ts"] == o["delivered_at"]
        else:
            assert o["id"] not in events
    used = {o["carrier"] for o in shop.orders if o["carrier"]}
    assert used == CARRIERS


def test_parcels_are_promised_at_purchase_and_some_stall_and_arrive_late(shop: ShopData) -> None:
    """The delay model's signal: the ETA is the promise made at purchase (2 to 5 days), not
    the day the parcel came; some parcels sit at a sorting centre for a day or more."""
    demo = set(DEMO_ORDER_IDS)
    shipped = [o for o in shop.orders if o["shipped_at"] and o["id"] not in demo]
    for o in shipped:
        promised = (local_day(o["eta"]) - local_day(o["created_at"])).days
        assert 2 <= promised <= 5, (o["id"], promised)
    delivered = [o for o in shipped if o["delivered_at"]]
    late = [o for o in delivered if local_day(o["delivered_at"]) > local_day(o["eta"])]
    assert 0.02 < len(late) / len(delivered) < 0.2
    events: dict[str, list[datetime]] = {}
    for e in shop.shipment_events:
        events.setdefault(e["order_id"], []).append(e["ts"])
    gaps = [max(b - a for a, b in itertools.pairwise(ts)) for ts in events.values() if len(ts) > 1]
    assert sum(g >= timedelta(hours=24) for g in gaps) > len(late) / 2  # stalls behind lateness


def test_complaint_tickets_follow_delays_and_bad_experiences(shop: ShopData) -> None:
    orders_by_id = by_id(shop.orders)
    demo_customers = {"C0001", "C0002"}
    assert len(shop.tickets) >= 40
    kinds = Counter(t["category"] for t in shop.tickets)
    assert kinds["delivery_delay"] > kinds["quality_defect"] > 0
    for t in shop.tickets:
        order = orders_by_id[t["order_id"]]
        assert t["kind"] == "complaint" and t["id"].startswith("TKS-")
        assert t["customer_id"] == order["customer_id"] not in demo_customers
        assert order["created_at"] < t["created_at"] and t["payload"]["text"]
        if t["category"] == "delivery_delay":  # only parcels that missed their promise
            came = order["delivered_at"]
            assert came is None or local_day(came) > local_day(order["eta"])
    history = Counter(e["ticket_id"] for e in shop.ticket_events)
    assert set(history) == {t["id"] for t in shop.tickets}


def test_interactions_give_a_recommender_something_to_learn(shop: ShopData) -> None:
    kinds = Counter(i["kind"] for i in shop.interactions)
    assert set(kinds) == {"view", "cart", "purchase"}
    assert kinds["purchase"] == len(shop.order_items) or kinds["purchase"] > 3000
    assert kinds["view"] > kinds["purchase"]
    buyers = {i["customer_id"] for i in shop.interactions if i["kind"] == "purchase"}
    assert len(buyers) > 200


# Seeding the database ---------------------------------------------------------------------------
async def test_seeded_database_serves_the_demo_through_the_services(
    shop_engine: AsyncEngine,
) -> None:
    li = await resolve_customer(shop_engine, "web", "demo-liwei")
    assert li is not None and li.id == "C0001" and li.name_zh == "李伟"
    emma = await get_customer(shop_engine, "C0002")
    assert emma is not None and emma.phone == "+44 7700 900123"
    recent = await order_service.list_orders(shop_engine, "C0001", limit=10)
    assert {o.id for o in recent} == {
        "260315004217",
        "260402118830",
        "260101000001",
        "260420000009",
    }
    async with shop_engine.connect() as conn:
        seeded_on = await conn.scalar(
            select(settings_kv.c.value).where(settings_kv.c.key == "seeded_on")
        )
    assert seeded_on == SHOP_TODAY.isoformat()


async def test_seeding_twice_skips_unless_forced(shop_engine: AsyncEngine, cfg: Config) -> None:
    again = await seed_demo_shop(shop_engine, cfg, today=SHOP_TODAY + timedelta(days=5))
    assert again.skipped and again.seeded_on == SHOP_TODAY and again.orders == 3000

    order = await order_service.get_order(shop_engine, "260420000009")
    assert order is not None
    await order_service.cancel_order(shop_engine, order, channel="web", sender_id="x", reason=None)
    forced = await seed_demo_shop(shop_engine, cfg, today=SHOP_TODAY, force=True)
    assert not forced.skipped and forced.orders == 3000
    restored = await order_service.get_order(shop_engine, "260420000009")
    assert restored is not None and restored.status == "paid"
    # Tickets about the old orders went too; the new shop has its own seeded complaints.
    left = await list_tickets(shop_engine, limit=100_000)
    assert left and all(t.id.startswith("TKS-") and t.kind == "complaint" for t in left)


async def test_seeding_refuses_to_mix_with_unrecorded_data(
    engine: AsyncEngine, cfg: Config
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            customers.insert().values(
                id="X1",
                name="Someone",
                language="en",
                segment="regular",
                created_at=datetime.now(UTC),
            )
        )
    with pytest.raises(SeedError, match="--force"):
        await seed_demo_shop(engine, cfg, today=SHOP_TODAY)


async def test_seed_creates_the_schema_and_keeps_other_tickets_out(
    tmp_path: Path, cfg: Config
) -> None:
    eng = create_engine(sqlite_url(tmp_path / "fresh.db"))
    try:
        small = dataclasses.replace(
            cfg, demo=dataclasses.replace(cfg.demo, products=49, customers=20, orders=60)
        )
        stats = await seed_demo_shop(eng, small, today=SHOP_TODAY)
        assert (stats.products, stats.customers, stats.orders) == (49, 20, 60)
        await create_ticket(
            eng,
            kind="message",
            order_id=None,
            customer_id="C0001",
            status="open",
            category=None,
            payload={},
            channel="web",
            sender_id="web:demo-liwei",
            idempotency_key="k1",
        )
        async with eng.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(orders)) == 60
    finally:
        await eng.dispose()

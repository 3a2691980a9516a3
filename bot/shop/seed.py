"""Deterministic demo shop: the same seed and day always give the same shop.

Dates are relative to the seeding day (``today``, in the shop's timezone): "delivered 3 days
ago" means three calendar days before that day. Everything that has happened (orders, payments,
shipment events, browsing) lies before midnight at the start of ``today``, so nothing is in the
future whenever during the day the shop is seeded; only ETAs lie ahead. All timestamps are
stored as UTC.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Config
from bot.services.tickets import serialized_writes
from bot.shop.catalog_data import CONSUMABLE_CATEGORIES, PRODUCT_TYPES, ProductType
from bot.shop.people_data import (
    CARRIERS,
    CHINESE_GIVEN_NAMES,
    CHINESE_SURNAMES,
    CITIES,
    EMAIL_DOMAINS_EN,
    EMAIL_DOMAINS_ZH,
    ENGLISH_FIRST_NAMES,
    ENGLISH_SURNAMES,
    TRANSIT_HUBS,
    WAREHOUSE_CITIES,
    Carrier,
    City,
)
from bot.shop.store import (
    IMPORTED_AT,
    SEED,
    SEEDED_ON,
    Row,
    ShopData,
    count_shop,
    get_meta,
    set_meta,
    wipe_shop,
    write_shop,
)
from bot.storage.db import create_schema

# The README's demo records ------------------------------------------------------------------------
LI_WEI_ID = "C0001"
EMMA_ID = "C0002"
DEMO_CUSTOMER_IDS = (LI_WEI_ID, EMMA_ID)
ORDER_IN_TRANSIT = "260315004217"  # Li Wei, SF Express, in transit, wireless earbuds
ORDER_TSHIRT = "260402118830"  # Li Wei, delivered 3 days ago, cotton T-shirt
ORDER_KETTLE = "260101000001"  # Li Wei, delivered 40 days ago, electric kettle
ORDER_PAID = "260420000009"  # Li Wei, paid, not shipped, rice cooker
ORDER_EMMA_SHOES = "260411555501"  # Emma, delivered 2 days ago, running shoes
DEMO_ORDER_IDS = (ORDER_IN_TRANSIT, ORDER_TSHIRT, ORDER_KETTLE, ORDER_PAID, ORDER_EMMA_SHOES)

# Product types of the demo orders; the first product of each type is the one ordered.
DEMO_PRODUCT_TYPES = (
    "wireless_earbuds",
    "tshirt",
    "electric_kettle",
    "rice_cooker",
    "running_shoes",
)

LI_WEI_ADDRESS = "上海市浦东新区张江路88弄6号1202室"
EMMA_ADDRESS = "Apt 1503, 1000 Century Avenue, Pudong New Area, Shanghai 200120"


@dataclass(frozen=True)
class SeedStats:
    seeded_on: date | None  # None when the shop was imported instead
    skipped: bool
    products: int
    customers: int
    orders: int
    order_items: int
    shipment_events: int
    interactions: int

    @classmethod
    def from_counts(
        cls, counts: dict[str, int], seeded_on: date | None, skipped: bool
    ) -> SeedStats:
        return cls(
            seeded_on=seeded_on,
            skipped=skipped,
            products=counts.get("products", 0),
            customers=counts.get("customers", 0),
            orders=counts.get("orders", 0),
            order_items=counts.get("order_items", 0),
            shipment_events=counts.get("shipment_events", 0),
            interactions=counts.get("interactions", 0),
        )


class SeedError(RuntimeError):
    """The database holds shop data the seeder did not write; it refuses to mix them."""


def product_id(index: int) -> str:
    return f"P{index + 1:04d}"


def demo_product_id(type_key: str) -> str:
    """Id of the product a demo order contains (the first product of its type)."""
    for index, ptype in enumerate(PRODUCT_TYPES):
        if ptype.key == type_key:
            return product_id(index)
    raise ValueError(f"unknown product type {type_key!r}; known: {[t.key for t in PRODUCT_TYPES]}")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text).upper() or "X"


def _charm_price(rng: random.Random, low: int, high: int) -> int:
    """A shop-like price in yuan (39, 299, 1299) between ``low`` and ``high``."""
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = 10 if raw < 1000 else 100
    price = max(1, round(raw / step)) * step - 1
    return min(max(price, low), high)


@dataclass(frozen=True)
class _Address:
    city: int
    district: int
    zh: str
    en: str


@dataclass(frozen=True)
class _Profile:
    id: str
    created_at: datetime
    language: str
    segment: str
    recipient: str
    phone: str
    address: _Address
    categories: tuple[str, ...]
    activity: float


@dataclass(frozen=True)
class _Shipment:
    carrier: Carrier
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime
    eta: datetime
    events: tuple[Row, ...]  # all planned events, oldest first, without order_id


class _Generator:
    def __init__(self, cfg: Config, today: date) -> None:
        demo = cfg.demo
        if demo.products < len(PRODUCT_TYPES):
            raise ValueError(
                f"demo.products must be at least {len(PRODUCT_TYPES)} (one per product type), "
                f"got {demo.products}"
            )
        if demo.customers < len(DEMO_CUSTOMER_IDS):
            raise ValueError(f"demo.customers must be at least 2, got {demo.customers}")
        if demo.orders < 0:
            raise ValueError(f"demo.orders must not be negative, got {demo.orders}")
        self.cfg = cfg
        self.rng = random.Random(demo.seed)
        self.tz = ZoneInfo(cfg.shop.timezone)
        self.today = today
        # Reference "now": midnight at the start of the seeding day, shop time.
        self.now = self.at(0, 0, 0)
        self.products: list[Row] = []
        self.profiles: list[_Profile] = []
        self.phones: set[str] = set()
        self.order_ids: set[str] = set(DEMO_ORDER_IDS)

    # Time helpers ------------------------------------------------------------------------------
    def at(self, days_ago: int, hour: int, minute: int) -> datetime:
        """UTC time of ``hour:minute`` shop time, ``days_ago`` days before the seeding day."""
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def local_date(self, ts: datetime) -> date:
        return ts.astimezone(self.tz).date()

    def end_of_local_day(self, ts: datetime) -> datetime:
        local = ts.astimezone(self.tz)
        eta = datetime.combine(local.date(), time(21, 0), tzinfo=self.tz)
        return max(eta, local).astimezone(UTC)

    # Products ---------------------------------------------------------------------------------
    def build_products(self) -> None:
        count = self.cfg.demo.products
        n_types = len(PRODUCT_TYPES)
        # A few products are sold out completely (never the first of a type: demo orders use those).
        later = list(range(n_types, count))
        sold_out = set(self.rng.sample(later, k=min(len(later), max(1, count // 40))))
        for index in range(count):
            ptype = PRODUCT_TYPES[index % n_types]
            self.products.append(
                self.make_product(index, ptype, index // n_types, index in sold_out)
            )

    def make_product(self, index: int, ptype: ProductType, k: int, sold_out: bool) -> Row:
        rng = self.rng
        pid = product_id(index)
        n_brands, n_lines = len(ptype.brands), len(ptype.lines)
        brand = ptype.brands[k % n_brands]
        line = ptype.lines[(k % n_brands + k // n_brands) % n_lines]
        edition = k // (n_brands * n_lines)
        sep = " " if line[1][-1:].isascii() else ""
        name_en = ptype.name_en_fmt.format(brand=brand[0], line=line[0], noun=ptype.noun[0])
        name_zh = ptype.name_zh_fmt.format(
            brand=brand[1], line=line[1], noun=ptype.noun[1], sep=sep
        )
        if edition:
            name_en += f" ({edition + 1})"
            name_zh += f"（{edition + 1}）"

        if ptype.colors:
            if k == 0:
                colors = list(ptype.colors[:3])
            else:
                n_colors = min(len(ptype.colors), rng.randint(2, 4))
                picked = set(rng.sample(range(len(ptype.colors)), n_colors))
                colors = [c for i, c in enumerate(ptype.colors) if i in picked]
        else:
            colors = []
        sizes: list[str | None] = list(ptype.sizes) or [None]
        color_options: list[tuple[str, str] | None] = list(colors) or [None]
        variants: list[Row] = []
        for size, color in itertools.product(sizes, color_options):
            parts = [pid] + ([_slug(size)] if size else []) + ([_slug(color[0])] if color else [])
            sku = "-".join(parts) if len(parts) > 1 else f"{pid}-STD"
            if sold_out:
                stock = 0
            elif k == 0:
                stock = rng.randint(5, 120)
            else:
                stock = 0 if rng.random() < 0.1 else rng.randint(1, 150)
            variants.append(
                {
                    "sku": sku,
                    "size": size,
                    "color_en": color[0] if color else None,
                    "color_zh": color[1] if color else None,
                    "stock": stock,
                }
            )
        if k == 0 and len(variants) > 1:
            # One sold-out variant on the showcase products, so "is it in stock?" has both answers.
            variants[-1]["stock"] = 0

        specs_en: dict[str, str] = {}
        specs_zh: dict[str, str] = {}
        for spec in ptype.specs:
            value_en, value_zh = rng.choice(spec.values)
            specs_en[spec.key_en] = value_en
            specs_zh[spec.key_zh] = value_zh

        low, high = ptype.price_yuan
        price = _charm_price(rng, low, high)
        rating = round(rng.uniform(3.2, 4.9), 1)
        rating_count = min(20000, max(3, int(rng.lognormvariate(5.0, 1.2))))
        aliases = list(dict.fromkeys((*ptype.aliases_en, *ptype.aliases_zh)))
        return {
            "id": pid,
            "name_en": name_en,
            "name_zh": name_zh,
            "aliases": aliases,
            "category": ptype.category,
            "brand": brand[0],
            "price_cents": price * 100,
            "stock": sum(int(v["stock"]) for v in variants),
            "variants": variants,
            "specs": {"en": specs_en, "zh": specs_zh},
            "description_en": ptype.blurb[0],
            "description_zh": ptype.blurb[1],
            "rating": rating,
            "rating_count": rating_count,
            "image_url": f"/products/{pid}.svg",
            "consumable": ptype.category in CONSUMABLE_CATEGORIES,
        }

    # Customers --------------------------------------------------------------------------------
    def new_phone(self, kind: str) -> str:
        rng = self.rng
        while True:
            if kind == "cn":
                phone = (
                    "1"
                    + rng.choice("3456789")
                    + "".join(rng.choice("0123456789") for _ in range(9))
                )
            elif kind == "uk":
                phone = f"+44 7700 900{rng.randint(0, 999):03d}"
            else:
                phone = f"+1 415 555 01{rng.randint(0, 99):02d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def make_address(self) -> _Address:
        """A home address in a random city, written both in Chinese and in English."""
        rng = self.rng
        ci = rng.randrange(len(CITIES))
        city = CITIES[ci]
        di = rng.randrange(len(city.districts))
        district = city.districts[di]
        road = rng.choice(city.roads)
        number, building, room = rng.randint(1, 999), rng.randint(1, 30), rng.randint(101, 2808)
        city_zh = f"{city.province_zh}{city.name[1]}市"
        zh = f"{city_zh}{district[1]}{road[1]}{number}号{building}栋{room}室"
        en = (
            f"Room {room}, Building {building}, {number} {road[0]}, {district[0]}, "
            f"{city.name[0]} {city.postcode}"
        )
        return _Address(ci, di, zh, en)

    def build_customers(self) -> list[Row]:
        rng = self.rng
        rows: list[Row] = []
        categories = sorted({t.category for t in PRODUCT_TYPES})
        shanghai = 0
        li_wei = _Profile(
            id=LI_WEI_ID,
            created_at=self.at(700, 20, 15),
            language="zh",
            segment="vip",
            recipient="李伟",
            phone="13812345678",
            address=_Address(shanghai, 0, LI_WEI_ADDRESS, ""),
            categories=("electronics", "appliances", "clothing"),
            activity=1.0,
        )
        emma = _Profile(
            id=EMMA_ID,
            created_at=self.at(400, 9, 40),
            language="en",
            segment="regular",
            recipient="Emma Clark",
            phone="+44 7700 900123",
            address=_Address(shanghai, 0, "", EMMA_ADDRESS),
            categories=("shoes", "sports", "beauty"),
            activity=1.0,
        )
        self.phones.update({li_wei.phone, emma.phone})
        rows.append(self.customer_row(li_wei, "Li Wei", "李伟", "liwei@example.cn"))
        rows.append(self.customer_row(emma, "Emma Clark", None, "emma.clark@example.com"))
        self.profiles.extend([li_wei, emma])

        for number in range(3, self.cfg.demo.customers + 1):
            cid = f"C{number:04d}"
            chinese = rng.random() < 0.68
            email: str | None
            if chinese:
                surname, given = rng.choice(CHINESE_SURNAMES), rng.choice(CHINESE_GIVEN_NAMES)
                name, name_zh = f"{surname[0]} {given[0]}", surname[1] + given[1]
                if name == "Li Wei":
                    name, name_zh = "Li Wen", "李文"
                language = "zh" if rng.random() < 0.93 else "en"
                phone = self.new_phone("cn")
                handle = f"{surname[0]}{given[0]}".lower() + str(rng.randint(1, 99))
                email = f"{handle}@{rng.choice(EMAIL_DOMAINS_ZH)}"
                recipient = name_zh
            else:
                first, last = rng.choice(ENGLISH_FIRST_NAMES), rng.choice(ENGLISH_SURNAMES)
                name, name_zh = f"{first} {last}", None
                language = "en" if rng.random() < 0.96 else "zh"
                phone = self.new_phone(rng.choice(("cn", "cn", "uk", "us")))
                email = f"{first}.{last}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS_EN)}".lower()
                recipient = name
            if rng.random() < 0.15:
                email = None
            roll = rng.random()
            segment = "new" if roll < 0.18 else "vip" if roll < 0.33 else "regular"
            days_ago = rng.randint(1, 29) if segment == "new" else rng.randint(30, 1100)
            created = self.at(days_ago, rng.randint(7, 23), rng.randint(0, 59))
            profile = _Profile(
                id=cid,
                created_at=created,
                language=language,
                segment=segment,
                recipient=recipient,
                phone=phone,
                address=self.make_address(),
                categories=tuple(rng.sample(categories, k=rng.randint(2, 3))),
                activity=rng.lognormvariate(0.0, 0.9),
            )
            self.profiles.append(profile)
            rows.append(self.customer_row(profile, name, name_zh, email))
        return rows

    def customer_row(self, p: _Profile, name: str, name_zh: str | None, email: str | None) -> Row:
        return {
            "id": p.id,
            "name": name,
            "name_zh": name_zh,
            "phone": p.phone,
            "email": email,
            "language": p.language,
            "segment": p.segment,
            "created_at": p.created_at,
        }

    def identity_rows(self) -> list[Row]:
        rows = [
            {"channel": "web", "external_id": "demo-liwei", "customer_id": LI_WEI_ID},
            {"channel": "web", "external_id": "demo-emma", "customer_id": EMMA_ID},
        ]
        rows.extend(
            {"channel": "web", "external_id": f"cust-{int(p.id[1:])}", "customer_id": p.id}
            for p in self.profiles
        )
        return rows

    # Shipments --------------------------------------------------------------------------------
    def tracking_number(self, carrier: Carrier) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(carrier.tracking_digits))
        return carrier.tracking_prefix + digits

    @staticmethod
    def event(
        status: str, ts: datetime, carrier: Carrier, city: City, district: tuple[str, str] | None
    ) -> Row:
        c_en, c_zh = city.name
        if status == "picked_up":
            loc = (c_en, c_zh)
            desc = (
                f"Picked up by {carrier.name_en} in {c_en}",
                f"{carrier.name_zh}已揽收（{c_zh}）",
            )
        elif status == "departed":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (f"Departed {c_en} sorting centre", f"快件已离开{c_zh}转运中心")
        elif status == "arrived":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (f"Arrived at {c_en} sorting centre", f"快件已到达{c_zh}转运中心")
        elif status == "exception":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (
                "Delayed by bad weather; it will move on as soon as possible",
                "受天气影响运输延误，将尽快转运",
            )
        else:
            d_en, d_zh = district or ("", "")
            if status == "out_for_delivery":
                loc = (f"{d_en} delivery station, {c_en}", f"{c_zh}{d_zh}营业点")
                desc = (
                    f"Out for delivery from the {d_en} station",
                    f"{d_zh}营业点快递员正在派件",
                )
            else:
                loc = (f"{d_en}, {c_en}", f"{c_zh}{d_zh}")
                desc = ("Delivered and signed for", "快件已签收")
        return {
            "ts": ts,
            "status": status,
            "location_en": loc[0],
            "location_zh": loc[1],
            "description_en": desc[0],
            "description_zh": desc[1],
        }

    def plan_shipment(self, shipped_at: datetime, address: _Address) -> _Shipment:
        rng = self.rng
        carrier = rng.choice(CARRIERS)
        origin_index = rng.choice(WAREHOUSE_CITIES)
        origin, dest = CITIES[origin_index], CITIES[address.city]
        district = dest.districts[address.district]
        hours = lambda lo, hi: timedelta(minutes=rng.randint(lo * 60, hi * 60))  # noqa: E731
        ts = shipped_at
        events = [self.event("picked_up", ts, carrier, origin, None)]
        ts += hours(2, 6)
        events.append(self.event("departed", ts, carrier, origin, None))
        if rng.random() < 0.015:
            ts += hours(3, 8)
            events.append(self.event("exception", ts, carrier, origin, None))
            ts += hours(18, 30)
        if origin_index != address.city:
            hubs = [h for h in TRANSIT_HUBS if h not in (origin_index, address.city)]
            if rng.random() < 0.45 and hubs:
                hub = CITIES[rng.choice(hubs)]
                ts += hours(5, 14)
                events.append(self.event("arrived", ts, carrier, hub, None))
                ts += hours(2, 5)
                events.append(self.event("departed", ts, carrier, hub, None))
            ts += hours(6, 22)
            events.append(self.event("arrived", ts, carrier, dest, None))
        ts += hours(3, 12)
        events.append(self.event("out_for_delivery", ts, carrier, dest, district))
        ts += hours(1, 5)
        events.append(self.event("delivered", ts, carrier, dest, district))
        return _Shipment(
            carrier=carrier,
            tracking_number=self.tracking_number(carrier),
            shipped_at=shipped_at,
            delivered_at=ts,
            eta=self.end_of_local_day(ts),
            events=tuple(events),
        )

    # Orders -----------------------------------------------------------------------------------
    def new_order_id(self, created: datetime) -> str:
        prefix = self.local_date(created).strftime("%y%m%d")
        while True:
            order_id = f"{prefix}{self.rng.randint(0, 999_999):06d}"
            if order_id not in self.order_ids:
                self.order_ids.add(order_id)
                return order_id

    def order_money(self, profile: _Profile, subtotal: int) -> tuple[int, int]:
        """(discount, shipping) in cents for a basket worth ``subtotal`` cents."""
        rng = self.rng
        discount = 0
        if profile.segment == "vip" and rng.random() < 0.5:
            discount = subtotal * 5 // 100
        elif rng.random() < 0.3:
            for threshold, off in ((99_900, 10_000), (49_900, 5_000), (19_900, 2_000)):
                if subtotal >= threshold:
                    discount = off
                    break
        free = profile.segment == "vip" or subtotal - discount >= 9_900
        return discount, 0 if free else 800

    def payment_method(self, language: str) -> str:
        if language == "zh":
            return self.rng.choices(("alipay", "wechat_pay", "unionpay"), (50, 40, 10))[0]
        return self.rng.choices(("credit_card", "alipay", "wechat_pay"), (60, 20, 20))[0]

    def order_day_weights(self) -> list[float]:
        weights = []
        for days_ago in range(1, 366):
            day = self.today - timedelta(days=days_ago)
            weight = 1.0 + 0.5 * (1 - days_ago / 365)  # the shop grows
            for month, dom, factor in ((11, 11, 4.0), (6, 18, 2.5), (12, 12, 1.8)):
                if day.month == month and abs(day.day - dom) <= 2:
                    weight *= factor
            if day.weekday() >= 5:
                weight *= 1.15
            weights.append(weight)
        return weights

    def build_orders(self) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
        rng = self.rng
        orders_out: list[Row] = []
        items_out: list[Row] = []
        events_out: list[Row] = []
        interactions_out: list[Row] = []

        by_category: dict[str, list[Row]] = {}
        for product in self.products:
            by_category.setdefault(str(product["category"]), []).append(product)
        popularity = {p["id"]: float(p["rating_count"]) ** 0.6 + 5 for p in self.products}
        weights = {c: [popularity[p["id"]] for p in pool] for c, pool in by_category.items()}
        all_weights = [popularity[p["id"]] for p in self.products]

        shoppers = sorted(
            (p for p in self.profiles if p.id not in DEMO_CUSTOMER_IDS), key=lambda p: p.created_at
        )
        created_sorted = [p.created_at for p in shoppers]
        cum_activity = list(itertools.accumulate(p.activity for p in shoppers))

        day_weights = self.order_day_weights()
        hour_weights = [
            1,
            1,
            1,
            1,
            1,
            1,
            2,
            3,
            5,
            8,
            10,
            11,
            10,
            9,
            9,
            9,
            9,
            9,
            9,
            10,
            13,
            14,
            12,
            6,
        ]
        count = max(0, self.cfg.demo.orders - len(DEMO_ORDER_IDS))
        for _ in range(count):
            days_ago = rng.choices(range(1, 366), weights=day_weights)[0]
            hour = rng.choices(range(24), weights=hour_weights)[0]
            created = self.at(days_ago, hour, rng.randint(0, 59)) + timedelta(
                seconds=rng.randint(0, 59)
            )
            eligible = bisect.bisect_left(created_sorted, created)
            if eligible == 0:
                profile = shoppers[0]
                created = max(created, profile.created_at + timedelta(hours=1))
            else:
                pick = rng.random() * cum_activity[eligible - 1]
                profile = shoppers[bisect.bisect_left(cum_activity, pick, hi=eligible - 1)]
            order_id = self.new_order_id(created)

            # Basket
            n_items = rng.choices((1, 2, 3), (62, 28, 10))[0]
            chosen: dict[str, Row] = {}
            for _ in range(n_items):
                if rng.random() < 0.75:
                    category = rng.choice(profile.categories)
                    product = rng.choices(by_category[category], weights=weights[category])[0]
                else:
                    product = rng.choices(self.products, weights=all_weights)[0]
                chosen.setdefault(product["id"], product)
            subtotal = 0
            for product in chosen.values():
                variant = rng.choice(product["variants"])
                if product["consumable"]:
                    quantity = rng.choices((1, 2, 3), (70, 22, 8))[0]
                else:
                    quantity = rng.choices((1, 2), (90, 10))[0]
                price = int(product["price_cents"])
                subtotal += price * quantity
                items_out.append(
                    {
                        "order_id": order_id,
                        "product_id": product["id"],
                        "variant_sku": variant["sku"],
                        "quantity": quantity,
                        "unit_price_cents": price,
                    }
                )
            discount, shipping = self.order_money(profile, subtotal)

            address = profile.address
            if rng.random() < 0.1:
                address = self.make_address()
            address_text = address.zh if profile.language == "zh" else address.en
            row: Row = {
                "id": order_id,
                "customer_id": profile.id,
                "status": "paid",
                "created_at": created,
                "paid_at": None,
                "shipped_at": None,
                "delivered_at": None,
                "cancelled_at": None,
                "total_cents": subtotal - discount + shipping,
                "discount_cents": discount,
                "shipping_cents": shipping,
                "payment_method": self.payment_method(profile.language),
                "recipient": profile.recipient,
                "phone": profile.phone,
                "shipping_address": address_text,
                "carrier": None,
                "tracking_number": None,
                "eta": None,
            }
            self.set_lifecycle(row, address, events_out)
            orders_out.append(row)

            # Browsing and buying signals around the order
            for product in chosen.values():
                interactions_out.extend(self.shopping_trail(profile, product, created, by_category))
        interactions_out.extend(self.browsing(by_category, popularity))
        return orders_out, items_out, events_out, interactions_out

    def set_lifecycle(self, row: Row, address: _Address, events_out: list[Row]) -> None:
        rng = self.rng
        created: datetime = row["created_at"]
        roll = rng.random()
        if roll < 0.03:  # never paid: cancelled automatically after 24 h
            if created + timedelta(hours=24) > self.now:
                row["status"] = "pending_payment"
            else:
                row["status"] = "cancelled"
                row["cancelled_at"] = created + timedelta(hours=24)
            return
        paid = created + timedelta(minutes=rng.randint(1, 20))
        row["paid_at"] = paid
        if roll < 0.055:  # cancelled by the customer before shipping
            cancelled = paid + timedelta(minutes=rng.randint(10, 20 * 60))
            if cancelled <= self.now:
                row["status"] = "cancelled"
                row["cancelled_at"] = cancelled
                return
        shipped = paid + timedelta(minutes=rng.randint(4 * 60, 40 * 60))
        if shipped > self.now:
            return  # paid, waiting to ship
        plan = self.plan_shipment(shipped, address)
        row.update(
            carrier=plan.carrier.name_en,
            tracking_number=plan.tracking_number,
            shipped_at=shipped,
            eta=plan.eta,
        )
        passed = [e for e in plan.events if e["ts"] <= self.now]
        events_out.extend({"order_id": row["id"], **e} for e in passed)
        if plan.delivered_at <= self.now:
            row["delivered_at"] = plan.delivered_at
            returned = plan.delivered_at < self.now - timedelta(days=7) and rng.random() < 0.025
            row["status"] = "returned" if returned else "delivered"
        else:
            row["status"] = "shipped" if len(passed) == 1 else "in_transit"

    def shopping_trail(
        self, profile: _Profile, product: Row, bought: datetime, by_category: dict[str, list[Row]]
    ) -> list[Row]:
        rng = self.rng
        rows: list[Row] = []
        start = bought - timedelta(minutes=rng.randint(30, 72 * 60))
        for _ in range(rng.randint(1, 3)):
            rows.append(self.interaction(profile, product["id"], "view", start, bought))
        for other in rng.sample(by_category[product["category"]], k=rng.randint(0, 2)):
            rows.append(self.interaction(profile, other["id"], "view", start, bought))
        cart = bought - timedelta(minutes=rng.randint(1, 60))
        rows.append(
            {"customer_id": profile.id, "product_id": product["id"], "kind": "cart", "ts": cart}
        )
        rows.append(
            {
                "customer_id": profile.id,
                "product_id": product["id"],
                "kind": "purchase",
                "ts": bought,
            }
        )
        return [r for r in rows if r["ts"] >= profile.created_at]

    def interaction(
        self, profile: _Profile, pid: str, kind: str, start: datetime, end: datetime
    ) -> Row:
        span = max(1, int((end - start).total_seconds()))
        ts = start + timedelta(seconds=self.rng.randrange(span))
        return {"customer_id": profile.id, "product_id": pid, "kind": kind, "ts": ts}

    def browsing(
        self, by_category: dict[str, list[Row]], popularity: dict[str, float]
    ) -> list[Row]:
        """Views (and abandoned carts) that did not end in a purchase."""
        rng = self.rng
        rows: list[Row] = []
        year_ago = self.now - timedelta(days=365)
        for profile in self.profiles:
            start = max(profile.created_at, year_ago)
            for _ in range(int(profile.activity * 8) + rng.randint(0, 6)):
                if rng.random() < 0.7:
                    pool = by_category[rng.choice(profile.categories)]
                else:
                    pool = self.products
                product = rng.choices(pool, weights=[popularity[p["id"]] for p in pool])[0]
                view = self.interaction(profile, product["id"], "view", start, self.now)
                rows.append(view)
                if rng.random() < 0.15:
                    cart = view["ts"] + timedelta(minutes=rng.randint(1, 30))
                    if cart < self.now:
                        rows.append({**view, "kind": "cart", "ts": cart})
        return rows

    # The README's demo orders -----------------------------------------------------------------
    def demo_orders(self) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
        products = {p["id"]: p for p in self.products}

        def variant(type_key: str, size: str | None, color: str | None) -> tuple[Row, Row]:
            product = products[demo_product_id(type_key)]
            for v in product["variants"]:
                if (size is None or v["size"] == size) and (
                    color is None or v["color_en"] == color
                ):
                    return product, v
            raise ValueError(f"demo product {product['id']} has no variant {size}/{color}")

        sf, jd, zto, yto = CARRIERS[0], CARRIERS[1], CARRIERS[2], CARRIERS[3]
        shenzhen, hangzhou, shanghai, guangzhou = CITIES[3], CITIES[4], CITIES[0], CITIES[2]
        pudong = shanghai.districts[0]
        li, emma = self.profiles[0], self.profiles[1]
        ev = self.event

        specs: list[tuple[str, _Profile, str, Row, Row, int, dict[str, Any]]] = []
        earbuds = variant("wireless_earbuds", None, "Black")
        tshirt = variant("tshirt", "L", "White")
        kettle = variant("electric_kettle", None, None)
        cooker = variant("rice_cooker", None, None)
        shoes = variant("running_shoes", "39", "White")

        in_transit_events = (
            ev("picked_up", self.at(2, 9, 30), sf, shenzhen, None),
            ev("departed", self.at(2, 14, 5), sf, shenzhen, None),
            ev("arrived", self.at(1, 2, 10), sf, hangzhou, None),
            ev("departed", self.at(1, 5, 30), sf, hangzhou, None),
            ev("arrived", self.at(1, 11, 45), sf, shanghai, None),
        )
        specs.append(
            (
                ORDER_IN_TRANSIT,
                li,
                "in_transit",
                *earbuds,
                1,
                {
                    "created_at": self.at(3, 21, 14),
                    "paid_at": self.at(3, 21, 15),
                    "shipped_at": self.at(2, 9, 30),
                    "carrier": sf.name_en,
                    "tracking_number": "SF1428850311796",
                    "eta": self.at(-1, 21, 0),
                    "payment_method": "alipay",
                    "events": in_transit_events,
                },
            )
        )
        specs.append(
            (
                ORDER_TSHIRT,
                li,
                "delivered",
                *tshirt,
                1,
                {
                    "created_at": self.at(6, 10, 2),
                    "paid_at": self.at(6, 10, 3),
                    "shipped_at": self.at(5, 16, 20),
                    "delivered_at": self.at(3, 15, 20),
                    "carrier": jd.name_en,
                    "tracking_number": "JDX004418826571",
                    "eta": self.at(3, 21, 0),
                    "payment_method": "wechat_pay",
                    "events": (
                        ev("picked_up", self.at(5, 16, 20), jd, guangzhou, None),
                        ev("departed", self.at(5, 20, 45), jd, guangzhou, None),
                        ev("arrived", self.at(4, 13, 10), jd, shanghai, None),
                        ev("out_for_delivery", self.at(3, 9, 5), jd, shanghai, pudong),
                        ev("delivered", self.at(3, 15, 20), jd, shanghai, pudong),
                    ),
                },
            )
        )
        specs.append(
            (
                ORDER_KETTLE,
                li,
                "delivered",
                *kettle,
                1,
                {
                    "created_at": self.at(44, 19, 48),
                    "paid_at": self.at(44, 19, 50),
                    "shipped_at": self.at(43, 11, 0),
                    "delivered_at": self.at(40, 17, 35),
                    "carrier": zto.name_en,
                    "tracking_number": "78731940265518",
                    "eta": self.at(40, 21, 0),
                    "payment_method": "alipay",
                    "events": (
                        ev("picked_up", self.at(43, 11, 0), zto, hangzhou, None),
                        ev("departed", self.at(43, 16, 30), zto, hangzhou, None),
                        ev("arrived", self.at(41, 6, 40), zto, shanghai, None),
                        ev("out_for_delivery", self.at(40, 13, 10), zto, shanghai, pudong),
                        ev("delivered", self.at(40, 17, 35), zto, shanghai, pudong),
                    ),
                },
            )
        )
        specs.append(
            (
                ORDER_PAID,
                li,
                "paid",
                *cooker,
                1,
                {
                    "created_at": self.at(1, 20, 36),
                    "paid_at": self.at(1, 20, 37),
                    "payment_method": "wechat_pay",
                    "events": (),
                },
            )
        )
        specs.append(
            (
                ORDER_EMMA_SHOES,
                emma,
                "delivered",
                *shoes,
                1,
                {
                    "created_at": self.at(5, 8, 55),
                    "paid_at": self.at(5, 8, 56),
                    "shipped_at": self.at(4, 14, 0),
                    "delivered_at": self.at(2, 11, 25),
                    "carrier": yto.name_en,
                    "tracking_number": "YT6612093847715",
                    "eta": self.at(2, 21, 0),
                    "payment_method": "credit_card",
                    "events": (
                        ev("picked_up", self.at(4, 14, 0), yto, hangzhou, None),
                        ev("departed", self.at(4, 18, 20), yto, hangzhou, None),
                        ev("arrived", self.at(3, 4, 50), yto, shanghai, None),
                        ev("out_for_delivery", self.at(2, 8, 40), yto, shanghai, pudong),
                        ev("delivered", self.at(2, 11, 25), yto, shanghai, pudong),
                    ),
                },
            )
        )

        orders_out: list[Row] = []
        items_out: list[Row] = []
        events_out: list[Row] = []
        interactions_out: list[Row] = []
        by_category: dict[str, list[Row]] = {}
        for p in self.products:
            by_category.setdefault(str(p["category"]), []).append(p)
        for order_id, profile, status, product, var, quantity, extra in specs:
            subtotal = int(product["price_cents"]) * quantity
            shipping = 0 if profile.segment == "vip" or subtotal >= 9_900 else 800
            address = profile.address.zh if profile.language == "zh" else profile.address.en
            orders_out.append(
                {
                    "id": order_id,
                    "customer_id": profile.id,
                    "status": status,
                    "created_at": extra["created_at"],
                    "paid_at": extra.get("paid_at"),
                    "shipped_at": extra.get("shipped_at"),
                    "delivered_at": extra.get("delivered_at"),
                    "cancelled_at": None,
                    "total_cents": subtotal + shipping,
                    "discount_cents": 0,
                    "shipping_cents": shipping,
                    "payment_method": extra["payment_method"],
                    "recipient": profile.recipient,
                    "phone": profile.phone,
                    "shipping_address": address,
                    "carrier": extra.get("carrier"),
                    "tracking_number": extra.get("tracking_number"),
                    "eta": extra.get("eta"),
                }
            )
            items_out.append(
                {
                    "order_id": order_id,
                    "product_id": product["id"],
                    "variant_sku": var["sku"],
                    "quantity": quantity,
                    "unit_price_cents": int(product["price_cents"]),
                }
            )
            events_out.extend({"order_id": order_id, **e} for e in extra["events"])
            interactions_out.extend(
                self.shopping_trail(profile, product, extra["created_at"], by_category)
            )
        return orders_out, items_out, events_out, interactions_out

    def build(self) -> ShopData:
        self.build_products()
        customers = self.build_customers()
        identities = self.identity_rows()
        demo = self.demo_orders()
        generated = self.build_orders()
        orders_rows, items, events, interactions = (demo[i] + generated[i] for i in range(4))
        interactions.sort(key=lambda r: (r["ts"], r["customer_id"], r["product_id"], r["kind"]))
        return ShopData(
            products=self.products,
            customers=customers,
            identities=identities,
            orders=orders_rows,
            order_items=items,
            shipment_events=events,
            interactions=interactions,
        )


def generate_demo_shop(cfg: Config, today: date) -> ShopData:
    """Build the demo shop in memory (pure: the same ``cfg.demo`` and ``today``, the same rows)."""
    return _Generator(cfg, today).build()


def shop_today(cfg: Config) -> date:
    """The current calendar day in the shop's timezone."""
    return datetime.now(ZoneInfo(cfg.shop.timezone)).date()


async def seed_demo_shop(
    engine: AsyncEngine, cfg: Config, *, today: date | None = None, force: bool = False
) -> SeedStats:
    """Create the schema and write the demo shop, unless the shop already has data.

    ``force`` wipes the shop tables (and the tickets about their orders) and seeds again.
    Raises :class:`SeedError` when shop tables hold rows that neither a seed nor an import
    recorded, rather than mixing generated data into them.
    """
    await create_schema(engine)
    day = today or shop_today(cfg)
    if not force:
        async with engine.connect() as conn:
            found, seeded_on = await _existing_source(conn)
            if found:
                return SeedStats.from_counts(await count_shop(conn), seeded_on, skipped=True)

    data = await asyncio.to_thread(generate_demo_shop, cfg, day)
    async with serialized_writes(engine), engine.begin() as conn:
        if force:
            await wipe_shop(conn, include_tickets=True)
        else:
            found, seeded_on = await _existing_source(conn)
            if found:  # another process seeded meanwhile
                return SeedStats.from_counts(await count_shop(conn), seeded_on, skipped=True)
            counts = await count_shop(conn)
            if any(counts.values()):
                raise SeedError(
                    f"the shop tables already hold data ({counts}) that no seed or import "
                    "recorded; run `python -m bot seed --force` to replace it with the demo shop"
                )
        await write_shop(conn, data)
        await set_meta(conn, SEEDED_ON, day.isoformat())
        await set_meta(conn, SEED, str(cfg.demo.seed))
    return SeedStats.from_counts(data.counts(), day, skipped=False)


async def _existing_source(conn: AsyncConnection) -> tuple[bool, date | None]:
    """(whether the shop was seeded or imported, the seeding day if it was seeded)."""
    seeded_on = await get_meta(conn, SEEDED_ON)
    if seeded_on:
        return True, date.fromisoformat(seeded_on)
    return await get_meta(conn, IMPORTED_AT) is not None, None

"""What every part of the demo shop generator shares: the random source, the seeding day and
the shop's clock, ids and prices."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.shop.catalog_data import PRODUCT_TYPES
from bot.shop.demo_records import DEMO_CUSTOMER_IDS, DEMO_ORDER_IDS
from bot.shop.people_data import Carrier
from bot.shop.store import Row


def product_id(index: int) -> str:
    return f"P{index + 1:04d}"


def demo_product_id(type_key: str) -> str:
    """Id of the product a demo order contains (the first product of its type)."""
    for index, ptype in enumerate(PRODUCT_TYPES):
        if ptype.key == type_key:
            return product_id(index)
    raise ValueError(f"unknown product type {type_key!r}; known: {[t.key for t in PRODUCT_TYPES]}")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text).upper() or "X"


def charm_price(rng: random.Random, low: int, high: int) -> int:
    """A shop-like price in yuan (39, 299, 1299) between ``low`` and ``high``."""
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    step = 10 if raw < 1000 else 100
    price = max(1, round(raw / step)) * step - 1
    return min(max(price, low), high)


@dataclass(frozen=True)
class Address:
    city: int
    district: int
    zh: str
    en: str


@dataclass(frozen=True)
class Profile:
    id: str
    created_at: datetime
    language: str
    segment: str
    recipient: str
    phone: str
    address: Address
    categories: tuple[str, ...]
    activity: float


@dataclass(frozen=True)
class Shipment:
    carrier: Carrier
    tracking_number: str
    shipped_at: datetime
    delivered_at: datetime
    eta: datetime
    events: tuple[Row, ...]  # all planned events, oldest first, without order_id


class GeneratorBase:
    """The seeding day, the shop's clock and the random source; the parts build on it."""

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
        self.profiles: list[Profile] = []
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

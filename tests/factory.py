"""Records a test needs, created by the test: customers, products, orders, shipments.

Tests must not search the random demo shop for an order that happens to fit (which exists on
some seeding days and not on others). They ask this factory for exactly the record they need,
with dates relative to a clock the test controls (``now``, real time by default, since the
integration stack runs on the wall clock).

It writes with SQLAlchemy Core through the project's own table definitions, so the rows have
the shape the seeder writes. The same factory serves the integration stack's SQLite file and
the unit tests' private copies of the seeded shop.

- :meth:`ShopFactory.customer`: a customer with a web identity (``sender``) and a unique phone;
  :meth:`ShopFactory.identity` links another chat account (Telegram, ...) to them.
- :meth:`ShopFactory.product`: a private copy of a catalogue product of a category, with the
  variants' stock the test asks for (so a test changing stock disturbs no other test).
- :meth:`ShopFactory.order`: an order in any lifecycle state, with its shipment events.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.shop.generator.orders import OrderGenerator as _Generator
from bot.shop.people_data import CARRIERS, CITIES
from bot.storage.schema import customers, identities, order_items, orders, products, shipment_events
from tests.sqlite_locks import lock_holders

SHOP_TIMEZONE = "Asia/Shanghai"
# Statuses an order can be created in, oldest lifecycle step first.
STATUSES = ("pending_payment", "paid", "shipped", "in_transit", "delivered", "cancelled")
_ids = itertools.count(1)
LOCKED_TRIES = 3  # each waits up to the busy timeout (30 s) for SQLite's write lock


@dataclass(frozen=True)
class Customer:
    id: str
    sender: str  # web chat sender id (identities.external_id)
    phone: str
    language: str
    name: str


@dataclass(frozen=True)
class Product:
    id: str
    category: str
    price_cents: int
    variants: list[dict[str, Any]]

    def variant(self, in_stock: bool = True) -> dict[str, Any]:
        return next(v for v in self.variants if (int(v["stock"]) > 0) == in_stock)


@dataclass(frozen=True)
class Line:
    product: Product
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class Order:
    id: str
    customer: Customer
    status: str
    lines: list[Line] = field(default_factory=list)
    tracking_number: str | None = None
    discount_cents: int = 0
    phone: str = ""


def sync_url(database_url: str) -> str:
    """The synchronous driver's URL for an async one (the factory runs outside event loops)."""
    return (
        database_url.replace("sqlite+aiosqlite://", "sqlite://")
        .replace("postgresql+asyncpg://", "postgresql+psycopg2://")
        .replace("mysql+aiomysql://", "mysql+pymysql://")
    )


def _begin_immediate(engine: sa.Engine, database: str) -> None:
    """Take SQLite's write lock when a transaction begins: a transaction that read first and
    writes after another process (the running gateway) committed fails at once with
    "database is locked" (WAL snapshot), where one that waits for the lock just waits.

    Each try waits up to the connection's busy timeout; a try that still finds the database
    locked prints which processes hold its locks (so a CI log names them) and tries again."""

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        for attempt in range(1, LOCKED_TRIES + 1):
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except sa.exc.OperationalError as exc:
                if "locked" not in str(exc) or attempt == LOCKED_TRIES:
                    raise
                print(  # shown with the output of a failing test
                    f"factory: {database} still locked after try {attempt}; holders: "
                    f"{lock_holders(database)}",
                    file=sys.stderr,
                )


class ShopFactory:
    """Creates records in one shop database; ``now`` is the test's clock (UTC)."""

    def __init__(
        self, database_url: str, *, now: datetime | None = None, timezone: str = SHOP_TIMEZONE
    ) -> None:
        self.engine = sa.create_engine(
            sync_url(database_url), connect_args={"timeout": 30} if "sqlite" in database_url else {}
        )
        if "sqlite" in database_url:
            _begin_immediate(self.engine, database_url.split(":///", 1)[1])
        self.now = now or datetime.now(UTC)
        self.tz = ZoneInfo(timezone)
        self.rng = random.Random(uuid.uuid4().int)

    def close(self) -> None:
        self.engine.dispose()

    # --- ids -------------------------------------------------------------------------------------
    def _token(self) -> str:
        return f"{next(_ids):04d}{self.rng.randrange(16**6):06x}"

    def _unique(self, table: sa.Table, make: Any) -> str:
        with self.engine.connect() as conn:
            while True:
                candidate = make()
                found = conn.execute(sa.select(table.c.id).where(table.c.id == candidate)).first()
                if found is None:
                    return str(candidate)

    def _order_id(self) -> str:
        # 12 digits like the shop's own numbers, starting with 9 so none clashes with a
        # seeded one (those start with the year).
        return self._unique(orders, lambda: f"9{self.rng.randrange(10**11):011d}")

    def _phone(self) -> str:
        return "19" + "".join(self.rng.choice("0123456789") for _ in range(9))

    # --- records ---------------------------------------------------------------------------------
    def customer(self, language: str = "zh", *, segment: str = "regular") -> Customer:
        """A new customer with a web chat identity."""
        token = self._token()
        customer_id = f"T{token}"
        sender = f"test-{token}"
        phone = self._phone()
        name_zh = self.rng.choice("王张刘陈杨赵黄周吴") + self.rng.choice("芳敏静丽强磊军洋勇")
        name = name_zh if language == "zh" else f"Alex Test{token[-4:]}"
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(customers).values(
                    id=customer_id,
                    name=name,
                    name_zh=name_zh if language == "zh" else None,
                    phone=phone,
                    email=f"{sender}@example.com",
                    language=language,
                    segment=segment,
                    created_at=self.now - timedelta(days=400),
                )
            )
            conn.execute(
                sa.insert(identities).values(
                    channel="web", external_id=sender, customer_id=customer_id
                )
            )
        return Customer(customer_id, sender, phone, language, name)

    def identity(self, customer: Customer, channel: str, external_id: str) -> None:
        """Link a chat account (a Telegram user id, ...) to ``customer``."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(identities).values(
                    channel=channel, external_id=external_id, customer_id=customer.id
                )
            )

    def product(
        self,
        category: str,
        *,
        in_stock: int | None = None,
        sold_out: int = 0,
        min_variants: int = 1,
        named: str | None = None,
    ) -> Product:
        """A private copy of the first catalogue product of ``category`` with enough variants
        (and, with ``named``, whose English name contains it: "T-Shirt", "Earbuds").

        ``in_stock`` / ``sold_out``: how many variants have stock (the rest) and how many none;
        by default every variant keeps its catalogue stock (at least 1).
        """
        wanted = max(min_variants, (in_stock or 0) + sold_out)
        query = sa.select(products).where(products.c.category == category)
        if named is not None:
            query = query.where(products.c.name_en.contains(named))
        with self.engine.connect() as conn:
            # Read every row: a result left half-read keeps its statement, and with it an old
            # snapshot, open on the pooled connection, whose next BEGIN IMMEDIATE then fails
            # with "database is locked" however long it waits (SQLite's BUSY_SNAPSHOT).
            rows = conn.execute(query.order_by(products.c.id)).mappings().all()
        template = next((dict(r) for r in rows if len(_json(r["variants"])) >= wanted), None)
        if template is None:
            raise LookupError(
                f"the catalogue has no {category} product {named or ''} with {wanted} variants"
            )
        variants = [dict(v) for v in _json(template["variants"])]
        for index, variant in enumerate(variants):
            if in_stock is None and sold_out == 0:
                variant["stock"] = max(1, int(variant["stock"]))
            elif index < len(variants) - sold_out:
                variant["stock"] = 0 if in_stock is not None and index >= in_stock else 20
            else:
                variant["stock"] = 0
        product_id = self._unique(products, lambda: f"PT{self._token()}")
        for variant in variants:
            variant["sku"] = str(variant["sku"]).replace(str(template["id"]), product_id, 1)
        row = {
            **template,
            "id": product_id,
            "variants": variants,
            "stock": sum(int(v["stock"]) for v in variants),
            "aliases": _json(template["aliases"]),
            "specs": _json(template["specs"]),
        }
        with self.engine.begin() as conn:
            conn.execute(sa.insert(products).values(**row))
        return Product(product_id, category, int(template["price_cents"]), variants)

    def order(
        self,
        customer: Customer | None = None,
        *,
        status: str = "delivered",
        days_ago: float = 2,
        products_: Sequence[Product] | None = None,
        category: str = "clothing",
        items: int = 1,
        quantity: int = 1,
        discount_cents: int = 0,
    ) -> Order:
        """An order of ``customer`` (a new one by default) in ``status``.

        ``days_ago``: when it was delivered (delivered), shipped (shipped / in transit),
        paid (paid, cancelled) or created (pending payment), counted back from ``now``.
        Lines are one unit of each product (``quantity`` units each), the products being
        ``products_`` or fresh copies of ``items`` products of ``category``.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown order status {status!r}")
        customer = customer or self.customer()
        chosen = list(products_ or [self.product(category) for _ in range(items)])
        lines = [Line(p, str(p.variant()["sku"]), quantity, p.price_cents) for p in chosen]
        subtotal = sum(line.unit_price_cents * line.quantity for line in lines)
        if discount_cents >= subtotal:
            raise ValueError("the discount must be less than the order's value")
        shipping = 0 if subtotal >= 9_900 else 800
        anchor = self.now - timedelta(days=days_ago)
        times = _lifecycle(status, anchor)
        carrier = self.rng.choice(CARRIERS) if times.get("shipped_at") else None
        tracking = None
        if carrier is not None:
            digits = "".join(self.rng.choice("0123456789") for _ in range(carrier.tracking_digits))
            tracking = carrier.tracking_prefix + digits
        order_id = self._order_id()
        address = (
            "上海市徐汇区漕溪北路100号2栋1801室"
            if customer.language == "zh"
            else "Room 1801, Building 2, 100 Caoxi North Road, Xuhui District, Shanghai 200030"
        )
        row = {
            "id": order_id,
            "customer_id": customer.id,
            "status": status,
            "total_cents": subtotal - discount_cents + shipping,
            "discount_cents": discount_cents,
            "shipping_cents": shipping,
            "payment_method": "alipay" if customer.language == "zh" else "credit_card",
            "recipient": customer.name,
            "phone": customer.phone,
            "shipping_address": address,
            "carrier": carrier.name_en if carrier else None,
            "tracking_number": tracking,
            **times,
        }
        with self.engine.begin() as conn:
            conn.execute(sa.insert(orders).values(**row))
            conn.execute(
                sa.insert(order_items),
                [
                    {
                        "order_id": order_id,
                        "product_id": line.product.id,
                        "variant_sku": line.sku,
                        "quantity": line.quantity,
                        "unit_price_cents": line.unit_price_cents,
                    }
                    for line in lines
                ],
            )
            if carrier is not None:
                conn.execute(
                    sa.insert(shipment_events),
                    [
                        {"order_id": order_id, **e}
                        for e in _events(status, times, carrier)
                        if e["ts"] <= self.now
                    ],
                )
        return Order(order_id, customer, status, lines, tracking, discount_cents, customer.phone)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _lifecycle(status: str, anchor: datetime) -> dict[str, datetime | None]:
    """The order's timestamps for ``status``, ``anchor`` being its latest step."""
    times: dict[str, datetime | None] = dict.fromkeys(
        ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at", "eta")
    )
    if status == "pending_payment":
        times["created_at"] = anchor
        return times
    if status == "delivered":
        times["delivered_at"] = anchor
        times["shipped_at"] = anchor - timedelta(days=2)
        times["eta"] = anchor
    elif status in ("shipped", "in_transit"):
        times["shipped_at"] = anchor
        times["eta"] = anchor + timedelta(days=3)
    paid = (times["shipped_at"] or anchor) - timedelta(hours=20)
    times["paid_at"] = paid
    times["created_at"] = paid - timedelta(minutes=2)
    if status == "cancelled":
        times["cancelled_at"] = paid + timedelta(hours=1)
    return times


def _events(status: str, times: dict[str, datetime | None], carrier: Any) -> list[dict[str, Any]]:
    """Carrier scans from Hangzhou to Shanghai up to the order's state."""
    shipped = times["shipped_at"]
    assert shipped is not None
    hangzhou, shanghai = CITIES[4], CITIES[0]
    district = shanghai.districts[1]
    events = [
        _Generator.event("picked_up", shipped, carrier, hangzhou, None),
        _Generator.event("departed", shipped + timedelta(hours=4), carrier, hangzhou, None),
    ]
    if status == "in_transit" or status == "delivered":
        events.append(
            _Generator.event("arrived", shipped + timedelta(hours=14), carrier, shanghai, None)
        )
    delivered = times["delivered_at"]
    if status == "delivered" and delivered is not None:
        events.append(
            _Generator.event(
                "out_for_delivery", delivered - timedelta(hours=3), carrier, shanghai, district
            )
        )
        events.append(_Generator.event("delivered", delivered, carrier, shanghai, district))
    return events

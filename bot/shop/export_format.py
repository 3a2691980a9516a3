"""The shop export's format (docs/import.md): its sections and columns, value kinds, and the
records and problems the importer passes around."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal["replace", "append"]
Kind = Literal[
    "str", "text", "int", "money", "float", "bool", "datetime", "list", "object", "email", "phone"
]

ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "shipped",
    "in_transit",
    "delivered",
    "cancelled",
    "returned",
)
EVENT_STATUSES = ("picked_up", "departed", "arrived", "out_for_delivery", "delivered", "exception")
INTERACTION_KINDS = ("view", "cart", "purchase")
MAX_REPORTED = 200


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "str"
    required: bool = False
    default: Any = None
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    target: str | None = None  # database column, when it differs (price -> price_cents)

    @property
    def column(self) -> str:
        return self.target or self.name


PRODUCT_COLUMNS = (
    Column("id", required=True, max_len=32),
    Column("name_en", required=True, max_len=200),
    Column("name_zh", required=True, max_len=200),
    Column("category", required=True, max_len=40),
    Column("price", "money", required=True, target="price_cents"),
    Column("brand", default="", max_len=80),
    Column("stock", "int", min_value=0),
    Column("aliases", "list", default=()),
    Column("specs_en", "object", default={}),
    Column("specs_zh", "object", default={}),
    Column("description_en", "text", default=""),
    Column("description_zh", "text", default=""),
    Column("rating", "float", default=0.0, min_value=0, max_value=5),
    Column("rating_count", "int", default=0, min_value=0),
    Column("image_url", default="", max_len=500),
    Column("consumable", "bool", default=False),
)
VARIANT_COLUMNS = (
    Column("product_id", required=True, max_len=32),
    Column("sku", required=True, max_len=64),
    Column("size", max_len=40),
    Column("color_en", max_len=60),
    Column("color_zh", max_len=60),
    Column("stock", "int", default=0, min_value=0),
)
CUSTOMER_COLUMNS = (
    Column("id", required=True, max_len=32),
    Column("name", required=True, max_len=120),
    Column("name_zh", max_len=120),
    Column("phone", "phone", max_len=40),
    Column("email", "email", max_len=200),
    Column("language", default="zh", choices=("zh", "en")),
    Column("segment", default="regular", max_len=40),
    Column("created_at", "datetime"),
)
IDENTITY_COLUMNS = (
    Column("channel", required=True, max_len=20),
    Column("external_id", required=True, max_len=200),
    Column("customer_id", required=True, max_len=32),
)
ORDER_COLUMNS = (
    Column("id", required=True, max_len=32),
    Column("customer_id", required=True, max_len=32),
    Column("status", required=True, choices=ORDER_STATUSES),
    Column("created_at", "datetime", required=True),
    Column("paid_at", "datetime"),
    Column("shipped_at", "datetime"),
    Column("delivered_at", "datetime"),
    Column("cancelled_at", "datetime"),
    Column("total", "money", required=True, target="total_cents"),
    Column("discount", "money", default=0, target="discount_cents"),
    Column("shipping", "money", default=0, target="shipping_cents"),
    Column("payment_method", default="other", max_len=30),
    Column("recipient", required=True, max_len=120),
    Column("phone", "phone", required=True, max_len=40),
    Column("shipping_address", "text", required=True),
    Column("carrier", max_len=60),
    Column("tracking_number", max_len=60),
    Column("eta", "datetime"),
)
ORDER_ITEM_COLUMNS = (
    Column("order_id", required=True, max_len=32),
    Column("product_id", required=True, max_len=32),
    Column("variant_sku", max_len=64),
    Column("quantity", "int", required=True, min_value=1),
    Column("unit_price", "money", required=True, target="unit_price_cents"),
)
EVENT_COLUMNS = (
    Column("order_id", required=True, max_len=32),
    Column("ts", "datetime", required=True),
    Column("status", required=True, choices=EVENT_STATUSES),
    Column("location_en", default="", max_len=120),
    Column("location_zh", default="", max_len=120),
    Column("description_en", default="", max_len=300),
    Column("description_zh", default="", max_len=300),
)
INTERACTION_COLUMNS = (
    Column("customer_id", required=True, max_len=32),
    Column("product_id", required=True, max_len=32),
    Column("kind", required=True, choices=INTERACTION_KINDS),
    Column("ts", "datetime", required=True),
)

# Section name -> columns, in the order the sections are read.
SECTIONS: dict[str, tuple[Column, ...]] = {
    "products": PRODUCT_COLUMNS,
    "variants": VARIANT_COLUMNS,
    "customers": CUSTOMER_COLUMNS,
    "identities": IDENTITY_COLUMNS,
    "orders": ORDER_COLUMNS,
    "order_items": ORDER_ITEM_COLUMNS,
    "shipment_events": EVENT_COLUMNS,
    "interactions": INTERACTION_COLUMNS,
}
REQUIRED_SECTIONS = ("products", "customers", "orders", "order_items")
# The field other sections refer to a record by (to silence follow-up errors of a bad record).
FAILED_KEY = {"variants": "product_id", "order_items": "order_id"}


@dataclass(frozen=True)
class ImportIssue:
    """One problem in the export: where it is and what is wrong."""

    file: str
    line: int | None  # CSV line (1 = header); None for JSON records and whole files
    field: str | None
    message: str
    record: str | None = None  # JSON record, e.g. "orders[6]"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.record is not None:
            where += f" {self.record}"
        if self.field is not None:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


class ImportValidationError(ValueError):
    """The export has problems; ``issues`` lists them all (nothing was written)."""

    def __init__(self, issues: Sequence[ImportIssue]) -> None:
        self.issues = list(issues)
        shown = "\n".join(f"  {issue}" for issue in self.issues[:MAX_REPORTED])
        more = len(self.issues) - MAX_REPORTED
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.issues)} problem(s) in the shop export:\n{shown}{tail}")


@dataclass(frozen=True)
class ImportStats:
    source: str
    mode: Mode
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RawRecord:
    """One record as read: where it came from and its raw values."""

    file: str
    line: int | None
    record: str | None
    values: dict[str, Any]

    def issue(self, field_name: str | None, message: str) -> ImportIssue:
        return ImportIssue(self.file, self.line, field_name, message, self.record)


@dataclass(frozen=True)
class Existing:
    """Ids already in the database (for ``append``: new rows may refer to them)."""

    products: dict[str, frozenset[str]] = field(default_factory=dict)  # id -> variant skus
    customers: frozenset[str] = frozenset()
    orders: frozenset[str] = frozenset()
    identities: frozenset[tuple[str, str]] = frozenset()


class BadValue(Exception):
    """A value that does not convert; the message says what was wrong."""

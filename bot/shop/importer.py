"""Load a shop's own export (CSV directory or one JSON file) into the database.

Everything is validated before anything is written; every problem is reported with its file,
line (CSV) or record (JSON) and field, e.g. ``orders.csv line 7, field total: 'abc' is not a
number``. The rows then go in with one transaction, so a failure leaves the database as it was.
The format is documented in docs/import.md.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Config
from bot.services.tickets import serialized_writes
from bot.shop.store import (
    IMPORT_SOURCE,
    IMPORTED_AT,
    Row,
    ShopData,
    set_meta,
    wipe_shop,
    write_shop,
)
from bot.storage.db import create_schema
from bot.storage.schema import customers, identities, orders, products

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
_FAILED_KEY = {"variants": "product_id", "order_items": "order_id"}


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
class _Raw:
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


class _Bad(Exception):
    """A value that does not convert; the message says what was wrong."""


# Reading ----------------------------------------------------------------------------------------
def _read_csv_dir(directory: Path, issues: list[ImportIssue], mode: Mode) -> dict[str, list[_Raw]]:
    sections: dict[str, list[_Raw]] = {}
    for name, columns in SECTIONS.items():
        filename = f"{name}.csv"
        path = directory / filename
        if not path.exists():
            if mode == "replace" and name in REQUIRED_SECTIONS:
                issues.append(ImportIssue(filename, None, None, f"file is missing in {directory}"))
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            issues.append(ImportIssue(filename, None, None, f"not UTF-8 text ({exc.reason})"))
            continue
        reader = csv.reader(text.splitlines(keepends=True))
        header = next(reader, None)
        if header is None:
            issues.append(
                ImportIssue(filename, 1, None, "the file is empty; expected a header row")
            )
            continue
        header = [h.strip() for h in header]
        if not _check_header(filename, header, columns, issues):
            continue
        rows: list[_Raw] = []
        previous_line = 1
        for cells in reader:
            line = previous_line + 1  # first physical line of this record
            previous_line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                issues.append(
                    ImportIssue(
                        filename,
                        line,
                        None,
                        f"has {len(cells)} cells but the header has {len(header)} columns",
                    )
                )
                continue
            rows.append(_Raw(filename, line, None, dict(zip(header, cells, strict=True))))
        sections[name] = rows
    return sections


def _check_header(
    filename: str, header: list[str], columns: Sequence[Column], issues: list[ImportIssue]
) -> bool:
    known = {c.name for c in columns}
    ok = True
    for name in header:
        if name not in known:
            issues.append(
                ImportIssue(filename, 1, name, f"unknown column; expected some of {sorted(known)}")
            )
            ok = False
    duplicates = {h for h in header if header.count(h) > 1}
    for name in sorted(duplicates):
        issues.append(ImportIssue(filename, 1, name, "column appears more than once"))
        ok = False
    for column in columns:
        if column.required and column.name not in header:
            issues.append(ImportIssue(filename, 1, column.name, "required column is missing"))
            ok = False
    return ok


def _read_json(path: Path, issues: list[ImportIssue], mode: Mode) -> dict[str, list[_Raw]]:
    filename = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        issues.append(ImportIssue(filename, None, None, f"not UTF-8 text ({exc.reason})"))
        return {}
    except json.JSONDecodeError as exc:
        issues.append(ImportIssue(filename, exc.lineno, None, f"invalid JSON: {exc.msg}"))
        return {}
    if not isinstance(document, dict):
        issues.append(
            ImportIssue(
                filename, None, None, f"expected an object of lists, got {type(document).__name__}"
            )
        )
        return {}
    unknown = set(document) - set(SECTIONS)
    for name in sorted(unknown):
        issues.append(
            ImportIssue(
                filename, None, None, f"unknown section {name!r}; expected some of {list(SECTIONS)}"
            )
        )
    sections: dict[str, list[_Raw]] = {}
    for name, columns in SECTIONS.items():
        if name not in document:
            if mode == "replace" and name in REQUIRED_SECTIONS:
                issues.append(ImportIssue(filename, None, None, f"section {name!r} is missing"))
            continue
        records = document[name]
        if not isinstance(records, list):
            issues.append(ImportIssue(filename, None, None, f"section {name!r} must be a list"))
            continue
        known = {c.name for c in columns} | ({"variants"} if name == "products" else set())
        rows: list[_Raw] = []
        for index, record in enumerate(records):
            label = f"{name}[{index}]"
            if not isinstance(record, dict):
                issues.append(ImportIssue(filename, None, None, "must be an object", label))
                continue
            for key in sorted(set(record) - known):
                issues.append(
                    ImportIssue(
                        filename,
                        None,
                        key,
                        f"unknown field; expected some of {sorted(known)}",
                        label,
                    )
                )
            rows.append(_Raw(filename, None, label, dict(record)))
        sections[name] = rows
    return sections


# Converting values ------------------------------------------------------------------------------
_MONEY = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise _Bad(f"{text!r} is not a whole number")
    return int(text)


def _to_money(value: Any) -> int:
    """Yuan (up to 2 decimals) to cents: "1,299.50" -> 129950."""
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a number")
    if isinstance(value, int | float):
        value = repr(value)
    text = str(value).strip().replace(",", "")
    text = re.sub(r"^(¥|￥|CNY\s*|RMB\s*)", "", text, flags=re.IGNORECASE)
    if not _MONEY.match(text):
        if re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", text):
            raise _Bad(f"{value!r} has more than 2 decimal places")
        raise _Bad(f"{value!r} is not a number")
    try:
        cents = Decimal(text) * 100
    except InvalidOperation:
        raise _Bad(f"{value!r} is not a number") from None
    return int(cents)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _Bad(f"{value!r} is not a number")
    try:
        return float(str(value).strip())
    except ValueError:
        raise _Bad(f"{value!r} is not a number") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y"}:
        return True
    if text in {"false", "0", "no", "n"}:
        return False
    raise _Bad(f"{value!r} is not true/false (use true, false, 1, 0, yes or no)")


def _to_datetime(value: Any, tz: ZoneInfo) -> datetime:
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise _Bad(
            f"{text!r} is not a date/time; use ISO 8601, e.g. 2026-03-15 14:30 "
            "or 2026-03-15T14:30:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)  # shop-local time
    return parsed.astimezone(UTC)


def _to_list(value: Any) -> list[str]:
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise _Bad("must be a list of strings")
        items = value
    elif isinstance(value, str):
        items = value.split("|")
    else:
        raise _Bad(f"{value!r} is not a list (use a|b|c in CSV, a list in JSON)")
    return list(dict.fromkeys(s.strip() for s in items if s.strip()))


def _to_object(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _Bad(f'{value!r} is not a JSON object like {{"Battery": "30 h"}}') from None
    if not isinstance(value, dict):
        raise _Bad('must be a JSON object like {"Battery": "30 h"}')
    return {str(k): str(v) for k, v in value.items()}


def _to_phone(value: Any) -> str:
    text = " ".join(str(value).split())
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))
    if len(digits) < 7 or re.search(r"[A-Za-z]", text):
        raise _Bad(f"{text!r} is not a phone number (at least 7 digits expected)")
    return text


def _to_email(value: Any) -> str:
    text = str(value).strip()
    if not _EMAIL.match(text):
        raise _Bad(f"{text!r} is not an email address")
    return text


def _convert(column: Column, value: Any, tz: ZoneInfo) -> Any:
    kind = column.kind
    if kind == "int":
        result: Any = _to_int(value)
    elif kind == "money":
        result = _to_money(value)
        if result < 0:
            raise _Bad(f"{value!r} must not be negative")
    elif kind == "float":
        result = _to_float(value)
    elif kind == "bool":
        result = _to_bool(value)
    elif kind == "datetime":
        result = _to_datetime(value, tz)
    elif kind == "list":
        result = _to_list(value)
    elif kind == "object":
        result = _to_object(value)
    elif kind == "phone":
        result = _to_phone(value)
    elif kind == "email":
        result = _to_email(value)
    else:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _Bad(f"{value!r} is not text")
        result = str(value).strip()
        if column.choices and result not in column.choices:
            raise _Bad(f"{result!r} is not one of {', '.join(column.choices)}")
        if column.max_len is not None and len(result) > column.max_len:
            raise _Bad(f"is {len(result)} characters long; at most {column.max_len} allowed")
    if isinstance(result, int | float) and not isinstance(result, bool):
        if column.min_value is not None and result < column.min_value:
            raise _Bad(f"{value!r} must be at least {column.min_value:g}")
        if column.max_value is not None and result > column.max_value:
            raise _Bad(f"{value!r} must be at most {column.max_value:g}")
    return result


def _convert_record(
    raw: _Raw, columns: Sequence[Column], tz: ZoneInfo, issues: list[ImportIssue]
) -> dict[str, Any] | None:
    """Typed values keyed by the file's column names, or None if any field is bad."""
    out: dict[str, Any] = {}
    ok = True
    for column in columns:
        value = raw.values.get(column.name)
        if _is_missing(value):
            if column.required:
                issues.append(raw.issue(column.name, "is required"))
                ok = False
            out[column.name] = column.default
            continue
        try:
            out[column.name] = _convert(column, value, tz)
        except _Bad as exc:
            issues.append(raw.issue(column.name, str(exc)))
            ok = False
    return out if ok else None


# Validating the whole export --------------------------------------------------------------------
@dataclass
class _Checked:
    products: list[Row] = field(default_factory=list)
    customers: list[Row] = field(default_factory=list)
    identities: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    order_items: list[Row] = field(default_factory=list)
    shipment_events: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)


def _unique(
    raws: Iterable[tuple[_Raw, dict[str, Any]]],
    key: Callable[[dict[str, Any]], Any],
    field_name: str,
    taken: Iterable[Any],
    issues: list[ImportIssue],
) -> list[tuple[_Raw, dict[str, Any]]]:
    """Drop (and report) records whose key repeats an earlier record or an existing row."""
    seen: dict[Any, _Raw] = {}
    existing = set(taken)
    kept = []
    for raw, values in raws:
        k = key(values)
        if k in existing:
            issues.append(raw.issue(field_name, f"{k!r} already exists in the database"))
        elif k in seen:
            first = seen[k]
            where = f"line {first.line}" if first.line is not None else first.record
            issues.append(raw.issue(field_name, f"{k!r} repeats the record at {where}"))
        else:
            seen[k] = raw
            kept.append((raw, values))
    return kept


def validate_export(
    sections: dict[str, list[_Raw]],
    tz: ZoneInfo,
    issues: list[ImportIssue],
    existing: Existing,
    now: datetime,
) -> ShopData:
    """Convert and cross-check every record; append every problem to ``issues``."""

    # Keys of records that failed to convert: rows referring to them are not reported again
    # ("'A1002' is not in orders" after "orders.csv line 3, field total: ..." is just noise).
    failed: dict[str, set[str]] = {name: set() for name in SECTIONS}

    def converted(name: str) -> list[tuple[_Raw, dict[str, Any]]]:
        pairs = []
        for raw in sections.get(name, []):
            values = _convert_record(raw, SECTIONS[name], tz, issues)
            if values is not None:
                pairs.append((raw, values))
            else:
                failed[name].add(str(raw.values.get(_FAILED_KEY.get(name, "id")) or "").strip())
        return pairs

    def missing(raw: _Raw, field_name: str, ref: str, known: Any, section: str, what: str) -> bool:
        """Report ``ref`` unless it is known (or its own record was already reported)."""
        if ref in known:
            return False
        if ref not in failed[section]:
            issues.append(raw.issue(field_name, f"{ref!r} {what}"))
        return True

    out = _Checked()

    # Products and their variants (variants.csv rows, or "variants" lists inside JSON products)
    product_pairs = _unique(
        converted("products"), lambda v: v["id"], "id", existing.products, issues
    )
    variants_by_product: dict[str, list[dict[str, Any]]] = {}
    variant_columns = [c for c in VARIANT_COLUMNS if c.name != "product_id"]
    for raw, values in product_pairs:
        nested = raw.values.get("variants")
        if nested is None or nested == "":
            continue
        if not isinstance(nested, list):
            issues.append(raw.issue("variants", "must be a list of variant objects"))
            continue
        for index, item in enumerate(nested):
            label = f"{raw.record}.variants[{index}]"
            vraw = _Raw(raw.file, raw.line, label, item if isinstance(item, dict) else {})
            if not isinstance(item, dict):
                issues.append(vraw.issue(None, "must be an object"))
                continue
            v = _convert_record(vraw, variant_columns, tz, issues)
            if v is not None:
                variants_by_product.setdefault(values["id"], []).append({**v, "_raw": vraw})
            else:
                failed["variants"].add(values["id"])
    product_ids = {values["id"] for _, values in product_pairs}
    for raw, v in converted("variants"):
        if missing(
            raw, "product_id", v["product_id"], product_ids, "products", "is not in products"
        ):
            continue
        variants_by_product.setdefault(v["product_id"], []).append({**v, "_raw": raw})

    skus_by_product: dict[str, frozenset[str]] = dict(existing.products)
    for raw, values in product_pairs:
        variants: list[dict[str, Any]] = []
        seen_skus: set[str] = set()
        for v in variants_by_product.get(values["id"], []):
            source: _Raw = v["_raw"]
            if v["sku"] in seen_skus:
                issues.append(source.issue("sku", f"{v['sku']!r} repeats an earlier variant"))
                continue
            seen_skus.add(v["sku"])
            variants.append({k: v.get(k) for k in ("sku", "size", "color_en", "color_zh", "stock")})
        stock = values["stock"]
        if variants:
            total = sum(int(v["stock"] or 0) for v in variants)
            if stock is not None and stock != total and values["id"] not in failed["variants"]:
                issues.append(
                    raw.issue("stock", f"{stock} differs from the variants' total stock {total}")
                )
            stock = total
        skus_by_product[values["id"]] = frozenset(seen_skus)
        out.products.append(
            {
                "id": values["id"],
                "name_en": values["name_en"],
                "name_zh": values["name_zh"],
                "aliases": list(values["aliases"]),
                "category": values["category"],
                "brand": values["brand"],
                "price_cents": values["price"],
                "stock": stock or 0,
                "variants": variants,
                "specs": {"en": values["specs_en"], "zh": values["specs_zh"]},
                "description_en": values["description_en"],
                "description_zh": values["description_zh"],
                "rating": values["rating"],
                "rating_count": values["rating_count"],
                "image_url": values["image_url"],
                "consumable": values["consumable"],
            }
        )

    # Customers and their channel identities
    customer_pairs = _unique(
        converted("customers"), lambda v: v["id"], "id", existing.customers, issues
    )
    for _, values in customer_pairs:
        out.customers.append({**values, "created_at": values["created_at"] or now})
    customer_ids = {v["id"] for _, v in customer_pairs} | set(existing.customers)
    identity_pairs = _unique(
        converted("identities"),
        lambda v: (v["channel"], v["external_id"]),
        "external_id",
        existing.identities,
        issues,
    )
    for raw, values in identity_pairs:
        ref = values["customer_id"]
        if missing(raw, "customer_id", ref, customer_ids, "customers", "is not a customer"):
            continue
        out.identities.append(values)

    # Orders, their items and shipment events
    order_pairs = _unique(converted("orders"), lambda v: v["id"], "id", existing.orders, issues)
    item_pairs = converted("order_items")
    items_per_order: dict[str, int] = {}
    order_ids = {v["id"] for _, v in order_pairs}
    for raw, values in item_pairs:
        order_id, pid, sku = values["order_id"], values["product_id"], values["variant_sku"]
        bad = missing(raw, "order_id", order_id, order_ids, "orders", "is not in orders")
        if missing(raw, "product_id", pid, skus_by_product, "products", "is not a product"):
            bad = True
        elif sku and skus_by_product[pid] and sku not in skus_by_product[pid]:
            if pid not in failed["variants"]:
                issues.append(
                    raw.issue("variant_sku", f"{sku!r} is not a variant of product {pid!r}")
                )
            bad = True
        if bad:
            failed["order_items"].add(order_id)  # its order is not "without items"
            continue
        items_per_order[order_id] = items_per_order.get(order_id, 0) + 1
        out.order_items.append(
            {
                "order_id": order_id,
                "product_id": pid,
                "variant_sku": sku,
                "quantity": values["quantity"],
                "unit_price_cents": values["unit_price"],
            }
        )
    for raw, values in order_pairs:
        ref = values["customer_id"]
        if missing(raw, "customer_id", ref, customer_ids, "customers", "is not a customer"):
            continue
        if not items_per_order.get(values["id"]):
            if values["id"] in failed["order_items"]:
                continue
            issues.append(raw.issue("id", f"order {values['id']!r} has no rows in order_items"))
            continue
        row = {c.column: values[c.name] for c in ORDER_COLUMNS}
        out.orders.append(row)
    all_orders = order_ids | set(existing.orders)
    for raw, values in converted("shipment_events"):
        if missing(raw, "order_id", values["order_id"], all_orders, "orders", "is not in orders"):
            continue
        out.shipment_events.append(values)

    all_products = set(skus_by_product)
    for raw, values in converted("interactions"):
        ref, pid = values["customer_id"], values["product_id"]
        if missing(raw, "customer_id", ref, customer_ids, "customers", "is not a customer"):
            continue
        if missing(raw, "product_id", pid, all_products, "products", "is not a product"):
            continue
        out.interactions.append(values)

    return ShopData(
        products=out.products,
        customers=out.customers,
        identities=out.identities,
        orders=out.orders,
        order_items=out.order_items,
        shipment_events=out.shipment_events,
        interactions=out.interactions,
    )


def read_export(path: Path, mode: Mode, issues: list[ImportIssue]) -> dict[str, list[_Raw]]:
    if path.is_dir():
        return _read_csv_dir(path, issues, mode)
    if path.is_file() and path.suffix.lower() == ".json":
        return _read_json(path, issues, mode)
    issues.append(
        ImportIssue(
            str(path),
            None,
            None,
            "expected a directory of CSV files (products.csv, customers.csv, orders.csv, "
            "order_items.csv, ...) or a .json file",
        )
    )
    return {}


def load_export(
    path: str | Path, cfg: Config, *, mode: Mode = "replace", existing: Existing | None = None
) -> ShopData:
    """Read and validate an export; raise :class:`ImportValidationError` listing every problem."""
    if mode not in ("replace", "append"):
        raise ValueError(f"mode must be 'replace' or 'append', got {mode!r}")
    issues: list[ImportIssue] = []
    sections = read_export(Path(path), mode, issues)
    data = validate_export(
        sections, ZoneInfo(cfg.shop.timezone), issues, existing or Existing(), datetime.now(UTC)
    )
    if issues:
        raise ImportValidationError(issues)
    return data


async def _existing(conn: AsyncConnection) -> Existing:
    product_rows = (await conn.execute(select(products.c.id, products.c.variants))).all()
    return Existing(
        products={
            r.id: frozenset(str(v.get("sku")) for v in (r.variants or []) if isinstance(v, dict))
            for r in product_rows
        },
        customers=frozenset((await conn.execute(select(customers.c.id))).scalars()),
        orders=frozenset((await conn.execute(select(orders.c.id))).scalars()),
        identities=frozenset(
            (r.channel, r.external_id)
            for r in (await conn.execute(select(identities.c.channel, identities.c.external_id)))
        ),
    )


async def import_shop(
    engine: AsyncEngine, path: str | Path, cfg: Config, *, mode: Mode = "replace"
) -> ImportStats:
    """Validate the export at ``path`` and write it in one transaction.

    ``replace`` swaps the whole shop (products, customers, orders, ...) for the export;
    ``append`` adds new records, which may refer to rows already in the database. Tickets and
    conversations are kept either way. Raises :class:`ImportValidationError` (nothing written).
    """
    await create_schema(engine)
    existing = Existing()
    if mode == "append":
        async with engine.connect() as conn:
            existing = await _existing(conn)
    data = await asyncio.to_thread(load_export, path, cfg, mode=mode, existing=existing)
    source = await asyncio.to_thread(lambda: str(Path(path).resolve()))
    async with serialized_writes(engine), engine.begin() as conn:
        if mode == "replace":
            await wipe_shop(conn)
        await write_shop(conn, data)
        await set_meta(conn, IMPORTED_AT, datetime.now(UTC).isoformat())
        await set_meta(conn, IMPORT_SOURCE, source)
    return ImportStats(source=str(path), mode=mode, counts=data.counts())

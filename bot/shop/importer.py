"""Load a shop's own export (CSV directory or one JSON file) into the database.

Everything is validated before anything is written; every problem is reported with its file,
line (CSV) or record (JSON) and field, e.g. ``orders.csv line 7, field total: 'abc' is not a
number``. The rows then go in with one transaction, so a failure leaves the database as it was.
The format is documented in docs/import.md and described in :mod:`bot.shop.export_format`;
:mod:`bot.shop.export_reader` reads the files, this module checks the whole export and writes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Config
from bot.progress import Progress, step
from bot.services.tickets import serialized_writes
from bot.services.web_identity import GUEST_PREFIX, is_guest
from bot.shop.export_format import (
    FAILED_KEY,
    ORDER_COLUMNS,
    SECTIONS,
    VARIANT_COLUMNS,
    Existing,
    ImportIssue,
    ImportStats,
    ImportValidationError,
    Mode,
    RawRecord,
)
from bot.shop.export_reader import convert_record, read_export
from bot.shop.store import (
    IMPORT_SOURCE,
    IMPORTED_AT,
    Row,
    ShopData,
    set_meta,
    total_rows,
    wipe_shop,
    write_shop,
)
from bot.storage.db import create_schema
from bot.storage.schema import customers, identities, orders, products


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
    raws: Iterable[tuple[RawRecord, dict[str, Any]]],
    key: Callable[[dict[str, Any]], Any],
    field_name: str,
    taken: Iterable[Any],
    issues: list[ImportIssue],
) -> list[tuple[RawRecord, dict[str, Any]]]:
    """Drop (and report) records whose key repeats an earlier record or an existing row."""
    seen: dict[Any, RawRecord] = {}
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
    sections: dict[str, list[RawRecord]],
    tz: ZoneInfo,
    issues: list[ImportIssue],
    existing: Existing,
    now: datetime,
) -> ShopData:
    """Convert and cross-check every record; append every problem to ``issues``."""

    # Keys of records that failed to convert: rows referring to them are not reported again
    # ("'A1002' is not in orders" after "orders.csv line 3, field total: ..." is just noise).
    failed: dict[str, set[str]] = {name: set() for name in SECTIONS}

    def converted(name: str) -> list[tuple[RawRecord, dict[str, Any]]]:
        pairs = []
        for raw in sections.get(name, []):
            values = convert_record(raw, SECTIONS[name], tz, issues)
            if values is not None:
                pairs.append((raw, values))
            else:
                failed[name].add(str(raw.values.get(FAILED_KEY.get(name, "id")) or "").strip())
        return pairs

    def missing(
        raw: RawRecord, field_name: str, ref: str, known: Any, section: str, what: str
    ) -> bool:
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
            vraw = RawRecord(raw.file, raw.line, label, item if isinstance(item, dict) else {})
            if not isinstance(item, dict):
                issues.append(vraw.issue(None, "must be an object"))
                continue
            v = convert_record(vraw, variant_columns, tz, issues)
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
            source: RawRecord = v["_raw"]
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
        if is_guest(values["channel"], values["external_id"]):
            issues.append(
                raw.issue(
                    "external_id",
                    f"{values['external_id']!r}: web ids starting with {GUEST_PREFIX!r} are "
                    "reserved for the web chat's guests",
                )
            )
            continue
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
    engine: AsyncEngine,
    path: str | Path,
    cfg: Config,
    *,
    mode: Mode = "replace",
    progress: bool = False,
) -> ImportStats:
    """Validate the export at ``path`` and write it in one transaction.

    ``replace`` swaps the whole shop (products, customers, orders, ...) for the export;
    ``append`` adds new records, which may refer to rows already in the database. Tickets and
    conversations are kept either way. ``progress`` shows a bar on stderr while rows are
    written (the CLI's ``import-shop``). Raises :class:`ImportValidationError` (nothing written).
    """
    await create_schema(engine)
    existing = Existing()
    if mode == "append":
        async with engine.connect() as conn:
            existing = await _existing(conn)
    if progress:
        with step(f"Reading and checking {path}"):
            data = await asyncio.to_thread(load_export, path, cfg, mode=mode, existing=existing)
    else:
        data = await asyncio.to_thread(load_export, path, cfg, mode=mode, existing=existing)
    source = await asyncio.to_thread(lambda: str(Path(path).resolve()))
    async with serialized_writes(engine), engine.begin() as conn:
        if mode == "replace":
            await wipe_shop(conn)
        bar = Progress("Importing the shop", total_rows(data), unit="rows") if progress else None
        await write_shop(conn, data, progress=bar)
        await set_meta(conn, IMPORTED_AT, datetime.now(UTC).isoformat())
        await set_meta(conn, IMPORT_SOURCE, source)
    return ImportStats(source=str(path), mode=mode, counts=data.counts())

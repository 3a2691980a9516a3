"""Importing a shop's own export: good CSV and JSON, every kind of bad row, all-or-nothing."""

from __future__ import annotations

import copy
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services.catalog import get_product, search_products
from bot.services.customers import resolve_customer
from bot.services.orders import get_order
from bot.services.tickets import create_ticket, list_tickets
from bot.shop import importer
from bot.shop.export_format import ImportValidationError
from bot.shop.importer import import_shop, load_export
from bot.shop.seed import seed_demo_shop
from bot.shop.store import count_shop
from bot.storage.schema import settings_kv

Export = dict[str, list[dict[str, Any]]]


def good_export() -> Export:
    return {
        "products": [
            {
                "id": "SKU-1",
                "name_en": "Bamboo Toothbrush",
                "name_zh": "竹炭牙刷",
                "category": "home",
                "price": "19.90",
                "brand": "EcoSmile",
                "aliases": "toothbrush|牙刷",
                "specs_en": '{"Bristles": "Soft"}',
                "specs_zh": '{"刷毛": "软毛"}',
                "rating": "4.6",
                "rating_count": "120",
                "stock": "80",
                "consumable": "true",
            },
            {
                "id": "SKU-2",
                "name_en": "Linen Shirt",
                "name_zh": "亚麻衬衫",
                "category": "clothing",
                "price": "1,199",
                "aliases": "shirt|衬衫",
            },
        ],
        "variants": [
            {
                "product_id": "SKU-2",
                "sku": "SKU-2-M-WHITE",
                "size": "M",
                "color_en": "White",
                "color_zh": "白色",
                "stock": "5",
            },
            {
                "product_id": "SKU-2",
                "sku": "SKU-2-L-WHITE",
                "size": "L",
                "color_en": "White",
                "color_zh": "白色",
                "stock": "0",
            },
        ],
        "customers": [
            {
                "id": "U1",
                "name": "Zhang San",
                "name_zh": "张三",
                "phone": "13900001111",
                "email": "zhangsan@example.cn",
                "language": "zh",
                "created_at": "2025-01-02",
            },
            {"id": "U2", "name": "Amy Lee", "phone": "+44 7700 900456", "language": "en"},
        ],
        "identities": [{"channel": "web", "external_id": "amy", "customer_id": "U2"}],
        "orders": [
            {
                "id": "A1001",
                "customer_id": "U1",
                "status": "delivered",
                "created_at": "2026-03-01 10:00",
                "paid_at": "2026-03-01 10:01",
                "shipped_at": "2026-03-02 09:00",
                "delivered_at": "2026-03-03T15:00:00+08:00",
                "total": "39.80",
                "payment_method": "alipay",
                "recipient": "张三",
                "phone": "13900001111",
                "shipping_address": "上海市徐汇区淮海路100号",
                "carrier": "SF Express",
                "tracking_number": "SF1234567890123",
            },
            {
                "id": "A1002",
                "customer_id": "U2",
                "status": "paid",
                "created_at": "2026-03-05T08:30:00Z",
                "total": "1199.00",
                "discount": "0",
                "shipping": "0",
                "recipient": "Amy Lee",
                "phone": "+44 7700 900456",
                "shipping_address": "Flat 2, 10 High Street, Oxford",
            },
        ],
        "order_items": [
            {"order_id": "A1001", "product_id": "SKU-1", "quantity": "2", "unit_price": "19.90"},
            {
                "order_id": "A1002",
                "product_id": "SKU-2",
                "variant_sku": "SKU-2-M-WHITE",
                "quantity": "1",
                "unit_price": "1199",
            },
        ],
        "shipment_events": [
            {
                "order_id": "A1001",
                "ts": "2026-03-02 09:00",
                "status": "picked_up",
                "location_en": "Shanghai",
                "location_zh": "上海",
                "description_en": "Picked up",
                "description_zh": "已揽收",
            },
            {"order_id": "A1001", "ts": "2026-03-03 15:00", "status": "delivered"},
        ],
    }


def write_csv(
    directory: Path, export: Export, *, header_extra: dict[str, list[str]] | None = None
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for section, rows in export.items():
        columns: list[str] = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        columns.extend((header_extra or {}).get(section, []))
        with (directory / f"{section}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
    return directory


def problems(excinfo: pytest.ExceptionInfo[ImportValidationError]) -> list[str]:
    return [str(issue) for issue in excinfo.value.issues]


async def shop_state(engine: AsyncEngine) -> tuple[dict[str, int], str | None]:
    async with engine.connect() as conn:
        counts = await count_shop(conn)
        seeded = await conn.scalar(
            select(settings_kv.c.value).where(settings_kv.c.key == "seeded_on")
        )
    return counts, seeded


# Good imports -----------------------------------------------------------------------------------
async def test_csv_import_replaces_the_shop(
    tmp_path: Path, shop_engine: AsyncEngine, cfg: Config
) -> None:
    ticket = await create_ticket(
        shop_engine,
        kind="complaint",
        order_id=None,
        customer_id="C0001",
        status="open",
        category=None,
        payload={},
        channel="web",
        sender_id="s",
        idempotency_key="keep-me",
    )
    stats = await import_shop(shop_engine, write_csv(tmp_path / "export", good_export()), cfg)
    assert stats.mode == "replace"
    assert stats.counts == {
        "products": 2,
        "customers": 2,
        "identities": 1,
        "orders": 2,
        "order_items": 2,
        "shipment_events": 2,
        "interactions": 0,
    }
    counts, seeded = await shop_state(shop_engine)
    assert counts == stats.counts and seeded is None
    assert [t.id for t in await list_tickets(shop_engine)] == [ticket.id]  # tickets stay

    order = await get_order(shop_engine, "A1001")
    assert order is not None
    assert order.created_at == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # shop time is UTC+8
    assert order.delivered_at == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert (order.total_cents, order.discount_cents, order.payment_method) == (3980, 0, "alipay")
    assert [e.status for e in order.events] == ["picked_up", "delivered"]
    assert order.items[0].quantity == 2 and order.items[0].unit_price_cents == 1990
    paid = await get_order(shop_engine, "A1002")
    assert paid is not None and paid.payment_method == "other"
    assert paid.created_at == datetime(2026, 3, 5, 8, 30, tzinfo=UTC)
    assert (paid.items[0].size, paid.items[0].color_zh) == ("M", "白色")

    shirt = await get_product(shop_engine, "SKU-2")
    assert shirt is not None and shirt.price_cents == 119900 and shirt.stock == 5
    brush = await get_product(shop_engine, "SKU-1")
    assert brush is not None and brush.consumable and brush.specs_zh == {"刷毛": "软毛"}
    assert brush.aliases == ("toothbrush", "牙刷") and brush.stock == 80
    assert (await search_products(shop_engine, "牙刷"))[0].product.id == "SKU-1"
    amy = await resolve_customer(shop_engine, "web", "amy")
    assert amy is not None and amy.language == "en"
    assert await get_order(shop_engine, "260315004217") is None  # the demo shop is gone

    again = await seed_demo_shop(shop_engine, cfg)  # `make run` seeds: an imported shop stays
    assert again.skipped and again.seeded_on is None and again.orders == 2


def as_json_export(export: Export) -> dict[str, Any]:
    """The same export the way a JSON exporter writes it: real numbers, lists and objects."""
    doc: dict[str, Any] = copy.deepcopy(export)
    variants = doc.pop("variants")
    for product in doc["products"]:
        product["aliases"] = product["aliases"].split("|")
        product["price"] = float(product["price"].replace(",", ""))
        for key in ("specs_en", "specs_zh"):
            if key in product:
                product[key] = json.loads(product[key])
        product["variants"] = [
            {k: (int(v) if k == "stock" else v) for k, v in variant.items() if k != "product_id"}
            for variant in variants
            if variant["product_id"] == product["id"]
        ]
        if product["variants"]:
            product.pop("stock", None)
    for item in doc["order_items"]:
        item["quantity"] = int(item["quantity"])
    return doc


async def test_json_import(tmp_path: Path, engine: AsyncEngine, cfg: Config) -> None:
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(as_json_export(good_export()), ensure_ascii=False), encoding="utf-8")
    stats = await import_shop(engine, path, cfg)
    assert stats.counts["orders"] == 2 and stats.counts["products"] == 2
    shirt = await get_product(engine, "SKU-2")
    assert shirt is not None and [v.sku for v in shirt.variants] == [
        "SKU-2-M-WHITE",
        "SKU-2-L-WHITE",
    ]


async def test_append_adds_to_the_existing_shop(
    tmp_path: Path, shop_engine: AsyncEngine, cfg: Config
) -> None:
    before, _ = await shop_state(shop_engine)
    new_order = {
        "id": "260500000001",
        "customer_id": "C0001",
        "status": "paid",
        "created_at": "2026-04-20 09:00",
        "total": "219",
        "recipient": "李伟",
        "phone": "13812345678",
        "shipping_address": "上海市浦东新区张江路88弄6号1202室",
    }
    item = {
        "order_id": "260500000001",
        "product_id": "P0001",
        "variant_sku": "P0001-WHITE",
        "quantity": "1",
        "unit_price": "219",
    }
    directory = write_csv(tmp_path / "more", {"orders": [new_order], "order_items": [item]})
    stats = await import_shop(shop_engine, directory, cfg, mode="append")
    assert stats.counts["orders"] == 1
    after, seeded = await shop_state(shop_engine)
    assert after["orders"] == before["orders"] + 1 and seeded is not None
    order = await get_order(shop_engine, "260500000001")
    assert order is not None and order.items[0].color_en == "White"

    with pytest.raises(ImportValidationError) as info:
        await import_shop(shop_engine, directory, cfg, mode="append")
    assert "orders.csv line 2, field id: '260500000001' already exists in the database" in problems(
        info
    )


# Bad rows ---------------------------------------------------------------------------------------
BAD_VALUES = [
    ("orders", 1, "total", "abc", "orders.csv line 3, field total: 'abc' is not a number"),
    ("products", 0, "price", "-5", "products.csv line 2, field price: '-5' must not be negative"),
    ("products", 0, "price", "19.999", "field price: '19.999' has more than 2 decimal places"),
    ("orders", 0, "status", "lost", "orders.csv line 2, field status: 'lost' is not one of"),
    ("orders", 0, "created_at", "yesterday", "field created_at: 'yesterday' is not a date/time"),
    ("orders", 0, "recipient", "", "orders.csv line 2, field recipient: is required"),
    (
        "customers",
        0,
        "email",
        "zhangsan",
        "customers.csv line 2, field email: 'zhangsan' is not an",
    ),
    ("customers", 1, "language", "fr", "customers.csv line 3, field language: 'fr' is not one of"),
    ("orders", 0, "phone", "call me", "field phone: 'call me' is not a phone number"),
    ("order_items", 0, "quantity", "0", "order_items.csv line 2, field quantity: '0' must be at"),
    ("order_items", 0, "quantity", "1.5", "field quantity: '1.5' is not a whole number"),
    ("order_items", 0, "product_id", "NOPE", "field product_id: 'NOPE' is not a product"),
    ("order_items", 1, "variant_sku", "SKU-2-XL", "'SKU-2-XL' is not a variant of product 'SKU-2'"),
    ("order_items", 1, "order_id", "A9999", "field order_id: 'A9999' is not in orders"),
    ("orders", 0, "customer_id", "U9", "orders.csv line 2, field customer_id: 'U9' is not a"),
    ("products", 0, "rating", "7", "products.csv line 2, field rating: '7' must be at most 5"),
    ("products", 0, "consumable", "maybe", "field consumable: 'maybe' is not true/false"),
    ("products", 0, "specs_en", "Bristles: soft", "field specs_en: 'Bristles: soft' is not a JSON"),
    (
        "products",
        1,
        "id",
        "SKU-1",
        "products.csv line 3, field id: 'SKU-1' repeats the record at line 2",
    ),
    ("products", 0, "stock", "many", "field stock: 'many' is not a whole number"),
    ("products", 1, "stock", "9", "field stock: 9 differs from the variants' total stock 5"),
    ("identities", 0, "customer_id", "U9", "identities.csv line 2, field customer_id: 'U9' is not"),
    # Guest ids of the web chat are nobody's: an import cannot link one to a customer.
    ("identities", 0, "external_id", "guest-0123", "field external_id: 'guest-0123': web ids"),
    ("shipment_events", 0, "status", "teleported", "shipment_events.csv line 2, field status"),
    ("shipment_events", 1, "order_id", "A404", "shipment_events.csv line 3, field order_id"),
    ("variants", 0, "stock", "-1", "variants.csv line 2, field stock: '-1' must be at least 0"),
    ("variants", 1, "product_id", "SKU-9", "variants.csv line 3, field product_id: 'SKU-9' is not"),
    ("products", 0, "name_zh", "长" * 201, "field name_zh: is 201 characters long; at most 200"),
]


@pytest.mark.parametrize(("section", "row", "field", "value", "message"), BAD_VALUES)
async def test_bad_value_is_reported_and_nothing_is_written(
    tmp_path: Path,
    shop_engine: AsyncEngine,
    cfg: Config,
    section: str,
    row: int,
    field: str,
    value: str,
    message: str,
) -> None:
    export = good_export()
    export[section][row][field] = value
    before = await shop_state(shop_engine)
    with pytest.raises(ImportValidationError) as info:
        await import_shop(shop_engine, write_csv(tmp_path / "bad", export), cfg)
    assert any(message in p for p in problems(info)), problems(info)
    assert message.split(":")[0] in str(info.value)
    assert await shop_state(shop_engine) == before


def test_every_problem_is_reported_at_once(tmp_path: Path, cfg: Config) -> None:
    export = good_export()
    export["orders"][0]["total"] = "abc"
    export["customers"][1]["email"] = "nope"
    export["order_items"][1]["quantity"] = "-2"
    with pytest.raises(ImportValidationError) as info:
        load_export(write_csv(tmp_path / "bad", export), cfg)
    assert len(info.value.issues) == 3
    assert str(info.value).startswith("3 problem(s) in the shop export:")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown_column", "products.csv line 1, field prcie: unknown column"),
        ("missing_column", "products.csv line 1, field price: required column is missing"),
        ("missing_file", "orders.csv: file is missing"),
        ("short_row", "customers.csv line 3: has 2 cells but the header has 7 columns"),
        ("no_items", "orders.csv line 3, field id: order 'A1002' has no rows in order_items"),
        ("not_utf8", "customers.csv: not UTF-8 text"),
        ("empty_file", "identities.csv line 1: the file is empty"),
    ],
)
def test_broken_files(tmp_path: Path, cfg: Config, change: str, message: str) -> None:
    export = good_export()
    extra: dict[str, list[str]] = {}
    if change == "unknown_column":
        extra["products"] = ["prcie"]
    elif change == "missing_column":
        for p in export["products"]:
            del p["price"]
    elif change == "no_items":
        export["order_items"] = export["order_items"][:1]
    directory = write_csv(tmp_path / "export", export, header_extra=extra)
    if change == "missing_file":
        (directory / "orders.csv").unlink()
    elif change == "short_row":
        lines = (directory / "customers.csv").read_text(encoding="utf-8").splitlines()
        lines[2] = "U2,Amy Lee"
        (directory / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif change == "not_utf8":
        (directory / "customers.csv").write_bytes("id,name\nU1,张三\n".encode("gbk"))
    elif change == "empty_file":
        (directory / "identities.csv").write_text("", encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        load_export(directory, cfg)
    assert any(p.startswith(message) for p in problems(info)), problems(info)


def test_csv_line_numbers_count_multiline_cells_and_blank_lines(
    tmp_path: Path, cfg: Config
) -> None:
    export = good_export()
    export["products"][0]["description_en"] = "line one\nline two\nline three"
    directory = write_csv(tmp_path / "export", export)
    text = (directory / "products.csv").read_text(encoding="utf-8")
    (directory / "products.csv").write_text(text.replace("SKU-2,", "\nSKU-2,"), encoding="utf-8")
    export_bad = (directory / "products.csv").read_text(encoding="utf-8").replace("1,199", "x")
    (directory / "products.csv").write_text(export_bad, encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        load_export(directory, cfg)
    assert problems(info) == ["products.csv line 6, field price: 'x' is not a number"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "shop.json line 1: invalid JSON"),
        ("[1, 2]", "shop.json: expected an object of lists"),
        ('{"products": {}}', "shop.json: section 'products' must be a list"),
        ('{"prodcts": []}', "shop.json: unknown section 'prodcts'"),
    ],
)
def test_broken_json(tmp_path: Path, cfg: Config, document: str, message: str) -> None:
    path = tmp_path / "shop.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        load_export(path, cfg)
    assert any(p.startswith(message) for p in problems(info)), problems(info)


def test_json_records_are_named_by_section_and_index(tmp_path: Path, cfg: Config) -> None:
    doc = as_json_export(good_export())
    doc["orders"][1]["total"] = "abc"
    doc["products"][1]["variants"][0]["stock"] = "lots"
    doc["customers"][0]["nickname"] = "Sanzi"
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportValidationError) as info:
        load_export(path, cfg)
    assert sorted(problems(info)) == sorted(
        [
            "shop.json orders[1], field total: 'abc' is not a number",
            "shop.json products[1].variants[0], field stock: 'lots' is not a whole number",
            "shop.json customers[0], field nickname: unknown field; expected some of "
            "['created_at', 'email', 'id', 'language', 'name', 'name_zh', 'phone', 'segment']",
        ]
    )


def test_unknown_path_kind(tmp_path: Path, cfg: Config) -> None:
    path = tmp_path / "shop.xlsx"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ImportValidationError, match="expected a directory of CSV files"):
        load_export(path, cfg)
    with pytest.raises(ValueError, match="mode"):
        load_export(path, cfg, mode="merge")  # type: ignore[arg-type]


async def test_a_failure_while_writing_rolls_everything_back(
    tmp_path: Path, shop_engine: AsyncEngine, cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await shop_state(shop_engine)
    real_write = importer.write_shop

    async def write_then_fail(conn: Any, data: Any, **kwargs: Any) -> None:
        await real_write(conn, data, **kwargs)  # every row is in (after the old shop was wiped) ...
        raise RuntimeError("disk full")  # ... and then the write fails

    monkeypatch.setattr(importer, "write_shop", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        await import_shop(shop_engine, write_csv(tmp_path / "export", good_export()), cfg)
    assert await shop_state(shop_engine) == before
    assert await get_order(shop_engine, "260315004217") is not None
    assert await get_order(shop_engine, "A1001") is None


# The example in docs/import.md ------------------------------------------------------------------
DOCS = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def doc_blocks() -> tuple[dict[str, str], str]:
    """The CSV files (named by the `file.csv` line before each block) and the JSON block."""
    text = DOCS.read_text(encoding="utf-8")
    csv_files = dict(re.findall(r"`(\w+\.csv)`\n\n```csv\n(.*?)```", text, flags=re.S))
    (json_text,) = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    return csv_files, json_text


async def test_the_documented_example_imports(
    tmp_path: Path, engine: AsyncEngine, cfg: Config
) -> None:
    csv_files, json_text = doc_blocks()
    assert set(csv_files) >= {"products.csv", "customers.csv", "orders.csv", "order_items.csv"}
    directory = tmp_path / "docs-export"
    directory.mkdir()
    for name, content in csv_files.items():
        (directory / name).write_text(content, encoding="utf-8")
    from_csv = await import_shop(engine, directory, cfg)
    (tmp_path / "shop.json").write_text(json_text, encoding="utf-8")
    from_json = await import_shop(engine, tmp_path / "shop.json", cfg)
    assert from_csv.counts == from_json.counts
    assert from_json.counts["orders"] == 1 and from_json.counts["products"] == 2
    order = await get_order(engine, "A1001")
    assert order is not None and order.latest_event is not None
    assert order.latest_event.description_zh == "顺丰速运已揽收"

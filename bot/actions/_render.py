"""Orders and products in words, in the customer's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.i18n import (
    Lang,
    carrier_name,
    fmt_date,
    fmt_datetime,
    join_list,
    money,
    status_name,
    t,
)
from bot.payloads import button
from bot.services.types import Order, OrderItem, Product

from .policy import expected_ship_by

LOW_STOCK = 10
MAX_SPECS = 4


def item_name(item: OrderItem, lang: Lang) -> str:
    name = item.name_zh if lang == "zh" else item.name_en
    return f"{name} ×{item.quantity}" if item.quantity > 1 else name


def items_summary(order: Order, lang: Lang) -> str:
    """ "Wireless Earbuds" or "Wireless Earbuds and 2 more"."""
    if not order.items:
        return status_name(order.status, lang)
    first = item_name(order.items[0], lang)
    if len(order.items) == 1:
        return first
    return t(
        "order.more_items",
        lang,
        first=first,
        count=len(order.items) - 1,
        total=sum(item.quantity for item in order.items),
    )


def order_button(order: Order, lang: Lang) -> dict[str, str]:
    title = t(
        "order.button",
        lang,
        order_id=order.id,
        item=items_summary(order, lang),
        status=status_name(order.status, lang),
    )
    return button(title, "inform", order_id=order.id)


def order_status_text(order: Order, lang: Lang, tz: str, now: datetime) -> str:
    """Status, carrier, tracking number, latest shipment event and ETA of ``order``."""
    lines = [
        t(
            "status.headline",
            lang,
            order_id=order.id,
            items=items_summary(order, lang),
            total=money(order.total_cents),
            status=status_name(order.status, lang),
        )
    ]
    if order.status == "pending_payment":
        lines.append(t("status.pending_payment", lang))
    elif order.status == "paid":
        ship_by = expected_ship_by(order, now)
        if ship_by is not None and ship_by > now:
            lines.append(t("status.ship_by", lang, date=fmt_date(ship_by, lang, tz)))
        else:
            lines.append(t("status.ship_soon", lang))
    if order.carrier and order.tracking_number and order.status not in {"paid", "cancelled"}:
        lines.append(
            t(
                "status.carrier",
                lang,
                carrier=carrier_name(order.carrier, lang),
                tracking=order.tracking_number,
            )
        )
    event = order.latest_event
    if event is not None and order.status in {"shipped", "in_transit", "delivered", "returned"}:
        location = event.location_zh if lang == "zh" else event.location_en
        description = event.description_zh if lang == "zh" else event.description_en
        lines.append(
            t(
                "status.latest_event",
                lang,
                time=fmt_datetime(event.ts, lang, tz),
                location=location,
                description=description,
            )
        )
    if order.status in {"shipped", "in_transit"} and order.eta is not None:
        lines.append(t("status.eta", lang, date=fmt_date(order.eta, lang, tz)))
    if order.status == "paid" and order.eta is not None:
        lines.append(t("status.eta", lang, date=fmt_date(order.eta, lang, tz)))
    if order.status == "delivered" and order.delivered_at is not None:
        lines.append(
            t("status.delivered_at", lang, time=fmt_datetime(order.delivered_at, lang, tz))
        )
    if order.status == "cancelled" and order.cancelled_at is not None:
        lines.append(
            t("status.cancelled_at", lang, time=fmt_datetime(order.cancelled_at, lang, tz))
        )
    if order.status == "returned":
        lines.append(t("status.returned", lang))
    return "\n".join(lines)


def variants_text(product: Product, lang: Lang) -> str | None:
    """ "M (12), L (sold out); black, white" style list of sizes and colours with stock."""
    parts: list[str] = []
    for variant in product.variants:
        colour = variant.color_zh if lang == "zh" else variant.color_en
        label = " ".join(part for part in (colour, variant.size) if part)
        if not label:
            continue
        stock = str(variant.stock) if variant.stock > 0 else t("product.variant_out", lang)
        parts.append(f"{label} ({stock})" if lang == "en" else f"{label}（{stock}）")
    return join_list(parts, lang) if parts else None


def product_text(product: Product, lang: Lang) -> str:
    """Price, stock, variants, key specs and rating of ``product``."""
    lines = [
        t(
            "product.headline",
            lang,
            name=product.name(lang),
            brand=product.brand,
            price=money(product.price_cents),
            rating=f"{product.rating:.1f}",
            count=product.rating_count,
        )
    ]
    if product.stock <= 0:
        lines.append(t("product.out_of_stock", lang))
    elif product.stock < LOW_STOCK:
        lines.append(t("product.low_stock", lang, stock=product.stock))
    else:
        lines.append(t("product.in_stock", lang, stock=product.stock))
    variants = variants_text(product, lang)
    if variants:
        lines.append(t("product.variants", lang, variants=variants))
    specs = list(product.specs(lang).items())[:MAX_SPECS]
    if specs:
        sep = "：" if lang == "zh" else ": "
        spec_text = join_list([f"{key}{sep}{value}" for key, value in specs], lang)
        lines.append(t("product.specs", lang, specs=spec_text))
    description = product.description_zh if lang == "zh" else product.description_en
    if description:
        lines.append(description)
    return "\n".join(lines)


def product_cards(products: list[Product], lang: Lang) -> dict[str, Any]:
    """The custom ``product_cards`` message the gateway renders per channel."""
    return {
        "type": "product_cards",
        "products": [
            {
                "id": product.id,
                "name": product.name(lang),
                "price": round(product.price_cents / 100, 2),
                "price_text": money(product.price_cents),
                "currency": "CNY",
                "image": product.image_url,
                "rating": product.rating,
                "stock": product.stock,
            }
            for product in products
        ],
    }

"""Plain values the services hand to callers (actions, gateway, admin). No Rasa, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Lang = Literal["zh", "en"]


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    name_zh: str | None
    phone: str | None
    email: str | None
    language: str
    segment: str


@dataclass(frozen=True)
class OrderItem:
    product_id: str
    name_en: str
    name_zh: str
    category: str
    variant_sku: str | None
    size: str | None
    color_en: str | None
    color_zh: str | None
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class ShipmentEvent:
    ts: datetime
    # picked_up | departed | arrived | out_for_delivery | delivered | exception
    status: str
    location_en: str
    location_zh: str
    description_en: str
    description_zh: str


@dataclass(frozen=True)
class Order:
    id: str
    customer_id: str
    # pending_payment | paid | shipped | in_transit | delivered | cancelled | returned
    status: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    total_cents: int
    discount_cents: int
    shipping_cents: int
    payment_method: str
    recipient: str
    phone: str
    shipping_address: str
    carrier: str | None
    tracking_number: str | None
    eta: datetime | None
    items: tuple[OrderItem, ...] = ()
    events: tuple[ShipmentEvent, ...] = ()  # oldest first

    @property
    def latest_event(self) -> ShipmentEvent | None:
        return self.events[-1] if self.events else None


@dataclass(frozen=True)
class Variant:
    sku: str
    size: str | None
    color_en: str | None
    color_zh: str | None
    stock: int


@dataclass(frozen=True)
class Product:
    id: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...]
    category: str
    brand: str
    price_cents: int
    stock: int
    variants: tuple[Variant, ...]
    specs_en: dict[str, str] = field(hash=False)
    specs_zh: dict[str, str] = field(hash=False)
    description_en: str
    description_zh: str
    rating: float
    rating_count: int
    image_url: str
    consumable: bool

    def name(self, lang: Lang) -> str:
        return self.name_zh if lang == "zh" else self.name_en

    def specs(self, lang: Lang) -> dict[str, str]:
        return self.specs_zh if lang == "zh" else self.specs_en


@dataclass(frozen=True)
class ProductMatch:
    product: Product
    score: float  # 0-100


@dataclass(frozen=True)
class Ticket:
    id: str
    # cancellation | address_change | return | exchange | refund | complaint | message
    kind: str
    order_id: str | None
    customer_id: str | None
    status: str  # see bot.services.ticket_states.TRANSITIONS
    category: str | None
    payload: dict[str, Any] = field(hash=False)
    channel: str | None
    sender_id: str | None
    created_at: datetime
    updated_at: datetime
    severity: str | None = None  # complaints: low | medium | high | critical
    sla_due_at: datetime | None = None  # complaints: when the shop's answer is due

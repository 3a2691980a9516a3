"""Tables of the shop and of the assistant's own state.

SQLAlchemy Core, so the same statements run on SQLite (embedded default) and PostgreSQL
(scale-out). Money is stored as integer cents (fen) to avoid float rounding. Timestamps are
timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("id", String(32), primary_key=True),  # "P0001"
    Column("name_en", String(200), nullable=False),
    Column("name_zh", String(200), nullable=False),
    # Short and common names customers use ("earbuds", "耳机"), both languages.
    Column("aliases", JSON, nullable=False, default=list),
    Column("category", String(40), nullable=False),  # key, e.g. "electronics"
    Column("brand", String(80), nullable=False, default=""),
    Column("price_cents", Integer, nullable=False),  # CNY fen
    Column("stock", Integer, nullable=False, default=0),  # sum over variants
    # [{"sku", "size", "color_en", "color_zh", "stock"}]; size/colours may be None
    Column("variants", JSON, nullable=False, default=list),
    # {"en": {"Battery": "30 h"}, "zh": {"续航": "30 小时"}}
    Column("specs", JSON, nullable=False, default=dict),
    Column("description_en", Text, nullable=False, default=""),
    Column("description_zh", Text, nullable=False, default=""),
    Column("rating", Float, nullable=False, default=0.0),  # 0-5
    Column("rating_count", Integer, nullable=False, default=0),
    Column("image_url", String(500), nullable=False, default=""),
    Column("consumable", Boolean, nullable=False, default=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(32), primary_key=True),  # "C0001"
    Column("name", String(120), nullable=False),
    Column("name_zh", String(120), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("email", String(200), nullable=True),
    Column("language", String(8), nullable=False, default="zh"),
    Column("segment", String(40), nullable=False, default="regular"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A customer's identity on a channel: ("web", "demo-liwei"), ("telegram", "12345").
identities = Table(
    "identities",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(32), primary_key=True),  # 12 digits in the demo shop
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
    # pending_payment | paid | shipped | in_transit | delivered | cancelled | returned
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("shipped_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("total_cents", Integer, nullable=False),  # after discount, incl. shipping
    Column("discount_cents", Integer, nullable=False, default=0),
    Column("shipping_cents", Integer, nullable=False, default=0),
    Column("payment_method", String(30), nullable=False, default="alipay"),
    Column("recipient", String(120), nullable=False),
    Column("phone", String(40), nullable=False),  # contact phone on the order
    Column("shipping_address", Text, nullable=False),
    Column("carrier", String(60), nullable=True),  # "SF Express"
    Column("tracking_number", String(60), nullable=True),
    Column("eta", DateTime(timezone=True), nullable=True),
)
Index("ix_orders_customer", orders.c.customer_id, orders.c.created_at)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(32), ForeignKey("orders.id"), nullable=False, index=True),
    Column("product_id", String(32), ForeignKey("products.id"), nullable=False),
    Column("variant_sku", String(64), nullable=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
)

shipment_events = Table(
    "shipment_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(32), ForeignKey("orders.id"), nullable=False, index=True),
    Column("ts", DateTime(timezone=True), nullable=False),
    # picked_up | departed | arrived | out_for_delivery | delivered | exception
    Column("status", String(30), nullable=False),
    Column("location_en", String(120), nullable=False, default=""),
    Column("location_zh", String(120), nullable=False, default=""),
    Column("description_en", String(300), nullable=False, default=""),
    Column("description_zh", String(300), nullable=False, default=""),
)

# Browsing and purchase signals for recommendations: view | cart | purchase.
interactions = Table(
    "interactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False, index=True),
    Column("product_id", String(32), ForeignKey("products.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(40), primary_key=True),  # "TK-20261128-0001"
    # cancellation | address_change | return | exchange | refund | complaint | message
    Column("kind", String(30), nullable=False),
    Column("order_id", String(32), nullable=True, index=True),
    Column("customer_id", String(32), nullable=True, index=True),
    Column("status", String(30), nullable=False),
    Column("category", String(60), nullable=True),
    Column("payload", JSON, nullable=False, default=dict),
    Column("channel", String(20), nullable=True),
    Column("sender_id", String(200), nullable=True),
    # The same request twice makes one ticket: callers derive a key from its content.
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every message in and out, for the learning loop and staff views.
messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),  # "web:demo-liwei"
    Column("direction", String(4), nullable=False),  # in | out
    Column("channel", String(20), nullable=False),
    Column("text", Text, nullable=True),
    Column("payload", JSON, nullable=True),
    Column("language", String(8), nullable=True),
    Column("intent", String(80), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_messages_conversation", messages.c.conversation_id, messages.c.id)

settings_kv = Table(
    "shop_meta",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
    UniqueConstraint("key", name="uq_shop_meta_key"),
)

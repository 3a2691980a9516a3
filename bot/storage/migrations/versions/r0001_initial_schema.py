"""The schema as it was when migrations began (tables, indexes, constraints).

A frozen copy of bot/storage/schema.py and bot/storage/studio_schema.py on that day: later
changes of those files go in later revisions, never here. ``python -m bot migrate`` also uses
:data:`metadata` to bring a database made by the old ``create_all`` (no ``alembic_version``)
to this shape before stamping it.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

metadata = sa.MetaData()

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name_en", sa.String(200), nullable=False),
    sa.Column("name_zh", sa.String(200), nullable=False),
    sa.Column("aliases", sa.JSON, nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("brand", sa.String(80), nullable=False),
    sa.Column("price_cents", sa.Integer, nullable=False),
    sa.Column("stock", sa.Integer, nullable=False),
    sa.Column("variants", sa.JSON, nullable=False),
    sa.Column("specs", sa.JSON, nullable=False),
    sa.Column("description_en", sa.Text, nullable=False),
    sa.Column("description_zh", sa.Text, nullable=False),
    sa.Column("rating", sa.Float, nullable=False),
    sa.Column("rating_count", sa.Integer, nullable=False),
    sa.Column("image_url", sa.String(500), nullable=False),
    sa.Column("consumable", sa.Boolean, nullable=False),
)
customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("name_zh", sa.String(120), nullable=True),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("email", sa.String(200), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("segment", sa.String(40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
customer_segments = sa.Table(
    "customer_segments",
    metadata,
    sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("segment", sa.String(60), nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)
identities = sa.Table(
    "identities",
    metadata,
    sa.Column("channel", sa.String(20), primary_key=True),
    sa.Column("external_id", sa.String(200), primary_key=True),
    sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
)
access_attempts = sa.Table(
    "access_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("subject", sa.String(240), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index(
    "ix_access_attempts_subject",
    access_attempts.c.kind,
    access_attempts.c.subject,
    access_attempts.c.target,
    access_attempts.c.created_at,
)
link_tokens = sa.Table(
    "link_tokens",
    metadata,
    sa.Column("nonce", sa.String(16), primary_key=True),
    sa.Column("customer_id", sa.String(32), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(200), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
)
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("total_cents", sa.Integer, nullable=False),
    sa.Column("discount_cents", sa.Integer, nullable=False),
    sa.Column("shipping_cents", sa.Integer, nullable=False),
    sa.Column("payment_method", sa.String(30), nullable=False),
    sa.Column("recipient", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(40), nullable=False),
    sa.Column("shipping_address", sa.Text, nullable=False),
    sa.Column("carrier", sa.String(60), nullable=True),
    sa.Column("tracking_number", sa.String(60), nullable=True),
    sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
)
sa.Index("ix_orders_customer", orders.c.customer_id, orders.c.created_at)
order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("product_id", sa.String(32), sa.ForeignKey("products.id"), nullable=False),
    sa.Column("variant_sku", sa.String(64), nullable=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_cents", sa.Integer, nullable=False),
)
shipment_events = sa.Table(
    "shipment_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_id", sa.String(32), sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("location_en", sa.String(120), nullable=False),
    sa.Column("location_zh", sa.String(120), nullable=False),
    sa.Column("description_en", sa.String(300), nullable=False),
    sa.Column("description_zh", sa.String(300), nullable=False),
)
interactions = sa.Table(
    "interactions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "customer_id", sa.String(32), sa.ForeignKey("customers.id"), nullable=False, index=True
    ),
    sa.Column("product_id", sa.String(32), sa.ForeignKey("products.id"), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
)
tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("order_id", sa.String(32), nullable=True, index=True),
    sa.Column("customer_id", sa.String(32), nullable=True, index=True),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("category", sa.String(60), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("channel", sa.String(20), nullable=True),
    sa.Column("sender_id", sa.String(200), nullable=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("severity", sa.String(10), nullable=True),
    sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
)
ticket_events = sa.Table(
    "ticket_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(40), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
    sa.Column("from_status", sa.String(30), nullable=True),
    sa.Column("to_status", sa.String(30), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
)
sa.Index("ix_ticket_events_ticket", ticket_events.c.ticket_id, ticket_events.c.id)
messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("direction", sa.String(4), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("payload", sa.JSON, nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("intent", sa.String(80), nullable=True),
    sa.Column("confidence", sa.Float, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_messages_conversation", messages.c.conversation_id, messages.c.id)
settings_kv = sa.Table(
    "shop_meta",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.UniqueConstraint("key", name="uq_shop_meta_key"),
)
inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("dedupe_key", sa.String(200), nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("payload", sa.Text, nullable=True),
    sa.Column("attachments", sa.JSON, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("address", sa.JSON, nullable=False),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("inline_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("holding_sent", sa.Boolean, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("channel", "dedupe_key", name="uq_inbox_channel_dedupe"),
)
sa.Index("ix_inbox_conversation", inbox.c.conversation_id, inbox.c.id)
sa.Index("ix_inbox_status_due", inbox.c.status, inbox.c.next_attempt_at)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("inbox_id", sa.Integer, nullable=True, index=True),
    sa.Column("address", sa.JSON, nullable=False),
    sa.Column("message", sa.JSON, nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("delivered_inline", sa.Boolean, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
)
sa.Index("ix_outbox_status_due", outbox.c.status, outbox.c.next_attempt_at)
sa.Index("ix_outbox_conversation", outbox.c.conversation_id, outbox.c.id)
conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("conversation_id", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("address", sa.JSON, nullable=False),
    sa.Column("customer_id", sa.String(32), nullable=True),
    sa.Column("language", sa.String(8), nullable=True),
    sa.Column("owner", sa.String(8), nullable=False),
    sa.Column("handoff_id", sa.Integer, nullable=True),
    sa.Column("handoff_state", sa.String(12), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
channel_options = sa.Table(
    "channel_options",
    metadata,
    sa.Column("conversation_id", sa.String(200), primary_key=True),
    sa.Column("options", sa.JSON, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
telegram_callbacks = sa.Table(
    "telegram_callbacks",
    metadata,
    sa.Column("token", sa.String(32), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
_HANDOFF_OPEN = ("waiting", "active", "message")
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("external_id", sa.String(128), nullable=False),
    sa.Column("customer_id", sa.String(32), nullable=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("inbox_id", sa.Integer, nullable=True, unique=True),
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("sentiment", sa.Float, nullable=True),
    sa.Column("needs_thread", sa.Boolean, nullable=False),
    sa.Column("slack_channel", sa.String(40), nullable=True),
    sa.Column("thread_ts", sa.String(40), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("desk_version", sa.Integer, nullable=False),
    sa.Column("desk_attempts", sa.Integer, nullable=False),
    sa.Column("desk_retry_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("staff_user", sa.String(40), nullable=True),
    sa.Column("staff_name", sa.String(120), nullable=True),
    sa.Column("ended_by", sa.String(80), nullable=True),
    sa.Column("rasa_state", sa.String(16), nullable=False),
    sa.Column("claim_deadline", sa.DateTime(timezone=True), nullable=True),
    sa.Column("offer_deadline", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ticket_id", sa.String(40), nullable=True),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("rating_open", sa.Boolean, nullable=False),
    sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_handoffs_conversation", handoffs.c.conversation_id, handoffs.c.id)
sa.Index("ix_handoffs_status", handoffs.c.status)
sa.Index("ix_handoffs_thread", handoffs.c.slack_channel, handoffs.c.thread_ts)
sa.Index(
    "uq_handoffs_open_conversation",
    handoffs.c.conversation_id,
    unique=True,
    sqlite_where=handoffs.c.status.in_(_HANDOFF_OPEN),
    postgresql_where=handoffs.c.status.in_(_HANDOFF_OPEN),
)
handoff_messages = sa.Table(
    "handoff_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("attachments", sa.JSON, nullable=False),
    sa.Column("staff_user", sa.String(40), nullable=True),
    sa.Column("staff_name", sa.String(120), nullable=True),
    sa.Column("inbox_id", sa.Integer, nullable=True, unique=True),
    sa.Column("slack_ts", sa.String(40), nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("handoff_id", "slack_ts", name="uq_handoff_messages_slack_ts"),
)
sa.Index("ix_handoff_messages_handoff", handoff_messages.c.handoff_id, handoff_messages.c.id)
sa.Index(
    "ix_handoff_messages_status", handoff_messages.c.status, handoff_messages.c.next_attempt_at
)
privacy_audit = sa.Table(
    "privacy_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("customer_id", sa.String(32), nullable=False, index=True),
    sa.Column("action", sa.String(10), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("kept", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
studio_audit = sa.Table(
    "studio_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("before", sa.JSON, nullable=True),
    sa.Column("after", sa.JSON, nullable=True),
)
sa.Index("ix_studio_audit_kind_name", studio_audit.c.kind, studio_audit.c.name, studio_audit.c.id)
studio_jobs = sa.Table(
    "studio_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("stage", sa.String(40), nullable=True),
    sa.Column("progress", sa.Float, nullable=False),
    sa.Column("activate", sa.Boolean, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("version", sa.String(60), nullable=True),
)
studio_models = sa.Table(
    "studio_models",
    metadata,
    sa.Column("version", sa.String(60), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("job_id", sa.Integer, nullable=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("metrics", sa.JSON, nullable=True),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("diff", sa.Text, nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=True),
    sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
)
admin_users = sa.Table(
    "admin_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
)
admin_sessions = sa.Table(
    "admin_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("csrf_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)


def upgrade() -> None:
    metadata.create_all(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())

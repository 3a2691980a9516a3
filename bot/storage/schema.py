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

# The segment each customer was put in by the last `python -m bot segments` (bot.insight): kept
# apart from customers.segment, which is the shop's own tier (vip, regular, new) that rules use.
customer_segments = Table(
    "customer_segments",
    metadata,
    Column("customer_id", String(32), ForeignKey("customers.id"), primary_key=True),
    Column("segment", String(60), nullable=False),
    Column("method", String(20), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# A customer's identity on a channel: ("web", "demo-liwei"), ("telegram", "12345").
identities = Table(
    "identities",
    metadata,
    Column("channel", String(20), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("customer_id", String(32), ForeignKey("customers.id"), nullable=False),
)

# Wrong answers to a proof of identity, per sender ("<channel>:<external id>"): a phone number
# that is not the one on an order (kind "phone", target the order id), a forged or malformed
# link token (kind "link", target ""). Too many within access.window_minutes lock that check
# for the sender (bot/services/attempts.py); a right answer clears the sender's rows.
access_attempts = Table(
    "access_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),  # phone | link
    Column("subject", String(240), nullable=False),  # "telegram:12345"
    Column("target", String(64), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index(
    "ix_access_attempts_subject",
    access_attempts.c.kind,
    access_attempts.c.subject,
    access_attempts.c.target,
    access_attempts.c.created_at,
)

# Link tokens that were used (bot/services/linking.py): a token is signed and names the
# customer, so only its use is stored; the primary key makes every token single-use.
link_tokens = Table(
    "link_tokens",
    metadata,
    Column("nonce", String(16), primary_key=True),
    Column("customer_id", String(32), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
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
    # Added later, so nullable (create_schema adds them to older databases): complaints get a
    # severity (low | medium | high | critical) and the deadline of the shop's answer.
    Column("severity", String(10), nullable=True),
    Column("sla_due_at", DateTime(timezone=True), nullable=True),
)

# Every change of a ticket's status: who (customer, system, staff:<name>), when, from, to, why.
ticket_events = Table(
    "ticket_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(40), ForeignKey("tickets.id"), nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("from_status", String(30), nullable=True),  # None: the ticket was created
    Column("to_status", String(30), nullable=False),
    Column("note", Text, nullable=True),
)
Index("ix_ticket_events_ticket", ticket_events.c.ticket_id, ticket_events.c.id)

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
# The staff dashboard counts the conversations with a customer message in a window of days.
Index("ix_messages_created", messages.c.created_at)

settings_kv = Table(
    "shop_meta",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
    UniqueConstraint("key", name="uq_shop_meta_key"),
)

# Every customer message a channel accepted, stored before anything else happens to it, so a
# restart or a Rasa outage loses nothing. ``dedupe_key`` is the platform's own id of the update
# (Telegram update_id, Slack event_id, WeChat MsgId): a platform retry finds the row and stops.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("dedupe_key", String(200), nullable=True),
    Column("text", Text, nullable=True),
    Column("payload", Text, nullable=True),
    Column("attachments", JSON, nullable=False, default=list),
    Column("meta", JSON, nullable=False, default=dict),
    # Where replies go (chat id, Slack channel and thread); written by the adapter.
    Column("address", JSON, nullable=False, default=dict),
    Column("language", String(8), nullable=True),
    # pending -> processing -> done | failed
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    # Replies may be handed back in the HTTP response until then (web chat, WeChat passive).
    Column("inline_until", DateTime(timezone=True), nullable=True),
    Column("holding_sent", Boolean, nullable=False, default=False),
    Column("last_error", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("channel", "dedupe_key", name="uq_inbox_channel_dedupe"),
)
Index("ix_inbox_conversation", inbox.c.conversation_id, inbox.c.id)
Index("ix_inbox_status_due", inbox.c.status, inbox.c.next_attempt_at)

# Every message to a customer, stored before it is sent and retried with backoff until the
# platform takes it. Sent in id order within a conversation.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("inbox_id", Integer, nullable=True, index=True),
    Column("address", JSON, nullable=False, default=dict),
    Column("message", JSON, nullable=False),  # OutgoingMessage.to_json()
    Column("kind", String(12), nullable=False),  # reply | holding | notice
    # pending -> sending -> sent | failed
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("delivered_inline", Boolean, nullable=False, default=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
)
Index("ix_outbox_status_due", outbox.c.status, outbox.c.next_attempt_at)
Index("ix_outbox_conversation", outbox.c.conversation_id, outbox.c.id)

# One row per conversation ("<channel>:<external id>"), the one place its current state is
# kept: where replies go (the address of the customer's latest message), who the customer is,
# the language of their latest message and who answers (the bot, or staff while a handoff is
# open, with that handoff's state). Written by the pipeline (bot/core/conversations.py) and the
# handoff; read when the bot writes first (staff replies, ticket notices).
conversations = Table(
    "conversations",
    metadata,
    Column("conversation_id", String(200), primary_key=True),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),  # the sender on that channel
    Column("address", JSON, nullable=False, default=dict),
    Column("customer_id", String(32), nullable=True),
    Column("language", String(8), nullable=True),
    Column("owner", String(8), nullable=False),  # bot | staff
    Column("handoff_id", Integer, nullable=True),  # the latest handoff
    # that handoff's status (waiting | active | message | resolved | ...); None: never one
    Column("handoff_state", String(12), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The numbered options last shown on a channel without buttons (WeChat text): "2" then means
# the second option's payload. One row per conversation, replaced by the next set.
channel_options = Table(
    "channel_options",
    metadata,
    Column("conversation_id", String(200), primary_key=True),
    Column("options", JSON, nullable=False),  # [{"title": ..., "payload": ...}, ...]
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Telegram limits a button's callback_data to 64 bytes: a longer payload is sent as a short
# token (a hash of the payload) and looked up here when the button is pressed, even after a
# restart. Rows are never updated; the same payload always maps to the same token.
telegram_callbacks = Table(
    "telegram_callbacks",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A conversation handed to staff (bot/handoff/service.py): waiting -> active (claimed) ->
# resolved | closed, or cancelled by the customer, or expired after an unclaimed wait (with
# the ticket of the message the customer left, if any). At most one open per conversation.
HANDOFF_OPEN_STATUSES = ("waiting", "active", "message")
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("external_id", String(128), nullable=False),
    Column("customer_id", String(32), nullable=True),
    Column("language", String(8), nullable=False),
    # customer_request | two_fallbacks | negative_sentiment | severe_complaint | vip | order_value
    Column("reason", String(40), nullable=False),
    Column("detail", JSON, nullable=False, default=dict),  # what fired: score, severity, order
    # waiting | active | message (offered to leave one) | resolved | closed | cancelled | expired
    Column("status", String(12), nullable=False),
    # The inbox message whose turn started it: a retried turn finds it instead of a second one.
    Column("inbox_id", Integer, nullable=True, unique=True),
    # What staff see in the opening message, taken when it started: customer, orders, turns.
    Column("snapshot", JSON, nullable=False, default=dict),
    Column("sentiment", Float, nullable=True),
    Column("needs_thread", Boolean, nullable=False, default=True),
    Column("slack_channel", String(40), nullable=True),
    Column("thread_ts", String(40), nullable=True),
    # Bumped on each change; the Slack opening message is re-rendered until it shows it.
    Column("version", Integer, nullable=False, default=1),
    Column("desk_version", Integer, nullable=False, default=0),
    Column("desk_attempts", Integer, nullable=False, default=0),
    Column("desk_retry_at", DateTime(timezone=True), nullable=True),
    Column("staff_user", String(40), nullable=True),
    Column("staff_name", String(120), nullable=True),
    Column("ended_by", String(80), nullable=True),  # staff:<user> | customer | system
    # pause_pending | paused | resume_pending | running: the Rasa conversation's state
    Column("rasa_state", String(16), nullable=False),
    Column("claim_deadline", DateTime(timezone=True), nullable=True),
    Column("offer_deadline", DateTime(timezone=True), nullable=True),
    Column("ticket_id", String(40), nullable=True),  # the message left after an unclaimed wait
    Column("rating", Integer, nullable=True),  # 1-5, asked for after resolve
    Column("rating_open", Boolean, nullable=False, default=False),
    Column("rated_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_handoffs_conversation", handoffs.c.conversation_id, handoffs.c.id)
Index("ix_handoffs_status", handoffs.c.status)
Index("ix_handoffs_thread", handoffs.c.slack_channel, handoffs.c.thread_ts)
Index(
    "uq_handoffs_open_conversation",
    handoffs.c.conversation_id,
    unique=True,
    sqlite_where=handoffs.c.status.in_(HANDOFF_OPEN_STATUSES),
    postgresql_where=handoffs.c.status.in_(HANDOFF_OPEN_STATUSES),
)

# Messages of a handoff: the customer's (relayed to the Slack thread, retried until Slack takes
# them), staff replies (relayed to the customer through the outbox) with the staff member who
# wrote them, internal notes, and the gateway's own notices in the thread.
handoff_messages = Table(
    "handoff_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False),
    # customer | staff | note | system | suggestion (the large model's draft for staff)
    Column("direction", String(10), nullable=False),
    Column("text", Text, nullable=True),
    Column("attachments", JSON, nullable=False, default=list),
    Column("staff_user", String(40), nullable=True),
    Column("staff_name", String(120), nullable=True),
    Column("inbox_id", Integer, nullable=True, unique=True),  # a customer message, relayed once
    Column("slack_ts", String(40), nullable=True),  # a staff message, taken once
    # pending -> sent | failed: the relay to the other side; kept: stored only (no thread)
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("handoff_id", "slack_ts", name="uq_handoff_messages_slack_ts"),
)
Index("ix_handoff_messages_handoff", handoff_messages.c.handoff_id, handoff_messages.c.id)
Index("ix_handoff_messages_status", handoff_messages.c.status, handoff_messages.c.next_attempt_at)

# --- personal data: what was exported or erased, by whom (bot/services/privacy_data.py) -------
privacy_audit = Table(
    "privacy_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False, index=True),
    Column("action", String(10), nullable=False),  # export | erase
    Column("actor", String(200), nullable=False),  # "customer" | "staff:<name>"
    Column("counts", JSON, nullable=False, default=dict),  # table -> rows erased or exported
    Column("kept", JSON, nullable=False, default=list),  # [{"what": "orders", "rows": n}]
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# --- the proactive service (bot/services/proactive.py, bot/core/proactive.py) ----------------
# One row per message the shop starts itself about a parcel or a product: the unique key makes
# it at most once per (order or product, reason, customer); the row is written in the same
# transaction as its outbox row. status: held (found in quiet hours, sent after send_after) |
# queued (in the outbox: outbox_id) | no_channel (the customer never wrote to us: recorded for
# staff only). staff_alert: slack | logged (no Slack desk) | failed.
proactive_notices = Table(
    "proactive_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False, index=True),
    Column("subject", String(40), nullable=False),  # an order id or a product id
    Column("reason", String(20), nullable=False),  # delay_risk | stalled | back_in_stock
    Column("status", String(12), nullable=False),
    Column("language", String(8), nullable=False),
    Column("conversation_id", String(200), nullable=True),
    Column("channel", String(20), nullable=True),
    Column("outbox_id", Integer, nullable=True),
    Column("text", Text, nullable=False),  # what the customer is (or will be) sent
    Column("detail", JSON, nullable=False, default=dict),  # risk, reasons, offer, last scan
    Column("staff_alert", String(10), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("send_after", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),  # written to the outbox
    UniqueConstraint("subject", "reason", "customer_id", name="uq_proactive_notices_once"),
)
Index("ix_proactive_notices_status", proactive_notices.c.status, proactive_notices.c.send_after)

# A customer asked about a product while it was sold out (the product action records it); the
# proactive service tells them once it is back in stock.
stock_asks = Table(
    "stock_asks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", String(32), nullable=False, index=True),
    Column("product_id", String(32), nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),  # the latest ask
    UniqueConstraint("customer_id", "product_id", name="uq_stock_asks_customer_product"),
)

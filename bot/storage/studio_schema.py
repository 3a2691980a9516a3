"""Tables of the admin studio (bot/studio), on the shop's metadata.

Imported by bot/storage/db.py so that ``create_schema`` creates them with the others.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.storage.schema import metadata

# Every saved change of the Rasa project: who, when, what, before and after.
studio_audit = Table(
    "studio_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # faq | nlu | rule | story | model | user
    Column("name", String(200), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)
Index("ix_studio_audit_kind_name", studio_audit.c.kind, studio_audit.c.name, studio_audit.c.id)

# One row per training job: queued -> running -> succeeded | failed | rejected. The table is
# the gateways' shared job queue: a job worker claims a queued job with a lease
# (``lease_owner``, ``lease_until``) and renews it while the job runs; a running job whose lease
# ran out (its gateway died) is failed by another gateway's worker.
studio_jobs = Table(
    "studio_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("author", String(100), nullable=False),
    Column("status", String(12), nullable=False),
    Column("stage", String(40), nullable=True),
    Column("progress", Float, nullable=False, default=0.0),
    Column("activate", Boolean, nullable=False, default=True),
    Column("metrics", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("version", String(60), nullable=True),
    Column("lease_owner", String(100), nullable=True),  # the job worker running it
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("heartbeat_at", DateTime(timezone=True), nullable=True),
)
Index("ix_studio_jobs_status", studio_jobs.c.status, studio_jobs.c.id)

# Trained model versions: trained -> active -> retired (or rejected); the project files they
# were trained on and the diff against the version before.
studio_models = Table(
    "studio_models",
    metadata,
    Column("version", String(60), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("job_id", Integer, nullable=True),
    Column("path", Text, nullable=False),
    Column("status", String(12), nullable=False),  # trained | active | retired | rejected
    Column("metrics", JSON, nullable=True),
    Column("files", JSON, nullable=False),  # project file -> sha256 of its text
    Column("diff", Text, nullable=False),  # unified diff against the previous version
    Column("snapshot", JSON, nullable=True),  # project file -> text (for the next diff)
    Column("activated_at", DateTime(timezone=True), nullable=True),
)

# Accounts of the admin web pages (the API also takes ADMIN_TOKEN).
admin_users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),  # editor | reviewer | owner
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# Login sessions: the cookie's token and the CSRF token are stored as SHA-256 hashes.
admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("csrf_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The review queue: customer messages the assistant failed on (NLU fallbacks, low confidence,
# handoffs, low ratings, "that did not help"), with personal data redacted
# (bot/services/redact.py). Identical redacted texts of one kind are one item with a count.
review_items = Table(
    "review_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # nlu_fallback | fallback | low_confidence | handoff | low_rating | not_helpful | paraphrase
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),  # redacted
    Column("text_hash", String(64), nullable=False),  # sha256 of the normalised redacted text
    Column("language", String(2), nullable=False),
    Column("intent", String(120), nullable=True),  # the model's top intent
    Column("confidence", Float, nullable=True),
    Column("conversation_id", String(200), nullable=False),  # the first conversation
    Column("detail", JSON, nullable=True),  # handoff reason, rating, the answer that did not help
    Column("count", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False),  # open | labelled | dismissed
    Column("label", String(120), nullable=True),  # the intent, or out_of_scope
    Column("reviewer", String(100), nullable=True),
    Column("reviewed_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("kind", "text_hash", name="uq_review_items_kind_text"),
)
Index("ix_review_items_status", review_items.c.status, review_items.c.id)

# Which customer message was already collected (sender + message id + kind): an action run
# again for the same message, or a second action of the same turn, adds nothing.
review_messages = Table(
    "review_messages",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("item_id", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

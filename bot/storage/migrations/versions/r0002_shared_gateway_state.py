"""Shared gateway state: API tokens (WeChat) and rate-limit buckets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 15:22:00.507639
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.create_index("ix_rate_buckets_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_buckets", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_buckets_at")

    op.drop_table("rate_buckets")
    op.drop_table("api_tokens")

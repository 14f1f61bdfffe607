"""referral: a stored screening sent to a 相談窓口 (desk), with optional contact details

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.Column("desk_id", sa.String(length=64), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral") as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_screening_id"), ["screening_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referral_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_created_at"))
        batch_op.drop_index(batch_op.f("ix_referral_screening_id"))
    op.drop_table("referral")

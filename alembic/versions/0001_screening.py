"""screening: every screening as it was shown (profile, result, catalog and model versions, as_of)

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "screening",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("catalog_version", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint("source IN ('api', 'batch', 'web', 'cli')", name=op.f("ck_screening_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    with op.batch_alter_table("screening") as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_screening_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening") as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_created_at"))
        batch_op.drop_index(batch_op.f("ix_screening_case_id"))
    op.drop_table("screening")

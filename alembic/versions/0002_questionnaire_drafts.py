"""questionnaire_draft: answers of the web questionnaire, kept after consent so a person can resume

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "questionnaire_draft",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("progress", JSON, nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_questionnaire_draft")),
    )
    with op.batch_alter_table("questionnaire_draft") as batch_op:
        batch_op.create_index(batch_op.f("ix_questionnaire_draft_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("questionnaire_draft") as batch_op:
        batch_op.drop_index(batch_op.f("ix_questionnaire_draft_updated_at"))
    op.drop_table("questionnaire_draft")

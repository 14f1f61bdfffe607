"""A screening stored as facts, rendered on read: table catalog_version (every published catalog, content-
addressed), screening.facts (the language-neutral outcome, compressed) and screening.result now nullable.

Rows stored before keep their rendered `result` (no facts) and open through the compatibility path of
app/web/stored.py; nothing is rewritten, so the migration is quick on a large table.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "catalog_version",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_catalog_version")),
    )
    with op.batch_alter_table("screening") as batch:
        batch.add_column(sa.Column("facts", sa.LargeBinary(), nullable=True))
        batch.alter_column("result", existing_type=JSON, nullable=True)


def downgrade() -> None:
    # Rows stored as facts have no rendered result to go back to: they are dropped with the column.
    op.execute("DELETE FROM screening WHERE result IS NULL")
    with op.batch_alter_table("screening") as batch:
        batch.alter_column("result", existing_type=JSON, nullable=False)
        batch.drop_column("facts")
    op.drop_table("catalog_version")

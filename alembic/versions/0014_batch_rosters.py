"""batch rosters: the uploaded file's hash (a re-upload is noticed), skipped duplicate rows, notes per row and
per job (inferred values, gBizINFO prefill, a missing name column)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("batch_job") as batch:
        batch.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("skip_duplicates", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("skipped_rows", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("notices", JSON, nullable=False, server_default="{}"))
        batch.create_index(batch.f("ix_batch_job_file_sha256"), ["file_sha256"], unique=False)
    with op.batch_alter_table("batch_job_row") as batch:
        batch.add_column(sa.Column("notes", JSON, nullable=False, server_default="[]"))
        batch.drop_constraint(op.f("ck_batch_job_row_status"), type_="check")
        batch.create_check_constraint(op.f("ck_batch_job_row_status"), "status IN ('ok', 'error', 'skipped')")


def downgrade() -> None:
    op.execute("DELETE FROM batch_job_row WHERE status = 'skipped'")
    with op.batch_alter_table("batch_job_row") as batch:
        batch.drop_constraint(op.f("ck_batch_job_row_status"), type_="check")
        batch.create_check_constraint(op.f("ck_batch_job_row_status"), "status IN ('ok', 'error')")
        batch.drop_column("notes")
    with op.batch_alter_table("batch_job") as batch:
        batch.drop_index(batch.f("ix_batch_job_file_sha256"))
        batch.drop_column("notices")
        batch.drop_column("skipped_rows")
        batch.drop_column("skip_duplicates")
        batch.drop_column("file_sha256")

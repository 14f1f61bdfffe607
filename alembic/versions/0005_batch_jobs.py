"""batch jobs of the console: uploaded member lists (batch_job), their rows (batch_job_row) and the
printable summaries made in the background (batch_job_file)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "batch_job",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("desk_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_bytes", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("create_cases", sa.Boolean(), nullable=False),
        sa.Column("make_pdfs", sa.Boolean(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("ok_rows", sa.Integer(), nullable=False),
        sa.Column("error_rows", sa.Integer(), nullable=False),
        sa.Column("ignored_columns", JSON, nullable=False),
        sa.Column("failure", JSON, nullable=True),
        sa.Column("pdf_status", sa.String(length=16), nullable=False),
        sa.Column("pdf_total", sa.Integer(), nullable=False),
        sa.Column("pdf_done", sa.Integer(), nullable=False),
        sa.Column("pdf_parts", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("pdf_status IN ('none', 'pending', 'running', 'done', 'failed', 'skipped')",
                           name=op.f("ck_batch_job_pdf_status")),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_batch_job_status")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_batch_job_desk_id_desk")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_batch_job_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_job")),
    )
    with op.batch_alter_table("batch_job") as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_job_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_batch_job_desk_id"), ["desk_id"], unique=False)

    op.create_table(
        "batch_job_row",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("errors", JSON, nullable=False),
        sa.Column("cells", JSON, nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.CheckConstraint("status IN ('ok', 'error')", name=op.f("ck_batch_job_row_status")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_batch_job_row_case_id_case")),
        sa.ForeignKeyConstraint(["job_id"], ["batch_job.id"], name=op.f("fk_batch_job_row_job_id_batch_job"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "number", name=op.f("pk_batch_job_row")),
    )

    op.create_table(
        "batch_job_file",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('row', 'part')", name=op.f("ck_batch_job_file_kind")),
        sa.ForeignKeyConstraint(["job_id"], ["batch_job.id"], name=op.f("fk_batch_job_file_job_id_batch_job"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch_job_file")),
        sa.UniqueConstraint("job_id", "kind", "number", name=op.f("uq_batch_job_file_job_id_kind_number")),
    )
    with op.batch_alter_table("batch_job_file") as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_job_file_job_id"), ["job_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("batch_job_file") as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_job_file_job_id"))
    op.drop_table("batch_job_file")
    op.drop_table("batch_job_row")
    with op.batch_alter_table("batch_job") as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_job_desk_id"))
        batch_op.drop_index(batch_op.f("ix_batch_job_created_at"))
    op.drop_table("batch_job")

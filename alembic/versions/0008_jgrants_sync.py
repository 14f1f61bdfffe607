"""jGrants sync: published synced rounds (jgrants_round), drafts for review (jgrants_draft), sync runs
(jgrants_sync_run) and SQLite's lock row (jgrants_sync_lock); tables of app/jgrants/models.py

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jgrants_round",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("jgrants_id", sa.String(length=32), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=32), nullable=False),
        sa.Column("name_ja", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("operator_ja", sa.String(length=200), nullable=False),
        sa.Column("operator_en", sa.String(length=200), nullable=False),
        sa.Column("operator_url", sa.String(length=500), nullable=True),
        sa.Column("opens_at", TS, nullable=False),
        sa.Column("closes_at", TS, nullable=False),
        sa.Column("prerequisites", JSON, nullable=False),
        sa.Column("source_title", sa.String(length=500), nullable=False),
        sa.Column("source_href", sa.String(length=500), nullable=False),
        sa.Column("checked_at", sa.Date(), nullable=False),
        sa.Column("reception", sa.String(length=8), nullable=True),
        sa.Column("api_url", sa.String(length=500), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_jgrants_round")),
    )
    with op.batch_alter_table("jgrants_round") as batch_op:
        batch_op.create_index(batch_op.f("ix_jgrants_round_jgrants_id"), ["jgrants_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jgrants_round_program_id"), ["program_id"], unique=False)

    op.create_table(
        "jgrants_draft",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("jgrants_id", sa.String(length=32), nullable=False),
        sa.Column("round_key", sa.String(length=64), nullable=False),
        sa.Column("program_id", sa.String(length=64), nullable=True),
        sa.Column("area", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("call_text", sa.String(), nullable=False),
        sa.Column("proposed", JSON, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_href", sa.String(length=500), nullable=False),
        sa.Column("api_url", sa.String(length=500), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_note", sa.String(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f("ck_jgrants_draft_status")),
        sa.CheckConstraint("kind IN ('unplaced', 'new_program', 'money', 'dates')", name=op.f("ck_jgrants_draft_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jgrants_draft")),
    )
    with op.batch_alter_table("jgrants_draft") as batch_op:
        batch_op.create_index(batch_op.f("ix_jgrants_draft_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_jgrants_draft_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_jgrants_draft_jgrants_id"), ["jgrants_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jgrants_draft_content_hash"), ["content_hash"], unique=False)

    op.create_table(
        "jgrants_sync_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("calls_seen", sa.Integer(), nullable=False),
        sa.Column("calls_ignored", sa.Integer(), nullable=False),
        sa.Column("rounds_added", sa.Integer(), nullable=False),
        sa.Column("rounds_changed", sa.Integer(), nullable=False),
        sa.Column("rounds_unchanged", sa.Integer(), nullable=False),
        sa.Column("drafts_created", sa.Integer(), nullable=False),
        sa.Column("failures", JSON, nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'ok', 'partial', 'failed')", name=op.f("ck_jgrants_sync_run_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jgrants_sync_run")),
    )
    with op.batch_alter_table("jgrants_sync_run") as batch_op:
        batch_op.create_index(batch_op.f("ix_jgrants_sync_run_started_at"), ["started_at"], unique=False)

    op.create_table(
        "jgrants_sync_lock",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_jgrants_sync_lock")),
    )


def downgrade() -> None:
    op.drop_table("jgrants_sync_lock")
    with op.batch_alter_table("jgrants_sync_run") as batch_op:
        batch_op.drop_index(batch_op.f("ix_jgrants_sync_run_started_at"))
    op.drop_table("jgrants_sync_run")
    with op.batch_alter_table("jgrants_draft") as batch_op:
        for name in ("content_hash", "jgrants_id", "status", "created_at"):
            batch_op.drop_index(batch_op.f(f"ix_jgrants_draft_{name}"))
    op.drop_table("jgrants_draft")
    with op.batch_alter_table("jgrants_round") as batch_op:
        batch_op.drop_index(batch_op.f("ix_jgrants_round_program_id"))
        batch_op.drop_index(batch_op.f("ix_jgrants_round_jgrants_id"))
    op.drop_table("jgrants_round")

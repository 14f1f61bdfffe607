"""Issue 16 hardening: the per-address referral rate limit (table referral_attempt) and one pending referral
per screening and desk enforced by a partial unique index (PostgreSQL and SQLite both have them);
user.must_change_password (a temporary password must be changed before the console can be used); table
job_lease (batch jobs claimed under a lease with a heartbeat, resumed by another worker after a crash).

Before the index is made, older duplicates (a flood before the check existed) are closed, the earliest
pending referral of each screening and desk is kept; cases already imported from them stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
PENDING = sa.text("status <> 'closed'")


def upgrade() -> None:
    op.create_table(
        "referral_attempt",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_attempt")),
    )
    op.create_index("ix_referral_attempt_client_at", "referral_attempt", ["client_hash", "at"], unique=False)
    op.execute(
        "UPDATE referral SET status = 'closed' WHERE status <> 'closed' AND EXISTS ("
        " SELECT 1 FROM referral AS r2 WHERE r2.screening_id = referral.screening_id"
        " AND r2.desk_id = referral.desk_id AND r2.status <> 'closed'"
        " AND (r2.created_at < referral.created_at OR (r2.created_at = referral.created_at AND r2.id < referral.id)))")
    op.create_index("uq_referral_pending", "referral", ["screening_id", "desk_id"], unique=True,
                    postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_table(
        "job_lease",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_lease")),
    )
    op.create_index(op.f("ix_job_lease_lease_until"), "job_lease", ["lease_until"], unique=False)
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_index(op.f("ix_job_lease_lease_until"), table_name="job_lease")
    op.drop_table("job_lease")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("must_change_password")
    op.drop_index("uq_referral_pending", table_name="referral", postgresql_where=PENDING, sqlite_where=PENDING)
    op.drop_index("ix_referral_attempt_client_at", table_name="referral_attempt")
    op.drop_table("referral_attempt")

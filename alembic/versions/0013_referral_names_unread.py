"""Referrals ask the company and the person as two fields (referral.company_name), and a case that arrives at a
desk stays marked unread until someone of that desk opens it (case.unread_desk_id); issue 14 item 5.

Older referrals keep their one 「お名前・会社名」 text in contact_name (company_name NULL) and stay readable;
older cases are not marked unread.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.add_column(sa.Column("company_name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("unread_desk_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_column("unread_desk_id")
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("company_name")

"""company_cache: gBizINFO's record of a company by 法人番号, kept NAVI_GBIZINFO_CACHE_TTL_HOURS (app/companies)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "company_cache",
        sa.Column("corporate_number", sa.String(length=13), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("record", JSON, nullable=True),
        sa.PrimaryKeyConstraint("corporate_number", name=op.f("pk_company_cache")),
    )


def downgrade() -> None:
    op.drop_table("company_cache")

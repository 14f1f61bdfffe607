"""Catalog review and ranking logs: catalog_editor (who may review jGrants drafts), catalog_change (approved
changes applied to the live catalog), ranking_log (the list shown per screening), ranking_feedback (advisors'
picks, skips and stages per program on a case). Tables of app/store/catalog_review.py and app/store/ranking.py.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel.sql.sqltypes.AutoString)
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('catalog_change',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('draft_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('change', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_change'))
    )
    with op.batch_alter_table('catalog_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_change_approved_at'), ['approved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_change_draft_id'), ['draft_id'], unique=False)

    op.create_table('ranking_log',
    sa.Column('screening_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('ranker', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('catalog_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('items', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("ranker IN ('prior', 'learned')", name=op.f('ck_ranking_log_ranker')),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_ranking_log_screening_id_screening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('screening_id', name=op.f('pk_ranking_log'))
    )
    op.create_table('catalog_editor',
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_catalog_editor_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_catalog_editor'))
    )
    op.create_table('ranking_feedback',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('case_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('screening_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('program_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('pick', 'skip', 'referred', 'applied', 'adopted', 'not_adopted')", name=op.f('ck_ranking_feedback_action')),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_ranking_feedback_case_id_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_feedback'))
    )
    with op.batch_alter_table('ranking_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranking_feedback_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ranking_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranking_feedback_case_id'))

    op.drop_table('ranking_feedback')
    op.drop_table('catalog_editor')
    op.drop_table('ranking_log')
    with op.batch_alter_table('catalog_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_change_draft_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_change_approved_at'))

    op.drop_table('catalog_change')

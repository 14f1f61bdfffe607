"""console: desks, desk staff, server-side sessions, login throttling, cases, revisions, notes, outcomes,
workflow events and the append-only audit log (triggers refuse UPDATE / DELETE of audit_event)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


# The audit log is append-only: no route updates or deletes it, and the database refuses it too.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only (UPDATE refused)'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only (DELETE refused)'); END",
)


def _append_only_audit() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    elif dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _drop_append_only_audit() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action IN ('view', 'create', 'update', 'refer', 'note', 'outcome', 'export', 'login', 'logout', 'login_failed', 'password_change')", name=op.f("ck_audit_event_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_audit_event_desk_id_at", ["desk_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_user_id"), ["user_id"], unique=False)

    op.create_table(
        "desk",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=150), nullable=True),
        sa.Column("prefecture", sa.String(length=8), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("url", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('inpit_desk', 'yorozu', 'chamber')", name=op.f("ck_desk_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk")),
    )
    with op.batch_alter_table("desk") as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_prefecture"), ["prefecture"], unique=False)

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt") as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempt_at"), ["at"], unique=False)
        batch_op.create_index("ix_login_attempt_email_at", ["email", "at"], unique=False)
        batch_op.create_index("ix_login_attempt_ip_at", ["ip", "at"], unique=False)

    op.create_table(
        "user",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("desk_id", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('advisor', 'desk_admin', 'chamber_staff')", name=op.f("ck_user_role")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_user_desk_id_desk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("email", name=op.f("uq_user_email")),
    )
    with op.batch_alter_table("user") as batch_op:
        batch_op.create_index(batch_op.f("ix_user_desk_id"), ["desk_id"], unique=False)

    op.create_table(
        "case",
        sa.Column("desk_id", sa.String(length=64), nullable=False),
        sa.Column("referred_to_desk_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("prefecture", sa.String(length=8), nullable=True),
        sa.Column("profile", JSON, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("latest_screening_id", sa.String(length=36), nullable=True),
        sa.Column("referral_id", sa.String(length=36), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('new', 'screened', 'referred', 'applied', 'adopted', 'not_adopted', 'closed')", name=op.f("ck_case_status")),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], name=op.f("fk_case_created_by_user")),
        sa.ForeignKeyConstraint(["desk_id"], ["desk.id"], name=op.f("fk_case_desk_id_desk")),
        sa.ForeignKeyConstraint(["referred_to_desk_id"], ["desk.id"], name=op.f("fk_case_referred_to_desk_id_desk")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_case_referral_id")),
    )
    with op.batch_alter_table("case") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_desk_id"), ["desk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_prefecture"), ["prefecture"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_referred_to_desk_id"), ["referred_to_desk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "login_session",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_login_session_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
    )
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "case_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_event_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_case_event_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_note",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_note_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_case_note_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    with op.batch_alter_table("case_note") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_note_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_outcome",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("desk_id", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("outcome IN ('referred', 'applied', 'adopted', 'not_adopted', 'not_suitable')", name=op.f("ck_case_outcome_outcome")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_outcome_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_case_outcome_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_outcome")),
    )
    with op.batch_alter_table("case_outcome") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_outcome_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_program",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("program_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount_yen", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_program_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "program_id", name=op.f("pk_case_program")),
    )
    with op.batch_alter_table("case_program") as batch_op:
        batch_op.create_index("ix_case_program_program_id_status", ["program_id", "status"], unique=False)

    op.create_table(
        "case_revision",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("profile_before", JSON, nullable=False),
        sa.Column("profile_after", JSON, nullable=False),
        sa.Column("case_before", JSON, nullable=False),
        sa.Column("case_after", JSON, nullable=False),
        sa.Column("changed_fields", JSON, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_revision_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_case_revision_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_revision")),
    )
    with op.batch_alter_table("case_revision") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_revision_case_id"), ["case_id"], unique=False)

    _append_only_audit()



def downgrade() -> None:
    _drop_append_only_audit()
    with op.batch_alter_table("case_revision") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_revision_case_id"))
    op.drop_table("case_revision")
    with op.batch_alter_table("case_program") as batch_op:
        batch_op.drop_index("ix_case_program_program_id_status")
    op.drop_table("case_program")
    with op.batch_alter_table("case_outcome") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_outcome_case_id"))
    op.drop_table("case_outcome")
    with op.batch_alter_table("case_note") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_note_case_id"))
    op.drop_table("case_note")
    with op.batch_alter_table("case_event") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_event_case_id"))
    op.drop_table("case_event")
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_login_session_expires_at"))
    op.drop_table("login_session")
    with op.batch_alter_table("case") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_updated_at"))
        batch_op.drop_index(batch_op.f("ix_case_status"))
        batch_op.drop_index(batch_op.f("ix_case_referred_to_desk_id"))
        batch_op.drop_index(batch_op.f("ix_case_prefecture"))
        batch_op.drop_index(batch_op.f("ix_case_desk_id"))
        batch_op.drop_index(batch_op.f("ix_case_created_at"))
    op.drop_table("case")
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_desk_id"))
    op.drop_table("user")
    with op.batch_alter_table("login_attempt") as batch_op:
        batch_op.drop_index("ix_login_attempt_ip_at")
        batch_op.drop_index("ix_login_attempt_email_at")
        batch_op.drop_index(batch_op.f("ix_login_attempt_at"))
    op.drop_table("login_attempt")
    with op.batch_alter_table("desk") as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_prefecture"))
    op.drop_table("desk")
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_user_id"))
        batch_op.drop_index("ix_audit_event_desk_id_at")
        batch_op.drop_index(batch_op.f("ix_audit_event_case_id"))
    op.drop_table("audit_event")

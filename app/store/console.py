"""Tables of the advisor console (SQLModel), in the family style of `app.store.screenings`: XBase / XCreate / X / XPublic.

    desk            the 相談窓口 (ids of programs/desks.yaml), with contact fields the desk admins fill in
    user            desk staff: advisor, desk_admin or chamber_staff of one desk; Argon2 password hash
    login_session   server-side sessions: sha256 of the cookie's token, CSRF token, expiry
    login_attempt   login attempts (throttling shared by every app server)
    case            a client company's case, owned by one desk, optionally referred to another desk
    case_program    the programs of a case's latest screening (status, amount): the list's program filter
    case_revision   every profile edit: who, when, before / after and the changed fields
    case_note       notes of the advisors
    case_outcome    per-program outcomes (referred, applied, adopted, ...): the scorer's training labels
    case_event      the workflow's events (status changes, referrals between desks, re-screenings)
    audit_event     append-only audit log (database triggers refuse UPDATE and DELETE)

The table class of `desk` is `DeskRecord` (not `Desk`, which is the YAML model of `app.desks`).
Any change here needs a migration in `alembic/versions/` (`alembic check` in `make test` fails otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, Text, false
from sqlmodel import Field, SQLModel

from app.store.base import JSONType, new_id, sql_in, utcnow

DESK_KINDS = ("inpit_desk", "yorozu", "chamber")
ROLES = ("advisor", "desk_admin", "chamber_staff")
STATUSES = ("new", "screened", "referred", "applied", "adopted", "not_adopted", "closed")
OUTCOMES = ("referred", "applied", "adopted", "not_adopted", "not_suitable")
ACTIONS = ("view", "create", "update", "refer", "note", "outcome", "export", "login", "logout",
           "login_failed", "password_change")

DeskKind = Literal["inpit_desk", "yorozu", "chamber"]
Role = Literal["advisor", "desk_admin", "chamber_staff"]
Status = Literal["new", "screened", "referred", "applied", "adopted", "not_adopted", "closed"]
OutcomeKind = Literal["referred", "applied", "adopted", "not_adopted", "not_suitable"]
Action = Literal["view", "create", "update", "refer", "note", "outcome", "export", "login", "logout",
                 "login_failed", "password_change"]

NOTE_MAX = 4000
COMPANY_MAX = 200


def _ts(index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=index)


# ------------------------------------------------------------------ desks


class DeskBase(SQLModel):
    kind: str = Field(max_length=16, description="inpit_desk / yorozu / chamber")
    name: str = Field(max_length=100, description="窓口名（日本語）")
    name_en: str | None = Field(default=None, max_length=150, description="窓口名（英語）")
    prefecture: str = Field(max_length=8, index=True, description="都道府県")
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    url: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=300)


class DeskCreate(DeskBase):
    id: str = Field(max_length=64)
    kind: DeskKind


class DeskRecord(DeskBase, table=True):
    __tablename__ = "desk"
    __table_args__ = (CheckConstraint(f"kind IN {sql_in(DESK_KINDS)}", name="kind"),)

    id: str = Field(primary_key=True, max_length=64, description="programs/desks.yaml の id")
    created_at: dt.datetime = _ts()


class DeskPublic(DeskBase):
    id: str


# ------------------------------------------------------------------ users and sessions


class UserBase(SQLModel):
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, description="ログイン ID（小文字）")
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=16, description="advisor / desk_admin / chamber_staff")
    desk_id: str = Field(max_length=64, sa_column_args=[ForeignKey("desk.id")], index=True)
    active: bool = Field(default=True)


class UserCreate(UserBase):
    role: Role
    password: str = Field(min_length=10, max_length=256)


class User(UserBase, table=True):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint(f"role IN {sql_in(ROLES)}", name="role"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    password_hash: str = Field(max_length=255)
    created_at: dt.datetime = _ts()
    password_changed_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # A temporary password (account added or password reset by a desk administrator): every console page
    # sends the user to 「パスワード変更」 until they set their own (migration 0011, issue 16).
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class UserPublic(UserBase):
    id: str
    created_at: dt.datetime


class LoginSessionBase(SQLModel):
    user_id: str = Field(max_length=36, sa_column_args=[ForeignKey("user.id", ondelete="CASCADE")], index=True)
    expires_at: dt.datetime = Field(sa_type=DateTime(timezone=True), nullable=False, index=True)
    csrf_token: str = Field(max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginSession(LoginSessionBase, table=True):
    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64, description="sha256(トークン) の16進表記")
    created_at: dt.datetime = _ts()
    last_seen_at: dt.datetime = _ts()


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: dt.datetime = _ts(index=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    success: bool = Field(default=False)


# ------------------------------------------------------------------ cases


class CaseBase(SQLModel):
    desk_id: str = Field(max_length=64, sa_column_args=[ForeignKey("desk.id")], index=True,
                         description="案件を持つ窓口")
    referred_to_desk_id: str | None = Field(default=None, max_length=64, sa_column_args=[ForeignKey("desk.id")],
                                            index=True, description="紹介先の窓口")
    status: str = Field(default="new", max_length=16, index=True)
    company_name: str = Field(max_length=COMPANY_MAX)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=32)
    prefecture: str | None = Field(default=None, max_length=8, index=True)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, description="プロフィール（as_of なし）")
    as_of: dt.date | None = Field(default=None, description="判定の基準日（なければ今日）")


class CaseCreate(CaseBase):
    status: Status = "new"


class Case(CaseBase, table=True):
    __tablename__ = "case"
    __table_args__ = (CheckConstraint(f"status IN {sql_in(STATUSES)}", name="status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    latest_screening_id: str | None = Field(default=None, max_length=36)
    unread_desk_id: str | None = Field(default=None, max_length=64,
                                       description="新しく届いて、まだ開いていない窓口（開くと空になる）")
    referral_id: str | None = Field(default=None, max_length=36, sa_column_kwargs={"unique": True},
                                    description="相談者が結果ページから送った referral.id")
    search_text: str = Field(default="", sa_type=Text, description="会社名・事業内容・担当者（検索用、NFKC・小文字）")
    created_by: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("user.id")])
    created_at: dt.datetime = _ts(index=True)
    updated_at: dt.datetime = _ts(index=True)


class CasePublic(CaseBase):
    id: str
    latest_screening_id: str | None
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseProgram(SQLModel, table=True):
    """One program of a case's latest screening (replaced on every screening)."""

    __tablename__ = "case_program"
    __table_args__ = (Index("ix_case_program_program_id_status", "program_id", "status"),)

    case_id: str = Field(max_length=36, primary_key=True,
                         sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")])
    program_id: str = Field(max_length=80, primary_key=True)
    status: str = Field(max_length=16)
    amount_yen: int | None = Field(default=None)


class CaseRevisionBase(SQLModel):
    case_id: str = Field(max_length=36, sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")], index=True)
    user_id: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("user.id")])
    profile_before: dict[str, Any] = Field(sa_type=JSONType)
    profile_after: dict[str, Any] = Field(sa_type=JSONType)
    case_before: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, description="会社名・連絡先・基準日")
    case_after: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    changed_fields: list[str] = Field(default_factory=list, sa_type=JSONType)


class CaseRevisionCreate(CaseRevisionBase):
    pass


class CaseRevision(CaseRevisionBase, table=True):
    __tablename__ = "case_revision"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: dt.datetime = _ts()


class CaseRevisionPublic(CaseRevisionBase):
    id: str
    at: dt.datetime


class CaseNoteBase(SQLModel):
    case_id: str = Field(max_length=36, sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")], index=True)
    user_id: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("user.id")],
                                description="なし: 相談者が送ったメッセージ")
    desk_id: str | None = Field(default=None, max_length=64)
    text: str = Field(max_length=NOTE_MAX, sa_type=Text)


class CaseNoteCreate(CaseNoteBase):
    pass


class CaseNote(CaseNoteBase, table=True):
    __tablename__ = "case_note"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: dt.datetime = _ts()


class CaseNotePublic(CaseNoteBase):
    id: str
    at: dt.datetime


class CaseOutcomeBase(SQLModel):
    case_id: str = Field(max_length=36, sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")], index=True)
    program_id: str = Field(max_length=80)
    outcome: str = Field(max_length=16)
    user_id: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("user.id")])
    desk_id: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=1000)


class CaseOutcomeCreate(CaseOutcomeBase):
    outcome: OutcomeKind


class CaseOutcome(CaseOutcomeBase, table=True):
    __tablename__ = "case_outcome"
    __table_args__ = (CheckConstraint(f"outcome IN {sql_in(OUTCOMES)}", name="outcome"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: dt.datetime = _ts()


class CaseOutcomePublic(CaseOutcomeBase):
    id: str
    at: dt.datetime


class CaseEvent(SQLModel, table=True):
    """A step of the workflow: created, status, refer_desk, refer_program, rescreen, accept."""

    __tablename__ = "case_event"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")], index=True)
    at: dt.datetime = _ts()
    user_id: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("user.id")])
    desk_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


# ------------------------------------------------------------------ audit


class AuditEventBase(SQLModel):
    user_id: str | None = Field(default=None, max_length=36, index=True)
    desk_id: str | None = Field(default=None, max_length=64)
    case_id: str | None = Field(default=None, max_length=36, index=True)
    action: str = Field(max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    ip: str | None = Field(default=None, max_length=64)


class AuditEventCreate(AuditEventBase):
    action: Action


class AuditEvent(AuditEventBase, table=True):
    """Append-only: no route updates or deletes a row, and triggers (migration 0004) refuse it."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(f"action IN {sql_in(ACTIONS)}", name="action"),
        Index("ix_audit_event_desk_id_at", "desk_id", "at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at: dt.datetime = _ts()


class AuditEventPublic(AuditEventBase):
    id: int
    at: dt.datetime

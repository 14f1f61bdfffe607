"""Tables of the jGrants sync: published synced rounds, drafts for review, sync runs, and the SQLite lock row.

`jgrants_round` rows are published at once (dates are facts); `jgrants_draft` rows wait for a catalog
editor (never published by the sync); `jgrants_sync_run` records every run. Migration:
alembic/versions/0008_jgrants_sync.py (any change here needs one: `alembic check` compares).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import conv
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from app.store import base  # noqa: F401  (the shared metadata's naming convention)

# Constraint names are spelt out (conv): the same whether or not app.models set the metadata's naming convention.
JSON_TYPE: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
DRAFT_STATUSES = ("pending", "approved", "rejected")
DRAFT_KINDS = ("unplaced", "new_program", "money", "dates")
RUN_STATUSES = ("running", "ok", "partial", "failed")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _uuid() -> str:
    return str(uuid.uuid4())


def _ts(**kw: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kw)


class JGrantsRound(SQLModel, table=True):
    """A round read from jGrants and published: one row per call (or per v2 workflow entry)."""

    __tablename__ = "jgrants_round"

    key: str = Field(primary_key=True, max_length=64, description="jGrants id, or id#workflow id")
    jgrants_id: str = Field(max_length=32, index=True)
    program_id: str = Field(max_length=64, index=True)
    fiscal_year: int = Field(description="公募年度")
    area: str = Field(max_length=32, description="全国, a prefecture, or 愛知県岡崎市")
    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    operator_ja: str = Field(max_length=200)
    operator_en: str = Field(max_length=200)
    operator_url: str | None = Field(default=None, max_length=500)
    opens_at: dt.datetime = _ts(nullable=False)
    closes_at: dt.datetime = _ts(nullable=False)
    prerequisites: list[dict[str, str]] = Field(default_factory=list, sa_type=JSON_TYPE)
    source_title: str = Field(max_length=500)
    source_href: str = Field(max_length=500)
    checked_at: dt.date = Field(description="last day the API confirmed this round (JST)")
    reception: str | None = Field(default=None, max_length=8, description="申請受付有無 (有 / 無)")
    api_url: str = Field(max_length=500, description="the API address the facts were read from")
    first_seen_at: dt.datetime = _ts(default_factory=_utcnow, nullable=False)
    fetched_at: dt.datetime = _ts(default_factory=_utcnow, nullable=False)
    changed_at: dt.datetime = _ts(default_factory=_utcnow, nullable=False)
    run_id: str | None = Field(default=None, max_length=36, description="the run that last changed it")


class JGrantsDraft(SQLModel, table=True):
    """A change the sync may not publish by itself: an unplaced call, a new program, money, unreadable dates."""

    __tablename__ = "jgrants_draft"
    __table_args__ = (
        CheckConstraint(f"status IN {DRAFT_STATUSES!r}", name=conv("ck_jgrants_draft_status")),
        CheckConstraint(f"kind IN {DRAFT_KINDS!r}", name=conv("ck_jgrants_draft_kind")),
    )

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    created_at: dt.datetime = _ts(default_factory=_utcnow, nullable=False, index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    kind: str = Field(max_length=16)
    jgrants_id: str = Field(max_length=32, index=True)
    round_key: str = Field(max_length=64)
    program_id: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=32)
    title: str = Field(max_length=500)
    call_text: str = Field(description="the call's title, catch phrase and detail text as jGrants published them")
    proposed: dict[str, Any] = Field(sa_type=JSON_TYPE, description="the proposed change and the catalog's value")
    reason: str = Field(max_length=500)
    content_hash: str = Field(max_length=64, index=True, description="same call, same proposal: one draft")
    source_href: str = Field(max_length=500)
    api_url: str = Field(max_length=500)
    run_id: str | None = Field(default=None, max_length=36)
    decided_at: dt.datetime | None = _ts(default=None, nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)
    decision_note: str | None = Field(default=None)


class JGrantsSyncRun(SQLModel, table=True):
    """One run of `python -m app catalog sync-jgrants`."""

    __tablename__ = "jgrants_sync_run"
    __table_args__ = (CheckConstraint(f"status IN {RUN_STATUSES!r}", name=conv("ck_jgrants_sync_run_status")),)

    id: str = Field(default_factory=_uuid, primary_key=True, max_length=36)
    started_at: dt.datetime = _ts(default_factory=_utcnow, nullable=False, index=True)
    finished_at: dt.datetime | None = _ts(default=None, nullable=True)
    status: str = Field(default="running", max_length=16)
    base_url: str = Field(max_length=500)
    requests: int = 0
    calls_seen: int = 0
    calls_ignored: int = 0
    rounds_added: int = 0
    rounds_changed: int = 0
    rounds_unchanged: int = 0
    drafts_created: int = 0
    failures: list[str] = Field(default_factory=list, sa_type=JSON_TYPE)
    error: str | None = Field(default=None)


class JGrantsSyncLock(SQLModel, table=True):
    """SQLite's lock: one row while a sync runs (PostgreSQL uses an advisory lock instead)."""

    __tablename__ = "jgrants_sync_lock"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=64)
    acquired_at: dt.datetime = _ts(nullable=False)
    expires_at: dt.datetime = _ts(nullable=False)

"""Stored records (SQLModel). A screening is kept exactly as it was shown, for the advisor to see later.

The family of classes: `ScreeningBase` (the shared fields), `ScreeningCreate` (what the store is given),
`ScreeningRecord` (the `screening` table) and `ScreeningPublic` (what the API returns). The table class is
not called `Screening` so that it does not clash with `eligibility.engine.Screening`.

Any change here needs a migration in `alembic/versions/` (`alembic check` in `make test` fails otherwise).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import field_validator
from sqlalchemy import JSON, CheckConstraint, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so that migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite (text), JSONB on PostgreSQL.
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")  # annotated: app.models is in an import cycle

SOURCES = ("api", "batch", "web", "cli")
Source = Literal["api", "batch", "web", "cli"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    """An unguessable id (uuid4: 122 random bits)."""
    return str(uuid.uuid4())


class ScreeningBase(SQLModel):
    as_of: dt.date = Field(description="基準日（ルールを適用した日）")
    catalog_version: str = Field(max_length=64, description="制度カタログの版")
    model_version: str | None = Field(default=None, max_length=64, description="推奨順位モデルの版")
    lang: str = Field(default="ja", max_length=8, description="表示した言語（ja / en）")
    profile: dict[str, Any] = Field(sa_type=JSONType, description="送信されたプロフィール")
    result: dict[str, Any] = Field(sa_type=JSONType, description="表示した審査結果（API の応答本文）")
    source: str = Field(default="api", max_length=16, description="api / batch / web / cli")
    case_id: str | None = Field(default=None, max_length=64, index=True, description="相談案件の ID")


class ScreeningCreate(ScreeningBase):
    source: Source = "api"


class ScreeningRecord(ScreeningBase, table=True):
    __tablename__ = "screening"
    __table_args__ = (CheckConstraint(f"source IN {SOURCES!r}", name="source"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True,
    )


class ScreeningPublic(ScreeningBase):
    id: str
    created_at: dt.datetime

    @field_validator("created_at")
    @classmethod
    def _as_utc(cls, v: dt.datetime) -> dt.datetime:
        # SQLite gives back naive datetimes (stored in UTC); PostgreSQL gives the session's time zone.
        return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)

from app import models_referral  # noqa: E402, F401  (registers the referral table on SQLModel.metadata)
from app.companies.models import CompanyCache  # noqa: E402, F401  (registers company_cache, issue 13)
from app.console import models as console_models  # noqa: E402, F401  (registers the advisor console tables)
from app.models_questionnaire import QuestionnaireDraft  # noqa: E402, F401  (registers questionnaire_draft)

"""Stored records (SQLModel). A screening is kept as facts (profile, as_of, versions, the language-neutral
outcome of eligibility/outcome.py, compressed in `facts`) and rendered on read with its catalog version
(app/web/stored.py). Rows stored before migration 0010 hold the rendered `result` instead (and no facts).

The family of classes: `ScreeningBase` (the shared fields), `ScreeningCreate` (what the store is given),
`ScreeningRecord` (the `screening` table) and `ScreeningPublic` (what the API returns). The table class is
not called `Screening` so that it does not clash with `eligibility.engine.Screening`.

Any change here needs a migration in `alembic/versions/` (`alembic check` in `make test` fails otherwise).
"""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any, Literal

import orjson
from pydantic import field_validator
from sqlalchemy import CheckConstraint, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from app.store.base import JSONType, new_id, utcnow
from eligibility.outcome import states_body

SOURCES = ("api", "batch", "web", "cli")
Source = Literal["api", "batch", "web", "cli"]



class ScreeningBase(SQLModel):
    as_of: dt.date = Field(description="基準日（ルールを適用した日）")
    catalog_version: str = Field(max_length=64, description="制度カタログの版")
    model_version: str | None = Field(default=None, max_length=64, description="推奨順位モデルの版")
    lang: str = Field(default="ja", max_length=8, description="表示した言語（ja / en）")
    profile: dict[str, Any] = Field(sa_type=JSONType, description="送信されたプロフィール")
    result: dict[str, Any] | None = Field(
        default=None, sa_type=JSONType, description="表示した審査結果（0010 より前の記録だけ。以後は facts から描画）")
    source: str = Field(default="api", max_length=16, description="api / batch / web / cli")
    case_id: str | None = Field(default=None, max_length=64, index=True, description="相談案件の ID")


def encode_facts(facts: dict[str, Any]) -> bytes:
    """The outcome as compressed JSON (~1–2 KB for a screening of the whole catalog)."""
    return zlib.compress(orjson.dumps(facts), 9)


def decode_facts(raw: bytes | None) -> dict[str, Any] | None:
    return None if raw is None else dict(orjson.loads(zlib.decompress(raw)))


class ScreeningCreate(ScreeningBase):
    source: Source = "api"


class ScreeningRecord(ScreeningBase, table=True):
    __tablename__ = "screening"
    __table_args__ = (CheckConstraint(f"source IN {SOURCES!r}", name="source"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    facts: bytes | None = Field(default=None, sa_type=LargeBinary, description="結果の事実（encode_facts）")
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True,
    )


class ScreeningPublic(ScreeningBase):
    id: str
    created_at: dt.datetime
    facts: dict[str, Any] | None = Field(default=None, description="言語によらない判定結果（状態・順位・金額…）")

    @field_validator("facts", mode="before")
    @classmethod
    def _decode(cls, v: Any) -> Any:
        return decode_facts(bytes(v)) if isinstance(v, bytes | bytearray | memoryview) else v

    @field_validator("created_at")
    @classmethod
    def _as_utc(cls, v: dt.datetime) -> dt.datetime:
        # SQLite gives back naive datetimes (stored in UTC); PostgreSQL gives the session's time zone.
        return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)


def record_body(rec: ScreeningRecord) -> dict[str, Any]:
    """Statuses, ranks and amounts of a stored screening: its facts, or a row's rendered result from before 0010."""
    if rec.result is not None:
        return dict(rec.result)
    return states_body(decode_facts(rec.facts) or {})

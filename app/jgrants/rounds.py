"""Synced rounds in the catalog's Round shape, for `Catalog.with_rounds(extra_rounds)`.

The Round fields agreed with programs/ (programs/rounds/<program_id>.yaml): program_id, fiscal_year (公募年度),
area (全国 / 愛知県 / 愛知県岡崎市), name {ja, en}, operator {ja, en}, operator_url, opens_at / closes_at
(timezone-aware, JST), prerequisites [{ja, en}], source {title, href}, checked_at (date), jgrants_id.

    from app.jgrants.rounds import published_rounds, rounds_digest
    catalog = catalog.with_rounds(published_rounds(engine))   # and reload it when rounds_digest(engine) changes
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.jgrants.models import JGrantsRound
from app.jgrants.parse import JST

# The fields a sync compares: a round whose fields are all equal is "unchanged" (checked_at still advances).
CONTENT_FIELDS = ("program_id", "fiscal_year", "area", "name_ja", "name_en", "operator_ja", "operator_en",
                  "operator_url", "opens_at", "closes_at", "prerequisites", "source_title", "source_href",
                  "reception")


@dataclass(frozen=True)
class SyncedRound:
    """A round read from jGrants, with where it was read from."""

    key: str
    jgrants_id: str
    program_id: str
    fiscal_year: int
    area: str
    name_ja: str
    name_en: str
    operator_ja: str
    operator_en: str
    operator_url: str | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    source_title: str
    source_href: str
    checked_at: dt.date
    api_url: str
    prerequisites: tuple[tuple[str, str], ...] = ()
    reception: str | None = None
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def content(self) -> dict[str, Any]:
        """The compared fields, in the table's form (datetimes in UTC, prerequisites as dicts)."""
        out: dict[str, Any] = {}
        for name in CONTENT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                value = value.astimezone(dt.UTC)
            elif name == "prerequisites":
                value = [{"ja": ja, "en": en} for ja, en in value]
            out[name] = value
        return out

    def to_round_dict(self) -> dict[str, Any]:
        """The agreed Round shape (datetimes in JST)."""
        return {
            "program_id": self.program_id,
            "fiscal_year": self.fiscal_year,
            "area": self.area,
            "name": {"ja": self.name_ja, "en": self.name_en},
            "operator": {"ja": self.operator_ja, "en": self.operator_en},
            "operator_url": self.operator_url,
            "opens_at": self.opens_at.astimezone(JST),
            "closes_at": self.closes_at.astimezone(JST),
            "prerequisites": [{"ja": ja, "en": en} for ja, en in self.prerequisites],
            "source": {"title": self.source_title, "href": self.source_href},
            "checked_at": self.checked_at,
            "jgrants_id": self.jgrants_id,
        }

    @classmethod
    def from_row(cls, row: JGrantsRound) -> SyncedRound:
        def aware(t: dt.datetime) -> dt.datetime:  # SQLite gives naive UTC back
            return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t

        return cls(
            key=row.key, jgrants_id=row.jgrants_id, program_id=row.program_id, fiscal_year=row.fiscal_year,
            area=row.area, name_ja=row.name_ja, name_en=row.name_en, operator_ja=row.operator_ja,
            operator_en=row.operator_en, operator_url=row.operator_url, opens_at=aware(row.opens_at),
            closes_at=aware(row.closes_at), source_title=row.source_title, source_href=row.source_href,
            checked_at=row.checked_at, api_url=row.api_url,
            prerequisites=tuple((p["ja"], p["en"]) for p in row.prerequisites or []),
            reception=row.reception, fetched_at=aware(row.fetched_at),
        )


def published_rounds(engine: Engine) -> list[dict[str, Any]]:
    """Every published synced round in the Round shape, ordered by program, area and opening."""
    with Session(engine) as db:
        rows = db.exec(select(JGrantsRound).order_by(
            col(JGrantsRound.program_id), col(JGrantsRound.area), col(JGrantsRound.opens_at))).all()
        return [SyncedRound.from_row(r).to_round_dict() for r in rows]


def rounds_digest(engine: Engine) -> str:
    """A short digest of the published synced rounds' content: it changes exactly when a sync added or changed
    a round (not when it only checked them again), so a server knows when to rebuild its catalog and the
    catalog version can name the rounds it holds."""
    h = hashlib.sha256()
    for r in published_rounds(engine):
        r = {**r, "checked_at": None}
        h.update(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:16]

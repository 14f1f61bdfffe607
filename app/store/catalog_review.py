"""Tables of the catalog review: who may review (catalog_editor grants) and the approved changes (catalog_change).

A `catalog_change` row is one approved draft's change (programs/changes.py JSON); the live catalog is the YAML
files + the synced rounds + every approved change in order of approval (app/live_catalog.py). Rows are never
updated: a correction is a new approval. Migration: alembic/versions/0012_review_and_ranking.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import DateTime, Engine, ForeignKey
from sqlmodel import Field, Session, SQLModel, col, select

from app.store.base import JSONType, new_id, utcnow


class CatalogEditor(SQLModel, table=True):
    """A console account that may review catalog drafts (granted by a desk administrator)."""

    __tablename__ = "catalog_editor"

    user_id: str = Field(primary_key=True, max_length=36,
                         sa_column_args=[ForeignKey("user.id", ondelete="CASCADE")])
    granted_by: str | None = Field(default=None, max_length=36, description="the desk administrator's user id")
    granted_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class CatalogChange(SQLModel, table=True):
    """An approved change, applied to the live catalog."""

    __tablename__ = "catalog_change"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    draft_id: str | None = Field(default=None, max_length=36, index=True, description="jgrants_draft.id")
    change: dict[str, Any] = Field(sa_type=JSONType, description="programs/changes.py ParameterChange / RoundChange")
    approved_by: str | None = Field(default=None, max_length=36, description="the catalog editor's user id")
    approved_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False,
                                     index=True)
    note: str | None = Field(default=None, description="the editor's note (what was edited and why)")


def approved_changes(engine: Engine) -> list[dict[str, Any]]:
    """Every approved change in order of approval (the live catalog applies them in this order)."""
    with Session(engine) as db:
        rows = db.exec(select(CatalogChange).order_by(col(CatalogChange.approved_at), col(CatalogChange.id))).all()
        return [dict(r.change) for r in rows]


def changes_digest(engine: Engine) -> str:
    """Changes when a change is approved (the live catalog rebuilds then)."""
    h = hashlib.sha256()
    for ch in approved_changes(engine):
        h.update(json.dumps(ch, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:16]


def is_catalog_editor(engine: Engine, user_id: str) -> bool:
    with Session(engine) as db:
        return db.get(CatalogEditor, user_id) is not None

"""The shared base of every table: SQLModel's metadata with deterministic names, JSON type, ids and clocks.

Every table module of `app/store/` imports only this module (and the core); `app.store.tables` imports them
all so that `SQLModel.metadata` is complete for alembic and for the store.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine
from sqlmodel import SQLModel

# Deterministic constraint names, so that migrations (and SQLite batch mode) can refer to them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = SQLModel.metadata

# JSON on SQLite (text), JSONB on PostgreSQL.
JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> str:
    """An unguessable id (uuid4: 122 random bits)."""
    return str(uuid.uuid4())


def sql_in(values: tuple[str, ...]) -> str:
    """`('a', 'b')` for a CHECK constraint's IN list."""
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"

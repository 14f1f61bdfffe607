"""Every published catalog version, content-addressed (table `catalog_version`): a stored screening renders
with the catalog it was made with (app/web/stored.py), in either language, without screening again.

`store_catalog_version(engine, catalog)` is the one call to make whenever a catalog is published (the app's
start, a jGrants sync, an approved change); storing a version already present does nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Engine, LargeBinary
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from app.store.base import utcnow
from programs.loader import Catalog
from programs.snapshot import pack


class CatalogVersion(SQLModel, table=True):
    __tablename__ = "catalog_version"

    version: str = Field(primary_key=True, max_length=64, description="制度カタログの版（内容のハッシュを含む）")
    content: bytes = Field(sa_type=LargeBinary, description="YAML ファイルと追加の公募回（zlib 圧縮 JSON）")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def has_catalog_version(engine: Engine, version: str) -> bool:
    with Session(engine) as session:
        return session.get(CatalogVersion, version) is not None


def store_catalog_version(engine: Engine, catalog: Catalog) -> bool:
    """Keep `catalog` in the database unless its version is there already; True if it was added."""
    if has_catalog_version(engine, catalog.version):
        return False
    try:
        with Session(engine) as session:
            session.add(CatalogVersion(version=catalog.version, content=pack(catalog)))
            session.commit()
    except IntegrityError:  # another server stored the same version at the same time: same content
        return False
    return True


def load_catalog_content(engine: Engine, version: str) -> bytes | None:
    """The packed catalog of a version (programs.snapshot.unpack), or None if it was never stored."""
    with Session(engine) as session:
        row = session.get(CatalogVersion, version)
        return None if row is None else bytes(row.content)

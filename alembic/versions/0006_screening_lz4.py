"""PostgreSQL: compress the stored screening results with lz4 instead of pglz

Each screening stores its ~100 KB result as JSONB. With PostgreSQL's default TOAST compression (pglz)
the database server spent 5.5 ms of CPU per insert on this machine, with lz4 2.3 ms, and rows were
46 KB instead of 33 KB (bench/README.md, measured with psycopg on 500 inserts of a real result). On a
2-core machine that CPU is taken from the app servers. Only new rows are compressed with lz4; rows already
stored keep pglz and stay readable. Needs PostgreSQL 14 or later built with lz4 (Debian's and the official
images are); otherwise nothing changes. SQLite: nothing to do.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

COLUMNS = (("screening", "result"), ("screening", "profile"))


def _set_compression(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    version = int(bind.execute(sa.text("SHOW server_version_num")).scalar_one())
    if version < 140000:
        log.warning("PostgreSQL %s has no per-column compression: screening results stay pglz", version)
        return
    for table, column in COLUMNS:
        savepoint = bind.begin_nested()  # a server without lz4 refuses: keep the migration's transaction
        try:
            bind.execute(sa.text(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}'))
        except sa.exc.DBAPIError as e:
            savepoint.rollback()
            log.warning("%s.%s: compression %s not available (%s); left as it was", table, column, method,
                        str(e.orig).strip().splitlines()[0])
        else:
            savepoint.commit()


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("pglz")

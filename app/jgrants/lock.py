"""One jGrants sync at a time, across processes and app servers: a database lock.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of its own for the
whole sync; it is released when that connection ends, also when the process dies. SQLite: a row in
`jgrants_sync_lock`, taken inside `BEGIN IMMEDIATE` (SQLite's write lock) so that two processes cannot both
see "free"; a row older than `stale_after` (a process that died) is taken over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

LOCK_NAME = "jgrants-sync"
PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"chizai-navi:jgrants-sync").digest()[:8], "big", signed=True)
STALE_AFTER = dt.timedelta(hours=2)  # a sync takes minutes (about 1 request per second)


class SyncBusy(Exception):
    """Another sync holds the lock."""


def _holder() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def sync_lock(engine: Engine, stale_after: dt.timedelta = STALE_AFTER,
              now: dt.datetime | None = None) -> Iterator[str]:
    """Hold the sync lock for the block (yields the holder's name); raise SyncBusy when another holds it."""
    holder = _holder()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY}).scalar_one()
            conn.commit()
            if not got:
                raise SyncBusy("another jGrants sync is running (PostgreSQL advisory lock)")
            try:
                yield holder
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
                conn.commit()
        return
    _sqlite_acquire(engine, holder, stale_after, now)
    try:
        yield holder
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM jgrants_sync_lock WHERE name = :n AND holder = :h"),
                         {"n": LOCK_NAME, "h": holder})


def _sqlite_acquire(engine: Engine, holder: str, stale_after: dt.timedelta, now: dt.datetime | None) -> None:
    t = now or dt.datetime.now(dt.UTC)
    raw = engine.raw_connection()  # BEGIN IMMEDIATE needs the driver's connection, outside SQLAlchemy's begin
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            cur.execute("SELECT holder, expires_at FROM jgrants_sync_lock WHERE name = ?", (LOCK_NAME,))
            row = cur.fetchone()
            if row is not None:
                expires = dt.datetime.fromisoformat(str(row[1]))
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=dt.UTC)
                if expires > t:
                    raise SyncBusy(f"another jGrants sync is running ({row[0]}, lock row until {expires:%Y-%m-%d %H:%M} UTC)")
            cur.execute(
                "INSERT INTO jgrants_sync_lock (name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, "
                "expires_at = excluded.expires_at",
                (LOCK_NAME, holder, _sqlite_ts(t), _sqlite_ts(t + stale_after)),
            )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
    finally:
        raw.close()


def _sqlite_ts(t: dt.datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime writes (naive UTC), so the ORM reads these rows back too.
    return t.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")

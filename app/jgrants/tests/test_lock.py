"""Two syncs never run at once: PostgreSQL advisory lock, SQLite lock row under BEGIN IMMEDIATE."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.jgrants.lock import STALE_AFTER, SyncBusy, sync_lock
from app.jgrants.models import JGrantsSyncRun
from app.jgrants.sync import sync_jgrants
from app.jgrants.tests.conftest import make_client, make_engine, migrate


def test_a_second_holder_is_refused_until_the_first_releases(db):
    other = make_engine(db.url)  # another process or app server: an engine (and pool) of its own
    try:
        with sync_lock(db):
            with pytest.raises(SyncBusy), sync_lock(other):
                pass
        with sync_lock(other):  # released: free again
            pass
    finally:
        other.dispose()


def test_a_sync_while_another_runs_does_nothing(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    with sync_lock(db), make_client(base) as client, pytest.raises(SyncBusy):
        sync_jgrants(db, known_programs, client)
    assert server.requests == []
    with Session(db) as session:
        assert session.exec(select(JGrantsSyncRun)).first() is None  # type: ignore[call-overload]


def test_concurrent_takers_only_one_wins(db):
    """Threads with engines of their own race for the lock while it is held: exactly one holds it at a time."""
    engines = [make_engine(db.url) for _ in range(4)]
    holders: list[int] = []
    busy: list[int] = []
    start = threading.Barrier(len(engines))
    release = threading.Event()

    def take(i: int) -> None:
        start.wait()
        try:
            with sync_lock(engines[i]):
                holders.append(i)
                release.wait(5)
        except SyncBusy:
            busy.append(i)
            if len(busy) == len(engines) - 1:
                release.set()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(engines))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for e in engines:
        e.dispose()
    assert len(holders) == 1 and len(busy) == len(engines) - 1


def test_sqlite_lock_row_of_a_dead_process_is_taken_over(tmp_path):
    url = f"sqlite:///{tmp_path}/lock.db"
    migrate(url)
    engine = make_engine(url)
    try:
        t0 = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
        cm = sync_lock(engine, now=t0)
        cm.__enter__()  # a process that took the lock and died: the row stays
        with pytest.raises(SyncBusy), sync_lock(engine, now=t0 + dt.timedelta(minutes=5)):
            pass
        with sync_lock(engine, now=t0 + STALE_AFTER + dt.timedelta(seconds=1)) as holder:
            assert holder
    finally:
        engine.dispose()

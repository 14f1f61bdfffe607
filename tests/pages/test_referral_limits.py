"""Referral limits shared by app servers (issue 16, finding 4): a per-address rate limit counted in the
database, and one pending referral per screening and desk enforced by a partial unique index. Two app
instances share one database (PostgreSQL, as several servers would; SQLite too)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import Settings
from app.factory import create_app
from app.store.referrals import Referral
from tests.support.console import client, text_of
from tests.support.pg import postgres_url

LIMIT = 3


@pytest.fixture(params=["postgresql", "sqlite"])
def two_apps(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FastAPI, FastAPI]]:
    urls = postgres_url() if request.param == "postgresql" else iter([f"sqlite:///{tmp_path / 'navi.db'}"])
    url = next(urls)
    apps = tuple(create_app(Settings(database_url=url, search_db=tmp_path / f"search{i}.db",
                                     referral_limit_per_hour=LIMIT)) for i in range(2))
    try:
        yield apps  # type: ignore[misc]
    finally:
        for a in apps:
            a.state.store.dispose()  # type: ignore[attr-defined]
        for _ in urls:  # drop the PostgreSQL schema
            pass


def screening(app: FastAPI) -> str:
    r = client(app).post("/api/v1/screen", json={"employees": 3, "prefecture": "大阪府"})
    assert r.status_code == 200, r.text
    return str(r.json()["screening_id"])


def pending(app: FastAPI, sid: str | None = None) -> int:
    with Session(app.state.store.engine) as s:  # type: ignore[attr-defined]
        q = select(func.count()).select_from(Referral)
        if sid is not None:
            q = q.where(Referral.screening_id == sid)  # type: ignore[arg-type]
        return int(s.scalar(q) or 0)


def test_the_rate_limit_per_address_is_shared_by_both_servers(two_apps: tuple[FastAPI, FastAPI]) -> None:
    a, b = two_apps
    ip = "198.51.100.7"
    sids = [screening(a) for _ in range(LIMIT + 2)]
    statuses = []
    for i, sid in enumerate(sids):  # alternate servers, one address
        r = client((a, b)[i % 2], ip=ip).post(f"/results/{sid}/refer", data={"desk_id": "yorozu-osaka"})
        statuses.append(r.status_code)
    assert statuses == [303] * LIMIT + [429, 429], statuses
    assert r.headers["retry-after"] == "3600"
    page = text_of(r.text)
    assert f"この端末からの送信が多すぎます（1時間に{LIMIT}件まで）" in page
    assert 'aria-describedby="e-desk_id"' in r.text  # the message next to the form's field
    en = client(b, ip=ip).post(f"/results/{sids[-1]}/refer?lang=en", data={"desk_id": "yorozu-osaka"})
    assert en.status_code == 429 and "Too many referrals from this device" in en.text
    assert pending(a) == LIMIT
    # another address is not affected; a refused duplicate does not use up a slot
    other = client(b, ip="198.51.100.8")
    assert other.post(f"/results/{sids[-1]}/refer", data={"desk_id": "yorozu-osaka"}).status_code == 303
    assert other.post(f"/results/{sids[-1]}/refer", data={"desk_id": "yorozu-osaka"}).status_code == 409
    assert other.post(f"/results/{sids[-2]}/refer", data={"desk_id": "yorozu-osaka"}).status_code == 303


def test_concurrent_referrals_from_one_address_on_two_servers_stop_at_the_limit(
        two_apps: tuple[FastAPI, FastAPI]) -> None:
    a, b = two_apps
    sids = [screening(a) for _ in range(16)]
    barrier = threading.Barrier(len(sids))
    statuses: list[int] = []
    lock = threading.Lock()

    def send(i: int, sid: str) -> None:
        c = client((a, b)[i % 2], ip="203.0.113.9")
        barrier.wait()
        r = c.post(f"/results/{sid}/refer", data={"desk_id": "inpit-osaka"})
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=send, args=(i, sid)) for i, sid in enumerate(sids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The claims of one address take turns (an advisory lock on PostgreSQL, the write lock on SQLite): exactly
    # LIMIT pass, never more (committing first and counting earlier rows once let 4 of 16 through).
    assert sorted(set(statuses)) == [303, 429] and statuses.count(303) == LIMIT, statuses
    assert pending(a) == statuses.count(303)


def test_one_pending_referral_per_screening_and_desk_is_enforced_by_the_database(
        two_apps: tuple[FastAPI, FastAPI]) -> None:
    a, b = two_apps
    sid = screening(a)
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        c = client((a, b)[i % 2])  # each its own address: only the per-screening rule can stop them
        barrier.wait()
        r = c.post(f"/results/{sid}/refer", data={"desk_id": "yorozu-osaka"})
        with lock:
            statuses.append(r.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(303) == 1 and statuses.count(409) == 7, statuses
    assert pending(a, sid) == 1
    # the index itself: a second pending row is refused, a closed one is not
    engine = b.state.store.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        s.add(Referral(screening_id=sid, desk_id="yorozu-osaka"))
        with pytest.raises(IntegrityError):
            s.commit()
    with Session(engine) as s:
        s.add(Referral(screening_id=sid, desk_id="yorozu-osaka", status="closed"))
        s.add(Referral(screening_id=sid, desk_id="yorozu-osaka", status="closed"))
        s.commit()
    assert pending(a, sid) == 3


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_migration_0011_closes_older_duplicates_before_the_index(kind: str, tmp_path: Path) -> None:
    """Referrals stored before the index (a flood): the earliest pending one per screening and desk stays."""
    import datetime as dt

    import alembic.command
    from sqlalchemy import text

    from app.store.db import alembic_config, check, make_engine, migrate
    urls = postgres_url() if kind == "postgresql" else iter([f"sqlite:///{tmp_path / 'old.db'}"])
    url = next(urls)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            alembic.command.upgrade(cfg, "0010")
            t0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
            for i, (sid, desk, status) in enumerate([("s1", "d1", "new"), ("s1", "d1", "new"), ("s1", "d1", "in_progress"),
                                                     ("s1", "d2", "new"), ("s1", "d1", "closed"), ("s2", "d1", "new")]):
                conn.execute(text("INSERT INTO referral (id, screening_id, desk_id, status, created_at) "
                                  "VALUES (:id, :sid, :desk, :status, :at)"),
                             {"id": f"r{i}", "sid": sid, "desk": desk, "status": status,
                              "at": t0 + dt.timedelta(minutes=i)})
        migrate(url)
        check(url)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, status FROM referral ORDER BY id")).all())
        assert rows == {"r0": "new", "r1": "closed", "r2": "closed", "r3": "new", "r4": "closed", "r5": "new"}
    finally:
        engine.dispose()
        for _ in urls:
            pass

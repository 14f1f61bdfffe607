"""Fault test of the batch job queue (issue 16, finding 11; app/console/job_runner.py, app/store/job_lease.py):
a 2,000-row member list is screened by a worker process that is SIGKILLed in the middle of the job; another
worker takes the job over when the lease runs out and finishes it: every row stored exactly once, one case per
good row (no duplicate), the job done. On PostgreSQL and SQLite."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.config import Settings
from app.factory import create_app
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.console import AuditEvent, Case
from app.store.job_lease import JobLease
from tests.support.console import CHAMBER, csrf, logged_in, text_of
from tests.support.member_list import BAD_EMPLOYEES, GOOD, HEAD
from tests.support.pg import postgres_url

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2000
LEASE_SECONDS = 3
WAIT = 300  # seconds: a loaded 2-core machine


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'navi.db'}"
    else:
        yield from postgres_url()


def member_list() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEAD)
    for i in range(ROWS):
        row = list(BAD_EMPLOYEES if i % 100 == 7 else GOOD[i % len(GOOD)])
        row[0] = f"株式会社テスト{i:04d}"
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def worker(url: str, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "NAVI_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
           "NAVI_JOB_WORKER_THREADS": "0", "NAVI_SEED_DEMO": "false", "NAVI_SEARCH_DB": str(tmp / f"{name}.db"),
           "PYTHONUNBUFFERED": "1"}
    log = (tmp / f"{name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def job_state(engine: Any, job_id: str) -> BatchJob:
    with Session(engine, expire_on_commit=False) as s:
        job = s.get(BatchJob, job_id)
        assert job is not None
        return job


def lease_gone(engine: Any, job_id: str) -> bool:
    """The worker releases the lease (and the uploaded list) right after marking the job done."""
    with Session(engine) as s:
        return s.get(JobLease, job_id) is None


def wait_for(engine: Any, job_id: str, ok: Any, what: str, proc: subprocess.Popen[bytes], log: Path) -> BatchJob:
    deadline = time.monotonic() + WAIT
    while True:
        job = job_state(engine, job_id)
        if ok(job):
            return job
        assert proc.poll() is None, f"the worker exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"{what}: not in {WAIT} s ({job.status}, {job.done_rows} rows)"
        time.sleep(0.02)


def test_a_killed_workers_job_is_finished_by_another_worker_exactly_once(database: str, tmp_path: Path) -> None:
    app: FastAPI = create_app(Settings(database_url=database, search_db=tmp_path / "search.db", seed_demo=True,
                                       job_worker_threads=0))  # no worker in this process: only the subprocesses
    engine = app.state.store.engine
    try:
        c = logged_in(app, CHAMBER)
        started = dt.datetime.now(dt.UTC)
        r = c.post("/console/batch", data={"csrf_token": csrf(c), "as_of": "2025-10-01", "create_cases": "yes"},
                   files={"file": ("会員名簿.csv", member_list(), "text/csv")})
        assert r.status_code == 303, text_of(r.text)[:1000]
        job_id = re.fullmatch(r"/console/batch/([0-9a-f-]{36})", r.headers["location"])[1]  # type: ignore[index]
        assert job_state(engine, job_id).status == "queued"

        first = worker(database, tmp_path, "first")
        try:
            job = wait_for(engine, job_id, lambda j: j.done_rows >= 300, "the first worker's progress", first,
                           tmp_path / "first.log")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        killed = job_state(engine, job_id)
        assert killed.status == "running" and 300 <= killed.done_rows < ROWS, (killed.status, killed.done_rows)
        with Session(engine) as s:
            lease = s.get(JobLease, job_id)
            assert lease is not None and f":{first.pid}:" in (lease.claimed_by or "") and lease.attempts == 1

        second = worker(database, tmp_path, "second")
        try:
            job = wait_for(engine, job_id, lambda j: j.status in ("done", "failed") and lease_gone(engine, job_id),
                           "the job's end", second, tmp_path / "second.log")
        finally:
            second.terminate()
            second.wait(30)
        assert "resumed by" in (tmp_path / "second.log").read_text()

        bad = sum(1 for i in range(ROWS) if i % 100 == 7)
        assert (job.status, job.total_rows, job.done_rows, job.ok_rows, job.error_rows) == \
            ("done", ROWS, ROWS, ROWS - bad, bad), job.failure
        with Session(engine) as s:
            rows = s.exec(select(col(BatchJobRow.number), col(BatchJobRow.status), col(BatchJobRow.case_id))  # type: ignore[call-overload]
                          .where(col(BatchJobRow.job_id) == job_id)).all()
            assert sorted(n for n, _, _ in rows) == list(range(2, ROWS + 2))  # every row once
            case_ids = [cid for _, st, cid in rows if st == "ok"]
            assert len(case_ids) == len(set(case_ids)) == ROWS - bad and None not in case_ids
            made = s.scalar(select(func.count()).select_from(Case).where(
                col(Case.desk_id) == "cci-tokyo", col(Case.created_at) >= started))
            assert made == ROWS - bad  # no duplicate case from the killed worker's last chunk
            audited = s.scalar(select(func.count()).select_from(AuditEvent).where(
                col(AuditEvent.action) == "create", col(AuditEvent.case_id).in_(case_ids)))
            assert audited == ROWS - bad
            assert s.get(JobLease, job_id) is None  # the lease and the uploaded list are gone
        page = text_of(c.get(f"/console/batch/{job_id}").text)
        assert "状態: 完了" in page and f"処理した行 {ROWS:,}件" in page
    finally:
        app.state.store.dispose()


def test_a_worker_that_lost_its_lease_stores_nothing_more(database: str) -> None:
    """The heartbeat is the fence: once another worker has claimed the job, the first one's next chunk is
    refused (LeaseLost) and rolled back; a lease that is still running cannot be claimed."""
    import pytest as _pytest

    from app.store.db import make_engine, migrate
    from app.store.job_lease import LeaseLost, claim, fence

    migrate(database)
    engine = make_engine(database)
    try:
        with Session(engine) as s:
            s.add(JobLease(job_id="job-1", payload=b"x", params={}))
            s.commit()
        a = claim(engine, "worker-a", dt.timedelta(seconds=60))
        assert a is not None and a.attempts == 1
        assert claim(engine, "worker-b", dt.timedelta(seconds=60)) is None  # held
        with Session(engine) as s:
            fence(s, "job-1", "worker-a", dt.timedelta(seconds=-1))  # a's heartbeat; the lease has now run out
            s.commit()
        b = claim(engine, "worker-b", dt.timedelta(seconds=60))
        assert b is not None and b.claimed_by == "worker-b" and b.attempts == 2
        with Session(engine) as s, _pytest.raises(LeaseLost):
            fence(s, "job-1", "worker-a", dt.timedelta(seconds=60))
        with Session(engine) as s:
            lease = s.get(JobLease, "job-1")
            assert lease is not None and lease.claimed_by == "worker-b"
    finally:
        engine.dispose()

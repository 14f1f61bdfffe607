"""Background jobs that survive a crash: the console's batch jobs run under a lease (app/store/job_lease.py).

Any app server (NAVI_JOB_WORKER_THREADS threads each, started with the app and woken by an upload) or a
separate worker (`python -m app worker`) claims a queued job, or one whose lease ran out because its worker
died, and screens the rows not stored yet: each chunk of rows is stored in one transaction with the lease's
heartbeat, so a row is stored exactly once, whichever worker finishes the job.

Why a lease table and not procrastinate: the queue must work the same on the embedded SQLite default and on
PostgreSQL (procrastinate is PostgreSQL-only, so SQLite would need a second code path); resuming needs the
job's own rows anyway (what is stored is what is done); and the one table needs no other process kind to run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from sqlmodel import Session, col, select

from app.companies.service import CompanyLookup
from app.companies.wiring import Companies
from app.console import batch_rows as R
from app.console.batch_worker import INTERRUPTED_RETRIES, _fail, process
from app.intake.columns import read_input
from app.services import Services
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.db import Store
from app.store.job_lease import MAX_ATTEMPTS, JobLease, LeaseLost, claim, fence, release

log = logging.getLogger("navi.jobs")

POLL_SECONDS = 5.0  # an idle thread looks for claimable jobs this often (an upload wakes it at once)


def enqueue_batch(db: Session, job_id: str, data: bytes, fmt: str, default_as_of: str,
                  explicit_as_of: bool) -> None:
    """Queue a batch job (in the caller's transaction, with the job's row): any worker may claim it."""
    db.add(JobLease(job_id=job_id, kind="batch", payload=data,
                    params={"format": fmt, "default_as_of": default_as_of, "explicit_as_of": explicit_as_of}))


class JobRunner:
    """Threads that claim and run jobs of one store until stopped."""

    def __init__(self, store: Store, services: Services, threads: int, lease_seconds: float,
                 lookup: CompanyLookup | None = None):
        self.store, self.services, self.threads = store, services, threads
        self.lookup = lookup  # gBizINFO, for the rows with a 法人番号 (None: no prefill)
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.started: list[threading.Thread] = []
        self.lock = threading.Lock()

    def worker_id(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"

    def start(self) -> JobRunner:
        with self.lock:
            self.started = [t for t in self.started if t.is_alive()]
            while len(self.started) < self.threads:
                t = threading.Thread(target=self.serve, name=f"navi-jobs-{len(self.started) + 1}", daemon=True)
                t.start()
                self.started.append(t)
        return self

    def wake(self) -> None:
        self.start()
        self.wakeup.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wakeup.set()

    def serve(self, exit_when_idle: bool = False) -> None:
        while not self.stopping.is_set():
            try:
                ran = self.run_one()
            except Exception:  # pragma: no cover - run_one catches the jobs' errors; a database hiccup
                log.exception("job runner: claiming failed")
                ran = False
            if ran:
                continue
            if exit_when_idle:
                return
            self.wakeup.wait(POLL_SECONDS)
            self.wakeup.clear()

    def run_one(self) -> bool:
        """Claim one job and run it; False when there was none to claim."""
        me = self.worker_id()
        lease = claim(self.store.engine, me, self.lease)
        if lease is None:
            return False
        try:
            self._run(lease, me)
        except LeaseLost:
            log.warning("batch job %s: another worker took it over", lease.job_id)
        return True

    def _run(self, lease: JobLease, me: str) -> None:
        engine = self.store.engine
        with Session(engine) as db:
            job = db.get(BatchJob, lease.job_id)
            status = job.status if job is not None else None
            lang = job.lang if job is not None else "ja"
            stored = set(db.scalars(select(col(BatchJobRow.number)).where(col(BatchJobRow.job_id) == lease.job_id)))
        if status in (None, "done", "failed"):
            release(engine, lease.job_id, me)
            return
        if lease.attempts > MAX_ATTEMPTS:  # every worker that took it died: give up, say so
            log.error("batch job %s: failed after %d attempts", lease.job_id, lease.attempts - 1)
            _fail(self.store, lease.job_id, INTERRUPTED_RETRIES)
            release(engine, lease.job_id, me)
            return
        if lease.attempts > 1:
            log.warning("batch job %s: resumed by %s (attempt %d, %d rows already stored)",
                        lease.job_id, me, lease.attempts, len(stored))
        params = lease.params or {}
        rows, _ = read_input(lease.payload, str(params.get("format") or "csv"))
        remaining = [r for r in rows if r.number not in stored]

        def heartbeat(db: Session) -> None:
            fence(db, lease.job_id, me, self.lease)

        svc = self.services
        prefill, workers = R.prefill_fetch(self.lookup, svc.catalog.programs, svc.settings.gbizinfo_max_concurrency,
                                           remaining, lang)
        process(self.store, svc, lease.job_id, remaining, str(params.get("default_as_of")),
                bool(params.get("explicit_as_of")), prefill, workers, guard=heartbeat)
        release(engine, lease.job_id, me)


class Jobs:
    """The app server's job runner, made and started on first use (made by app/factory.py, given to routes as
    `app.deps.JobsDep`); none when NAVI_JOB_WORKER_THREADS is 0 (workers run elsewhere)."""

    def __init__(self, store: Store, services: Services, companies: Companies):
        self.store, self.services, self.companies = store, services, companies
        self._runner: JobRunner | None = None
        self._lock = threading.Lock()

    def runner(self) -> JobRunner | None:
        """The runner, started (None when NAVI_JOB_WORKER_THREADS is 0)."""
        settings = self.services.settings
        if settings.job_worker_threads <= 0:
            return None
        with self._lock:
            if self._runner is None:
                self._runner = JobRunner(self.store, self.services, settings.job_worker_threads,
                                         settings.job_lease_seconds, self.companies.lookup())
        return self._runner.start()

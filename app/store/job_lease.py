"""Leases of background jobs (table `job_lease`): any app server or worker claims a queued job, or one whose
lease ran out (its worker died), keeps it alive with a heartbeat, and resumes it from what is stored.

    job_id        the job (a `batch_job` id for kind "batch")
    payload       what the job needs to start again: the uploaded member list as uploaded
    params        {format, default_as_of, explicit_as_of}
    claimed_by    the worker holding the lease ("host:pid:thread"), NULL while queued
    lease_until   the lease runs out then, unless a heartbeat extends it
    heartbeat_at  the last heartbeat
    attempts      how many times the job was claimed (a job that kills its workers is failed after MAX_ATTEMPTS)

A claim is one conditional UPDATE (…WHERE claimed_by IS NULL OR lease_until < now): on PostgreSQL the second
of two concurrent claims waits for the first and then matches nothing; SQLite has one writer. A heartbeat
(`fence`) is an UPDATE …WHERE claimed_by = me, made in the transaction that stores a chunk of rows: when
another worker has taken the job over, the chunk is rolled back (LeaseLost), so each row is stored once.
The row is deleted when the job ends (the member list is not kept longer than needed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, DateTime, Engine, LargeBinary, delete, or_, select, update
from sqlmodel import Field, Session, SQLModel, col

from app.store.base import JSONType, utcnow

MAX_ATTEMPTS = 5


class LeaseLost(Exception):
    """Another worker holds the job now: stop without storing anything more."""


class JobLease(SQLModel, table=True):
    __tablename__ = "job_lease"

    job_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(default="batch", max_length=16)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    params: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True)
    heartbeat_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    attempts: int = Field(default=0)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def claim(engine: Engine, worker: str, lease: dt.timedelta, kind: str = "batch") -> JobLease | None:
    """The oldest job that is queued or whose lease ran out, now held by `worker`; None when there is none."""
    now = utcnow()
    free = or_(col(JobLease.claimed_by).is_(None), col(JobLease.lease_until) < now)
    with Session(engine, expire_on_commit=False) as db:
        candidates = list(db.scalars(select(col(JobLease.job_id)).where(col(JobLease.kind) == kind, free)
                                     .order_by(col(JobLease.created_at)).limit(10)).all())
        for job_id in candidates:
            won = db.execute(update(JobLease).where(col(JobLease.job_id) == job_id, free).values(
                claimed_by=worker[:200], lease_until=now + lease, heartbeat_at=now,
                attempts=col(JobLease.attempts) + 1))
            db.commit()
            if won.rowcount == 1:  # type: ignore[attr-defined]
                return db.get(JobLease, job_id)
    return None


def fence(db: Session, job_id: str, worker: str, lease: dt.timedelta) -> None:
    """The heartbeat, in the caller's transaction: extend the lease if `worker` still holds it, else LeaseLost."""
    now = utcnow()
    done = db.execute(update(JobLease).where(col(JobLease.job_id) == job_id, col(JobLease.claimed_by) == worker[:200])
                      .values(lease_until=now + lease, heartbeat_at=now))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(job_id)


def release(engine: Engine, job_id: str, worker: str) -> None:
    """The job ended (done or failed): its lease and payload go."""
    with Session(engine) as db:
        db.execute(delete(JobLease).where(col(JobLease.job_id) == job_id, col(JobLease.claimed_by) == worker[:200]))
        db.commit()


def forget(engine: Engine, job_ids: list[str]) -> None:
    """Leases of jobs that are gone (retention)."""
    with Session(engine) as db:
        db.execute(delete(JobLease).where(col(JobLease.job_id).in_(job_ids)))
        db.commit()

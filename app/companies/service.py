"""A company's gBizINFO record through the `company_cache` table: gBizINFO is asked once per TTL per company."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.companies.client import GbizClient
from app.companies.models import CompanyCache


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CompanyLookup:
    """`record(n)`: the cached record while younger than `ttl`, else gBizINFO's (stored). None = unknown number.

    Two requests for the same number at once in one process ask gBizINFO once (a lock per number); app
    servers share the table, so another server finds the row its neighbour stored.
    """

    def __init__(self, client: GbizClient, engine: Engine, ttl: dt.timedelta,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.client = client
        self.engine = engine
        self.ttl = ttl
        self.clock = clock
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, number: str) -> threading.Lock:
        with self._guard:
            if len(self._locks) > 10_000:  # only numbers in flight need one
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(number, threading.Lock())

    def cached(self, number: str) -> CompanyCache | None:
        """The fresh cache row of `number`, if any."""
        if self.ttl <= dt.timedelta(0):
            return None
        with Session(self.engine) as session:
            row = session.get(CompanyCache, number)
        if row is None:
            return None
        if row.fetched_at.tzinfo is None:  # SQLite gives back naive datetimes (stored in UTC)
            row.fetched_at = row.fetched_at.replace(tzinfo=dt.UTC)
        return row if self.clock() - row.fetched_at < self.ttl else None

    def record(self, number: str) -> tuple[dict[str, Any] | None, dt.datetime]:
        """(the record or None, when it was fetched). Raises GbizError when gBizINFO cannot answer."""
        with self._lock(number):
            row = self.cached(number)
            if row is not None:
                return row.record if row.found else None, row.fetched_at
            record = self.client.fetch(number)
            now = self.clock()
            if self.ttl > dt.timedelta(0):
                self._store(CompanyCache(corporate_number=number, fetched_at=now, found=record is not None,
                                         record=record))
            return record, now

    def _store(self, row: CompanyCache) -> None:
        with Session(self.engine) as session:
            try:
                session.merge(row)
                session.commit()
            except IntegrityError:  # another server stored it in the meantime: theirs is as fresh
                session.rollback()

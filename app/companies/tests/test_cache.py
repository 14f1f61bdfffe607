"""The company_cache table on SQLite and PostgreSQL: one company is asked once per TTL, even by threads at once."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import SecretStr

from app.companies.client import GbizClient, GbizError
from app.companies.models import CompanyCache
from app.companies.service import CompanyLookup
from app.companies.tests import fake_gbizinfo as f
from app.store.db import make_engine, migrate
from tests.support.pg import postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cache.db'}"
        migrate(url)
        eng = make_engine(url)
        yield eng
        eng.dispose()
        return
    gen = postgres_url()
    url = next(gen)
    migrate(url)
    eng = make_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()
        next(gen, None)


def lookup(engine, fake, hours: float = 24) -> CompanyLookup:
    client = GbizClient(fake.url, SecretStr(f.TOKEN), timeout=0.3, backoff=0.01, per_second=1000)
    return CompanyLookup(client, engine, dt.timedelta(hours=hours))


def test_cached_within_ttl_refreshed_after(engine, fake):
    lk = lookup(engine, fake)
    before = fake.count(f.SAMPLE)  # the fake serves both backends' runs
    record, fetched = lk.record(f.SAMPLE)
    assert record is not None and record["hojin"]["name"] == "株式会社サンプル知財ラボ"
    asked = fake.count(f.SAMPLE)
    assert asked == before + 3
    again, fetched_again = lk.record(f.SAMPLE)
    assert again == record and fake.count(f.SAMPLE) == asked
    assert abs((fetched_again - fetched).total_seconds()) < 1 and fetched_again.tzinfo is not None
    real = lk.clock
    lk.clock = lambda: real() + dt.timedelta(hours=24, seconds=1)
    lk.record(f.SAMPLE)  # stale: asked again, the row replaced
    assert fake.count(f.SAMPLE) == asked + 3
    lk.clock = real
    row = lk.cached(f.SAMPLE)
    assert row is not None and row.fetched_at > fetched + dt.timedelta(hours=24)  # the row was replaced


def test_unknown_company_cached_failures_not(engine, fake):
    lk = lookup(engine, fake)
    assert lk.record(f.MISSING)[0] is None
    asked = fake.count(f.MISSING)
    assert lk.record(f.MISSING)[0] is None and fake.count(f.MISSING) == asked
    with pytest.raises(GbizError):
        lk.record(f.BROKEN)
    assert lk.cached(f.BROKEN) is None


def test_ttl_zero_never_stores(engine, fake):
    lk = lookup(engine, fake, hours=0)
    before = fake.count(f.NAGANO)
    lk.record(f.NAGANO)
    lk.record(f.NAGANO)
    assert fake.count(f.NAGANO) == before + 6
    from sqlmodel import Session
    with Session(engine) as s:
        assert s.get(CompanyCache, f.NAGANO) is None


def test_threads_asking_at_once_ask_gbizinfo_once(engine, fake):
    lk = lookup(engine, fake)
    before = fake.count(f.STRINGY)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: lk.record(f.STRINGY)[0], range(8)))
    assert all(r == results[0] for r in results)
    assert fake.count(f.STRINGY) == before + 3

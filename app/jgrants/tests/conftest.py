"""Fixtures of the jGrants tests: the fake server, a client for it, the catalog's programs, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.jgrants.client import JGrantsClient
from app.jgrants.tests.fake_jgrants import FakeJGrants, running
from app.store.db import (  # the only app import of these tests besides app.__main__ (test_cli)
    make_engine,
    migrate,
)
from programs.loader import load_catalog
from programs.schema import Program
from tests.support.pg import postgres_url

# Programs this branch's catalog may or may not have yet (DOMAIN.md 7.4): the tests decide themselves.
__all__ = ["make_client", "make_engine", "migrate"]

NEW_PROGRAMS = ("inpit_foreign_filing_interim", "tokyo_foreign_infringement_survey", "tokyo_patent_search",
                "tokyo_overseas_trademark", "tokyo_foreign_patent_filing", "okazaki_ip_acquisition",
                "komaki_ip_acquisition")


@pytest.fixture
def fake() -> Iterator[tuple[FakeJGrants, str]]:
    yield from running()


def make_client(base: str, **kw: float) -> JGrantsClient:
    opts = {"timeout": 0.5, "retries": 1, "backoff": 0.01, "min_interval": 0.0, **kw}
    return JGrantsClient(base, timeout=opts["timeout"], retries=int(opts["retries"]), backoff=opts["backoff"],
                         min_interval=opts["min_interval"])


@pytest.fixture(scope="session")
def known_programs() -> dict[str, Program]:
    """The catalog's programs without the FY2026 newcomers: those are 'new programs' for these tests."""
    return {k: v for k, v in load_catalog().programs.items() if k not in NEW_PROGRAMS}


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    urls = iter([f"sqlite:///{tmp_path}/jgrants.db"]) if request.param == "sqlite" else postgres_url()
    for url in urls:
        migrate(url)
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()

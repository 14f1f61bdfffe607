"""Fixtures of the companies tests: the fake gBizINFO server and an app wired to it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from app.companies.tests.fake_gbizinfo import FakeGbiz

os.environ.setdefault("NAVI_SEED_DEMO", "false")  # as tests/conftest.py: apps start without demo data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGbiz]:
    server = FakeGbiz().start()
    try:
        yield server
    finally:
        server.stop()

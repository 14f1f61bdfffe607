"""Shared fixtures: the real catalog, its engine and scorer, and the shared cases' location."""

from __future__ import annotations

import os

import pytest

from eligibility.compiled import CompiledEngine
from eligibility.engine import Engine
from matching.scorer import Scorer
from programs.loader import load_catalog

# Apps built by the tests start on an empty database: no demo desks, users or cases (app/console/seed.py)
# unless a test asks for them (Settings(seed_demo=True)).
os.environ.setdefault("NAVI_SEED_DEMO", "false")


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def engine(catalog):
    """The engine the app serves with: the compiled one (eligibility/compiled.py)."""
    return CompiledEngine(catalog)


@pytest.fixture(scope="session")
def reference_engine(catalog):
    """The interpreted engine the compiled one is held against (tests/test_compiled.py)."""
    return Engine(catalog)


@pytest.fixture(scope="session")
def scorer(catalog):
    return Scorer(catalog.programs.values())

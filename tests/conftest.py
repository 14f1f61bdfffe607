"""Shared fixtures: the real catalog, its engine and scorer, and the shared cases' location."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

from eligibility.engine import Engine
from matching.scorer import Scorer
from programs.loader import load_catalog

ROOT = Path(__file__).resolve().parents[1]

# Apps built by the tests start on an empty database: no demo desks, users or cases (app/console/seed.py)
# unless a test asks for them (Settings(seed_demo=True)).
os.environ.setdefault("NAVI_SEED_DEMO", "false")
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def engine(catalog):
    return Engine(catalog)


@pytest.fixture(scope="session")
def scorer(catalog):
    return Scorer(catalog.programs.values())


def case_checker() -> ModuleType:
    """../shared/tools/check_cases.py, so tests judge a case exactly as the shared checker does."""
    spec = importlib.util.spec_from_file_location("check_cases", SHARED / "tools" / "check_cases.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

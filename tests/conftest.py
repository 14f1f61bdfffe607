"""Shared fixtures: the real catalog, its engine and scorer, and the shared cases' location."""

from __future__ import annotations

from pathlib import Path

import pytest

from eligibility.engine import Engine
from matching.scorer import Scorer
from programs.loader import load_catalog

ROOT = Path(__file__).resolve().parents[1]
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

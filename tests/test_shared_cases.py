"""Every case in ../shared/cases evaluated through the engine and the scorer (no HTTP)."""

from __future__ import annotations

import importlib.util
import json

import pytest
import yaml

from eligibility.profile import ProfileError
from tests.conftest import SHARED

CASES = sorted((SHARED / "cases").glob("*.yaml"))


def _checker():
    spec = importlib.util.spec_from_file_location("check_cases", SHARED / "tools" / "check_cases.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shared_case_through_engine(path, engine, scorer):
    chk = _checker()
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile = chk.to_json_ready(case["profile"])
    try:
        screening = scorer.rank(engine.screen(profile))
        status, body = 200, json.dumps(screening.as_dict(), ensure_ascii=False)
    except ProfileError as e:
        status, body = 422, str(e)
    assert chk.check_case(case, status, body) == []

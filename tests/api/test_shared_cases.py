"""Every case in ../shared/cases evaluated through the engine and the scorer (no HTTP)."""

from __future__ import annotations

import json

import pytest
import yaml

from eligibility.profile import ProfileError
from tests.support.paths import SHARED, case_checker

CASES = sorted((SHARED / "cases").glob("*.yaml"))




@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_shared_case_through_engine(path, engine, scorer):
    chk = case_checker()
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile = chk.to_json_ready(case["profile"])
    try:
        screening = scorer.rank(engine.screen(profile))
        status, body = 200, json.dumps(screening.as_dict(), ensure_ascii=False)
    except ProfileError as e:
        status, body = 422, str(e)
    assert chk.check_case(case, status, body) == []

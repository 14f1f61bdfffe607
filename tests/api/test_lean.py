"""The API's default answer built from a compiled screening equals `slim(as_dict)`, in both languages, and the
ranking on partly rendered results equals the ranking on fully rendered ones."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from app.api.lean import slim_answer
from app.api.slim import slim
from eligibility.compiled import CompiledResult
from eligibility.profile import ProfileError, parse_profile
from tests.support.paths import SHARED, case_checker
from tests.test_properties import paid_profiles, profiles

SAMPLE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CASES = sorted((SHARED / "cases").glob("*.yaml"))


def _same(engine, reference_engine, scorer, profile) -> None:
    try:  # a profile the validator refuses (the strategies' free text can hit its rules) is refused by both
        parse_profile(profile)
    except ProfileError:
        with pytest.raises(ProfileError):
            engine.screen(profile)
        return
    for lang in ("ja", "en"):
        lean = scorer.rank(engine.screen(profile))
        answer = slim_answer(lean, lang)
        assert all(isinstance(r, CompiledResult) and r._reasons is None for r in lean.results)  # nothing rendered twice
        assert answer == slim(scorer.rank(reference_engine.screen(profile)).as_dict(lang))
        assert answer == slim(lean.as_dict(lang))


@SAMPLE
@given(profiles())
def test_lean_answer_equals_slim(engine, reference_engine, scorer, profile):
    _same(engine, reference_engine, scorer, profile)


@SAMPLE
@given(paid_profiles())
def test_lean_answer_equals_slim_paid(engine, reference_engine, scorer, profile):
    _same(engine, reference_engine, scorer, profile)


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_lean_answer_shared_case(path, engine, reference_engine, scorer):
    profile = case_checker().to_json_ready(yaml.safe_load(path.read_text(encoding="utf-8"))["profile"])
    try:
        parse_profile(profile)
    except ProfileError:
        return
    _same(engine, reference_engine, scorer, profile)


def test_a_rendered_screening_falls_back_to_slim(engine, scorer):
    s = scorer.rank(engine.screen({"as_of": "2025-09-01", "applicant_type": "corporation"}))
    s.results[0].reasons  # noqa: B018 - rendered by a reader
    assert slim_answer(s) == slim(s.as_dict())

"""The API's default answer built from a compiled screening equals `slim(as_dict)`, in both languages, and the
ranking on partly rendered results equals the ranking on fully rendered ones."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from app.api.lean import slim_answer
from app.api.slim import REASON_FIELDS, slim
from eligibility.compiled import CompiledEngine, CompiledResult
from eligibility.engine import Node, _run
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
        reference = scorer.rank(reference_engine.screen(profile))
        assert answer == slim(reference.as_dict(lang))
        # The whole answer (`?include=texts`, the pages) after it: the recommendation sentences, written when
        # first read, as the ranking of rendered results writes them.
        assert lean.as_dict(lang) == reference.as_dict(lang)


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


def _lines_equal_traces(engine, profile) -> None:
    """Every top-level criterion's `top_line` equals its rendered trace's fields, in both languages."""
    try:
        parse_profile(profile)
    except ProfileError:
        return
    s = engine.screen(profile)
    for r in s.results:
        assert isinstance(r, CompiledResult)
        for k, node in enumerate(engine.compiled[r.program_id]):
            t = _run(node, r.rule_params, r.lazy.ctx())
            for lang in ("ja", "en"):
                line = r.top_line(k, lang)
                assert tuple(line) == REASON_FIELDS
                assert line == {f: t.as_dict(lang)[f] for f in REASON_FIELDS}, (r.program_id, node.id, lang)
        assert r._reasons is None and not r.__dict__.get("_tops")  # built from the outcomes, nothing rendered


def _variant(node: Node, depth: int = 0) -> Node:
    """A criterion with every source of a negation dropped (its criterion's source is shown instead) and every
    other criterion marked provisional: the branches of `top_line` the catalog's own rules do not reach."""
    kids = tuple(_variant(k, depth + 1) for k in node.children)
    if node.kind == "not":
        return dataclasses.replace(node, source=None, children=kids)
    return dataclasses.replace(node, provisional=depth % 2 == 0 or node.provisional, children=kids)


@pytest.fixture(scope="module")
def variant_engine(catalog):
    e = CompiledEngine(catalog)
    e.compiled = {pid: tuple(_variant(n) for n in tops) for pid, tops in e.compiled.items()}
    return e


@SAMPLE
@given(profiles())
def test_top_line_equals_the_rendered_trace(engine, profile):
    _lines_equal_traces(engine, profile)


@SAMPLE
@given(profiles())
def test_top_line_equals_the_rendered_trace_variant(variant_engine, profile):
    _lines_equal_traces(variant_engine, profile)


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_top_line_shared_case(path, engine, variant_engine):
    profile = case_checker().to_json_ready(yaml.safe_load(path.read_text(encoding="utf-8"))["profile"])
    _lines_equal_traces(engine, profile)
    _lines_equal_traces(variant_engine, profile)

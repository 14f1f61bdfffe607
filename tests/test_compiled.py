"""The compiled engine equals the interpreted reference: statuses, every criterion's outcome and missing facts,
the programs' missing facts, estimates, windows, definitions, phase, the rendered answer and the ranking."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from eligibility.compare import mismatches
from eligibility.compiled import CompiledEngine, CompiledResult, CompiledScreening
from eligibility.fastdefs import FAST_DEFINITIONS, all_terms
from eligibility.logic import Check, Outcome
from eligibility.outcome import outcome_of
from eligibility.plan import compile_plan, slow_term
from eligibility.predicates import PREDICATES, Ctx, predicate
from eligibility.profile import ProfileError, parse_profile, today_tokyo
from programs.schema import Criterion
from tests.support.paths import SHARED, case_checker
from tests.test_properties import paid_profiles, profiles

SAMPLE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CASES = sorted((SHARED / "cases").glob("*.yaml"))


def _same(reference_engine, engine, profile, scorer=None) -> None:
    try:  # a profile the validator refuses (the strategies' free text can hit its rules) is refused by both
        parse_profile(profile)
    except ProfileError:
        with pytest.raises(ProfileError):
            engine.screen(profile)
        return
    # A profile dated today is read at the current moment: both at the same one (else `at` differs by the
    # microseconds between the two calls).
    now = dt.datetime.now(dt.UTC) if parse_profile(profile).reference_date() == today_tokyo() else None
    ref, fast = reference_engine.screen(profile, now), engine.screen(profile, now)
    assert isinstance(fast, CompiledScreening)
    assert mismatches(ref, fast) == []
    if scorer is not None:
        assert scorer.rank(ref).as_dict() == scorer.rank(fast).as_dict()
        assert outcome_of(ref) == outcome_of(fast)


@SAMPLE
@given(profiles())
def test_compiled_equals_reference(reference_engine, engine, scorer, profile):
    _same(reference_engine, engine, profile, scorer)


@SAMPLE
@given(profiles(presence=0.3))
def test_compiled_equals_reference_sparse(reference_engine, engine, profile):
    """Mostly unanswered profiles: the unknowns and their missing facts."""
    _same(reference_engine, engine, profile)


@SAMPLE
@given(paid_profiles())
def test_compiled_equals_reference_estimates(reference_engine, engine, scorer, profile):
    _same(reference_engine, engine, profile, scorer)


@SAMPLE
@given(profiles(presence=0.5))
def test_all_terms_at_once_equal_each_definition_alone(engine, profile):
    """`all_terms` (what `terms` uses) gives what every fast definition gives alone (the fallback's)."""
    try:
        p = parse_profile(profile)
    except ProfileError:
        return
    as_of = p.reference_date()
    f = engine.fast_params(as_of)
    assert all_terms(p, as_of, f) == {name: fn(p, as_of, f) for name, fn in FAST_DEFINITIONS.items()}
    assert list(engine.terms(p, as_of)) == list(engine.definition_labels)


@SAMPLE
@given(profiles(presence=0.5))
def test_the_table_function_equals_each_plan(engine, profile):
    """The one generated function of a date's table gives what each plan's `run` gives, and the missing facts
    `Plan.missing` gives for an unknown program (the generated `missing_of` too)."""
    try:
        p = parse_profile(profile)
    except ProfileError:
        return
    as_of = p.reference_date()
    terms = engine.terms(p, as_of)
    slow = slow_term(lambda: Ctx(p, as_of, engine.params_at(as_of), {}))
    run_all, rps = engine.runs(as_of)
    runs, missing = run_all(p, terms, rps, as_of, slow)
    table = engine.table(as_of)
    assert len(runs) == len(missing) == len(table)
    for (_, plan, rp, _, _, _), got, miss in zip(table, runs, missing, strict=True):
        o, m, outcome = plan.run(p, terms, rp, as_of, slow)
        assert got == (o, m, outcome) and outcome == plan.outcome(o)
        want = plan.missing(o, m) if outcome == 1 else []
        assert miss == want and (outcome != 1 or plan.missing_of is not None and plan.missing_of(o, m) == want)


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_compiled_equals_reference_shared_case(path, reference_engine, engine, scorer):
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile = case_checker().to_json_ready(case["profile"])
    try:
        parse_profile(json.loads(json.dumps(profile)))
    except ProfileError:
        with pytest.raises(ProfileError):
            engine.screen(profile)
        return
    _same(reference_engine, engine, profile, scorer)


def test_texts_are_rendered_only_when_read(engine):
    s = engine.screen({"as_of": "2025-09-01", "applicant_type": "corporation", "employees": 10})
    assert isinstance(s, CompiledScreening)
    results = [r for r in s.results if isinstance(r, CompiledResult)]
    assert len(results) == len(s.results)
    facts = outcome_of(s)  # the stored record needs no text
    assert all(r._reasons is None for r in results) and s._definitions is None
    assert facts["programs"][0]["criteria"]
    assert s.results[0].reasons[0].label_ja  # rendered on read, by the reference code
    assert results[0]._reasons is not None and results[1]._reasons is None
    assert s.definitions["sme"].detail_ja


def test_results_are_built_once_when_first_read(engine, reference_engine):
    """A screening keeps its outcomes until `results` is read; the results are then built once and kept, so a
    reader's changes (the ranking sets ranks and reorders) stay."""
    profile = {"as_of": "2025-09-01", "applicant_type": "corporation", "employees": 10, "prefecture": "東京都"}
    s = engine.screen(profile)
    assert isinstance(s, CompiledScreening) and s._results is None
    statuses = s.statuses
    assert statuses == [r.status for r in reference_engine.screen(profile).results]
    assert s._results is None  # statuses read without building the results
    first = s.results
    assert s.results is first and [r.status for r in first] == statuses
    first[0].rank = 7
    first.reverse()
    assert s.results[-1].rank == 7 and s.statuses == statuses[::-1]
    s.results = first[:2]
    assert len(s.results) == 2 and s.statuses == statuses[::-1][:2]


def test_a_predicate_without_a_fast_form_runs_the_reference(catalog):
    @predicate("odd_employees", "従業員が奇数", "Odd headcount")
    def odd(ctx: Ctx) -> Check:
        n = ctx.profile.employees
        if n is None:
            return Check(Outcome.UNKNOWN, missing=["employees"])
        return Check(Outcome.MET if n % 2 else Outcome.UNMET)

    try:
        crit = Criterion.model_validate({"id": "odd", "any": [{"id": "a", "test": {"predicate": "odd_employees"}},
                                                               {"id": "b", "test": {"predicate": "always"}}]})
        plan = compile_plan("x", [crit])
        assert "slow(" in plan.source
        engine = CompiledEngine(catalog)
        prm = engine.params_at(dt.date(2025, 9, 1))
        for employees, want in ((3, 2), (4, 0), (None, 1)):
            p = parse_profile({"as_of": "2025-09-01", **({"employees": employees} if employees else {})})
            o, m, _ = plan.run(p, {}, {}, dt.date(2025, 9, 1), slow_term(lambda p=p: Ctx(p, p.as_of, prm, {})))
            assert (o[1], o[2], o[0]) == (want, 2, 2)
            assert m.get(1, ()) == (("employees",) if want == 1 else ())
    finally:
        PREDICATES.pop("odd_employees")


@pytest.mark.parametrize("now", [None, dt.datetime(2026, 3, 31, 14, 59, tzinfo=dt.UTC)])
def test_today_and_a_given_moment_equal_the_reference(reference_engine, engine, now):
    """Windows read at the clock's moment (as_of today) or a given one are not cached; they still agree."""
    profile = {"applicant_type": "corporation", "prefecture": "東京都", "employees": 5,
               **({"as_of": "2026-03-31"} if now else {})}
    ref = reference_engine.screen(profile, now)
    assert mismatches(ref, engine.screen(profile, now or ref.at)) == []


def test_windows_reused_between_boundaries_equal_the_reference(reference_engine, catalog):
    """The window cache (reused while no round boundary nor midnight JST is crossed) gives the reference's
    windows at moments on, just before and just after every boundary, visited out of order."""
    engine = CompiledEngine(catalog)
    moments: set[dt.datetime] = set()
    for pid in sorted(catalog.programs):
        for b in engine.boundaries(pid)[::3]:
            moments.update(b + dt.timedelta(seconds=s) for s in (-1, 0, 1, 43_200))
    ordered = sorted(moments)
    visits = ordered[::2] + ordered[1::2][::-1]
    profiles = [{"applicant_type": "corporation", "prefecture": "愛知県", "municipality": "岡崎市"},
                {"applicant_type": "corporation", "prefecture": "東京都"}, {"applicant_type": "corporation"}]
    for i, at in enumerate(visits):
        profile = {**profiles[i % 3], "as_of": at.astimezone(dt.timezone(dt.timedelta(hours=9))).date().isoformat()}
        ref, fast = reference_engine.screen(profile, at), engine.screen(profile, at)
        assert [r.window for r in ref.results] == [r.window for r in fast.results], at

"""The columnar screening table equals the table of screenings made one by one; its parts equal the scalar ones."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.columnar import _Eval, screen_table
from eligibility.columnar_defs import COLUMN_DEFINITIONS, Columns, Facts, codes_of
from eligibility.dates import add_years
from eligibility.definitions import DEFINITIONS
from eligibility.fastdefs import FAST_DEFINITIONS
from eligibility.logic import Check, Outcome
from eligibility.plan import FROM_OUTCOME, compile_plan, slow_term
from eligibility.predicates import PREDICATES, Ctx, predicate
from eligibility.profile import Profile, ProfileError, parse_profile
from eligibility.screen_table import ScreenTable
from programs.schema import Criterion
from tests.support.paths import SHARED
from tests.test_properties import paid_profiles, profiles

SAMPLE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATES = [dt.date(2025, 9, 1), dt.date(2026, 6, 1), dt.date(2026, 3, 31), dt.date(2024, 2, 29), dt.date(2027, 4, 1)]
# As the reference reads them: 00:00 JST of as_of (None), or a given moment of that day.
MOMENTS = [None, dt.time(3, 0), dt.time(14, 59)]


def _parsed(dicts: list[dict], as_of: dt.date) -> list[Profile]:
    out = []
    for d in dicts:
        try:  # the strategies' dates and free text can be refused by the validator: those are left out
            out.append(parse_profile({**d, "as_of": as_of.isoformat()}))
        except ProfileError:
            continue
    return out


def _moved(d: dict, as_of: dt.date, founded: tuple[int, int] | None) -> dict:
    """The profile on `as_of`, founded as long before it as before its own date (the strategies cluster founding
    dates around the 10-year boundary), or `founded` = (years, days) around a boundary of the definitions (10
    years) or the phase (3 years)."""
    d = {**d, "as_of": as_of.isoformat()}
    if founded is not None:
        years, days = founded
        d["established_on"] = (add_years(as_of, -years) + dt.timedelta(days=days)).isoformat()
    elif "established_on" in d:
        shift = as_of - dt.date.fromisoformat(d.get("as_of", as_of.isoformat()))
        d["established_on"] = (dt.date.fromisoformat(d["established_on"]) + shift).isoformat()
    return d


@st.composite
def batches(draw, strategy, max_size: int = 25) -> tuple[dt.date, list[dict]]:
    """One date and profiles of it; some with a near twin (one answer fewer), so rows share values and areas."""
    as_of = draw(st.sampled_from(DATES))
    out = []
    for d in draw(st.lists(strategy, min_size=1, max_size=max_size)):
        founded = draw(st.one_of(st.none(), st.tuples(st.sampled_from([3, 10]), st.integers(-2, 2))))
        d = _moved(d, as_of, founded)
        out.append(d)
        keys = sorted(k for k in d if k != "as_of")
        if keys and draw(st.booleans()):
            gone = draw(st.sampled_from(keys))
            out.append({k: v for k, v in d.items() if k != gone})
    return as_of, out


def _now(as_of: dt.date, t: dt.time | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.combine(as_of, t, dt.UTC)


def _same(engine, ps: list[Profile], now: dt.datetime | None) -> None:
    if not ps:
        return
    reference = ScreenTable.from_screenings([engine.screen(p, now) for p in ps])
    table = screen_table(engine, ps, now)
    assert table.equal(reference) == []
    # `equal` reports the first differing row of lists only: the whole columns too, and the amounts' type
    assert table.missing == reference.missing and table.windows == reference.windows
    assert table.phase == reference.phase and table.has_estimate.tolist() == reference.has_estimate.tolist()
    assert [o.shape for o in table.outcomes] == [o.shape for o in reference.outcomes]


any_profile = st.one_of(profiles(), profiles(presence=0.3), paid_profiles())


@SAMPLE
@given(batches(any_profile), st.sampled_from(MOMENTS))
def test_columnar_equals_one_by_one(engine, batch, moment):
    as_of, dicts = batch
    _same(engine, _parsed(dicts, as_of), _now(as_of, moment))


@SAMPLE
@given(batches(paid_profiles()))
def test_columnar_equals_one_by_one_estimates(engine, batch):
    as_of, dicts = batch
    _same(engine, _parsed(dicts, as_of), None)


@pytest.mark.parametrize("as_of", [dt.date(2025, 9, 1), dt.date(2026, 6, 1)])
def test_every_shared_case_in_one_table(engine, as_of):
    dicts = [dict(yaml.safe_load(p.read_text(encoding="utf-8"))["profile"])
             for p in sorted((SHARED / "cases").glob("*.yaml"))]
    ps = _parsed(dicts, as_of)
    # every case is valid on 2026-06-01 (tests/test_screen_table.py); one was founded after 2025-09-01
    assert len(ps) == len(dicts) > 0 if as_of == dt.date(2026, 6, 1) else len(ps) >= len(dicts) - 1
    _same(engine, ps, None)
    _same(engine, ps * 3, _now(as_of, dt.time(1, 0)))  # the same profiles again: shared areas and values


@SAMPLE
@given(batches(st.one_of(profiles(), profiles(presence=0.3))))
def test_definitions_over_columns_equal_the_fast_ones(engine, batch):
    as_of, dicts = batch
    ps = _parsed(dicts, as_of)
    if not ps:
        return
    f, prm = engine.fast_params(as_of), engine.params_at(as_of)
    facts = Facts()
    cols = Columns(ps, as_of, facts)
    for name, column in COLUMN_DEFINITIONS.items():
        got = column(cols, f)
        for i, p in enumerate(ps):
            want = FAST_DEFINITIONS[name](p, as_of, f)
            ref = DEFINITIONS[name](p, as_of, prm)
            assert (int(got.o[i]), facts.tuples[got.c[i]]) == (want[0], want[1] if want[0] == 1 else ()), (name, p)
            assert got.o[i] == FROM_OUTCOME[ref.outcome], (name, p)


def _leaves(engine, as_of: dt.date) -> tuple[list[Criterion], dict]:
    leaves, params = [], {}
    for _prog, plan, rp, *_ in engine.table(as_of):
        params.update(rp)
        leaves += [c for c, kind in zip(plan.nodes, plan.kinds, strict=True) if kind == "test"]
    return leaves, params


@st.composite
def trees(draw, leaves: list[Criterion], depth: int = 3) -> Criterion:
    ids = iter(f"n{i}" for i in range(10_000))

    def tree(level: int) -> Criterion:
        kind = draw(st.sampled_from(["leaf"] if level == 0 else ["leaf", "any", "all", "not"]))
        if kind == "leaf":
            return draw(st.sampled_from(leaves)).model_copy(update={"id": next(ids)})
        if kind == "not":
            return Criterion(id=next(ids), not_=tree(level - 1))
        kids = [tree(level - 1) for _ in range(draw(st.integers(1, 4)))]
        return Criterion(id=next(ids), **{kind: kids})
    return tree(depth)


def _odd(ctx: Ctx) -> Check:
    n, c = ctx.profile.employees, ctx.profile.capital_yen
    if n is None:  # a repeated missing fact: kept as the reference's union keeps it
        return Check(Outcome.UNKNOWN, missing=["employees", "capital_yen", "employees"])
    if c is None:
        return Check(Outcome.UNKNOWN, missing=["capital_yen"])
    return Check(Outcome.MET if n % 2 else Outcome.UNMET)


@pytest.fixture(scope="module")
def odd_predicate():
    predicate("odd_employees_columnar", "従業員が奇数", "Odd headcount")(_odd)
    yield Criterion.model_validate({"id": "odd", "test": {"predicate": "odd_employees_columnar"}})
    PREDICATES.pop("odd_employees_columnar")


@SAMPLE
@given(data=st.data(), batch=batches(st.one_of(profiles(), profiles(presence=0.3)), max_size=12))
def test_any_tree_walked_over_columns_equals_its_plan(engine, odd_predicate, data, batch):
    """Random trees of the catalog's tests and a predicate without a column form (run per row): every
    criterion's outcome and missing facts, and the program's, equal the generated plan's."""
    as_of, dicts = batch
    ps = _parsed(dicts, as_of)
    if not ps:
        return
    leaves, rp = _leaves(engine, as_of)
    tops = data.draw(st.lists(trees([*leaves, odd_predicate]), min_size=0, max_size=3))
    tops = [t.model_copy(update={"id": f"top{k}"}) for k, t in enumerate(tops)]
    plan = compile_plan("random", tops)
    ev = _Eval(engine, ps, as_of)
    os, cs, top, codes = ev.walk(plan, rp)
    prm = engine.params_at(as_of)
    for i, p in enumerate(ps):
        o, m, outcome = plan.run(p, engine.terms(p, as_of), rp, as_of,
                                 slow_term(lambda p=p: Ctx(p, as_of, prm, {})))
        assert [int(x[i]) for x in os] == o
        assert int(top[i]) == outcome
        assert ev.facts.tuples[codes[i]] == (tuple(plan.missing(o, m)) if outcome == 1 else ())
        for k in range(len(o)):
            assert ev.facts.tuples[cs[k][i]] == (tuple(plan.missing(o, m, k)) if o[k] == 1 else ()), k


# What eligibility/phase.py reads, each from a few answers (absent among them): many rows share each answer.
PHASE_ANSWERS = {
    "phase": ["concept", "expansion"],
    "foreign_filings": [[], [{"right": "patent", "already_filed": False}], [{"right": "design", "already_filed": True}],
                        [{"right": "trademark"}]],
    "overseas_disputes": [[], [{}], [{"kind": "defense"}]],
    "litigation_insurance": [False, {}, {"premium_yen": 1000, "renewal": True}],
    "applicant_type": ["corporation", "sole_proprietor", "individual", "vc", "university"],
    "interests": [[], ["overseas"], ["mentoring", "overseas"], ["mentoring"]],
    "established_on": ["2023-05-30", "2023-05-31", "2023-06-01", "2023-06-02", "2010-01-01"],
}


@st.composite
def phase_profiles(draw) -> dict:
    return {k: draw(st.sampled_from(v)) for k, v in PHASE_ANSWERS.items() if draw(st.booleans())}


@SAMPLE
@given(st.lists(phase_profiles(), min_size=1, max_size=8))
def test_phase_once_per_distinct_input_equals_per_row(engine, dicts):
    """Each profile with its twins that lack one of its answers or were founded on another day: rows that differ
    in one input only."""
    as_of = dt.date(2026, 6, 1)  # 3 years after 2023-06-01: the concept phase's boundary
    twins = [t for d in dicts for t in (d, *({k: v for k, v in d.items() if k != gone} for gone in d),
                                         *({**d, "established_on": day} for day in PHASE_ANSWERS["established_on"]))]
    ps = _parsed(twins, as_of)
    assert screen_table(engine, ps).phase == [engine.screen(p).phase.value for p in ps]


def test_one_reference_date_per_table(engine):
    a = parse_profile({"as_of": "2026-06-01", "applicant_type": "corporation"})
    b = parse_profile({"as_of": "2026-07-01", "applicant_type": "corporation"})
    with pytest.raises(ValueError):
        screen_table(engine, [a, b])
    with pytest.raises(ValueError):
        screen_table(engine, [])


def test_an_unknown_prior_award_is_refused_as_one_by_one(engine):
    bad = Profile.model_validate({"as_of": "2026-06-01", "prior_awards": [
        {"program_id": "no_such_program", "fiscal_year": 2026, "amount_yen": 1}]})
    with pytest.raises(ProfileError) as one:
        engine.screen(bad)
    with pytest.raises(ProfileError) as table:
        screen_table(engine, [parse_profile({"as_of": "2026-06-01"}), bad])
    assert [e.code for e in table.value.errors] == [e.code for e in one.value.errors]


def test_codes_keep_equal_values_of_different_types_apart():
    codes, reps = codes_of([True, 1, None, True, 1.0, None])
    assert codes.tolist() == [0, 1, 2, 0, 3, 2]
    assert [type(r) for r in reps] == [bool, int, type(None), float]
    codes, reps = codes_of([["a"], None, ["a"], []])
    assert codes.tolist() == [0, 1, 0, 2] and reps == [["a"], None, []]


def test_union_keeps_the_reference_order():
    facts = Facts()
    a, b = facts.code(("x", "y")), facts.code(("y", "z", "z"))
    got = facts.union(np.array([a, 0, b, a]), np.array([b, b, a, 0]))
    assert [facts.tuples[c] for c in got] == [("x", "y", "z", "z"), ("y", "z", "z"), ("y", "z", "z", "x"), ("x", "y")]
    again = facts.union(np.array([b, a, a]), np.array([a, 0, b]))  # the pairs' unions are remembered
    assert [facts.tuples[c] for c in again] == [("y", "z", "z", "x"), ("x", "y"), ("x", "y", "z", "z")]
    assert len(facts.tuples) == 5

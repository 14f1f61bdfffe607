"""Properties over generated valid profiles: estimate bounds, monotonicity, and information monotonicity.

Information monotonicity is the soundness of three-valued screening: answering a question may settle a
`needs_info`, but must never overturn `eligible` or `ineligible` (nor `met` / `unmet` of a definition),
and when an answer turns `needs_info` into `ineligible` the question must have been asked
(the removed field is among the partial result's `missing_facts`).
"""

from __future__ import annotations

import copy
import datetime as dt
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from eligibility.facts import PREFECTURES
from eligibility.logic import Outcome, all_of
from programs.loader import load_catalog

PROGRAM_IDS = sorted(load_catalog().programs)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

APPLICANT_TYPES = ["corporation", "sole_proprietor", "individual", "university", "research_institute", "vc",
                   "accelerator", "ecosystem_builder", "npo", "sme_group", "chamber"]
INDUSTRIES = ["manufacturing", "construction", "transport", "wholesale", "retail", "services", "software",
              "rubber", "hotel", "other"]
RIGHTS = ["patent", "utility_model", "design", "trademark"]
FILING_RIGHTS = [*RIGHTS, "squatting_trademark"]
INTERESTS = ["mentoring", "ip_strategy", "market_analysis", "overseas", "enforcement", "fast_examination",
             "fee_reduction", "financing", "partnership", "consultation"]

# Values at and around every threshold of DOMAIN.md 3, mixed with arbitrary ones.
employees_st = st.one_of(
    st.sampled_from([0, 1, 5, 6, 20, 21, 40, 50, 51, 100, 101, 120, 200, 201, 300, 301, 900, 901, 1000]),
    st.integers(0, 5000),
)
capital_st = st.one_of(
    st.sampled_from([0, 1_000_000, 50_000_000, 50_000_001, 100_000_000, 100_000_001, 300_000_000,
                     300_000_001, 500_000_000, 10**10]),
    st.integers(0, 10**10),
)
ratio_st = st.one_of(st.sampled_from([0.0, 0.3, 0.49, 0.5, 0.6, 0.66, 2 / 3, 0.6667, 1.0]),
                     st.floats(0, 1, allow_nan=False))
income_st = st.one_of(st.sampled_from([-1_000_000, 0, 1_500_000_000, 1_500_000_001]),
                      st.integers(-10**9, 3 * 10**9))
cost_st = st.one_of(st.sampled_from([0, 1_999, 600_000, 600_002, 1_200_000, 1_234_567, 3_000_000, 3_000_002,
                                     6_000_000, 7_500_000]),
                    st.integers(0, 10_000_000))


def _opt(d: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=d)


@st.composite
def shareholding_st(draw: st.DrawFn) -> dict[str, float]:
    a, b = sorted([draw(ratio_st), draw(ratio_st)])
    out: dict[str, float] = {}
    if draw(st.integers(0, 9)) > 0:
        out["largest"] = a
    if draw(st.integers(0, 9)) > 0:
        out["combined"] = b
    return out


# `right` is required (it sets the per-case cap; a filing without it is refused with 422, issue 16 item 8).
filing_st = st.fixed_dictionaries({"right": st.sampled_from(FILING_RIGHTS)},
                                  optional={"cost_yen": cost_st, "already_filed": st.booleans()})
dispute_st = _opt({"kind": st.sampled_from(["counterfeit", "squatting", "defense"]), "cost_yen": cost_st,
                   "holds_local_right": st.booleans(), "holds_jp_trademark": st.booleans()})
# false: 「いいえ」 (none planned) is an answer, not a missing one (issue 14 item 3).
insurance_st = st.one_of(st.just(False), _opt({"premium_yen": st.integers(0, 5_000_000), "renewal": st.booleans()}))
award_st = st.fixed_dictionaries({"program_id": st.sampled_from(PROGRAM_IDS), "fiscal_year": st.integers(2018, 2028),
                                  "amount_yen": st.integers(0, 5_000_000)})

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "applicant_type": st.sampled_from(APPLICANT_TYPES),
    "employees": employees_st,
    "capital_yen": capital_st,
    "industry": st.sampled_from(INDUSTRIES),
    "large_company_shareholding": shareholding_st(),
    "large_company_officer_ratio": ratio_st,
    "wholly_owned_by_large_parent": st.booleans(),
    "avg_taxable_income_yen": income_st,
    "prefecture": st.sampled_from(PREFECTURES),
    "phase": st.sampled_from(["concept", "launch", "expansion"]),
    "domestic_applications": st.lists(st.sampled_from(RIGHTS), unique=True, max_size=4),
    "patent_exam_status": st.sampled_from(["none", "planned", "filed", "requested", "started"]),
    "design_application": st.sampled_from(["none", "planned", "filed"]),
    "working_related": st.booleans(),
    "foreign_filings": st.lists(filing_st, max_size=4),
    "overseas_disputes": st.lists(dispute_st, max_size=3),
    "litigation_insurance": insurance_st,
    "prior_awards": st.lists(award_st, max_size=3),
    "vc_backed": st.booleans(),
    "interests": st.lists(st.sampled_from(INTERESTS), unique=True, max_size=4),
    # Control characters (NUL …) are refused with 422 (tests/test_profile_validation.py), and a lone surrogate is
    # not text (codec="utf-8"); any other text is free.
    "description": st.text(st.characters(codec="utf-8", exclude_characters=[chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)]),
                           max_size=60),
    # contract v1.1 and the FY2026 programs' facts (DOMAIN.md 7.4)
    "municipality": st.sampled_from(["岡崎市", "小牧市", "神戸市", "姫路市", "品川区", "府中市"]),
    "foreign_patent_grant_decided": st.booleans(),
    "foreign_procedure_pending": st.booleans(),
    "patent_search_planned": st.booleans(),
    "local_site_6_months": st.booleans(),
}


@st.composite
def profiles(draw: st.DrawFn, presence: float = 0.75) -> dict[str, Any]:
    """A valid contract-v1 profile: as_of always set (2019-2027), every other field possibly absent."""
    as_of = draw(st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)))
    p: dict[str, Any] = {"as_of": as_of.isoformat()}
    if draw(st.floats(0, 1)) < presence:
        # Founding dates cluster around the 10-year boundary, as well as anywhere in the last 40 years.
        days = draw(st.one_of(st.integers(0, 40 * 366), st.integers(10 * 365 - 5, 10 * 365 + 5)))
        p["established_on"] = max(as_of - dt.timedelta(days=days), dt.date(1950, 1, 1)).isoformat()
    for name, strat in FIELDS.items():
        if draw(st.floats(0, 1)) < presence:
            p[name] = draw(strat)
    return p


@st.composite
def paid_profiles(draw: st.DrawFn) -> dict[str, Any]:
    """Profiles that mostly pass the subsidies' rules, so the estimates are exercised."""
    atype = draw(st.sampled_from(["corporation", "corporation", "sole_proprietor", "university", "sme_group"]))
    as_of = draw(st.dates(dt.date(2019, 1, 1), dt.date(2027, 12, 31)))
    fy = as_of.year if as_of.month >= 4 else as_of.year - 1
    p: dict[str, Any] = {
        "as_of": as_of.isoformat(), "applicant_type": atype, "established_on": "2015-06-01",
        "employees": draw(st.integers(0, 300)), "capital_yen": draw(st.integers(0, 300_000_000)),
        "industry": "manufacturing", "large_company_shareholding": {"largest": 0, "combined": 0},
        "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 0,
        "prefecture": draw(st.sampled_from(PREFECTURES)), "domestic_applications": ["patent"],
        "foreign_filings": draw(st.lists(st.fixed_dictionaries(
            {"right": st.sampled_from(FILING_RIGHTS), "cost_yen": cost_st, "already_filed": st.booleans()}),
            min_size=1, max_size=5)),
        "overseas_disputes": draw(st.lists(st.fixed_dictionaries(
            {"kind": st.sampled_from(["counterfeit", "squatting", "defense"]), "cost_yen": cost_st,
             "holds_local_right": st.booleans(), "holds_jp_trademark": st.booleans()}), min_size=1, max_size=4)),
        "litigation_insurance": {"premium_yen": draw(st.integers(0, 5_000_000)), "renewal": draw(st.booleans())},
        "prior_awards": draw(st.lists(st.fixed_dictionaries({
            "program_id": st.sampled_from(PROGRAM_IDS),
            "fiscal_year": st.sampled_from([fy - 1, fy, fy, fy + 1]),
            "amount_yen": st.integers(0, 6_000_000)}), max_size=3)),
    }
    return p


# --- estimates -----------------------------------------------------------------------------------------

RATE_BOUND = {"per_case_subsidy": Fraction(1, 2), "dispute_subsidy": Fraction(2, 3)}


def _paid_costs(program_id: str, method: str, profile: dict[str, Any]) -> Fraction | None:
    """Upper bound from the raw costs: rate × the sum of the costs the method may pay."""
    if method == "per_case_subsidy":
        return RATE_BOUND[method] * sum(f["cost_yen"] for f in profile.get("foreign_filings", [])
                                        if f.get("already_filed") is False and "cost_yen" in f)
    if method == "dispute_subsidy":
        return RATE_BOUND[method] * sum(d["cost_yen"] for d in profile.get("overseas_disputes", []) if "cost_yen" in d)
    if method == "premium_subsidy":
        return Fraction(1, 2) * profile["litigation_insurance"]["premium_yen"]
    return None


def _check_estimates(engine: Any, profile: dict[str, Any]) -> dict[str, int]:
    s = engine.screen(profile)
    amounts: dict[str, int] = {}
    for r in s.results:
        est = r.estimate
        if est is None:
            continue
        assert r.status == "eligible", f"{r.program_id}: an estimate on a {r.status} result"
        a = est.amount_yen
        assert isinstance(a, int)
        assert a >= 0, r.program_id
        assert a % 1000 == 0, (r.program_id, a)
        if est.cap_yen is not None:
            assert a <= est.cap_yen, (r.program_id, a, est.cap_yen)
            assert est.remaining_cap_yen == max(est.cap_yen - est.prior_awards_yen, 0)
            assert a <= est.remaining_cap_yen, (r.program_id, a, est.remaining_cap_yen)
        bound = _paid_costs(r.program_id, r.program.benefit.method, profile)
        if bound is not None:
            assert a <= bound, (r.program_id, a, bound)
        amounts[r.program_id] = a
    return amounts


@SETTINGS
@given(paid_profiles())
def test_estimates_bounded(engine, profile):
    _check_estimates(engine, profile)


@SETTINGS
@given(profiles())
def test_estimates_bounded_any_profile(engine, profile):
    _check_estimates(engine, profile)


@SETTINGS
@given(paid_profiles(), st.data())
def test_estimates_monotone_in_cost(engine, profile, data):
    before = _check_estimates(engine, profile)
    which = data.draw(st.sampled_from(["foreign_filings", "overseas_disputes", "litigation_insurance"]))
    raised = copy.deepcopy(profile)
    delta = data.draw(st.integers(1, 5_000_000))
    if which == "litigation_insurance":
        raised[which]["premium_yen"] += delta
    else:
        i = data.draw(st.integers(0, len(raised[which]) - 1))
        raised[which][i]["cost_yen"] += delta
    note(f"raised {which} by {delta}")
    after = _check_estimates(engine, raised)
    assert set(after) == set(before)  # a cost never decides eligibility
    for pid, a in before.items():
        assert after[pid] >= a, (pid, a, after[pid])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paid_profiles(), st.integers(0, 6_000_000))
def test_prior_award_never_raises_an_estimate(engine, profile, extra):
    before = _check_estimates(engine, profile)
    as_of = dt.date.fromisoformat(profile["as_of"])
    fy = as_of.year if as_of.month >= 4 else as_of.year - 1
    for pid in before:
        more = {**profile, "prior_awards": [*profile["prior_awards"],
                                            {"program_id": pid, "fiscal_year": fy, "amount_yen": extra}]}
        after = _check_estimates(engine, more)
        assert after[pid] <= before[pid]


# --- information monotonicity ------------------------------------------------------------------------------


@st.composite
def full_and_partial(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """A profile, the same profile with some answers removed, and the top-level fields touched."""
    full = draw(st.one_of(profiles(presence=0.9), paid_profiles()))
    partial = copy.deepcopy(full)
    removed: set[str] = set()
    keys = sorted(k for k in full if k != "as_of")
    for k in keys:
        if draw(st.integers(0, 3)) == 0:
            del partial[k]
            removed.add(k)
    # Also forget nested answers: one of the two shareholding figures, or a field of a list item.
    for k in ("large_company_shareholding", "litigation_insurance"):
        if k in partial and partial[k] and draw(st.integers(0, 3)) == 0:
            sub = draw(st.sampled_from(sorted(partial[k])))
            del partial[k][sub]
            removed.add(k)
    for k in ("foreign_filings", "overseas_disputes"):
        if k in partial and partial[k] and draw(st.integers(0, 3)) == 0:
            item = draw(st.sampled_from(partial[k]))
            forgettable = sorted(f for f in item if f != "right")  # a filing's right is required
            if forgettable:
                del item[draw(st.sampled_from(forgettable))]
                removed.add(k)
    return full, partial, removed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(full_and_partial())
def test_information_monotonicity(engine, case):
    full_p, partial_p, removed = case
    note(f"removed: {sorted(removed)}")
    full = engine.screen(full_p)
    part = engine.screen(partial_p)
    for name, pc in part.definitions.items():
        fc = full.definitions[name]
        if pc.outcome is not Outcome.UNKNOWN:
            assert fc.outcome is pc.outcome, f"definition {name}: {pc.outcome} with less, {fc.outcome} with more"
        elif fc.outcome is not Outcome.UNKNOWN:
            assert removed & set(pc.missing), f"definition {name} settled by {removed}, but missing={pc.missing}"
    assert [r.program_id for r in part.results] == [r.program_id for r in full.results]
    for pr in part.results:
        fr = full.result(pr.program_id)
        assert fr is not None
        if pr.status != "needs_info":
            assert fr.status == pr.status, (
                f"{pr.program_id}: {pr.status} with {sorted(removed)} removed, {fr.status} with them answered")
        elif fr.status != "needs_info":
            assert removed & set(pr.missing_facts), (
                f"{pr.program_id}: needs_info → {fr.status} by answering {sorted(removed)}, "
                f"but missing_facts={pr.missing_facts}")


# --- results are explained ---------------------------------------------------------------------------------


def _walk(traces):
    for t in traces:
        yield t
        yield from _walk(t.children)


@SETTINGS
@given(profiles(presence=0.5))
def test_results_are_explained(engine, profile):
    s = engine.screen(profile)
    assert s.results, "some program is always in force"
    for r in s.results:
        assert r.reasons, r.program_id
        for t in r.reasons:
            assert t.source, f"{r.program_id}.{t.criterion} has no source"
            assert t.label_ja and t.label_en
        # the status is the three-valued AND of the top-level criteria
        combined = all_of(t.outcome for t in r.reasons)
        assert r.status == {Outcome.MET: "eligible", Outcome.UNMET: "ineligible",
                            Outcome.UNKNOWN: "needs_info"}[combined]
        if r.status == "needs_info":
            assert r.missing_facts, f"{r.program_id} needs_info without missing_facts"
        if r.status == "ineligible":
            assert r.estimate is None
        for t in _walk(r.reasons):
            if t.outcome is Outcome.UNKNOWN:
                assert t.missing, f"{r.program_id}.{t.criterion} is unknown but names no missing fact"
            else:
                assert not t.missing
        for f in r.missing_facts:
            assert f in FIELDS or f == "established_on", f"{r.program_id}: missing fact {f!r} is not a profile field"
    for name, c in s.definitions.items():
        if c.outcome is Outcome.UNKNOWN:
            assert c.missing, name


@SETTINGS
@given(paid_profiles(), st.data())
def test_estimate_changes_only_through_missing_facts(engine, profile, data):
    """An eligible result's estimate may change when an answer is added only if that answer was asked for.

    `prior_awards` is left alone: absent, it is read as "none granted this year" (the contract's cases
    compute estimates without it), so it is not listed as missing.
    """
    partial = copy.deepcopy(profile)
    removed: set[str] = set()
    for k in ("foreign_filings", "overseas_disputes"):
        for item in partial[k]:
            forgettable = sorted(f for f in item if f != "right")  # a filing's right is required
            if forgettable and data.draw(st.integers(0, 2)) == 0:
                del item[data.draw(st.sampled_from(forgettable))]
                removed.add(k)
    if data.draw(st.booleans()):
        del partial["litigation_insurance"][data.draw(st.sampled_from(["premium_yen", "renewal"]))]
        removed.add("litigation_insurance")
    note(f"partial: {partial}")
    full, part = engine.screen(profile), engine.screen(partial)
    for pr in part.results:
        fr = full.result(pr.program_id)
        assert fr is not None
        if pr.status == fr.status == "eligible" and pr.estimate is not None:
            if fr.estimate is None or fr.estimate.amount_yen != pr.estimate.amount_yen:
                assert removed & set(pr.missing_facts), (
                    f"{pr.program_id}: estimate {pr.estimate.amount_yen} became "
                    f"{fr.estimate and fr.estimate.amount_yen} by answering {sorted(removed)}, "
                    f"but missing_facts={pr.missing_facts}")


def test_assumed_answers_are_the_documented_exception(engine):
    """`chamber_member` and `design_bulk_filing` (beyond contract v1) are assumed when absent (README):
    the only answers that may turn `eligible` into `ineligible`. The trace must say it assumed them."""
    base = {"as_of": "2025-10-01", "applicant_type": "corporation", "employees": 10, "industry": "manufacturing",
            "litigation_insurance": {"premium_yen": 400_000, "renewal": False}}
    assumed = engine.screen(base).result("ip_litigation_insurance")
    assert assumed is not None and assumed.status == "eligible"
    member = next(t for t in assumed.reasons if t.criterion == "member_of_body")
    assert member.facts == {"chamber_member": None}
    assert "未回答" in member.detail_ja and "assumed" in member.detail_en
    refused = engine.screen({**base, "chamber_member": False}).result("ip_litigation_insurance")
    assert refused is not None and refused.status == "ineligible"
    # no contract field behaves like this: the generated profiles never include these two fields
    assert "chamber_member" not in FIELDS and "design_bulk_filing" not in FIELDS


def _numbers(obj: Any) -> Any:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _numbers(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _numbers(v)
    elif isinstance(obj, int | float) and not isinstance(obj, bool):
        yield obj


@SETTINGS
@given(profiles(presence=0.6), st.sampled_from(["ja", "en"]))
def test_results_are_finite_and_serialise_as_the_standard_library_would(engine, scorer, profile, lang):
    """`app.store.db.encode_json` (orjson) writes NaN as null where `json.dumps(allow_nan=False)` refuses it: every
    number of a ranked result must be finite, and the JSON must read back as the standard library's does
    (the text may differ in how a number is written: orjson 6.1e-5, json 6.1e-05)."""
    import json
    import math

    from app.store.db import encode_json

    s = engine.screen(profile)
    scorer.rank(s)
    body = s.as_dict(lang)
    assert all(math.isfinite(x) for x in _numbers(body))
    for r in body["results"]:
        assert 0 <= r["score"] <= 1
    expected = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    assert json.loads(encode_json(body).raw) == json.loads(expected)

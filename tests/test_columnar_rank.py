"""The columnar ranking (matching/columnar.py) gives every row the ranks and scores of `Scorer.rank` row by row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eligibility.profile import ProfileError, parse_profile
from eligibility.screen_table import ScreenTable
from matching.columnar import rank_table
from matching.scorer import Scorer
from matching.signals import load_needs
from tests.support.paths import SHARED
from tests.test_properties import paid_profiles, profiles

NOW = dt.datetime(2026, 1, 15, 3, 0, tzinfo=dt.UTC)
DATES = ["2025-09-01", "2026-06-01", "2024-04-01", "2026-01-15"]
# Descriptions that state needs (the patterns of matching/needs.yaml), some negated, some with other words.
PATTERNS = sorted({p for need in load_needs() for p in need.patterns})
description_st = st.one_of(
    st.none(),
    st.lists(st.one_of(st.sampled_from(PATTERNS), st.sampled_from(["はない", "の予定はありません", "なし", "。", "特許",
                                                                   "商標の相談", "海外展開"])),
             min_size=1, max_size=6).map("".join),
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]]]:
    as_of = draw(st.sampled_from(DATES))
    drawn = draw(st.lists(st.one_of(profiles(), profiles(presence=0.3), paid_profiles()), min_size=1, max_size=25))
    out = []
    for p in drawn:
        p = {**p, "as_of": as_of}
        how = draw(st.sampled_from(["keep", "drop", "needs"]))
        if how == "drop":
            p.pop("description", None)
        elif how == "needs":
            text = draw(description_st)
            if text is None:
                p.pop("description", None)
            else:
                p["description"] = text
        try:
            parse_profile(p)
        except ProfileError:
            continue
        out.append(p)
    return as_of, out


def _check(engine: Any, scorer: Scorer, profs: list[dict[str, Any]]) -> None:
    table = ScreenTable.from_screenings([engine.screen(p, NOW) for p in profs])
    got = rank_table(scorer, engine, table)
    assert got is not None
    rank, score = got
    assert rank.shape == score.shape == table.status.shape
    assert rank.dtype == np.int16 and score.dtype == np.float64
    for i, p in enumerate(profs):
        s = scorer.rank(engine.screen(p, NOW))  # a screening of its own: ranking mutates the results
        by_id = {r.program_id: r for r in s.results}
        want_rank = [by_id[pid].rank or 0 for pid in table.program_ids]
        want_score = [by_id[pid].score for pid in table.program_ids]
        assert rank[i].tolist() == want_rank, (i, p, table.program_ids)
        np.testing.assert_allclose(score[i], want_score, rtol=0, atol=1e-9, err_msg=f"row {i}: {p}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(tables())
def test_columnar_rank_equals_rank(engine, scorer, drawn):
    _, profs = drawn
    if profs:
        _check(engine, scorer, profs)


def _cases() -> list[dict[str, Any]]:
    return [dict(yaml.safe_load(path.read_text(encoding="utf-8"))["profile"])
            for path in sorted((SHARED / "cases").glob("*.yaml"))]


def _valid(profs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in profs:
        try:
            parse_profile(p)
        except ProfileError:  # a case founded after the date
            continue
        out.append(p)
    return out


def test_shared_cases_in_one_table(engine, scorer):
    cases = _cases()
    for as_of in ("2026-06-01", "2025-09-01"):
        profs = _valid([{**c, "as_of": as_of} for c in cases])
        assert len(profs) > len(cases) // 2
        _check(engine, scorer, profs)


def test_demotion_is_exercised(engine, scorer):
    """The shared cases include a row where two alternatives meet in the top three (the demotion runs)."""
    profs = [{**c, "as_of": "2026-06-01"} for c in _cases()]
    demoted = [any(sig["signal"] == "alternative" for r in scorer.rank(engine.screen(p, NOW)).results
                   for sig in r.signals) for p in profs]
    assert any(demoted)
    _check(engine, scorer, [p for p, d in zip(profs, demoted, strict=True) if d])


def test_none_with_a_learned_model(engine, scorer, catalog):
    class Dummy:
        version = "dummy-1"

        def adjust(self, examples: list[Any]) -> list[float]:
            return [0.0 for _ in examples]

    profs = [{**c, "as_of": "2026-06-01"} for c in _cases()[:3]]
    table = ScreenTable.from_screenings([engine.screen(p, NOW) for p in profs])
    assert rank_table(Scorer(catalog.programs.values(), model=Dummy()), engine, table) is None
    assert rank_table(scorer, engine, table) is not None


def test_near_ties_scored_again_with_math_exp(engine, scorer, monkeypatch):
    """Every row taken as a near tie: all scored again with math.exp (the path for ulp-close scores), still equal."""
    import matching.columnar as columnar

    monkeypatch.setattr(columnar, "_TIE", 2.0)
    _check(engine, scorer, _valid([{**c, "as_of": "2026-06-01"} for c in _cases()]))


def test_rendering_where_facts_depend_on_the_profile(engine, scorer, monkeypatch):
    """Every predicate taken as one whose met facts depend on the profile: the rows' traces are rendered."""
    import matching.columnar as columnar

    monkeypatch.setattr(columnar, "STATIC_FACTS", frozenset())
    _check(engine, scorer, _valid([{**c, "as_of": "2026-06-01"} for c in _cases()]))


def test_learns_on_a_fresh_engine(catalog, scorer):
    """Plans that have learned no met test yet: the columnar ranking learns them (as Plan.learn) and is equal."""
    from eligibility.compiled import CompiledEngine

    fresh = CompiledEngine(catalog)
    assert not any(plan.met_facts for plan in fresh.plans.values())
    profs = _valid([{**c, "as_of": "2025-09-01"} for c in _cases()])
    table = ScreenTable.from_screenings([fresh.screen(p, NOW) for p in profs])
    first = rank_table(scorer, fresh, table)
    assert first is not None
    assert any(plan.met_facts for plan in fresh.plans.values())
    _check(fresh, scorer, profs)
    again = rank_table(scorer, fresh, table)
    assert again is not None
    assert (again[0] == first[0]).all() and (again[1] == first[1]).all()


def test_area_unknown_rows_rank_as_row_by_row(engine, scorer):
    # status needs_info_area (the municipality unknown for 岡崎市 / 小牧市 programs) next to the same profile with
    # the city given and one in another prefecture: the columns follow Scorer.status_key.
    base = dict(as_of="2026-07-01", applicant_type="corporation", established_on="2005-04-01", employees=30,
                capital_yen=20_000_000, industry="manufacturing", prefecture="愛知県",
                large_company_shareholding={"largest": 0, "combined": 0}, large_company_officer_ratio=0,
                wholly_owned_by_large_parent=False, domestic_applications=["patent"], patent_exam_status="planned",
                description="新しい加工方法の特許を出願したい。")
    _check(engine, scorer, [base, {**base, "municipality": "岡崎市", "local_site_6_months": True},
                            {**base, "municipality": "小牧市"}, {**base, "prefecture": "大阪府"}])

"""Benefit estimates (DOMAIN.md 5) at and past every cap, with rounding and prior awards."""

from __future__ import annotations

import pytest

from tests.support.helpers import amount, corp, result

FFS = "foreign_filing_subsidy"
INPIT = "inpit_foreign_filing_subsidy"
PROGRAMS_FILING = [FFS, INPIT]


def filer(*filings: tuple[str, int] | tuple[str, int, bool], **over):
    """A small independent corporation, filed in Japan, planning these foreign filings (FY2025)."""
    items = [{"right": f[0], "cost_yen": f[1], "already_filed": f[2] if len(f) > 2 else False} for f in filings]
    return corp(domestic_applications=["patent", "trademark"], foreign_filings=items, **over)


def disputer(*disputes: dict, **over):
    return corp(overseas_disputes=list(disputes), **over)


def cf(cost: int, local: bool = True) -> dict:
    return {"kind": "counterfeit", "cost_yen": cost, "holds_local_right": local}


def sq(cost: int, jp: bool = True) -> dict:
    return {"kind": "squatting", "cost_yen": cost, "holds_jp_trademark": jp}


def df(cost: int) -> dict:
    return {"kind": "defense", "cost_yen": cost}


# --- overseas filing: per-case caps -----------------------------------------------------------------


@pytest.mark.parametrize("program", PROGRAMS_FILING)
@pytest.mark.parametrize(
    ("right", "cost", "expected"),
    [
        # 特許: 1/2 up to ¥1,500,000 per case
        ("patent", 2_999_998, 1_499_000),   # 1,499,999 → rounded down to ¥1,000
        ("patent", 3_000_000, 1_500_000),   # exactly at the case cap
        ("patent", 3_000_002, 1_500_000),   # past it
        ("patent", 10_000_000, 1_500_000),
        # 実用新案・意匠・商標: ¥600,000
        ("utility_model", 1_200_000, 600_000),
        ("utility_model", 1_200_002, 600_000),
        ("design", 1_200_000, 600_000),
        ("design", 1_199_998, 599_000),     # 599,999 → 599,000
        ("trademark", 1_200_000, 600_000),
        ("trademark", 5_000_000, 600_000),
        # 冒認対策商標: ¥300,000
        ("squatting_trademark", 600_000, 300_000),
        ("squatting_trademark", 600_002, 300_000),
        ("squatting_trademark", 400_000, 200_000),
        # rounding down to ¥1,000
        ("patent", 1_234_567, 617_000),     # 617,283.5 → 617,000
        ("patent", 1_999, 0),               # 999.5 → 0
        ("patent", 0, 0),
    ],
)
def test_per_case_caps(engine, program, right, cost, expected):
    r = result(engine, filer((right, cost)), program)
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.amount_yen == expected
    assert r.estimate.rate == "1/2"
    assert r.estimate.cap_yen == 3_000_000


@pytest.mark.parametrize("program", PROGRAMS_FILING)
def test_company_cap_with_several_cases(engine, program):
    # 1,500,000 + 1,500,000 + 600,000 = 3,600,000 → company cap 3,000,000
    p = filer(("patent", 4_000_000), ("patent", 3_000_000), ("design", 2_000_000))
    assert amount(engine, p, program) == 3_000_000
    # 1,500,000 + 1,499,000.5 = 2,999,000.5 → 2,999,000 (under the cap, rounded down)
    assert amount(engine, filer(("patent", 3_000_000), ("patent", 2_998_001)), program) == 2_999_000
    # exactly at the cap: 1,500,000 + 1,500,000
    assert amount(engine, filer(("patent", 3_000_000), ("patent", 3_000_000)), program) == 3_000_000


def test_rounding_applies_to_the_sum(engine):
    # 500.5 + 500.5 = 1,001 → 1,000 (rounding the sum, not each case: each alone would be 0)
    assert amount(engine, filer(("patent", 1_001), ("patent", 1_001)), FFS) == 1_000


def test_breakdown_lists_planned_cases(engine):
    r = result(engine, filer(("patent", 3_400_000), ("design", 800_000)), FFS)
    assert r.estimate is not None
    assert r.estimate.amount_yen == 1_900_000  # 1,500,000 (capped) + 400,000
    rows = r.estimate.breakdown
    assert [row["right"] for row in rows] == ["patent", "design"]
    assert [row["capped"] for row in rows] == [True, False]


@pytest.mark.parametrize("program", PROGRAMS_FILING)
def test_already_filed_items_are_ignored(engine, program):
    p = filer(("patent", 3_000_000), ("patent", 3_000_000, True), ("trademark", 1_000_000, True))
    assert amount(engine, p, program) == 1_500_000
    # only already-filed items: the criterion is unmet and there is no estimate
    r = result(engine, filer(("patent", 3_000_000, True)), program)
    assert r.status == "ineligible"
    assert r.estimate is None


def test_unknown_cost_gives_no_estimate(engine):
    p = corp(domestic_applications=["patent"], foreign_filings=[{"right": "patent", "already_filed": False}])
    r = result(engine, p, FFS)
    assert r.status == "eligible"
    assert r.estimate is None
    assert "foreign_filings" in r.missing_facts


# --- prior awards and fiscal years -----------------------------------------------------------------


def award(program: str, fy: int, yen: int) -> dict:
    return {"program_id": program, "fiscal_year": fy, "amount_yen": yen}


# DOMAIN.md 7.2: the cap year is the 公募年度 of the round open or next at as_of. On 2025-10-01 (the profiles'
# date) INPIT's next known round is 令和8年度 第2回 (March 2026), so INPIT counts FY2026 awards; 東京都 has no
# prefectural round on record, so the prefectural subsidy counts those of the fiscal year of as_of (2025).
CAP_FY = {FFS: 2025, INPIT: 2026}


@pytest.mark.parametrize("program", PROGRAMS_FILING)
def test_prior_awards_same_year_reduce_the_company_cap(engine, program):
    fy = CAP_FY[program]
    p = filer(("patent", 3_000_000), ("patent", 3_000_000), prior_awards=[award(program, fy, 2_000_000)])
    r = result(engine, p, program)
    assert r.estimate is not None
    assert r.estimate.amount_yen == 1_000_000  # 3,000,000 − 2,000,000 left
    assert r.estimate.prior_awards_yen == 2_000_000
    assert r.estimate.remaining_cap_yen == 1_000_000
    # two awards add up: 1,200,000 + 1,300,000 → 500,000 left
    p2 = filer(("patent", 3_000_000), prior_awards=[award(program, fy, 1_200_000), award(program, fy, 1_300_000)])
    assert amount(engine, p2, program) == 500_000
    # the remaining cap only bites when it is smaller than the subsidy
    p3 = filer(("design", 400_000), prior_awards=[award(program, fy, 2_000_000)])
    assert amount(engine, p3, program) == 200_000


@pytest.mark.parametrize("prior", [3_000_000, 3_500_000])
def test_prior_awards_never_below_zero(engine, prior):
    p = filer(("patent", 3_000_000), prior_awards=[award(FFS, 2025, prior)])
    r = result(engine, p, FFS)
    assert r.estimate is not None
    assert r.estimate.amount_yen == 0
    assert r.estimate.remaining_cap_yen == 0


@pytest.mark.parametrize(
    ("as_of", "award_fy", "expected"),
    [
        ("2026-03-31", 2025, 1_000_000),  # still FY2025: the award counts
        ("2026-04-01", 2025, 1_500_000),  # FY2026 has begun: last year's award does not
        ("2026-04-01", 2026, 1_000_000),
        ("2025-04-01", 2024, 1_500_000),
        ("2025-03-31", 2024, 1_000_000),
    ],
)
def test_fiscal_year_boundary(engine, as_of, award_fy, expected):
    p = filer(("patent", 3_000_000), as_of=as_of, prior_awards=[award(FFS, award_fy, 2_000_000)])
    assert amount(engine, p, FFS) == expected


def test_prior_awards_of_another_program_do_not_count(engine):
    p = filer(("patent", 3_000_000), ("patent", 3_000_000), prior_awards=[award(INPIT, CAP_FY[INPIT], 3_000_000)])
    assert amount(engine, p, FFS) == 3_000_000
    assert amount(engine, p, INPIT) == 0
    p2 = disputer(cf(6_000_000), prior_awards=[award(FFS, 2025, 3_000_000)])
    assert amount(engine, p2, "counterfeit_countermeasure") == 4_000_000


# --- INPIT: universities have no company cap ---------------------------------------------------------


def test_inpit_research_institute_has_the_company_cap(engine):
    """DOMAIN.md 7.6: the exemption is for universities (大学等) only; 試験研究機関等 have the ¥3M cap."""
    p = {
        "as_of": "2025-10-01", "applicant_type": "research_institute", "prefecture": "京都府",
        "domestic_applications": ["patent"],
        "foreign_filings": [{"right": "patent", "cost_yen": 3_000_000, "already_filed": False}] * 4,
    }
    r = result(engine, p, INPIT)
    assert r.status == "eligible" and r.estimate is not None
    assert r.estimate.cap_yen == 3_000_000
    assert r.estimate.amount_yen == 3_000_000  # 4 × 1,500,000 = 6,000,000, capped at ¥3M


@pytest.mark.parametrize("atype", ["university"])
def test_inpit_university_has_no_company_cap(engine, atype):
    p = {
        "as_of": "2025-10-01", "applicant_type": atype, "prefecture": "京都府",
        "domestic_applications": ["patent"],
        "foreign_filings": [{"right": "patent", "cost_yen": 3_000_000, "already_filed": False}] * 4,
    }
    r = result(engine, p, INPIT)
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.cap_yen is None
    assert r.estimate.amount_yen == 6_000_000  # 4 × 1,500,000, no ¥3M cap
    # prior awards cannot eat a cap that does not exist
    r2 = result(engine, {**p, "prior_awards": [award(INPIT, 2025, 5_000_000)]}, INPIT)
    assert r2.estimate is not None and r2.estimate.amount_yen == 6_000_000
    # the per-case cap still applies
    one = {**p, "foreign_filings": [{"right": "trademark", "cost_yen": 2_000_000, "already_filed": False}]}
    assert amount(engine, one, INPIT) == 600_000
    # the prefectural subsidy is for SMEs only
    ffs = result(engine, p, FFS)
    assert ffs.status == "ineligible"
    assert ffs.estimate is None


def test_inpit_not_in_force_before_fy2025(engine):
    p = filer(("patent", 3_000_000), as_of="2025-03-31")
    assert amount(engine, p, FFS) == 1_500_000
    assert engine.screen(p).result(INPIT) is None


# --- infringement countermeasures ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        (1_000_000, 666_000),   # 666,666.67 → 666,000
        (6_000_000, 4_000_000),  # exactly at the cap
        (6_000_003, 4_000_000),
        (5_999_997, 3_999_000),  # 3,999,998 → 3,999,000
        (20_000_000, 4_000_000),
        (1_499, 0),
    ],
)
def test_counterfeit_two_thirds_cap_4m(engine, cost, expected):
    r = result(engine, disputer(cf(cost)), "counterfeit_countermeasure")
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.amount_yen == expected
    assert r.estimate.rate == "2/3"
    assert r.estimate.cap_yen == 4_000_000


def test_counterfeit_several_cases_share_the_cap(engine):
    # 2,000,000 + 2,000,000 + 666,666.67 → 4,666,666.67 → cap 4,000,000
    p = disputer(cf(3_000_000), cf(3_000_000), cf(1_000_000))
    assert amount(engine, p, "counterfeit_countermeasure") == 4_000_000
    # 666,666.67 × 2 = 1,333,333.33 → 1,333,000 (summed before rounding)
    assert amount(engine, disputer(cf(1_000_000), cf(1_000_000)), "counterfeit_countermeasure") == 1_333_000


def test_counterfeit_without_local_right_is_not_paid(engine):
    p = disputer(cf(3_000_000, local=False), cf(1_500_000))
    assert amount(engine, p, "counterfeit_countermeasure") == 1_000_000
    r = result(engine, disputer(cf(3_000_000, local=False)), "counterfeit_countermeasure")
    assert r.status == "ineligible"
    assert r.estimate is None


def test_counterfeit_prior_awards(engine):
    p = disputer(cf(6_000_000), prior_awards=[award("counterfeit_countermeasure", 2025, 3_000_000)])
    r = result(engine, p, "counterfeit_countermeasure")
    assert r.estimate is not None
    assert r.estimate.amount_yen == 1_000_000
    assert r.estimate.remaining_cap_yen == 1_000_000


@pytest.mark.parametrize(
    ("cost", "expected"),
    [(7_500_000, 5_000_000), (7_500_002, 5_000_000), (7_499_997, 4_999_000), (3_000_000, 2_000_000),
     (1_000_000, 666_000)],
)
def test_squatting_two_thirds_cap_5m(engine, cost, expected):
    r = result(engine, disputer(sq(cost)), "trademark_squatting_countermeasure")
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.amount_yen == expected
    assert r.estimate.cap_yen == 5_000_000


def test_squatting_needs_jp_trademark(engine):
    assert amount(engine, disputer(sq(3_000_000, jp=False), sq(1_500_000)), "trademark_squatting_countermeasure") \
        == 1_000_000
    r = result(engine, disputer(sq(3_000_000, jp=False)), "trademark_squatting_countermeasure")
    assert r.status == "ineligible"
    assert r.estimate is None


@pytest.mark.parametrize(
    ("costs", "expected"),
    [([7_500_000], 5_000_000), ([9_000_000], 5_000_000), ([4_000_000, 4_000_000], 5_000_000),
     ([1_000_000], 666_000), ([300_000, 300_000], 400_000)],
)
def test_defense_two_thirds_cap_5m(engine, costs, expected):
    r = result(engine, disputer(*[df(c) for c in costs]), "defensive_countermeasure")
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.amount_yen == expected
    assert r.estimate.cap_yen == 5_000_000


def test_dispute_programs_pay_only_their_own_kind(engine):
    p = disputer(cf(3_000_000), sq(1_500_000), df(600_000))
    assert amount(engine, p, "counterfeit_countermeasure") == 2_000_000
    assert amount(engine, p, "trademark_squatting_countermeasure") == 1_000_000
    assert amount(engine, p, "defensive_countermeasure") == 400_000


def test_dispute_cost_unknown_gives_no_estimate(engine):
    r = result(engine, disputer({"kind": "defense"}), "defensive_countermeasure")
    assert r.status == "eligible"
    assert r.estimate is None
    assert "overseas_disputes" in r.missing_facts


# --- litigation insurance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("premium", "renewal", "expected", "rate"),
    [
        (1_000_000, False, 500_000, "1/2"),
        (1_000_000, True, 333_000, "1/3"),   # 333,333.33 → 333,000
        (1_234_567, False, 617_000, "1/2"),
        (1_234_567, True, 411_000, "1/3"),   # 411,522.33 → 411,000
        (1_999, False, 0, "1/2"),
        (3_000, True, 1_000, "1/3"),
    ],
)
def test_litigation_insurance(engine, premium, renewal, expected, rate):
    p = corp(litigation_insurance={"premium_yen": premium, "renewal": renewal})
    r = result(engine, p, "ip_litigation_insurance")
    assert r.status == "eligible"
    assert r.estimate is not None
    assert r.estimate.amount_yen == expected
    assert r.estimate.rate == rate


@pytest.mark.parametrize("insurance", [{"premium_yen": 1_000_000}, {"renewal": False}])
def test_litigation_insurance_incomplete_gives_no_estimate(engine, insurance):
    r = result(engine, corp(litigation_insurance=insurance), "ip_litigation_insurance")
    assert r.estimate is None
    assert "litigation_insurance" in r.missing_facts


def test_litigation_insurance_absent(engine):
    r = result(engine, corp(), "ip_litigation_insurance")
    assert r.status == "needs_info"
    assert r.estimate is None
    assert "litigation_insurance" in r.missing_facts


# --- ineligible and needs_info programs have no estimate ---------------------------------------------


def test_ineligible_programs_have_no_estimate(engine):
    big = {"employees": 5000, "capital_yen": 10**10}
    p = corp(**big, domestic_applications=["patent"],
             foreign_filings=[{"right": "patent", "cost_yen": 3_000_000, "already_filed": False}],
             overseas_disputes=[cf(3_000_000), sq(3_000_000), df(3_000_000)],
             litigation_insurance={"premium_yen": 1_000_000, "renewal": False})
    s = engine.screen(p)
    paid = [FFS, INPIT, "counterfeit_countermeasure", "trademark_squatting_countermeasure",
            "defensive_countermeasure", "ip_litigation_insurance"]
    for pid in paid:
        r = s.result(pid)
        assert r is not None
        assert r.status == "ineligible", pid
        assert r.estimate is None, pid


def test_deemed_large_subsidiary_gets_nothing(engine):
    p = filer(("patent", 3_000_000), wholly_owned_by_large_parent=True)
    r = result(engine, p, FFS)
    assert r.status == "ineligible"
    assert r.estimate is None


def test_needs_info_programs_have_no_estimate(engine):
    p = filer(("patent", 3_000_000), avg_taxable_income_yen=None)  # みなし大企業 (オ) unknown
    r = result(engine, p, FFS)
    assert r.status == "needs_info"
    assert r.estimate is None
    assert "avg_taxable_income_yen" in r.missing_facts


@pytest.mark.parametrize(
    ("program", "known", "undecided", "other_kind"),
    [
        ("defensive_countermeasure", df(3_000_000), {"cost_yen": 3_000_000}, "squatting"),
        ("counterfeit_countermeasure", cf(3_000_000), {"kind": "counterfeit", "cost_yen": 3_000_000}, "defense"),
        ("trademark_squatting_countermeasure", sq(3_000_000), {"kind": "squatting", "cost_yen": 3_000_000},
         "defense"),
    ],
)
def test_undecided_dispute_withholds_the_estimate(engine, program, known, undecided, other_kind):
    # Regression: a case that may still qualify (kind or required right unanswered) used to be dropped
    # silently, giving ¥2,000,000 where answering could raise it to the cap, with no missing fact.
    r = result(engine, disputer(known, undecided), program)
    assert r.status == "eligible"
    assert r.estimate is None
    assert "overseas_disputes" in r.missing_facts
    # a case that cannot qualify does not hold the estimate back
    r2 = result(engine, disputer(known, {**undecided, "kind": other_kind}), program)
    assert r2.estimate is not None and r2.estimate.amount_yen == 2_000_000

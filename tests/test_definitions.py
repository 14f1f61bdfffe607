"""Boundaries of every named definition (DOMAIN.md 3), evaluated through engine.screen."""

from __future__ import annotations

import pytest

from tests.support.helpers import corp, definition, defs, profile_errors, sole

# --- 3.5 the 10-year convention (民法 第140条) ------------------------------------------------------


@pytest.mark.parametrize(
    ("established_on", "as_of", "within"),
    [
        ("2016-04-01", "2026-04-01", "met"),    # the 10th anniversary itself: not yet passed
        ("2016-04-01", "2026-04-02", "unmet"),  # the day after: passed
        ("2016-04-01", "2026-03-31", "met"),
        ("2016-02-29", "2026-02-28", "met"),    # 29 Feb → 28 Feb in a common year
        ("2016-02-29", "2026-03-01", "unmet"),
        ("2020-02-29", "2030-02-28", "met"),
        ("2020-02-29", "2030-03-01", "unmet"),
        ("2025-10-01", "2025-10-01", "met"),    # founded today
    ],
)
def test_ten_year_boundary_corporation(engine, established_on, as_of, within):
    p = corp(established_on=established_on, as_of=as_of)
    d = defs(engine, p)
    assert d["within_startup_years"] == within
    # Small, independent, capital ≤ ¥300M: startup and 中小スタートアップ follow the 10-year test alone.
    assert d["startup_jpo"] == within
    assert d["chusho_startup"] == within


@pytest.mark.parametrize(
    ("established_on", "as_of", "within"),
    [
        ("2016-04-01", "2026-04-01", "met"),
        ("2016-04-01", "2026-04-02", "unmet"),
        ("2016-02-29", "2026-02-28", "met"),
        ("2016-02-29", "2026-03-01", "unmet"),
    ],
)
def test_ten_year_boundary_sole_proprietor(engine, established_on, as_of, within):
    d = defs(engine, sole(established_on=established_on, as_of=as_of))
    assert d["startup_jpo"] == within  # (i) a sole proprietor less than 10 years after starting
    assert d["chusho_startup"] == within


def test_sole_proprietor_startup_ignores_size(engine):
    # (i) has no employee or capital limit; a sole proprietor has no shares to be controlled through.
    d = defs(engine, sole(employees=500, established_on="2024-01-01", industry="retail"))
    assert d["startup_jpo"] == "met"
    assert d["chusho_startup"] == "met"
    assert d["sme"] == "unmet"  # 500 > 50 (retail)


def test_founding_date_unknown_leaves_startup_unknown(engine):
    outcome, missing = definition(engine, corp(established_on=None), "startup_jpo")
    assert outcome == "unknown"
    assert "established_on" in missing


@pytest.mark.parametrize("make", [corp, sole])
def test_future_founding_date_is_invalid(engine, make):
    errors = profile_errors(engine, make(established_on="2025-10-02", as_of="2025-10-01"))
    assert [e.field for e in errors] == ["established_on"]
    assert errors[0].code == "established_after_as_of"


# --- 3.1 SME and 小規模企業者 -------------------------------------------------------------------------


@pytest.mark.parametrize(("employees", "small"), [(0, "met"), (5, "met"), (6, "unmet")])
def test_small_enterprise_services(engine, employees, small):
    d = defs(engine, corp(industry="services", employees=employees))
    assert d["small_enterprise"] == small
    assert d["sme"] == "met"


@pytest.mark.parametrize(
    ("industry", "limit"),
    [("manufacturing", 20), ("construction", 20), ("transport", 20), ("other", 20), ("rubber", 20),
     ("hotel", 20), ("wholesale", 5), ("retail", 5), ("services", 5), ("software", 5)],
)
def test_small_enterprise_limit_per_industry(engine, industry, limit):
    assert defs(engine, corp(industry=industry, employees=limit))["small_enterprise"] == "met"
    assert defs(engine, corp(industry=industry, employees=limit + 1))["small_enterprise"] == "unmet"


def test_small_enterprise_sole_proprietor(engine):
    assert defs(engine, sole(industry="services", employees=5))["small_enterprise"] == "met"
    assert defs(engine, sole(industry="services", employees=6))["small_enterprise"] == "unmet"


@pytest.mark.parametrize(("employees", "startup"), [(5, "met"), (6, "unknown")])
def test_startup_ii_commerce_services_five_employees(engine, employees, startup):
    # Capital unknown: (iii) cannot decide, so (ii) alone does: ≤ 5 in 商業・サービス業.
    p = corp(industry="services", employees=employees, capital_yen=None, established_on="2022-04-01")
    outcome, missing = definition(engine, p, "startup_jpo")
    assert outcome == startup
    if startup == "unknown":
        assert "capital_yen" in missing


@pytest.mark.parametrize("industry", ["wholesale", "retail", "software", "hotel"])
def test_startup_ii_five_for_every_commerce_industry(engine, industry):
    p = corp(industry=industry, capital_yen=None)
    assert definition(engine, {**p, "employees": 5}, "startup_jpo")[0] == "met"
    assert definition(engine, {**p, "employees": 6}, "startup_jpo")[0] == "unknown"


@pytest.mark.parametrize(("employees", "startup"), [(20, "met"), (21, "unknown")])
def test_startup_ii_twenty_for_manufacturing(engine, employees, startup):
    p = corp(industry="manufacturing", employees=employees, capital_yen=None)
    assert definition(engine, p, "startup_jpo")[0] == startup


def test_startup_ii_unknown_industry_between_limits(engine):
    # 10 employees: ≤ 20 (general) but > 5 (commerce); capital unknown, so the industry decides.
    outcome, missing = definition(engine, corp(industry=None, employees=10, capital_yen=None), "startup_jpo")
    assert outcome == "unknown"
    assert "industry" in missing
    assert definition(engine, corp(industry=None, employees=5, capital_yen=None), "startup_jpo")[0] == "met"


@pytest.mark.parametrize(("capital", "sme"), [(300_000_000, "met"), (300_000_001, "unmet")])
def test_manufacturing_sme_capital_boundary(engine, capital, sme):
    d = defs(engine, corp(industry="manufacturing", employees=301, capital_yen=capital))
    assert d["sme"] == sme


@pytest.mark.parametrize(("employees", "sme"), [(300, "met"), (301, "unmet")])
def test_manufacturing_sme_employee_boundary(engine, employees, sme):
    assert defs(engine, corp(employees=employees, capital_yen=300_000_001))["sme"] == sme


@pytest.mark.parametrize(("capital", "startup"), [(300_000_000, "met"), (300_000_001, "unmet")])
def test_startup_iii_capital_boundary(engine, capital, startup):
    d = defs(engine, corp(employees=50, capital_yen=capital))  # 50 > 20: only (iii) can hold
    assert d["startup_jpo"] == startup
    assert d["chusho_startup"] == startup


@pytest.mark.parametrize(("employees", "sme"), [(900, "met"), (901, "unmet")])
def test_rubber_employees(engine, employees, sme):
    assert defs(engine, corp(industry="rubber", employees=employees, capital_yen=400_000_000))["sme"] == sme


def test_software_thresholds(engine):
    big = {"industry": "software", "employees": 1000}
    assert defs(engine, corp(**big, capital_yen=300_000_000))["sme"] == "met"
    assert defs(engine, corp(**big, capital_yen=300_000_001))["sme"] == "unmet"
    assert defs(engine, corp(industry="software", employees=300, capital_yen=10**9))["sme"] == "met"
    assert defs(engine, corp(industry="software", employees=301, capital_yen=10**9))["sme"] == "unmet"
    assert defs(engine, corp(industry="software", employees=5))["small_enterprise"] == "met"
    assert defs(engine, corp(industry="software", employees=6))["small_enterprise"] == "unmet"


def test_hotel_thresholds(engine):
    assert defs(engine, corp(industry="hotel", employees=200, capital_yen=60_000_000))["sme"] == "met"
    assert defs(engine, corp(industry="hotel", employees=201, capital_yen=60_000_000))["sme"] == "unmet"
    assert defs(engine, corp(industry="hotel", employees=500, capital_yen=50_000_000))["sme"] == "met"
    assert defs(engine, corp(industry="hotel", employees=20))["small_enterprise"] == "met"
    assert defs(engine, corp(industry="hotel", employees=21))["small_enterprise"] == "unmet"


@pytest.mark.parametrize(("employees", "sme"), [(50, "met"), (51, "unmet")])
def test_retail_employees_with_large_capital(engine, employees, sme):
    assert defs(engine, corp(industry="retail", employees=employees, capital_yen=50_000_001))["sme"] == sme


@pytest.mark.parametrize(("capital", "sme"), [(100_000_000, "met"), (100_000_001, "unmet")])
def test_wholesale_capital(engine, capital, sme):
    assert defs(engine, corp(industry="wholesale", employees=101, capital_yen=capital))["sme"] == sme


def test_services_thresholds(engine):
    assert defs(engine, corp(industry="services", employees=100, capital_yen=10**9))["sme"] == "met"
    assert defs(engine, corp(industry="services", employees=101, capital_yen=50_000_000))["sme"] == "met"
    assert defs(engine, corp(industry="services", employees=101, capital_yen=50_000_001))["sme"] == "unmet"


def test_sole_proprietor_sme_by_employees_only(engine):
    assert defs(engine, sole(industry="manufacturing", employees=300))["sme"] == "met"
    assert defs(engine, sole(industry="manufacturing", employees=301, capital_yen=1))["sme"] == "unmet"


# --- unknown industry -----------------------------------------------------------------------------


@pytest.mark.parametrize("capital", [None, 10**12])
def test_unknown_industry_small_headcount_is_sme(engine, capital):
    # 40 ≤ the smallest employee limit of any industry (retail, 50).
    assert defs(engine, corp(industry=None, employees=40, capital_yen=capital))["sme"] == "met"


def test_unknown_industry_large_everything_is_not_sme(engine):
    # 1000 > 900 (rubber, the largest limit) and ¥400M > ¥300M (the largest capital limit).
    assert defs(engine, corp(industry=None, employees=1000, capital_yen=400_000_000))["sme"] == "unmet"


def test_unknown_industry_middle_headcount_asks_industry(engine):
    outcome, missing = definition(engine, corp(industry=None, employees=120, capital_yen=None), "sme")
    assert outcome == "unknown"
    assert "industry" in missing


def test_unknown_industry_small_capital_is_sme(engine):
    # ¥50M is within every industry's capital limit.
    assert defs(engine, corp(industry=None, employees=5000, capital_yen=50_000_000))["sme"] == "met"


def test_nothing_known_about_size(engine):
    outcome, missing = definition(engine, corp(employees=None, capital_yen=None), "sme")
    assert outcome == "unknown"
    assert {"employees", "capital_yen"} <= set(missing)


# --- applicant types that cannot be SMEs ---------------------------------------------------------


@pytest.mark.parametrize(
    "atype",
    ["individual", "university", "research_institute", "vc", "accelerator", "ecosystem_builder", "npo",
     "sme_group", "chamber"],
)
def test_non_company_types_are_never_sme_or_startup(engine, atype):
    d = defs(engine, corp(applicant_type=atype, employees=3, capital_yen=1_000_000))
    assert d["sme"] == "unmet"
    assert d["small_enterprise"] == "unmet"
    assert d["startup_jpo"] == "unmet"
    assert d["chusho_startup"] == "unmet"
    assert d["deemed_large"] == "unmet"


def test_applicant_type_unknown_keeps_sme_unknown(engine):
    outcome, missing = definition(engine, corp(applicant_type=None), "sme")
    assert outcome == "unknown"
    assert "applicant_type" in missing


# --- 3.2 みなし大企業, one clause at a time ----------------------------------------------------------

CLEAN = {"large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
         "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 0}


def _deemed(engine, **over):
    return definition(engine, corp(**{**CLEAN, **over}), "deemed_large")


def test_deemed_large_clean_company(engine):
    assert _deemed(engine)[0] == "unmet"


@pytest.mark.parametrize(("largest", "outcome"), [(0.5, "met"), (0.49, "unmet"), (0.4999, "unmet")])
def test_deemed_large_a_single_holder(engine, largest, outcome):
    assert _deemed(engine, large_company_shareholding={"largest": largest, "combined": largest})[0] == outcome


@pytest.mark.parametrize(
    ("combined", "outcome"), [(0.6667, "met"), (2 / 3, "met"), (0.66, "unmet"), (0.6666, "unmet")]
)
def test_deemed_large_b_combined(engine, combined, outcome):
    assert _deemed(engine, large_company_shareholding={"largest": 0.3, "combined": combined})[0] == outcome


@pytest.mark.parametrize(("ratio", "outcome"), [(0.5, "met"), (1, "met"), (0.49, "unmet")])
def test_deemed_large_c_officers(engine, ratio, outcome):
    assert _deemed(engine, large_company_officer_ratio=ratio)[0] == outcome


@pytest.mark.parametrize(("owned", "outcome"), [(True, "met"), (False, "unmet")])
def test_deemed_large_d_wholly_owned(engine, owned, outcome):
    assert _deemed(engine, wholly_owned_by_large_parent=owned)[0] == outcome


@pytest.mark.parametrize(("income", "outcome"), [(1_500_000_001, "met"), (1_500_000_000, "unmet"), (-5, "unmet")])
def test_deemed_large_e_income(engine, income, outcome):
    assert _deemed(engine, avg_taxable_income_yen=income)[0] == outcome


def test_deemed_large_e_applies_to_sole_proprietors(engine):
    assert definition(engine, sole(avg_taxable_income_yen=1_500_000_001), "deemed_large")[0] == "met"
    assert definition(engine, sole(avg_taxable_income_yen=1_500_000_000), "deemed_large")[0] == "unmet"
    outcome, missing = definition(engine, sole(avg_taxable_income_yen=None), "deemed_large")
    assert outcome == "unknown"
    assert missing == ["avg_taxable_income_yen"]


def test_deemed_large_all_absent_is_unknown(engine):
    p = corp(large_company_shareholding=None, large_company_officer_ratio=None,
             wholly_owned_by_large_parent=None, avg_taxable_income_yen=None)
    outcome, missing = definition(engine, p, "deemed_large")
    assert outcome == "unknown"
    assert set(missing) == {"large_company_shareholding", "large_company_officer_ratio",
                            "wholly_owned_by_large_parent", "avg_taxable_income_yen"}


def test_deemed_large_one_met_clause_decides_with_others_absent(engine):
    p = corp(large_company_shareholding=None, large_company_officer_ratio=None,
             wholly_owned_by_large_parent=True, avg_taxable_income_yen=None)
    assert definition(engine, p, "deemed_large")[0] == "met"


@pytest.mark.parametrize("atype", ["university", "research_institute", "npo", "vc", "individual"])
def test_deemed_large_not_for_non_companies(engine, atype):
    p = {"as_of": "2025-10-01", "applicant_type": atype}
    assert definition(engine, p, "deemed_large")[0] == "unmet"
    # Even with every clause "met" on paper, the clauses concern company shares and officers.
    p2 = {**p, "large_company_officer_ratio": 1, "wholly_owned_by_large_parent": True,
          "large_company_shareholding": {"largest": 1, "combined": 1}}
    assert definition(engine, p2, "deemed_large")[0] == "unmet"


# --- 3.3 control by a large company: shareholding only -------------------------------------------


def test_officer_ratio_does_not_stop_startup(engine):
    d = defs(engine, corp(large_company_officer_ratio=0.9))
    assert d["startup_jpo"] == "met"
    assert d["chusho_startup"] == "met"
    assert d["controlled_by_large"] == "unmet"
    assert d["deemed_large"] == "met"  # but it is a みなし大企業 for the subsidies


def test_wholly_owned_flag_is_not_startup_control(engine):
    # (エ) reads a ¥500M parent; the startup test reads only the shareholding figures.
    d = defs(engine, corp(wholly_owned_by_large_parent=True))
    assert d["startup_jpo"] == "met"
    assert d["deemed_large"] == "met"


@pytest.mark.parametrize(
    ("largest", "combined", "controlled"),
    [(0.5, 0.5, "met"), (0.49, 0.49, "unmet"), (0.3, 0.6667, "met"), (0.3, 0.66, "unmet"), (0, 0, "unmet")],
)
def test_control_boundaries(engine, largest, combined, controlled):
    d = defs(engine, corp(large_company_shareholding={"largest": largest, "combined": combined}))
    assert d["controlled_by_large"] == controlled
    expect = "unmet" if controlled == "met" else "met"
    assert d["startup_jpo"] == expect
    assert d["chusho_startup"] == expect


def test_control_with_only_combined_below_half_is_decided(engine):
    # largest ≤ combined < 1/2: neither limit can be reached.
    d = defs(engine, corp(large_company_shareholding={"combined": 0.4}))
    assert d["controlled_by_large"] == "unmet"
    assert d["startup_jpo"] == "met"


def test_control_with_only_combined_between_limits_is_unknown(engine):
    outcome, missing = definition(engine, corp(large_company_shareholding={"combined": 0.6}), "controlled_by_large")
    assert outcome == "unknown"
    assert missing == ["large_company_shareholding"]


def test_shareholding_absent_startup_unknown(engine):
    outcome, missing = definition(engine, corp(large_company_shareholding=None), "startup_jpo")
    assert outcome == "unknown"
    assert "large_company_shareholding" in missing


def test_shareholding_absent_sole_proprietor_still_startup(engine):
    assert definition(engine, sole(), "startup_jpo")[0] == "met"


# --- 3.4 中小スタートアップ -----------------------------------------------------------------------------


def test_chusho_startup_boundaries(engine):
    base = {"employees": 500, "established_on": "2016-04-01", "as_of": "2026-04-01"}
    assert defs(engine, corp(**base, capital_yen=300_000_000))["chusho_startup"] == "met"
    assert defs(engine, corp(**base, capital_yen=300_000_001))["chusho_startup"] == "unmet"
    assert defs(engine, corp(**{**base, "as_of": "2026-04-02"}, capital_yen=1))["chusho_startup"] == "unmet"
    held = {"largest": 0.5, "combined": 0.5}
    assert defs(engine, corp(**base, capital_yen=1, large_company_shareholding=held))["chusho_startup"] == "unmet"
    # No employee limit (unlike startup (ii)), so a 500-person company with small capital qualifies.
    assert defs(engine, corp(**base, capital_yen=1))["chusho_startup"] == "met"


def test_chusho_startup_capital_unknown(engine):
    outcome, missing = definition(engine, corp(capital_yen=None), "chusho_startup")
    assert outcome == "unknown"
    assert missing == ["capital_yen"]


def test_chusho_startup_ignores_officers_and_income(engine):
    p = corp(large_company_officer_ratio=1, avg_taxable_income_yen=10**10)
    assert defs(engine, p)["chusho_startup"] == "met"


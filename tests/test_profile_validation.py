"""A malformed profile is answered with one message per field, in Japanese and in English."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eligibility.profile import MAX_DESCRIPTION, ProfileError, parse_profile
from tests.support.helpers import CJK_RE, KANA_RE, corp, profile_errors

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _assert_bilingual(err: Any) -> None:
    assert CJK_RE.search(err.message_ja), f"{err.field}: message_ja is not Japanese: {err.message_ja!r}"
    assert LATIN_WORD.search(err.message_en), f"{err.field}: message_en is not English: {err.message_en!r}"
    assert not KANA_RE.search(err.message_en), f"{err.field}: message_en contains kana: {err.message_en!r}"
    assert err.message_ja != err.message_en


def _only(engine, profile: dict[str, Any], field: str) -> Any:
    errors = profile_errors(engine, profile)
    fields = [e.field for e in errors]
    assert field in fields, f"expected an error on {field}, got {fields}"
    for e in errors:
        _assert_bilingual(e)
    return next(e for e in errors if e.field == field)


CASES = [
    # (id, change to a valid profile, field, code, a word the English message must contain)
    ("employees_huge", {"employees": 10**12}, "employees", "less_than_equal", "at most"),
    ("employees_negative", {"employees": -1}, "employees", "greater_than_equal", "at least"),
    ("employees_float", {"employees": 12.5}, "employees", "int_type", "whole number"),
    ("employees_text", {"employees": "twenty"}, "employees", "int_type", "whole number"),
    ("employees_bool", {"employees": True}, "employees", "int_type", "whole number"),
    ("capital_negative", {"capital_yen": -1}, "capital_yen", "greater_than_equal", "at least"),
    ("capital_text", {"capital_yen": "1000万円"}, "capital_yen", "int_type", "whole number"),
    ("ratio_nan", {"large_company_officer_ratio": float("nan")}, "large_company_officer_ratio", "finite_number",
     "finite"),
    ("ratio_inf", {"large_company_officer_ratio": float("inf")}, "large_company_officer_ratio", "finite_number",
     "finite"),
    ("ratio_over_one", {"large_company_officer_ratio": 1.2}, "large_company_officer_ratio", "less_than_equal",
     "at most"),
    ("ratio_bool", {"large_company_officer_ratio": True}, "large_company_officer_ratio", "number_type", "number"),
    ("shareholding_nan", {"large_company_shareholding": {"largest": float("nan"), "combined": 0.2}},
     "large_company_shareholding.largest", "finite_number", "finite"),
    ("shareholding_order", {"large_company_shareholding": {"largest": 0.6, "combined": 0.5}},
     "large_company_shareholding", "largest_over_combined", "largest"),
    ("shareholding_unknown_key", {"large_company_shareholding": {"largest": 0.1, "total": 0.2}},
     "large_company_shareholding.total", "extra_forbidden", "Unknown field"),
    ("industry_enum", {"industry": "mining"}, "industry", "literal_error", "Choose one of"),
    ("applicant_enum", {"applicant_type": "company"}, "applicant_type", "literal_error", "Choose one of"),
    ("phase_enum", {"phase": "growth"}, "phase", "literal_error", "Choose one of"),
    ("right_enum", {"domestic_applications": ["copyright"]}, "domestic_applications[0]", "literal_error",
     "Choose one of"),
    ("filing_right_enum", {"foreign_filings": [{"right": "copyright", "cost_yen": 1, "already_filed": False}]},
     "foreign_filings[0].right", "literal_error", "Choose one of"),
    ("filing_cost_negative", {"foreign_filings": [{"right": "patent", "cost_yen": -5, "already_filed": False}]},
     "foreign_filings[0].cost_yen", "greater_than_equal", "at least"),
    ("filing_flag_text", {"foreign_filings": [{"right": "patent", "cost_yen": 5, "already_filed": "no"}]},
     "foreign_filings[0].already_filed", "bool_type", "true or false"),
    ("dispute_kind", {"overseas_disputes": [{"kind": "piracy", "cost_yen": 1}]}, "overseas_disputes[0].kind",
     "literal_error", "Choose one of"),
    ("insurance_type", {"litigation_insurance": 300000}, "litigation_insurance", "model_type", "object"),
    ("bool_text", {"wholly_owned_by_large_parent": "yes"}, "wholly_owned_by_large_parent", "bool_type",
     "true or false"),
    ("bool_int", {"vc_backed": 1}, "vc_backed", "bool_type", "true or false"),
    ("list_as_text", {"domestic_applications": "patent"}, "domestic_applications", "list_type", "list"),
    ("date_text", {"established_on": "2021/04/01"}, "established_on", "date_format", "YYYY-MM-DD"),
    ("date_impossible", {"established_on": "2021-02-30"}, "established_on", "date_format", "YYYY-MM-DD"),
    ("date_number", {"established_on": 20210401}, "established_on", "date_format", "YYYY-MM-DD"),
    ("as_of_range", {"as_of": "1999-12-31", "established_on": "1990-01-01"}, "as_of", "as_of_range", "between"),
    ("prefecture", {"prefecture": "東京"}, "prefecture", "prefecture", "prefecture"),
    ("prefecture_english", {"prefecture": "Tokyo"}, "prefecture", "prefecture", "prefecture"),
    ("description_long", {"description": "あ" * (MAX_DESCRIPTION + 1)}, "description", "string_too_long",
     f"{MAX_DESCRIPTION:,}"),
    ("extra_field", {"employee_count": 5}, "employee_count", "extra_forbidden", "Unknown field"),
    ("award_year", {"prior_awards": [{"program_id": "foreign_filing_subsidy", "fiscal_year": 1900,
                                      "amount_yen": 1}]}, "prior_awards[0].fiscal_year", "greater_than_equal",
     "at least"),
    ("award_missing_amount", {"prior_awards": [{"program_id": "foreign_filing_subsidy", "fiscal_year": 2025}]},
     "prior_awards[0].amount_yen", "missing", "required"),
    ("interests_enum", {"interests": ["money"]}, "interests[0]", "literal_error", "Choose one of"),
    ("too_many_filings", {"foreign_filings": [{"right": "patent"}] * 101}, "foreign_filings", "too_long", "100"),
]


@pytest.mark.parametrize(("change", "field", "code", "en_word"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_field_message(engine, change, field, code, en_word):
    err = _only(engine, corp(**change), field)
    assert err.code == code
    assert en_word.lower() in err.message_en.lower(), err.message_en


def test_description_at_the_limit_is_fine(engine):
    engine.screen(corp(description="あ" * MAX_DESCRIPTION))


def test_employees_at_the_bound_is_fine(engine):
    from eligibility.profile import MAX_EMPLOYEES

    engine.screen(corp(employees=MAX_EMPLOYEES))
    _only(engine, corp(employees=MAX_EMPLOYEES + 1), "employees")


def test_enum_message_lists_the_options(engine):
    err = _only(engine, corp(industry="mining"), "industry")
    for option in ("manufacturing", "software", "hotel"):
        assert option in err.message_ja
        assert option in err.message_en


def test_unknown_prior_award_program(engine):
    p = corp(prior_awards=[{"program_id": "foreign_filing_subsidy", "fiscal_year": 2025, "amount_yen": 1},
                           {"program_id": "no_such_program", "fiscal_year": 2025, "amount_yen": 1}])
    err = _only(engine, p, "prior_awards[1].program_id")
    assert err.code == "unknown_program"
    assert "no_such_program" in err.message_ja and "no_such_program" in err.message_en
    # a valid id passes
    engine.screen(corp(prior_awards=[{"program_id": "foreign_filing_subsidy", "fiscal_year": 2025, "amount_yen": 1}]))


def test_future_founding_date_names_both_dates(engine):
    err = _only(engine, corp(as_of="2025-10-01", established_on="2026-01-01"), "established_on")
    assert err.code == "established_after_as_of"
    assert "2026-01-01" in err.message_ja and "2025-10-01" in err.message_ja
    assert "2026-01-01" in err.message_en and "2025-10-01" in err.message_en


def test_several_faults_are_all_reported(engine):
    errors = profile_errors(engine, corp(employees=-1, industry="mining", prefecture="Tokyo", foo=1))
    assert {e.field for e in errors} >= {"employees", "industry", "prefecture", "foo"}
    for e in errors:
        _assert_bilingual(e)


@pytest.mark.parametrize("body", [[], "text", 42, None])
def test_profile_must_be_an_object(body):
    with pytest.raises(ProfileError) as ei:
        parse_profile(body)
    (err,) = ei.value.errors
    assert err.code == "body_type"
    _assert_bilingual(err)


def test_error_as_dict_has_label_per_language(engine):
    err = _only(engine, corp(employees=10**12), "employees")
    ja, en = err.as_dict("ja"), err.as_dict("en")
    assert ja["field"] == en["field"] == "employees"
    assert CJK_RE.search(ja["label"]) and LATIN_WORD.search(en["label"])
    assert ja["message"] == err.message_ja and en["message"] == err.message_en


def test_absent_is_not_an_error(engine):
    """Every field is optional; an empty profile screens (as of today) without errors."""
    s = engine.screen({})
    assert s.results


@pytest.mark.parametrize("data,field", [
    ({"description": "会社\x00です"}, "description"),
    ({"prefecture": "東京\x00都"}, "prefecture"),
    ({"company_name": "株式会社\x1b"}, "company_name"),
    ({"prior_awards": [{"program_id": "ipas\x00", "fiscal_year": 2025, "amount_yen": 1}]}, "prior_awards[0].program_id"),
])
def test_control_characters_refused_next_to_the_field(data: dict, field: str) -> None:
    """Issue 16: NUL (PostgreSQL refuses it) and the other controls are a 422 per field, in one place."""
    with pytest.raises(ProfileError) as e:
        parse_profile(data)
    assert [(x.field, x.code) for x in e.value.errors] == [(field, "control_character")]
    assert "制御文字" in e.value.errors[0].message_ja


def test_tab_and_newline_stay_allowed_in_text() -> None:
    assert parse_profile({"description": "一行目\n\t二行目\r\n"}).description is not None


def test_foreign_filing_without_right_is_refused() -> None:
    """The right sets the per-case cap: a filing without it is a 422 at the right, not a guess (contract note)."""
    with pytest.raises(ProfileError) as e:
        parse_profile({"foreign_filings": [{"cost_yen": 1_000_000}]})
    assert [(x.field, x.code) for x in e.value.errors] == [("foreign_filings[0].right", "missing")]


def test_future_founding_date_is_reported_with_every_other_fault(engine):
    """Issue 14, item 7: the cross-field check runs even when other fields are wrong, in one answer."""
    errors = profile_errors(engine, corp(as_of="2025-10-01", established_on="2026-01-01", employees=-1,
                                         industry="mining", prefecture="Tokyo", capital_yen="many",
                                         prior_awards=[{"program_id": "no_such_program", "fiscal_year": 2025,
                                                        "amount_yen": 1}]))
    codes = {(e.field, e.code) for e in errors}
    assert codes >= {("employees", "greater_than_equal"), ("industry", "literal_error"),
                     ("prefecture", "prefecture"), ("capital_yen", "int_type"),
                     ("established_on", "established_after_as_of"),
                     ("prior_awards[0].program_id", "unknown_program")}, codes
    late = next(e for e in errors if e.code == "established_after_as_of")
    assert "2026-01-01" in late.message_ja and "2025-10-01" in late.message_ja


def test_future_founding_date_without_as_of_is_measured_from_today(engine):
    errors = profile_errors(engine, corp(as_of=None, established_on="2999-01-01", employees="x"))
    assert {e.code for e in errors} == {"int_type", "established_after_as_of"}


def test_a_wrong_as_of_is_not_compared(engine):
    """An unreadable or out-of-range reference date is its own error; no founding-date error is invented."""
    for as_of in ("1990-01-01", "not a date"):
        errors = profile_errors(engine, corp(as_of=as_of, established_on="2020-01-01", employees=-1))
        assert "established_after_as_of" not in {e.code for e in errors}
        assert "as_of" in {e.field for e in errors}

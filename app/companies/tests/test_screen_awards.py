"""Awards from prefill reduce the remaining cap exactly as typed awards do (POST /api/v1/screen); prefill helpers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.companies.prefill import changes, profile_values, questionnaire_answers
from app.companies.tests import fake_gbizinfo as f
from app.companies.tests.test_api import make_app
from eligibility.profile import Profile


@pytest.fixture(scope="module")
def client(tmp_path_factory, fake):
    return TestClient(make_app(tmp_path_factory.mktemp("screen"), fake), raise_server_exceptions=False)


# What the questionnaire still asks after the prefill (gBizINFO does not know them).
ANSWERS = {
    "as_of": "2026-10-01", "industry": "software",
    "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
    "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 10_000_000,
    "foreign_filings": [{"right": "patent", "cost_yen": 4_000_000, "already_filed": False},
                        {"right": "patent", "cost_yen": 4_000_000, "already_filed": False}],
}


def _results(body: dict) -> dict:
    return {r["program_id"]: r for r in body["results"]}


def test_prefilled_awards_reduce_the_cap_as_typed_ones(client):
    prefill = client.get(f"/api/v1/companies/{f.SAMPLE}").json()
    filled = {**profile_values(prefill, accept_suggestions=True), **ANSWERS}
    awards = [{"program_id": "foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1_500_000},
              {"program_id": "inpit_foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1_200_000},
              {"program_id": "tokyo_foreign_patent_filing", "fiscal_year": 2025, "amount_yen": 800_000}]
    assert filled["prior_awards"] == awards
    typed = {
        **ANSWERS, "applicant_type": "corporation", "established_on": "2019-04-01", "employees": 18,
        "capital_yen": 30_000_000, "prefecture": "東京都", "domestic_applications": ["patent", "trademark"],
        "prior_awards": awards,
    }
    a = client.post("/api/v1/screen", json=filled)
    b = client.post("/api/v1/screen", json=typed)
    assert a.status_code == b.status_code == 200, a.text
    ra, rb = _results(a.json()), _results(b.json())
    assert {k: (v["status"], v["estimate"]) for k, v in ra.items()} == {k: (v["status"], v["estimate"]) for k, v in rb.items()}
    est = ra["foreign_filing_subsidy"]["estimate"]
    assert est["prior_awards_yen"] == 1_500_000 and est["remaining_cap_yen"] == est["cap_yen"] - 1_500_000
    assert est["amount_yen"] <= est["remaining_cap_yen"]
    inpit = ra["inpit_foreign_filing_subsidy"]["estimate"]
    assert inpit["prior_awards_yen"] == 1_200_000 and inpit["remaining_cap_yen"] == inpit["cap_yen"] - 1_200_000
    # Without the awards the cap is whole: the prefill did change the estimate.
    none = _results(client.post("/api/v1/screen", json={**typed, "prior_awards": []}).json())
    assert none["foreign_filing_subsidy"]["estimate"]["remaining_cap_yen"] == est["cap_yen"]


def test_suggestions_need_confirmation(client):
    prefill = client.get(f"/api/v1/companies/{f.SAMPLE}").json()
    values = profile_values(prefill)
    assert "employees" not in values and "domestic_applications" not in values
    assert ("municipality" in values) == ("municipality" in Profile.model_fields)  # only fields the Profile takes
    answers = questionnaire_answers(prefill)
    assert answers["employees"].confirm and answers["employees"].provenance == "gBizINFO（2026年7月1日更新）より"
    assert answers["capital_yen"].text == "30000000" and not answers["capital_yen"].confirm
    assert answers["prior_awards"].confirm and "遅れや漏れ" in (answers["prior_awards"].note or "")


def test_what_would_change_on_a_case(client):
    prefill = client.get(f"/api/v1/companies/{f.SAMPLE}").json()
    case = {"capital_yen": 10_000_000, "prefecture": "東京都",
            "prior_awards": [{"program_id": "foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1_500_000}]}
    by_field = {c.field: c for c in changes(case, prefill)}
    assert (by_field["capital_yen"].action, by_field["capital_yen"].proposed) == ("change", 30_000_000)
    assert by_field["prefecture"].action == "same"
    assert by_field["established_on"].action == "add" and by_field["established_on"].current is None
    awards = by_field["prior_awards"]
    assert awards.action == "change" and len(awards.proposed) == 3  # the typed one is not repeated
    assert by_field["employees"].confirm and "常時使用する従業員" in (by_field["employees"].note or "")

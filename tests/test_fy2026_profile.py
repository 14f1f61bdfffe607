"""Contract v1.1 `municipality` and the FY2026 programs' facts: validation, normalisation, 422 with ja/en text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from eligibility.profile import ProfileError, parse_profile


@pytest.mark.parametrize(("given", "stored"), [
    ("岡崎市", "岡崎市"),
    (" 岡崎市　", "岡崎市"),           # 全角・半角の空白
    ("愛知県　岡崎市", "岡崎市"),      # the prefecture is its own field
    ("品川区", "品川区"),
    ("西春日井郡豊山町", "西春日井郡豊山町"),
    ("名古屋市中区", "名古屋市中区"),
    ("ケ", None),
])
def test_municipality_is_normalised(given, stored):
    if stored is None:
        with pytest.raises(ProfileError):
            parse_profile({"municipality": given})
        return
    assert parse_profile({"municipality": given}).municipality == stored


@pytest.mark.parametrize("junk", ["Okazaki", "12345", "岡崎", "<script>市", "", "東京都", 42, ["岡崎市"]])
def test_municipality_junk_is_refused_with_a_message(junk):
    with pytest.raises(ProfileError) as ei:
        parse_profile({"municipality": junk})
    err = ei.value.errors[0]
    assert err.field == "municipality"
    assert err.message_ja and err.message_en and err.message_ja != err.message_en


@pytest.mark.parametrize("fact", ["foreign_patent_grant_decided", "foreign_procedure_pending",
                                  "patent_search_planned", "local_site_6_months"])
def test_new_facts_are_booleans_and_optional(fact):
    assert getattr(parse_profile({}), fact) is None
    assert getattr(parse_profile({fact: True}), fact) is True
    with pytest.raises(ProfileError):
        parse_profile({fact: "yes"})


def test_api_refuses_junk_municipality_with_422(tmp_path):
    db = tmp_path / "t.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}", search_db=db.with_name("search.db")))
    with TestClient(app) as client:
        r = client.post("/api/v1/screen", json={"municipality": "Okazaki"})
        assert r.status_code == 422, r.text
        err = r.json()["errors"][0]
        assert err["field"] == "municipality" and "市区町村" in err["message"]
        ok = client.post("/api/v1/screen", json={"as_of": "2026-07-20", "prefecture": "愛知県", "municipality": "岡崎市"})
        assert ok.status_code == 200, ok.text
        results = {x["program_id"]: x for x in ok.json()["results"]}
        assert results["okazaki_ip_acquisition"]["window"]["status"] == "open"
        assert results["foreign_filing_subsidy"]["alternatives"] == ["inpit_foreign_filing_subsidy"]

"""Every mapping rule of the prefill, on the recorded responses and their variants (pure: no server)."""

from __future__ import annotations

import json

import pytest

from app.companies.awards import call_year, program_for
from app.companies.classify import applicant_type, industry
from app.companies.mapping import provenance, to_prefill
from app.companies.tests import fake_gbizinfo as f
from app.intake.address import split_address
from programs.loader import load_catalog

RECORDS = f.records()
CATALOG_IDS = set(load_catalog().programs)


def prefill(number: str, lang: str = "ja", known: set[str] | None = CATALOG_IDS) -> dict:
    rec = RECORDS[number]
    record = {"hojin": rec["hojin"], "subsidy": rec["subsidy"] or [], "patent": rec["patent"] or []}
    return to_prefill(number, record, known, lang)


def values(p: dict) -> dict:
    return {k: v["value"] for k, v in p["facts"].items()}


def test_sample_company_facts_with_source_and_date():
    p = prefill(f.SAMPLE)
    assert values(p) == {
        "established_on": "2019-04-01", "capital_yen": 30000000, "employees": 18, "prefecture": "東京都",
        "municipality": "千代田区", "applicant_type": "corporation", "domestic_applications": ["patent", "trademark"],
    }
    for fact in p["facts"].values():
        assert fact["source"] == "gBizINFO" and fact["updated_on"] == "2026-07-01"
        assert fact["provenance"] == "gBizINFO（2026年7月1日更新）より"
    assert p["source"]["url"].endswith(f.SAMPLE)


def test_employees_and_rights_are_suggestions_with_a_note():
    p = prefill(f.SAMPLE)
    assert p["facts"]["employees"]["suggestion"] is True
    assert "常時使用する従業員" in p["facts"]["employees"]["note"]
    assert p["facts"]["domestic_applications"]["suggestion"] is True
    assert "suggestion" not in p["facts"]["capital_yen"]
    en = prefill(f.SAMPLE, "en")
    assert "regular employees" in en["facts"]["employees"]["note"]
    assert en["facts"]["capital_yen"]["provenance"] == "From gBizINFO (updated 1 July 2026)"


def test_ambiguous_industry_is_absent_with_candidates():
    p = prefill(f.SAMPLE)  # 情報通信業: 通信業, 放送業 and ソフトウェア業 differ
    assert "industry" not in p["facts"]
    assert p["ambiguous"]["industry"]["candidates"] == ["software", "services", "other"]
    assert p["ambiguous"]["industry"]["jsic"] == ["情報通信業"]


def test_prior_awards_mapped_with_call_year_and_amount_and_the_rest_listed():
    p = prefill(f.SAMPLE, known=CATALOG_IDS - {"tokyo_foreign_patent_filing"})
    assert p["prior_awards"] == [
        {"program_id": "foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1500000,
         "title": "令和8年度 中小企業等海外展開支援事業費補助金（海外出願支援事業）", "approved_on": "2026-08-20"},
        {"program_id": "inpit_foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1200000,
         "title": "INPIT外国出願補助金", "approved_on": "2026-05-20"},
    ]
    others = {o["title"] for o in p["other_subsidies"]}
    # The bare budget name covers the JETRO programs as well: not mapped. Tokyo's program is left out of `known` here.
    assert others == {"中小企業等海外展開支援事業費補助金", "外国特許出願費用助成事業"}
    assert "ここにない補助金を受けていないとは限りません" in p["prior_awards_note"]
    with_tokyo = prefill(f.SAMPLE, known=CATALOG_IDS | {"tokyo_foreign_patent_filing"})
    assert [a["program_id"] for a in with_tokyo["prior_awards"]][-1] == "tokyo_foreign_patent_filing"


def test_no_awards_listed_is_not_no_awards():
    p = prefill(f.NAGANO)  # three 農水省 subsidies, none of ours
    assert p["prior_awards"] == [] and len(p["other_subsidies"]) == 3
    assert p["prior_awards_note"]  # says that a missing award proves nothing
    assert "domestic_applications" not in p["facts"]  # no rights listed: unknown, not []


def test_rights_listed():
    rights = prefill(f.SAMPLE)["rights"]
    assert [(r["right"], r["registration_number"], r["application_date"]) for r in rights] == [
        ("patent", "7000001", "2021-05-10"), ("trademark", "6500001", "2020-01-15")]


def test_null_strings_never_reach_the_answer():
    p = prefill(f.NULLS)
    assert "Null" not in json.dumps(p, ensure_ascii=False)
    assert set(p["facts"]) == {"applicant_type"}  # from the name 株式会社…; nothing else is known
    assert p["ambiguous"] == {} and p["source"]["updated_on"] is None
    assert p["source"]["provenance"] == "gBizINFOより"


def test_numbers_as_strings_and_compact_dates():
    v = values(prefill(f.STRINGY))
    assert v["capital_yen"] == 350000000 and v["employees"] == 1200
    assert v["established_on"] == "1937-08-28"
    assert (v["prefecture"], v["municipality"], v["industry"]) == ("愛知県", "豊田市", "manufacturing")


def test_designated_city_ward_and_unmapped_kind():
    p = prefill(f.OSAKA)
    assert p["facts"]["municipality"]["value"] == "大阪市" and p["facts"]["municipality"]["ward"] == "北区"
    assert "applicant_type" not in p["facts"]  # 一般社団法人: none of our types without doubt
    assert "capital_yen" not in p["facts"]  # JSON null
    assert p["ambiguous"]["industry"]["candidates"] == ["manufacturing", "rubber"]


@pytest.mark.parametrize("address,prefecture,municipality", [
    ("東京都品川区大崎1-2-3", "東京都", "品川区"),
    ("神奈川県横浜市港北区新横浜2-1", "神奈川県", "横浜市"),
    ("北海道札幌市中央区北1条西2丁目", "北海道", "札幌市"),
    ("北海道虻田郡倶知安町北1条東2丁目", "北海道", "倶知安町"),
    ("東京都大島町元町1-1-14", "東京都", "大島町"),
    ("広島県廿日市市下平良1丁目11-1", "広島県", "廿日市市"),
    ("石川県野々市市三納1丁目1番地", "石川県", "野々市市"),
    ("千葉県市川市八幡1-1-1", "千葉県", "市川市"),
    ("新潟県十日町市千歳町3-3", "新潟県", "十日町市"),
    ("東京都町田市森野2-2-22", "東京都", "町田市"),
    ("兵庫県神戸市中央区加納町６－５－１", "兵庫県", "神戸市"),
    ("愛知県岡崎市十王町2丁目9番地", "愛知県", "岡崎市"),
    ("東京", None, None),
])
def test_address_rules(address, prefecture, municipality):
    a = split_address(address)
    assert (a.prefecture, a.municipality) == (prefecture, municipality)


@pytest.mark.parametrize("kind,name,expected", [
    ("301", "株式会社A", "corporation"), ("302", "有限会社B", "corporation"), ("305", "合同会社C", "corporation"),
    ("株式会社", "D", "corporation"), ("399", "特定非営利活動法人E", "npo"), ("399", "F事業協同組合", "sme_group"),
    ("399", "G商工会議所", "chamber"), ("399", "国立研究開発法人H", "research_institute"),
    ("399", "国立大学法人I", "university"), ("399", "一般財団法人J", None), ("399", "K農業協同組合", None),
    ("101", "L省", None), ("201", "M市", None), ("401", "N Inc.", None), (None, "株式会社O", "corporation"),
    (None, "P", None),
])
def test_applicant_type_rules(kind, name, expected):
    assert applicant_type(kind, name) == expected


@pytest.mark.parametrize("jsic,expected,candidates", [
    (["建設業"], "construction", []), (["運輸業，郵便業"], "transport", []),
    (["学術研究，専門・技術サービス業"], "services", []), (["ゴム製品製造業"], "rubber", []),
    (["ソフトウェア業"], "software", []), (["製造業"], None, ["manufacturing", "rubber"]),
    (["卸売業，小売業"], None, ["wholesale", "retail"]), (["各種商品小売業"], "retail", []),
    (["建設業", "製造業"], None, ["construction", "manufacturing", "rubber"]),
    (["情報通信業"], None, ["software", "services", "other"]), (["不明な業種"], None, []),
])
def test_industry_only_without_doubt(jsic, expected, candidates):
    assert industry(jsic) == (expected, candidates)


@pytest.mark.parametrize("title,dept,expected", [
    ("令和7年度中小企業等海外展開支援事業費補助金（海外出願支援事業）", None, "foreign_filing_subsidy"),
    ("中小企業外国出願支援事業", None, "foreign_filing_subsidy"),
    ("INPIT外国出願補助金", None, "inpit_foreign_filing_subsidy"),
    ("INPIT外国出願補助金（中間手続補助）", None, "inpit_foreign_filing_interim"),
    ("海外侵害対策支援事業（模倣品対策支援）", None, "counterfeit_countermeasure"),
    ("冒認商標無効・取消係争支援事業", None, "trademark_squatting_countermeasure"),
    ("防衛型侵害対策支援事業", None, "defensive_countermeasure"),
    ("海外知財訴訟費用保険補助事業", None, "ip_litigation_insurance"),
    ("中小企業等海外展開支援事業費補助金", None, None),
    ("ものづくり補助金", None, None),
])
def test_award_titles(title, dept, expected):
    assert program_for(title, dept) == expected


def test_call_year_from_title_else_approval_fiscal_year():
    import datetime as dt
    assert call_year("令和８年度INPIT外国出願補助金", dt.date(2026, 3, 30)) == 2026  # the March round of 令和8年度
    assert call_year("INPIT外国出願補助金", dt.date(2026, 3, 30)) == 2025
    assert call_year("INPIT外国出願補助金", dt.date(2026, 4, 1)) == 2026
    assert call_year("R8年度 X", None) == 2026 and call_year("X", None) is None


def test_provenance_text():
    import datetime as dt
    assert provenance(dt.date(2026, 7, 1)) == "gBizINFO（2026年7月1日更新）より"

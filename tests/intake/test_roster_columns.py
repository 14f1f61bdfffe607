"""A chamber's real roster (issue 14 item 6): heading aliases and the JSIC industry table as data, addresses,
legal forms in the name, free-text industries that never reject a row, and the template that reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.intake.columns import Row, column_for, read_input, to_profile
from app.intake.roster import (
    COLUMNS_FILE,
    JSIC_FILE,
    accepted_columns,
    applicant_from_name,
    industry_from_text,
    jsic_sources,
    template_csv,
)
from eligibility.facts import ENUM_LABELS
from eligibility.profile import parse_profile

ROSTER = Path(__file__).resolve().parents[1] / "data" / "roster_cp932_30.csv"


@pytest.mark.parametrize(("heading", "field"), [
    ("事業所名", "company_name"), ("名称", "company_name"), ("商号", "company_name"), ("事 業 所 名", "company_name"),
    ("所在地", "address"), ("住所", "address"), ("本社所在地", "address"), ("代表者名", "contact_name"),
    ("法人番号", "corporate_number"), ("設立年月日", "established_on"), ("業種", "industry"),
    ("都道府県", "prefecture"), ("市区町村", "municipality"), ("従業員数", "employees"),
])
def test_headings_chambers_write_are_read(heading: str, field: str) -> None:
    col = column_for(heading)
    assert col is not None and col.field == field


def test_the_alias_table_is_data_and_each_heading_names_one_column() -> None:
    data = yaml.safe_load(COLUMNS_FILE.read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for field, spec in data["columns"].items():
        for heading in spec["headings"]:
            col = column_for(heading)
            assert col is not None and col.field == field, (heading, field)
            assert seen.setdefault(heading, field) == field, heading
    listed = {c["field"] for c in accepted_columns()}
    assert {"company_name", "address", "contact_name", "corporate_number", "industry"} <= listed


@pytest.mark.parametrize(("text", "industry"), [
    ("印刷業", "manufacturing"), ("繊維工業", "manufacturing"), ("繊維", "manufacturing"),
    ("ソフトウェア開発", "software"), ("システム開発", "software"), ("情報処理サービス業", "software"),
    ("ゴム製品製造業", "rubber"), ("一般貨物自動車運送業", "transport"), ("倉庫業", "transport"),
    ("飲食店", "retail"), ("パン製造小売", "retail"), ("旅館業", "hotel"), ("広告業", "services"),
    ("クリーニング業", "services"), ("建設業", "construction"), ("卸売業", "wholesale"),
])
def test_free_text_industries_map_through_the_jsic_table(text: str, industry: str) -> None:
    assert industry_from_text(text) == industry
    profile, _, errors = to_profile(Row(2, {"業種": text}))
    assert not errors and profile["industry"] == industry


@pytest.mark.parametrize("text", ["不動産業", "宇宙関連事業", "建設工業"])
def test_an_industry_outside_the_table_is_unknown_with_a_note_never_an_error(text: str) -> None:
    row = Row(5, {"事業所名": "株式会社テスト", "業種": text})
    profile, _, errors = to_profile(row)
    assert errors == [] and "industry" not in profile
    assert any(n.label == "業種" and text in n.message_ja and "判断できませんでした" in n.message_ja for n in row.notes)
    parse_profile({**profile, "as_of": "2026-12-01"})  # screenable: the industry is asked later


def test_the_jsic_table_has_sources_and_only_our_industries() -> None:
    data = yaml.safe_load(JSIC_FILE.read_text(encoding="utf-8"))
    assert {e["industry"] for e in data["industries"]} <= set(ENUM_LABELS["industry"])
    sources = jsic_sources()
    assert sources and all(s["title"] and s["href"].startswith("https://") for s in sources)
    assert any("日本標準産業分類" in s["title"] for s in sources)


def test_an_address_is_split_and_a_prefecture_column_wins() -> None:
    profile, _, errors = to_profile(Row(2, {"所在地": "東京都八王子市元本郷町1-1-1"}))
    assert not errors and (profile["prefecture"], profile["municipality"]) == ("東京都", "八王子市")
    profile, _, _ = to_profile(Row(2, {"都道府県": "神奈川県", "所在地": "東京都八王子市元本郷町1-1-1"}))
    assert profile["prefecture"] == "神奈川県" and profile["municipality"] == "八王子市"
    profile, _, errors = to_profile(Row(2, {"所在地": "丸の内3-2-2"}))  # no prefecture: unknown, not an error
    assert not errors and "prefecture" not in profile


@pytest.mark.parametrize(("name", "kind"), [
    ("株式会社丸の内印刷", "corporation"), ("有限会社つむぎ織物", "corporation"), ("合同会社コードワークス", "corporation"),
    ("合資会社墨田染工", "corporation"), ("合名会社A", "corporation"), ("一般社団法人地域ブランド協会", "corporation"),
    ("㈱みどり食品", "corporation"), ("山田印刷（株）", "corporation"), ("X事業協同組合", "sme_group"),
    ("特定非営利活動法人Y", "npo"),
])
def test_the_legal_form_in_the_name_gives_the_applicant_type(name: str, kind: str) -> None:
    assert (applicant_from_name(name) or ("",))[0] == kind
    row = Row(2, {"事業所名": name})
    profile, _, _ = to_profile(row)
    assert profile["applicant_type"] == kind and any("から" in n.message_ja for n in row.notes)


def test_a_typed_applicant_type_wins_and_a_plain_name_infers_nothing() -> None:
    profile, _, _ = to_profile(Row(2, {"事業所名": "株式会社A", "申請者の種類": "個人事業主"}))
    assert profile["applicant_type"] == "sole_proprietor"
    profile, _, _ = to_profile(Row(2, {"事業所名": "山田商店"}))
    assert "applicant_type" not in profile


def test_the_contact_is_kept_out_of_the_profile() -> None:
    profile, _, errors = to_profile(Row(2, {"事業所名": "株式会社A", "代表者名": "代表取締役 山田太郎"}))
    assert not errors and "contact_name" not in profile
    parse_profile({**profile, "as_of": "2026-12-01"})


def test_the_template_is_excel_ready_and_reads_back() -> None:
    data = template_csv()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows, ignored = read_input(data)
    assert ignored == [] and len(rows) == 1
    profile, _, errors = to_profile(rows[0])
    assert errors == [], [e.text() for e in errors]
    assert profile["company_name"] == "株式会社サンプル製作所" and profile["prefecture"] == "東京都"
    assert profile["industry"] == "manufacturing" and profile["applicant_type"] == "corporation"
    parse_profile({**profile, "as_of": "2026-12-01"})


def test_the_30_row_cp932_roster_reads_without_a_rejected_row() -> None:
    rows, ignored = read_input(ROSTER.read_bytes())
    assert len(rows) == 30 and sorted(ignored) == ["会員番号", "電話番号"]
    for row in rows:
        profile, _, errors = to_profile(row)
        assert errors == [], (row.number, [e.text() for e in errors])
        parse_profile({**profile, "as_of": "2026-12-01"})

"""Rounds and windows (DOMAIN.md 7.1): JST boundaries, areas, predictions, the loader's rounds files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.engine import Engine
from eligibility.windows import window_for
from programs.loader import CatalogError, load_catalog
from programs.rounds import JST, PREFECTURES, Round, to_jst

HERE = Path(__file__).resolve().parent
VALID = HERE / "data" / "valid_program"
BROKEN_ROUNDS = HERE / "data" / "broken_rounds"
AICHI = "foreign_filing_subsidy"
INTERIM = "inpit_foreign_filing_interim"


def jst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


def win(catalog, pid: str, at: str, prefecture: str | None = "愛知県", municipality: str | None = None):
    prog = catalog.programs[pid]
    return window_for(prog, catalog.rounds_for(pid), jst(at), prefecture, municipality,
                      catalog.operator_for(pid, prefecture))


# --- boundaries in JST -------------------------------------------------------------------------------


@pytest.mark.parametrize(("at", "status"), [
    ("2026-06-30T23:59", "upcoming"),   # a minute before 00:00 on the opening day (a date alone)
    ("2026-07-01T00:00", "open"),
    ("2026-07-31T00:00", "closing_soon"),  # 7 calendar days to 08-07
    ("2026-07-30T23:59", "open"),          # 8 calendar days
    ("2026-08-07T16:59", "closing_soon"),
    ("2026-08-07T17:00", "closing_soon"),  # the closing minute itself is still inside
    ("2026-08-07T17:01", "closed"),
])
def test_aichi_round_boundaries(catalog, at, status):
    w = win(catalog, AICHI, at)
    assert w is not None and w.status == status
    if status in ("open", "closing_soon"):
        assert w.as_dict()["closes_at"] == "2026-08-07T17:00:00+09:00"
        assert w.round is not None and w.round.operator.ja == "(公財)あいち産業振興機構"
        assert w.as_dict()["prerequisites"] and "事前申込" in w.as_dict()["prerequisites"][0]


def test_inpit_opens_at_ten(catalog):
    assert win(catalog, "inpit_foreign_filing_subsidy", "2026-03-02T09:59").status == "upcoming"
    w = win(catalog, "inpit_foreign_filing_subsidy", "2026-03-02T10:00")
    assert w.status == "open" and w.fiscal_year == 2026  # 令和8年度 第2回 in March 2026 (FY2025 by date)


def test_closing_soon_is_seven_days_not_eight(catalog):
    assert win(catalog, INTERIM, "2026-12-06T12:00").status == "open"
    w = win(catalog, INTERIM, "2026-12-07T00:00")
    assert w.status == "closing_soon" and w.days_left == 7


def test_date_alone_closes_at_end_of_day():
    assert to_jst("2026-06-29", end_of_day=True) == jst("2026-06-29T23:59:59")
    assert to_jst("2026-06-29", end_of_day=False) == jst("2026-06-29T00:00")
    # a UTC time is kept as the same instant (jGrants: 08:00Z = 17:00 JST)
    assert to_jst("2026-08-24T08:00:00+00:00", end_of_day=True) == jst("2026-08-24T17:00")


# --- areas ---------------------------------------------------------------------------------------------


def test_unknown_prefecture_is_unknown_with_the_missing_fact(catalog):
    w = win(catalog, AICHI, "2026-07-20T12:00", prefecture=None)
    assert w.status == "unknown" and w.missing == ("prefecture",)


def test_a_prefecture_without_rounds_is_unknown_with_its_operator(catalog):
    w = win(catalog, AICHI, "2026-07-20T12:00", prefecture="長崎県")
    assert w.status == "unknown" and not w.predicted
    assert w.operator is not None and "長崎県" in w.operator.name.ja
    assert w.as_dict()["operator_url"].startswith("https://")


def test_municipal_round_needs_the_municipality(catalog):
    assert win(catalog, "okazaki_ip_acquisition", "2026-07-20T12:00", "愛知県", None).missing == ("municipality",)
    assert win(catalog, "okazaki_ip_acquisition", "2026-07-20T12:00", "愛知県", "岡崎市").status == "open"
    assert win(catalog, "okazaki_ip_acquisition", "2026-07-20T12:00", "愛知県", "豊田市").status == "unknown"


def test_every_prefecture_has_an_operator_for_the_filing_program(catalog):
    assert set(catalog.operators[AICHI]) == set(PREFECTURES)
    for op in catalog.operators[AICHI].values():
        assert op.url.startswith(("https://", "http://")) and op.name.ja


# --- predictions, unconfirmed editions, no application -------------------------------------------------------


def test_prediction_after_the_last_round(catalog):
    w = win(catalog, AICHI, "2026-12-02T12:00")
    assert w.status == "closed" and w.predicted
    assert w.opens_at == jst("2027-07-01T00:00") and w.closes_at == jst("2027-08-07T17:00")
    assert w.basis is not None and "次回は例年7月頃（令和8年度の実績から）" == w.basis[0]
    assert w.last_round is not None and w.last_round.fiscal_year == 2026


def test_no_prediction_from_stale_rounds(catalog):
    # 2028-12: the last rounds are FY2026, two years back: closed, not predicted
    w = win(catalog, AICHI, "2028-12-01T12:00")
    assert w.status == "closed" and not w.predicted


@pytest.mark.parametrize("pid", ["counterfeit_countermeasure", "trademark_squatting_countermeasure",
                                 "defensive_countermeasure", "ip_litigation_insurance", "ipas", "vc_ipas",
                                 "ip_landscape_support", "design_accelerated_exam_startup"])
def test_unconfirmed_fy2026_editions_are_unknown(catalog, pid):
    w = win(catalog, pid, "2026-12-02T12:00")
    assert w is not None and w.status == "unknown" and not w.predicted
    assert "令和8年度の実施は未確認" in w.as_dict("ja")["basis"]


def test_jetro_fy2025_round_was_open_and_names_the_last_round_later(catalog):
    assert win(catalog, "trademark_squatting_countermeasure", "2025-07-01T12:00").status == "open"
    assert win(catalog, "counterfeit_countermeasure", "2025-11-01T12:00").status == "closed"
    later = win(catalog, "counterfeit_countermeasure", "2026-05-01T12:00").as_dict()
    assert later["status"] == "unknown" and later["last_round"]["opens_at"] == "2025-04-21T00:00:00+09:00"


@pytest.mark.parametrize("pid", ["ip_support_desk", "fee_reduction", "patent_accelerated_exam_startup", "ip_base"])
def test_programs_without_application_have_no_window(catalog, pid):
    assert win(catalog, pid, "2026-12-02T12:00") is None


# --- the property: never open outside every known round ---------------------------------------------------------

WINDOWED = ["foreign_filing_subsidy", "inpit_foreign_filing_subsidy", INTERIM, "okazaki_ip_acquisition",
            "tokyo_overseas_trademark", "counterfeit_countermeasure", "ip_litigation_insurance"]


@settings(max_examples=300, deadline=None)
@given(pid=st.sampled_from(WINDOWED),
       at=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2028, 3, 31)),
       prefecture=st.one_of(st.none(), st.sampled_from(PREFECTURES)),
       municipality=st.one_of(st.none(), st.sampled_from(["岡崎市", "品川区", "神戸市"])))
def test_never_open_outside_every_known_round(catalog, pid, at, prefecture, municipality):
    moment = at.replace(tzinfo=JST)
    w = window_for(catalog.programs[pid], catalog.rounds_for(pid), moment, prefecture, municipality)
    if w is not None and w.status in ("open", "closing_soon"):
        assert any(r.opens_at <= moment <= r.ends_at for r in catalog.rounds_for(pid))
        assert w.round is not None and w.round.opens_at <= moment <= w.round.ends_at
    if w is not None and w.predicted:
        assert w.status == "closed"


# --- the catalog: rounds_for, version, with_rounds ---------------------------------------------------------------


def _aichi_round(**over) -> Round:
    data = {"fiscal_year": 2027, "area": "愛知県", "name": {"ja": "令和9年度 1次募集", "en": "FY2027 call 1"},
            "operator": {"ja": "(公財)あいち産業振興機構", "en": "Aichi"}, "opens_at": "2027-06-01",
            "closes_at": "2027-06-30T17:00+09:00",
            "source": {"title": "Jグランツ", "href": "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000XXXXXMAA"},
            "checked_at": "2027-05-20", "jgrants_id": "a0WJ200000XXXXXMAA", **over}
    return Round.model_validate(data)


def test_with_rounds_adds_merges_and_versions(catalog):
    new = catalog.with_rounds([(AICHI, _aichi_round())])
    assert new.version != catalog.version and len(new.rounds_for(AICHI)) == len(catalog.rounds_for(AICHI)) + 1
    assert catalog.rounds_for(AICHI) != new.rounds_for(AICHI)  # the original is unchanged
    # the same jgrants_id replaces (a later closing date), keeping one round
    again = new.with_rounds([(AICHI, _aichi_round(closes_at="2027-07-10T17:00+09:00", name={"ja": "改名", "en": "x"}))])
    assert len(again.rounds_for(AICHI)) == len(new.rounds_for(AICHI))
    assert again.version != new.version
    # the same (fiscal_year, area, name) without an id also replaces
    same_key = catalog.rounds_for(AICHI)[0].model_copy(update={"checked_at": dt.date(2026, 12, 1)})
    merged = catalog.with_rounds([(AICHI, same_key)])
    assert len(merged.rounds_for(AICHI)) == len(catalog.rounds_for(AICHI))
    with pytest.raises(CatalogError, match="no program 'nope'"):
        catalog.with_rounds([("nope", _aichi_round())])
    # a synced round changes what a screening shows
    w = window_for(new.programs[AICHI], new.rounds_for(AICHI), jst("2027-06-10T12:00"), "愛知県", None)
    assert w is not None and w.status == "open" and w.round is not None and w.round.fiscal_year == 2027


def test_rounds_are_part_of_the_version(tmp_path):
    cdir = tmp_path / "catalog"
    shutil.copytree(VALID, cdir)
    before = load_catalog(cdir).version
    (tmp_path / "rounds").mkdir()
    (tmp_path / "rounds" / "valid_sample.yaml").write_text(
        "rounds:\n  - {fiscal_year: 2026, area: 全国, name: {ja: 第1回, en: call 1}, operator: {ja: 機関, en: body},\n"
        "     opens_at: 2026-05-01, closes_at: 2026-05-31, source: {title: t, href: 'https://example.go.jp/'},\n"
        "     checked_at: 2026-05-01}\n", encoding="utf-8")
    after = load_catalog(cdir)
    assert after.version != before and len(after.rounds_for("valid_sample")) == 1


# --- broken rounds files: the loader names the file and the field ----------------------------------------------

BROKEN_CASES = sorted(BROKEN_ROUNDS.glob("*.yaml"))


@pytest.mark.parametrize("case", BROKEN_CASES, ids=[c.stem for c in BROKEN_CASES])
def test_broken_rounds_file(case, tmp_path):
    expect = case.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    cdir = tmp_path / "catalog"
    shutil.copytree(VALID, cdir)
    (tmp_path / "rounds").mkdir()
    shutil.copy(case, tmp_path / "rounds" / "valid_sample.yaml")
    with pytest.raises(CatalogError) as ei:
        load_catalog(cdir)
    assert expect in str(ei.value), str(ei.value)
    assert all("rounds/valid_sample.yaml" in line for line in ei.value.problems), ei.value.problems


def test_rounds_file_for_an_unknown_program(tmp_path):
    cdir = tmp_path / "catalog"
    shutil.copytree(VALID, cdir)
    (tmp_path / "rounds").mkdir()
    (tmp_path / "rounds" / "no_such_program.yaml").write_text("rounds: []\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"no_such_program.yaml: program_id: no program 'no_such_program'"):
        load_catalog(cdir)


# --- the engine: window and alternatives on every result --------------------------------------------------------


def test_every_result_has_window_and_alternatives(engine: Engine):
    s = engine.screen({"as_of": "2026-12-02", "prefecture": "愛知県", "applicant_type": "corporation"},
                      now=jst("2026-12-02T12:00"))
    for r in s.results:
        d = r.as_dict("en")
        assert "window" in d and "alternatives" in d
        assert d["window"] is None or d["window"]["status"] in {"open", "closing_soon", "upcoming", "closed", "unknown"}
        assert isinstance(r.alternatives, tuple)
    assert s.result(AICHI).alternatives == ("inpit_foreign_filing_subsidy",)
    assert s.result("inpit_foreign_filing_interim").window.status == "open"
    with pytest.raises(ValueError):
        engine.screen({"as_of": "2026-12-02"}, now=dt.datetime(2026, 12, 2, 12, 0))  # naive: refused

"""programs/changes.py apply_changes: a reviewed change applied to a catalog (pure), and kept by snapshots."""

from __future__ import annotations

import datetime as dt

import pytest

from programs.changes import ParameterChange, RoundChange, apply_changes, parse_change
from programs.loader import CatalogError
from programs.rounds import Round
from programs.snapshot import pack, unpack

SRC = {"title": "Jグランツ「海外出願支援」", "href": "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdfVMAT"}


def cap(**kw) -> ParameterChange:
    return ParameterChange(**{"program_id": "foreign_filing_subsidy", "parameter": "company_cap",
                              "effective_from": dt.date(2026, 4, 1), "value": 3_500_000, "source": SRC, **kw})


def test_a_value_applies_from_its_date_and_the_old_one_stays_before(catalog) -> None:
    new = apply_changes(catalog, [cap()])
    p = new.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"]
    assert p.at(dt.date(2026, 4, 1)).value == 3_500_000 and p.at(dt.date(2026, 3, 31)).value == 3_000_000
    assert p.at(dt.date(2026, 4, 1)).reference.cite().href == SRC["href"]
    # the catalog passed in is untouched
    assert catalog.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"].at(dt.date(2026, 5, 1)).value == 3_000_000
    assert new.version != catalog.version and new.version.startswith(catalog.version + "+c")


def test_same_changes_same_version_and_no_change_no_new_catalog(catalog) -> None:
    assert apply_changes(catalog, [cap()]).version == apply_changes(catalog, [cap()]).version
    assert apply_changes(catalog, [cap()]).version != apply_changes(catalog, [cap(value=3_600_000)]).version
    assert apply_changes(catalog, []) is catalog


def test_one_key_of_a_mapping_and_a_rate(catalog) -> None:
    new = apply_changes(catalog, [cap(parameter="case_caps", key="patent", value=1_750_000),
                                  cap(parameter="rate", value="2/3")])
    params = new.programs["foreign_filing_subsidy"].benefit.parameters
    assert params["case_caps"].at(dt.date(2026, 4, 2)).value == {**params["case_caps"].at(dt.date(2025, 1, 1)).value,
                                                                "patent": 1_750_000}
    assert params["rate"].at(dt.date(2026, 4, 2)).value == "2/3"


def test_the_engine_uses_the_new_value(catalog, engine) -> None:
    from eligibility.engine import Engine  # noqa: PLC0415

    profile = {"applicant_type": "corporation", "established_on": "2015-04-01", "employees": 10,
               "capital_yen": 10_000_000, "industry": "manufacturing", "prefecture": "岐阜県",
               "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
               "wholly_owned_by_large_parent": False, "as_of": "2026-05-01"}
    new = Engine(apply_changes(catalog, [cap(parameter="rate", value="2/3")]))
    assert new.screen(profile).catalog_version != engine.screen(profile).catalog_version


@pytest.mark.parametrize("bad", [
    {"program_id": "no_such_program"},
    {"parameter": "no_such_parameter"},
    {"parameter": "rate", "value": "たくさん"},
    {"value": -1},
    {"parameter": "case_caps", "key": "no_such_kind"},
])
def test_bad_changes_are_refused(catalog, bad) -> None:
    with pytest.raises(CatalogError):
        apply_changes(catalog, [cap(**bad)])


def test_a_round_change_and_the_snapshot_rebuilds_the_same_version(catalog) -> None:
    rnd = Round(fiscal_year=2026, area="岐阜県", name={"ja": "令和8年度 第3回", "en": "FY2026 round 3"},
                operator={"ja": "岐阜県", "en": "Gifu"}, opens_at="2026-12-01", closes_at="2026-12-25",
                source={"title": "Jグランツ", "href": SRC["href"]}, checked_at=dt.date(2026, 11, 30))
    change = RoundChange(program_id="foreign_filing_subsidy", round=rnd)
    new = apply_changes(catalog, [change, cap()])
    assert any(r.area == "岐阜県" and r.name.ja == "令和8年度 第3回" for r in new.rounds_for("foreign_filing_subsidy"))
    assert new.extra_rounds == catalog.extra_rounds  # recorded as a change, not as a synced round
    again = unpack(pack(new))
    assert again.version == new.version
    assert again.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"].at(dt.date(2026, 5, 1)).value == 3_500_000
    assert parse_change(change.model_dump_json()) == change

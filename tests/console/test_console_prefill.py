"""Console prefill: an advisor compares a case with gBizINFO (field, current, proposed), then accepts; provenance and audit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.companies.tests import fake_gbizinfo as f
from app.companies.tests.fake_gbizinfo import FakeGbiz
from app.config import Settings
from app.factory import create_app, parts_of
from app.store.console import CaseEvent, CaseRevision
from tests.support.console import FORM, TOKYO, audit_rows, db, get_case, logged_in, new_case, post, text_of

SOURCE = "gBizINFO（2026年7月1日更新）より"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGbiz]:
    server = FakeGbiz(slow_seconds=1.0).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, fake: FakeGbiz) -> Iterator[FastAPI]:
    tmp: Path = tmp_path_factory.mktemp("prefill")
    application = create_app(Settings(database_url=f"sqlite:///{tmp}/c.db", search_db=tmp / "search.db",
                                      seed_demo=True, gbizinfo_base_url=fake.url, gbizinfo_token=f.TOKEN,
                                      gbizinfo_timeout_seconds=0.3))
    parts_of(application).companies.lookup().client.backoff = 0.01
    with TestClient(application):
        yield application


def rows_of(html: str) -> dict[str, str]:
    import re
    return dict(re.findall(r'<tr data-field="([a-z_]+)" data-action="([a-z]+)">', html))


def test_preview_shows_what_would_change_and_saves_nothing(app):
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    before = get_case(app, case_id)
    r = post(c, f"/console/cases/{case_id}/prefill", {"corporate_number": "９０１０－４０１１－２３４５６"})
    assert r.status_code == 200, text_of(r.text)[:500]
    actions = rows_of(r.text)
    # The form said 3,000万円 (same as gBizINFO), 平成24年 (gBizINFO: 2019), no 市区町村 (added).
    assert actions["capital_yen"] == "same" and actions["established_on"] == "change"
    assert actions["municipality"] == "add" and actions["employees"] == "change"
    text = text_of(r.text)
    assert "2012-06-01" in text and "2019-04-01" in text and SOURCE in text and "常時使用する従業員" in text
    assert 'name="field" value="employees"' in r.text and 'value="employees" checked' not in r.text  # to confirm
    assert get_case(app, case_id).profile == before.profile


def test_accept_updates_the_profile_keeps_the_provenance_and_audits_without_the_token(app):
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    r = post(c, f"/console/cases/{case_id}/prefill/accept",
             {"corporate_number": f.SAMPLE, "field": ["established_on", "municipality", "employees"]})
    assert r.status_code == 303 and r.headers["location"].endswith("done=saved")
    profile = get_case(app, case_id).profile
    assert profile["established_on"] == "2019-04-01" and profile["municipality"] == "千代田区"
    assert profile["employees"] == 18 and profile["capital_yen"] == 30_000_000
    with db(app) as s:
        events = s.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case_id,
                                                   col(CaseEvent.kind) == "prefill")).all()
        revisions = s.scalars(select(CaseRevision).where(col(CaseRevision.case_id) == case_id)).all()
    assert len(events) == 1 and events[0].detail["corporate_number"] == f.SAMPLE
    assert events[0].detail["fields"]["municipality"]["provenance"] == SOURCE
    assert set(revisions[0].changed_fields) >= {"established_on", "municipality", "employees"}
    audit = [a for a in audit_rows(app, case_id=case_id) if a.detail.get("prefill") == "gBizINFO"]
    assert len(audit) == 1 and audit[0].action == "update"
    assert audit[0].detail["fields"] == ["employees", "established_on", "municipality"]
    assert audit[0].detail["source"] == SOURCE and audit[0].detail["corporate_number"] == f.SAMPLE
    assert f.TOKEN not in json.dumps([a.detail for a in audit_rows(app)], ensure_ascii=False)
    page = text_of(c.get(f"/console/cases/{case_id}").text)
    assert "gBizINFOから取り込んだ値" in page and f"市区町村: {SOURCE}" in page  # the label ends in 市区町村
    # An edit by hand takes the value away from gBizINFO: its provenance is no longer shown.
    edit = post(c, f"/console/cases/{case_id}/edit", {**_form_of(profile), "established_on": "2018-01-01"})
    assert edit.status_code == 303
    page = text_of(c.get(f"/console/cases/{case_id}").text)
    assert f"市区町村: {SOURCE}" in page and "設立日" not in page.split("gBizINFOから取り込んだ値")[1].split("法人番号")[0]


def _form_of(profile):
    from tests.support.console import FORM
    # The case form asks 市区町村 too (municipal programs): an edit sends the value the case has.
    return {**FORM, "established_on": profile["established_on"], "employees": str(profile["employees"]),
            "municipality": profile.get("municipality", "")}


def test_accept_needs_the_csrf_token(app):
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    r = c.post(f"/console/cases/{case_id}/prefill/accept", data={"corporate_number": f.SAMPLE, "field": ["municipality"]})
    assert r.status_code == 403 and "municipality" not in get_case(app, case_id).profile


@pytest.mark.parametrize("number,status,words", [
    ("9010401123457", 422, "法人番号が正しくありません"),
    (f.MISSING, 404, "見つかりません"),
    (f.BROKEN, 503, "接続できない"),
])
def test_errors_are_a_message_on_the_case_page(app, number, status, words):
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    r = post(c, f"/console/cases/{case_id}/prefill", {"corporate_number": number})
    assert r.status_code == status and words in text_of(r.text)


# ------------------------------------------------------------------ a new case from a 法人番号 (issue 13 item 4)


def test_a_new_case_form_is_filled_from_the_corporate_number_and_stays_editable(app):
    c = logged_in(app, TOKYO)
    assert 'action="/console/cases/new/prefill"' in c.get("/console/cases/new").text
    r = post(c, "/console/cases/new/prefill", {"corporate_number": "９０１０－４０１１－２３４５６"})
    assert r.status_code == 200, text_of(r.text)[:800]
    page = r.text
    assert 'value="株式会社サンプル知財ラボ"' in page  # the company name, editable in the case's field
    assert re.search(r'name="capital_yen"[^>]*value="30,000,000"', page) or 'value="30,000,000"' in page
    assert 'name="prefill_number" value="9010401123456"' in page
    notice = text_of(page.split('id="prefill-filled"')[1].split("</div>")[0])
    assert SOURCE in notice and "要確認" in notice  # employees: gBizINFO's figure is not 常時使用する従業員
    # The case made from it keeps the provenance of the values left as gBizINFO gave them.
    form = {**FORM, "case_company_name": "株式会社サンプル知財ラボ", "prefill_number": f.SAMPLE}
    r = post(c, "/console/cases/new", form)
    assert r.status_code == 303, text_of(r.text)[:1000]
    case_id = r.headers["location"].split("/")[-1].split("?")[0]
    with db(app) as s:
        event = s.scalar(select(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.kind) == "prefill"))
    assert event is not None and event.detail["corporate_number"] == f.SAMPLE
    fields = event.detail["fields"]
    assert fields["capital_yen"]["provenance"] == SOURCE  # 3,000万円 typed = gBizINFO's value
    assert "established_on" not in fields  # 平成24年 typed, gBizINFO says 2019: the advisor's value, no provenance
    assert SOURCE in text_of(c.get(f"/console/cases/{case_id}").text)
    assert [a for a in audit_rows(app, case_id=case_id) if (a.detail or {}).get("prefill") == "gBizINFO"]


@pytest.mark.parametrize(("number", "status", "words"), [
    ("9010401123457", 422, "法人番号"),  # wrong check digit
    (f.MISSING, 404, "見つかりません"),
    (f.BROKEN, 503, "gBizINFO"),
])
def test_a_new_case_prefill_problem_is_told_next_to_the_number_and_the_form_still_works(app, number, status, words):
    c = logged_in(app, TOKYO)
    r = post(c, "/console/cases/new/prefill", {"corporate_number": number})
    assert r.status_code == status
    assert 'id="new-prefill-number-error"' in r.text and 'aria-invalid="true"' in r.text
    assert words in text_of(r.text.split('id="new-prefill-number-error"')[1])[:200]
    assert 'action="/console/cases/new"' in r.text and f.TOKEN not in r.text

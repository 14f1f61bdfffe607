"""Issue 14 item 5 at the desk: the referral form's company and person reach the case, a case that arrives is
unread until opened (audited), and 「申請した」 moves the case to 申請済み (never back). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlmodel import col

from app.console.inbox import NO_COMPANY
from app.store.console import AuditEvent, Case, CaseEvent
from app.store.referrals import Referral
from tests.support.console import (
    TOKYO,
    YOROZU,
    audit_rows,
    client,
    csrf,
    db,
    get_case,
    logged_in,
    post,
    quick_case,
    served_app,
    text_of,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from served_app(request.param, tmp_path_factory.mktemp(f"inbox-{request.param}"))


def referred_screening(app: FastAPI, form: dict[str, str], company: str | None = None) -> str:
    """An applicant screens (no company name in the answers unless given) and sends it from the results page."""
    public = client(app)
    profile = {"as_of": "2025-10-01", "applicant_type": "corporation", "prefecture": "東京都", "employees": 4}
    if company:
        profile["company_name"] = company
    sid: str = public.post("/api/v1/screen", json=profile).json()["screening_id"]
    page = public.get(f"/results/{sid}").text
    assert 'name="company_name"' in page and 'name="contact_name"' in page  # two fields, two labels
    assert "会社名・屋号" in page and "ご担当者のお名前" in page and "お名前・会社名" not in page
    r = public.post(f"/results/{sid}/refer", data={"desk_id": "inpit-tokyo", **form})
    assert r.status_code == 303, r.text
    return sid


def case_of(app: FastAPI, sid: str) -> Case:
    with db(app) as s:
        ref = s.scalar(select(Referral).where(col(Referral.screening_id) == sid))
        assert ref is not None
        case = s.scalar(select(Case).where(col(Case.referral_id) == ref.id))
        assert case is not None
        return case


def test_person_and_company_reach_the_desk_and_the_case_is_unread_until_opened(app: FastAPI) -> None:
    sid = referred_screening(app, {"company_name": "株式会社ロジAI", "contact_name": "山田",
                                   "contact_email": "yamada@logi-ai.example.jp"})
    with db(app) as s:
        ref = s.scalar(select(Referral).where(col(Referral.screening_id) == sid))
        assert ref is not None and (ref.company_name, ref.contact_name) == ("株式会社ロジAI", "山田")
    c = logged_in(app, TOKYO)
    listing = c.get("/console/cases").text
    case = case_of(app, sid)
    assert case.company_name == "株式会社ロジAI" and case.contact_name == "山田"
    assert case.unread_desk_id == "inpit-tokyo"
    row = listing[listing.index(f'href="/console/cases/{case.id}"') - 200:listing.index(f'href="/console/cases/{case.id}"')]
    assert '<strong class="tag unread">未読</strong>' in row and "未読 " in text_of(listing)
    assert NO_COMPANY not in listing
    # Opening the case page shows both names and the unread mark once; it is then read, and the view is audited.
    page = c.get(f"/console/cases/{case.id}").text
    text = text_of(page)
    assert "会社名・屋号 株式会社ロジAI" in text and "担当者 山田" in text
    assert "新しく届いた案件です" in text and 'class="tag unread"' in page
    assert get_case(app, case.id).unread_desk_id is None
    views = [a for a in audit_rows(app, case_id=case.id) if a.action == "view"]
    assert views and views[-1].detail.get("marked_read") is True
    again = c.get(f"/console/cases/{case.id}").text
    assert "新しく届いた案件です" not in again and 'class="tag unread"' not in again
    views = [a for a in audit_rows(app, case_id=case.id) if a.action == "view"]
    assert "marked_read" not in views[-1].detail
    listing = c.get("/console/cases").text
    row = listing[listing.index(f'href="/console/cases/{case.id}"') - 200:listing.index(f'href="/console/cases/{case.id}"')]
    assert "未読" not in row


def test_another_desk_opening_nothing_and_a_handoff_is_unread_for_the_receiver(app: FastAPI) -> None:
    sid = referred_screening(app, {"company_name": "合同会社ハンドオフ", "contact_name": "佐藤"})
    tokyo = logged_in(app, TOKYO)
    tokyo.get("/console/cases")  # imports it
    case = case_of(app, sid)
    tokyo.get(f"/console/cases/{case.id}")  # read by Tokyo
    assert post(tokyo, f"/console/cases/{case.id}/rescreen", {"as_of": ""}).status_code == 303
    assert post(tokyo, f"/console/cases/{case.id}/refer", {"desk_id": "yorozu-tokyo", "message": "ご確認ください"}
                ).status_code == 303
    assert get_case(app, case.id).unread_desk_id == "yorozu-tokyo"
    assert 'class="tag unread"' not in tokyo.get(f"/console/cases/{case.id}").text  # the sender's view: no mark
    assert get_case(app, case.id).unread_desk_id == "yorozu-tokyo"  # and it stays unread for the receiver
    yorozu = logged_in(app, YOROZU)
    assert '<strong class="tag unread">未読</strong>' in yorozu.get("/console/cases").text
    assert "新しく届いた案件です" in yorozu.get(f"/console/cases/{case.id}").text
    assert get_case(app, case.id).unread_desk_id is None


def test_an_old_one_field_referral_stays_readable(app: FastAPI) -> None:
    sid = referred_screening(app, {"contact_name": "placeholder"})
    with db(app) as s:  # as stored before migration 0013: one 「お名前・会社名」 text, no company field
        s.exec(update(Referral).where(col(Referral.screening_id) == sid)  # type: ignore[call-overload]
               .values(company_name=None, contact_name="株式会社ロジAI 山田"))
        s.commit()
    c = logged_in(app, TOKYO)
    c.get("/console/cases")
    case = case_of(app, sid)
    assert case.company_name == "株式会社ロジAI 山田" and case.contact_name == "株式会社ロジAI 山田"
    assert NO_COMPANY not in c.get(f"/console/cases/{case.id}").text
    # a person's name alone does not name a company
    sid = referred_screening(app, {"contact_name": "山田 花子"})
    c.get("/console/cases")
    assert case_of(app, sid).company_name == NO_COMPANY
    # the screening's own company name is used when the form's is blank
    sid = referred_screening(app, {"contact_name": "鈴木"}, company="株式会社回答済み")
    c.get("/console/cases")
    assert case_of(app, sid).company_name == "株式会社回答済み"


def test_the_outcome_applied_moves_the_case_to_applied_and_never_back(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    token = csrf(c)
    case_id = quick_case(app, TOKYO, "申請テスト株式会社")
    assert get_case(app, case_id).status == "screened"
    assert post(c, f"/console/cases/{case_id}/status", {"to": "referred", "program_id": "ipas"}, token).status_code == 303
    r = post(c, f"/console/cases/{case_id}/outcomes", {"program_id": "ipas", "outcome": "applied"}, token)
    assert r.status_code == 303
    assert get_case(app, case_id).status == "applied"
    assert "申請済み" in text_of(c.get(f"/console/cases/{case_id}").text)
    with db(app) as s:
        events = s.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.kind) == "status")).all()
        audit = s.scalars(select(AuditEvent).where(col(AuditEvent.case_id) == case_id,
                                                   col(AuditEvent.action) == "outcome")).all()
    assert [(e.from_status, e.to_status) for e in events][-1] == ("referred", "applied")
    assert audit[-1].detail["status_after"] == "applied" and audit[-1].detail["status_before"] == "referred"
    # a case already further along stays where it is
    assert post(c, f"/console/cases/{case_id}/status", {"to": "adopted", "program_id": "ipas"}, token).status_code == 303
    assert post(c, f"/console/cases/{case_id}/outcomes", {"program_id": "iaca", "outcome": "applied"}, token
                ).status_code == 303
    assert get_case(app, case_id).status == "adopted"
    # other outcomes do not move it; a screened case that applied skips straight to 申請済み
    other = quick_case(app, TOKYO, "不適合テスト株式会社")
    assert post(c, f"/console/cases/{other}/outcomes", {"program_id": "ipas", "outcome": "not_suitable"}, token
                ).status_code == 303
    assert get_case(app, other).status == "screened"
    assert post(c, f"/console/cases/{other}/outcomes", {"program_id": "ipas", "outcome": "applied"}, token
                ).status_code == 303
    assert get_case(app, other).status == "applied"


def test_english_console_labels(app: FastAPI) -> None:
    sid = referred_screening(app, {"company_name": "株式会社イングリッシュ", "contact_name": "John"})
    c = logged_in(app, TOKYO)
    listing = c.get("/console/cases?lang=en").text
    assert "Unread" in listing and "unread" in text_of(listing)
    case = case_of(app, sid)
    page = text_of(c.get(f"/console/cases/{case.id}").text)  # English by the cookie the switch set
    assert "This case has just arrived" in page and "Company or trade name 株式会社イングリッシュ" in page
    assert "Tokyo" in page and "東京都" not in page.split("Contact")[0]

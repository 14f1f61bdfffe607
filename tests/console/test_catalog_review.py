"""Console review of the jGrants drafts (/console/catalog), on SQLite and PostgreSQL: the role, the queue, the
diff, approve (as proposed or edited), reject with a reason, the audit, the live catalog, and a rejected draft
that the next sync does not bring back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.jgrants.models import JGrantsDraft
from app.jgrants.sync import sync_jgrants
from app.jgrants.tests.conftest import make_client
from app.jgrants.tests.fake_jgrants import running
from app.store.catalog_review import CatalogChange, CatalogEditor
from tests.support.console import ADMIN, TOKYO, audit_rows, db, logged_in, make_app, post, text_of, user_id
from tests.support.pg import postgres_url

SOURCE = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdfVMAT"
GIFU = "a0WJ200000CDdfVMAT"


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    urls = iter([f"sqlite:///{tmp_path}/review.db"]) if request.param == "sqlite" else postgres_url()
    for url in urls:
        application = make_app(url, tmp_path)
        with TestClient(application):
            yield application
        application.state.store.dispose()  # type: ignore[attr-defined]


def add_draft(app: FastAPI, kind: str = "money", **over: Any) -> str:
    proposed = {"call": {"jgrants_id": GIFU, "title": "岐阜県 海外出願支援", "subsidy_max_limit": 3500000,
                         "subsidy_rate": "1/2", "page": SOURCE},
                "changes": [{"field": "subsidy_max_limit", "jgrants": 3500000, "catalog": [600000, 1500000, 3000000]}]}
    if kind == "dates":
        proposed = {"call": {"jgrants_id": GIFU, "title": "岐阜県 海外出願支援", "areas": ["岐阜県"],
                             "opens_at": None, "closes_at": "2026-12-25T17:00:00+09:00", "page": SOURCE}}
    row = JGrantsDraft(kind=kind, jgrants_id=GIFU, round_key=GIFU, program_id="foreign_filing_subsidy",
                       area="岐阜県", title="【岐阜県】令和８年度 海外出願支援事業", call_text="本文", proposed=proposed,
                       reason="金額・補助率がカタログと違います", content_hash=f"h-{kind}-{over.get('n', 0)}",
                       source_href=SOURCE, api_url="https://api.jgrants-portal.go.jp/exp/v1/public/subsidies/id/x",
                       created_at=dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC))
    with db(app) as s:
        s.add(row)
        s.commit()
        return row.id


def editor(app: FastAPI, email: str = ADMIN) -> TestClient:
    with db(app) as s:
        s.add(CatalogEditor(user_id=user_id(app, email)))
        s.commit()
    return logged_in(app, email)


def status_of(app: FastAPI, draft_id: str) -> JGrantsDraft:
    with db(app) as s:
        d = s.get(JGrantsDraft, draft_id)
        assert d is not None
        return d


def test_a_plain_advisor_and_an_admin_without_the_role_get_403(app: FastAPI) -> None:
    did = add_draft(app)
    for email in (TOKYO, ADMIN):
        c = logged_in(app, email)
        assert c.get("/console/catalog").status_code == 403
        assert c.get(f"/console/catalog/drafts/{did}").status_code == 403
        r = post(c, f"/console/catalog/drafts/{did}/reject", {"reason": "x"})
        assert r.status_code == 403 and status_of(app, did).status == "pending"
        assert "カタログ確認" not in text_of(c.get("/console/cases").text).split("パスワード変更")[0]


def test_admin_grants_the_role_on_the_accounts_page(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    uid = user_id(app, TOKYO)
    page = admin.get("/console/users")
    assert f'action="/console/users/{uid}/catalog-editor"' in page.text
    assert post(admin, f"/console/users/{uid}/catalog-editor", {"grant": "yes"}).status_code == 303
    with db(app) as s:
        assert s.get(CatalogEditor, uid) is not None
    assert any(r.detail.get("change") == "catalog_editor_granted" for r in audit_rows(app, action="update"))
    advisor = logged_in(app, TOKYO)
    assert advisor.get("/console/catalog").status_code == 200
    assert 'href="/console/catalog"' in advisor.get("/console/cases").text  # in the menu now
    assert post(advisor, f"/console/users/{uid}/catalog-editor", {"grant": "no"}).status_code == 403  # not admin
    assert post(admin, f"/console/users/{uid}/catalog-editor", {"grant": "no"}).status_code == 303
    assert advisor.get("/console/catalog").status_code == 403


def test_queue_and_diff_show_old_and_new_value_with_source_and_fetch_date(app: FastAPI) -> None:
    did = add_draft(app)
    c = editor(app)
    queue = c.get("/console/catalog")
    assert queue.status_code == 200 and f"/console/catalog/drafts/{did}" in queue.text
    assert "確認待ちの下書き（1件）" in text_of(queue.text)
    page = c.get(f"/console/catalog/drafts/{did}")
    body = text_of(page.text)
    assert page.status_code == 200 and "subsidy_max_limit" in body
    assert "<del>600000、1500000、3000000</del>" in page.text and "<ins>3500000</ins>" in page.text
    assert f'href="{SOURCE}"' in page.text and "2026年11月30日" in body  # the source and when it was fetched
    assert 'value="company_cap" selected' in page.text and 'value="3500000"' in page.text
    assert [r.detail.get("catalog_draft") for r in audit_rows(app, action="view") if "catalog_draft" in r.detail] == [did]
    en = c.get(f"/console/catalog/drafts/{did}?lang=en")
    assert "Approve and apply to the catalog" in en.text and "Current catalog" in en.text


def test_approve_applies_the_change_to_new_screenings(app: FastAPI) -> None:
    did = add_draft(app)
    c = editor(app)
    svc = app.state.services  # type: ignore[attr-defined]
    before = svc.catalog.version
    r = post(c, f"/console/catalog/drafts/{did}/approve",
             {"param_0": "company_cap", "key_0": "", "value_0": "3500000", "from_0": "2026-04-01"})
    assert r.status_code == 303 and r.headers["location"] == "/console/catalog?done=approved"
    assert status_of(app, did).status == "approved"
    cap = svc.catalog.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"]
    assert cap.at(dt.date(2026, 5, 1)).value == 3_500_000 and cap.at(dt.date(2025, 5, 1)).value == 3_000_000
    assert cap.at(dt.date(2026, 5, 1)).reference.cite().href == SOURCE
    assert svc.catalog.version != before and "+c" in svc.catalog.version
    (ev,) = [e for e in audit_rows(app, action="update") if e.detail.get("catalog_draft") == did]
    assert ev.detail["decision"] == "approved" and ev.detail["edited"] == ["from_0"]  # from the fetch day by default
    with db(app) as s:
        (row,) = s.scalars(select(CatalogChange)).all()
        assert row.change["value"] == 3_500_000 and row.draft_id == did
    assert post(c, f"/console/catalog/drafts/{did}/approve", {}).status_code == 409  # decided already
    # a second server (a fresh LiveRounds) builds the same catalog from the database
    from app.live_catalog import LiveRounds  # noqa: PLC0415

    other = type("S", (), {"catalog": None, "engine": None})()
    LiveRounds(app.state.store.engine, svc.live.base).refresh(other, force=True)  # type: ignore[attr-defined]
    assert other.catalog.version == svc.catalog.version


def test_edit_then_approve_records_what_was_edited(app: FastAPI) -> None:
    did = add_draft(app)
    c = editor(app)
    bad = post(c, f"/console/catalog/drafts/{did}/approve",
               {"param_0": "case_caps", "key_0": "patent", "value_0": "たくさん", "from_0": "令和8年4月1日"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and status_of(app, did).status == "pending"
    ok = post(c, f"/console/catalog/drafts/{did}/approve",
              {"param_0": "case_caps", "key_0": "patent", "value_0": "175万円", "from_0": "令和8年4月1日",
               "note": "特許の1件上限"})
    assert ok.status_code == 303
    caps = app.state.services.catalog.programs["foreign_filing_subsidy"].benefit.parameters["case_caps"]  # type: ignore[attr-defined]
    assert caps.at(dt.date(2026, 4, 1)).value["patent"] == 1_750_000 and caps.at(dt.date(2026, 4, 1)).value["design"] == 600_000
    (ev,) = [e for e in audit_rows(app, action="update") if e.detail.get("catalog_draft") == did]
    assert set(ev.detail["edited"]) >= {"param_0", "key_0", "value_0"} and ev.detail["proposed"]["value_0"] == "3500000"


def test_a_round_draft_is_approved_with_its_dates(app: FastAPI) -> None:
    did = add_draft(app, "dates")
    c = editor(app)
    page = c.get(f"/console/catalog/drafts/{did}")
    assert 'value="2026-12-25"' in page.text  # the closing day jGrants gave; the opening is missing
    r = post(c, f"/console/catalog/drafts/{did}/approve",
             {"program_id": "foreign_filing_subsidy", "area": "岐阜県", "fiscal_year": "2026", "name": "令和8年度 第3回",
              "opens": "2026-12-01", "closes": "2026-12-25"})
    assert r.status_code == 303, text_of(r.text)[:500]
    rounds = app.state.services.catalog.rounds_for("foreign_filing_subsidy")  # type: ignore[attr-defined]
    assert any(x.area == "岐阜県" and x.closes_at.date() == dt.date(2026, 12, 25) for x in rounds)


def test_reject_needs_a_reason_and_is_audited(app: FastAPI) -> None:
    did = add_draft(app)
    c = editor(app)
    r = post(c, f"/console/catalog/drafts/{did}/reject", {"reason": "  "})
    assert r.status_code == 422 and "却下の理由" in text_of(r.text) and status_of(app, did).status == "pending"
    r = post(c, f"/console/catalog/drafts/{did}/reject", {"reason": "県の要領では300万円のまま"})
    assert r.status_code == 303
    d = status_of(app, did)
    assert (d.status, d.decision_note, d.decided_by) == ("rejected", "県の要領では300万円のまま", user_id(app, ADMIN))
    (ev,) = [e for e in audit_rows(app, action="update") if e.detail.get("catalog_draft") == did]
    assert ev.detail["decision"] == "rejected" and ev.detail["reason"] == "県の要領では300万円のまま"
    with db(app) as s:
        assert not s.scalars(select(CatalogChange)).all()


def test_a_rejected_draft_does_not_come_back_unless_its_content_changed(app: FastAPI) -> None:
    engine = app.state.store.engine  # type: ignore[attr-defined]
    programs = app.state.services.catalog.programs  # type: ignore[attr-defined]
    now = dt.datetime(2026, 8, 17, 3, 0, tzinfo=dt.UTC)
    c = editor(app)
    for server, base in running():
        server.serve_fixtures()
        server.set(GIFU, "subsidy_max_limit", 2500000)

        def sync(base: str = base) -> int:
            with make_client(base) as client:
                return sync_jgrants(engine, programs, client, keywords=("出願",), now=now).drafts_created

        sync()
        with db(app) as s:
            (money,) = s.scalars(select(JGrantsDraft).where(col(JGrantsDraft.kind) == "money",
                                                            col(JGrantsDraft.jgrants_id) == GIFU)).all()
        assert post(c, f"/console/catalog/drafts/{money.id}/reject", {"reason": "誤り"}).status_code == 303
        assert sync() == 0  # the same proposal: not back in the queue
        assert f"/console/catalog/drafts/{money.id}" not in c.get("/console/catalog").text
        server.set(GIFU, "subsidy_max_limit", 2800000)
        assert sync() == 1  # new content: a new draft
        with db(app) as s:
            pending = s.scalars(select(JGrantsDraft).where(col(JGrantsDraft.kind) == "money",
                                                           col(JGrantsDraft.jgrants_id) == GIFU,
                                                           col(JGrantsDraft.status) == "pending")).all()
        assert [d.proposed["changes"][0]["jgrants"] for d in pending] == [2800000]

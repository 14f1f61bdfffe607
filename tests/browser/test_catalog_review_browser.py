"""The catalog review in Chromium: a catalog editor finds a jGrants draft in the menu, reads the diff, edits the
value and approves it; axe-core finds no serious or critical problem on the queue and the draft page. The approval
changes what a new screening (POST /api/v1/screen) shows, and the desk's audit log has it (issue 12)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import Session, col

from app.jgrants.models import JGrantsDraft
from app.store.catalog_review import CatalogChange, CatalogEditor
from app.store.console import AuditEvent, User
from app.store.db import make_engine

from .navi_browser import AXE_JS, Server, axe_violations, describe, missing
from .test_console_browser import ADMIN, log_in, submit

SOURCE = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdfVMAT"
# Three patents of 4,000,000 yen: 1/2 each, capped at 1,500,000 per case, 4,500,000 in all: the company cap binds.
CAPPED = {"as_of": "2026-05-01", "applicant_type": "corporation", "established_on": "1978-05-01", "employees": 25,
          "capital_yen": 10000000, "industry": "manufacturing", "large_company_shareholding": {"largest": 0, "combined": 0},
          "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 18000000,
          "prefecture": "大阪府", "phase": "expansion", "domestic_applications": ["patent"], "patent_exam_status": "started",
          "foreign_filings": [{"right": "patent", "cost_yen": 4000000, "already_filed": False}] * 3,
          "interests": ["overseas"]}


def screen(base_url: str) -> tuple[int, str]:
    """(foreign_filing_subsidy's amount, the catalog version) of a new screening of CAPPED."""
    r = httpx.post(f"{base_url}/api/v1/screen", json=CAPPED, timeout=60)
    assert r.status_code == 200, r.text[:2000]
    (ffs,) = [p for p in r.json()["results"] if p["program_id"] == "foreign_filing_subsidy"]
    return ffs["estimate"]["amount_yen"], r.json()["catalog_version"]


@pytest.fixture
def draft_id(server: Server) -> str:
    """A money draft in the live server's database, and the role for the desk administrator."""
    engine = make_engine(f"sqlite:///{server.log_path.parent / 'navi.db'}")
    try:
        with Session(engine) as db:
            admin = db.exec(select(User).where(col(User.email) == ADMIN)).scalars().one()  # type: ignore[call-overload]
            if db.get(CatalogEditor, admin.id) is None:
                db.add(CatalogEditor(user_id=admin.id))
            row = JGrantsDraft(
                kind="money", jgrants_id="a0WJ200000CDdfVMAT", round_key="a0WJ200000CDdfVMAT",
                program_id="foreign_filing_subsidy", area="岐阜県", title="【岐阜県】令和８年度 海外出願支援事業（ブラウザ）",
                call_text="補助上限額 350万円", reason="金額・補助率がカタログと違います（subsidy_max_limit）",
                proposed={"call": {"title": "岐阜県", "subsidy_max_limit": 3500000, "page": SOURCE},
                          "changes": [{"field": "subsidy_max_limit", "jgrants": 3500000,
                                       "catalog": [600000, 1500000, 3000000]}]},
                content_hash=f"browser-{dt.datetime.now(dt.UTC).timestamp()}", source_href=SOURCE,
                api_url="https://api.jgrants-portal.go.jp/exp/v1/public/subsidies/id/a0WJ200000CDdfVMAT")
            db.add(row)
            db.commit()
            return row.id
    finally:
        engine.dispose()


def test_catalog_editor_reviews_and_approves_a_draft(new_page: Callable[..., Any], server: Server, draft_id: str) -> None:
    if not AXE_JS.exists():
        missing(f"{AXE_JS} is missing (npm ci)")
    before, version = screen(server.url)
    assert before == 3_000_000  # the catalog's company cap
    page = new_page(bypass_csp=True)
    log_in(page, ADMIN)
    with page.expect_navigation():
        page.get_by_role("link", name="カタログ確認").click()
    expect(page.locator("h1")).to_have_text("カタログ確認")
    blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, describe(blocking)
    with page.expect_navigation():
        page.get_by_role("link", name="【岐阜県】令和８年度 海外出願支援事業（ブラウザ）").click()
    expect(page).to_have_url(re.compile(rf"/console/catalog/drafts/{draft_id}$"))
    expect(page.locator("table.diff ins")).to_have_text("3500000")
    expect(page.get_by_role("link", name="Jグランツの公募ページ")).to_have_attribute("href", SOURCE)
    blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, describe(blocking)
    value = page.get_by_label("新しい値")
    value.fill("")
    value.type("340万円")
    page.get_by_label("適用開始日").fill("令和8年4月1日")
    submit(page, "承認してカタログに反映する")
    expect(page).to_have_url(re.compile(r"/console/catalog\?done=approved$"))
    expect(page.get_by_role("status").first).to_have_text("承認し、カタログに反映しました")
    engine = make_engine(f"sqlite:///{server.log_path.parent / 'navi.db'}")
    try:
        with Session(engine) as db:
            change = db.exec(select(CatalogChange).where(col(CatalogChange.draft_id) == draft_id)).scalars().one()  # type: ignore[call-overload]
            assert change.change["value"] == 3_400_000 and change.change["effective_from"] == "2026-04-01"
            events = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "update")).scalars().all()  # type: ignore[call-overload]
            (ev,) = [e for e in events if e.detail.get("catalog_draft") == draft_id]
            assert ev.detail["decision"] == "approved" and ev.detail["changes"][0]["value"] == 3_400_000
    finally:
        engine.dispose()
    after, new_version = screen(server.url)  # a new screening uses the approved cap
    assert after == 3_400_000 and new_version != version
    # the desk's audit log shows the approval to the desk administrator
    page.goto(f"{server.url}/console/audit?action=update")
    expect(page.locator("td.detail", has_text=draft_id).first).to_contain_text("catalog_draft")
    # the program's page lists the new dated value with its source; axe-core finds nothing serious there either
    page.goto(f"{server.url}/console/catalog")
    with page.expect_navigation():
        page.locator('a[href="/console/catalog/programs/foreign_filing_subsidy"]').click()
    row = page.locator("table.catalog-values tr", has_text="3400000")
    expect(row).to_contain_text("2026年4月1日")
    expect(row.get_by_role("link")).to_have_attribute("href", SOURCE)
    blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, describe(blocking)

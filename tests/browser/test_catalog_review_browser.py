"""The catalog review in Chromium: a catalog editor finds a jGrants draft in the menu, reads the diff, edits the
value and approves it; axe-core finds no serious or critical problem on the queue and the draft page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlmodel import Session, col

from app.jgrants.models import JGrantsDraft
from app.store.catalog_review import CatalogChange, CatalogEditor
from app.store.console import User
from app.store.db import make_engine

from .navi_browser import AXE_JS, Server, axe_violations, describe, missing
from .test_console_browser import ADMIN, log_in, submit

SOURCE = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdfVMAT"


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
    finally:
        engine.dispose()

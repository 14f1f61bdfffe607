"""The catalog editors' page per program (/console/catalog/programs/{id}) and the stale flag on the list of programs,
on SQLite and PostgreSQL: the role, 404, the audit, the rounds of the live catalog with their origin (YAML, jGrants
sync, approved change), status today and source, the dated values with their references, and the freshness rule
of the applicant pages (NAVI_STALE_AFTER_DAYS)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.jgrants.models import JGrantsDraft, JGrantsRound
from app.store.catalog_review import CatalogEditor
from programs.rounds import JST
from tests.support.console import ADMIN, TOKYO, audit_rows, db, logged_in, post, served_app, text_of, user_id

SOURCE = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdfVMAT"
TOKYO_SRC = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000TokyoFPF"
ROUNDS_CHECKED = dt.date(2026, 8, 22)  # the newest check of foreign_filing_subsidy's YAML rounds


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    for application in served_app(request.param, tmp_path_factory.mktemp(f"programs-{request.param}")):
        with db(application) as s:
            s.add(CatalogEditor(user_id=user_id(application, ADMIN)))
            s.commit()
        yield application


def editor(app: FastAPI) -> TestClient:
    return logged_in(app, ADMIN)


def rows(page: str, table: str) -> list[str]:
    body = page.split(f'class="{table}"', 1)[1].split("</table>", 1)[0]
    return [text_of(r).strip() for r in re.findall(r"<tr.*?</tr>", body, re.S)[1:]]


def set_threshold(app: FastAPI, days: int) -> None:
    svc = app.state.services  # type: ignore[attr-defined]
    svc.settings = svc.settings.model_copy(update={"stale_after_days": days})


def flagged(c: TestClient) -> dict[str, bool]:
    """Program id -> whether the list of programs on the queue page flags it as stale."""
    page = c.get("/console/catalog").text
    found = re.findall(r'<tr( class="stale")?>\s*<td><a href="/console/catalog/programs/(\w+)"', page)
    return {pid: bool(stale) for stale, pid in found}


def today() -> dt.date:
    return dt.datetime.now(JST).date()


def test_without_the_role_403_and_unknown_program_404(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    assert c.get("/console/catalog/programs/foreign_filing_subsidy").status_code == 403
    ed = editor(app)
    r = ed.get("/console/catalog/programs/no_such_program")
    assert r.status_code == 404 and "制度が見つかりません" in text_of(r.text)
    assert ed.get("/console/catalog/programs/no_such_program?lang=en").status_code == 404


def test_program_page_lists_rounds_values_and_is_audited(app: FastAPI) -> None:
    c = editor(app)
    queue = c.get("/console/catalog")
    assert 'href="/console/catalog/programs/foreign_filing_subsidy"' in queue.text
    page = c.get("/console/catalog/programs/foreign_filing_subsidy")
    assert page.status_code == 200
    rounds = rows(page.text, "catalog-rounds")
    svc = app.state.services  # type: ignore[attr-defined]
    assert len(rounds) == len(svc.catalog.rounds_for("foreign_filing_subsidy")) > 0
    assert all("YAML（制度カタログ）" in r for r in rounds)
    assert any("愛知県" in r and "受付終了" in r for r in rounds)  # FY2026 rounds of the summer, closed in December
    first = svc.catalog.rounds_for("foreign_filing_subsidy")[0]
    assert f'href="{first.source.href}"' in page.text
    values = rows(page.text, "catalog-values")
    cap = svc.catalog.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"]
    assert sum(1 for v in values if v.startswith("company_cap")) == len(cap.values)
    assert cap.at(dt.date(2026, 5, 1)).reference.cite().href in page.text
    (ev,) = [e for e in audit_rows(app, action="view") if e.detail.get("catalog_program") == "foreign_filing_subsidy"]
    assert ev.detail["catalog_version"] == svc.catalog.version
    en = c.get("/console/catalog/programs/foreign_filing_subsidy?lang=en")
    assert "Status today" in en.text and "YAML (catalog files)" in en.text and "Closed" in text_of(en.text)


def test_stale_programs_are_flagged_by_the_applicant_rule(app: FastAPI) -> None:
    c = editor(app)
    age = (today() - ROUNDS_CHECKED).days

    try:
        set_threshold(app, age - 1)  # 8月22日 is one day too old
        flags = flagged(c)
        assert flags["foreign_filing_subsidy"] and flags["inpit_foreign_filing_interim"]  # checked 8月17日
        assert not flags["fee_reduction"]  # no rounds: the catalog's date (sources.yaml), newer
        assert "情報が古い可能性があります" in c.get("/console/catalog/programs/foreign_filing_subsidy").text
        set_threshold(app, age)  # exactly the threshold: not older than it
        flags = flagged(c)
        assert not flags["foreign_filing_subsidy"] and flags["inpit_foreign_filing_interim"]
        assert "情報が古い可能性があります" not in c.get("/console/catalog/programs/foreign_filing_subsidy").text
        assert "This information may be out of date" in c.get("/console/catalog?lang=en").text
    finally:
        set_threshold(app, 60)


def test_a_synced_round_and_an_approved_round_show_their_origin(app: FastAPI) -> None:
    svc = app.state.services  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    with db(app) as s:
        s.add(JGrantsRound(
            key="a0WJ200000TokyoFPF", jgrants_id="a0WJ200000TokyoFPF", program_id="tokyo_foreign_patent_filing",
            fiscal_year=2026, area="東京都", name_ja="令和8年度 同期テスト回", name_en="FY2026 sync test call",
            operator_ja="東京都知的財産総合センター", operator_en="Tokyo IP Center",
            opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30),
            source_title="Jグランツ 外国特許出願費用助成", source_href=TOKYO_SRC, checked_at=today(),
            api_url="https://api.jgrants-portal.go.jp/exp/v1/public/subsidies/id/a0WJ200000TokyoFPF"))
        draft = JGrantsDraft(kind="dates", jgrants_id="a0WJ200000CDdfVMAT", round_key="a0WJ200000CDdfVMAT",
                             program_id="foreign_filing_subsidy", area="岐阜県", title="【岐阜県】海外出願支援（日付）",
                             call_text="本文", reason="受付期間が読めません", content_hash="h-programs-dates",
                             proposed={"call": {"jgrants_id": "a0WJ200000CDdfVMAT", "title": "岐阜県", "areas": ["岐阜県"],
                                                "opens_at": None, "closes_at": None, "page": SOURCE}},
                             source_href=SOURCE, api_url="https://api.jgrants-portal.go.jp/exp/v1/public/subsidies/id/x")
        s.add(draft)
        s.commit()
        did = draft.id
    svc.live.refresh(svc, force=True)
    c = editor(app)
    page = c.get("/console/catalog/programs/tokyo_foreign_patent_filing")
    (synced,) = rows(page.text, "catalog-rounds")
    assert "令和8年度 同期テスト回" in synced and "Jグランツ同期" in synced and "受付中" in synced
    assert f'href="{TOKYO_SRC}"' in page.text
    later = today() + dt.timedelta(days=40)
    r = post(c, f"/console/catalog/drafts/{did}/approve",
             {"program_id": "foreign_filing_subsidy", "area": "岐阜県", "fiscal_year": "2026", "name": "令和8年度 第9回",
              "opens": later.isoformat(), "closes": (later + dt.timedelta(days=10)).isoformat()})
    assert r.status_code == 303, text_of(r.text)[:500]
    page = c.get("/console/catalog/programs/foreign_filing_subsidy")
    (approved,) = [x for x in rows(page.text, "catalog-rounds") if "令和8年度 第9回" in x]
    assert "承認した変更" in approved and "受付前" in approved and "岐阜県" in approved
    assert sum("承認した変更" in x for x in rows(page.text, "catalog-rounds")) == 1
    # rounds checked today (the sync's, the approved one): not flagged even with a short threshold
    try:
        set_threshold(app, 1)
        flags = flagged(c)
        assert not flags["tokyo_foreign_patent_filing"] and not flags["foreign_filing_subsidy"]
        assert flags["inpit_foreign_filing_interim"]  # checked 8月17日
    finally:
        set_threshold(app, 60)

"""Ranking logs (issue 17), on SQLite and PostgreSQL: the list shown per screening, advisors' picks / skips /
stages on a case, the label export without names or personal data, and which model ranked on the pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.console.ranking_feedback import label_records, pseudonym
from app.store.ranking import RankingFeedback, RankingLog
from app.store.screenings import ScreeningRecord, decode_facts
from matching.records import ShownList, read_records
from tests.support.console import (
    OSAKA,
    TOKYO,
    audit_rows,
    db,
    get_case,
    logged_in,
    make_app,
    post,
    quick_case,
    text_of,
)
from tests.support.pg import postgres_url

SECRET = {"company_name": "秘密工業株式会社", "description": "代表の山田花子です。連絡は hanako@example.jp、090-1234-5678 まで。タイで模倣品"}


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    urls = iter([f"sqlite:///{tmp_path}/ranking.db"]) if request.param == "sqlite" else postgres_url()
    for url in urls:
        application = make_app(url, tmp_path)
        with TestClient(application):
            yield application
        application.state.store.dispose()  # type: ignore[attr-defined]


def a_case(app: FastAPI) -> str:
    return quick_case(app, TOKYO, SECRET["company_name"], {"description": SECRET["description"],
                                                            "interests": ["overseas", "enforcement"]})


def test_every_screening_stores_the_list_as_shown(app: FastAPI) -> None:
    cid = a_case(app)
    sid = get_case(app, cid).latest_screening_id
    with db(app) as s:
        log = s.get(RankingLog, sid)
        rec = s.get(ScreeningRecord, sid)
    assert log is not None and rec is not None
    assert (log.ranker, log.model_version, log.catalog_version) == ("prior", rec.model_version, rec.catalog_version)
    facts = decode_facts(rec.facts) or {}
    ranked = sorted((p for p in facts["programs"] if p.get("rank") and p["status"] != "ineligible"),
                    key=lambda p: p["rank"])
    assert [it[0] for it in log.items] == [p["id"] for p in ranked] and len(log.items) >= 3
    assert all(isinstance(it[1], float) and it[2] in ("eligible", "needs_info") for it in log.items)
    # the API's screenings (group-commit writer) are logged too
    api = TestClient(app).post("/api/v1/screen", json={"applicant_type": "corporation", "prefecture": "東京都"})
    assert api.status_code == 200, api.text
    with db(app) as s:
        assert s.get(RankingLog, api.json()["screening_id"]) is not None


def test_pages_say_which_model_ranked(app: FastAPI) -> None:
    cid = a_case(app)
    c = logged_in(app, TOKYO)
    case = text_of(c.get(f"/console/cases/{cid}").text)
    assert "並び順: 標準の並び順 (prior-3)" in case
    page = c.get(f"/console/cases/{cid}/ranking")
    assert page.status_code == 200 and "並び順: 標準の並び順" in text_of(page.text)
    en = text_of(c.get(f"/console/cases/{cid}/ranking?lang=en").text)
    assert "Order: Standard order" in en


def test_picks_skips_and_stages_are_recorded_and_audited(app: FastAPI) -> None:
    cid = a_case(app)
    sid = get_case(app, cid).latest_screening_id
    with db(app) as s:
        log = s.get(RankingLog, sid)
        assert log is not None
        first, second = log.items[0][0], log.items[1][0]
    c = logged_in(app, TOKYO)
    assert post(c, f"/console/cases/{cid}/ranking", {"program_id": first, "action": "pick", "reason": "海外で模倣品"}).status_code == 303
    assert post(c, f"/console/cases/{cid}/ranking", {"program_id": second, "action": "skip"}).status_code == 303
    assert post(c, f"/console/cases/{cid}/ranking",
                {"program_id": first, "action": "applied", "on": "令和8年1月15日"}).status_code == 303
    bad = post(c, f"/console/cases/{cid}/ranking", {"program_id": "no_such_program", "action": "pick", "on": "昨日"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "一覧に表示された制度" in text_of(bad.text)
    with db(app) as s:
        rows = s.scalars(select(RankingFeedback).where(col(RankingFeedback.case_id) == cid)
                         .order_by(col(RankingFeedback.at))).all()
    assert [(r.program_id, r.action, r.screening_id) for r in rows] == [(first, "pick", sid), (second, "skip", sid),
                                                                        (first, "applied", sid)]
    assert rows[2].on_date.isoformat() == "2026-01-15"
    assert [e.detail["ranking_feedback"] for e in audit_rows(app, case_id=cid, action="outcome")] == ["pick", "skip", "applied"]
    # another desk's advisor cannot see or add feedback
    other = logged_in(app, OSAKA)
    assert other.get(f"/console/cases/{cid}/ranking").status_code == 404
    assert post(other, f"/console/cases/{cid}/ranking", {"program_id": first, "action": "pick"}).status_code == 404


def test_export_has_no_names_or_personal_data_and_trains(app: FastAPI, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cid = a_case(app)
    sid = get_case(app, cid).latest_screening_id
    assert sid
    c = logged_in(app, TOKYO)
    with db(app) as s:
        log = s.get(RankingLog, sid)
        assert log is not None
        first = log.items[0][0]
    post(c, f"/console/cases/{cid}/ranking", {"program_id": first, "action": "pick", "reason": "山田花子さんの希望"})
    post(c, f"/console/cases/{cid}/ranking", {"program_id": first, "action": "adopted", "on": "2026-03-01"})
    with db(app) as s:
        lines = list(label_records(s))
    text = "\n".join(lines)
    for secret in ("秘密工業", "山田", "花子", "hanako@example.jp", "090-1234-5678", sid):
        assert secret not in text
    records = list(read_records(lines))
    shown = [r for r in records if isinstance(r, ShownList) and r.screening_id == pseudonym(sid)]
    assert len(shown) == 1 and shown[0].ranker == "prior" and shown[0].items[0].program_id == first
    assert "description" not in shown[0].profile and shown[0].profile["prefecture"] == "東京都"
    mine = [json.loads(x) for x in lines if json.loads(x).get("screening_id") == pseudonym(sid)]
    assert [(x["type"], x.get("action") or x.get("stage")) for x in mine] == [("shown", None), ("decision", "pick"),
                                                                             ("stage", "adopted")]
    assert all(x.get("reason") is None for x in mine)  # an advisor's free text is never exported
    # the command writes the same records
    from app.__main__ import main  # noqa: PLC0415

    monkeypatch.setenv("DATABASE_URL", str(app.state.store.engine.url.render_as_string(hide_password=False)))  # type: ignore[attr-defined]
    out = tmp_path / "labels.jsonl"
    assert main(["export-labels", "--output", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert pseudonym(sid) in written and "秘密工業" not in written and "hanako" not in written


def test_results_page_says_in_plain_words_which_model_ranked(app: FastAPI) -> None:
    c = TestClient(app)
    sid = c.post("/api/v1/screen", json={"applicant_type": "corporation", "prefecture": "東京都"}).json()["screening_id"]
    page = c.get(f"/results/{sid}")
    assert page.status_code == 200, page.text[:500]
    body = text_of(page.text)
    assert "並び順: 標準の並び順" in body and "prior-3" not in body  # no internal version for applicants
    assert "Order: Standard order" in text_of(c.get(f"/results/{sid}?lang=en").text)


def test_a_learned_ranking_is_logged_and_named_as_such(app: FastAPI) -> None:
    svc, store = app.state.services, app.state.store  # type: ignore[attr-defined]
    profile = {"applicant_type": "corporation", "prefecture": "東京都"}
    screening = svc.screen(profile)
    screening.model_version = svc.scorer.version + "+m20261201"  # as a gated learned model names itself
    sid = store.save_screening(profile, screening, source="web")
    with db(app) as s:
        log = s.get(RankingLog, sid)
        assert log is not None and log.ranker == "learned" and log.model_version.endswith("+m20261201")
    assert "並び順: 相談実績から学んだモデル" in text_of(TestClient(app).get(f"/results/{sid}").text)


def test_the_log_goes_with_its_screening(app: FastAPI) -> None:
    import datetime as dt  # noqa: PLC0415

    store = app.state.store  # type: ignore[attr-defined]
    sid = TestClient(app).post("/api/v1/screen", json={"applicant_type": "corporation"}).json()["screening_id"]
    assert store.purge_expired(1, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=3)) >= 1
    with db(app) as s:
        assert s.get(ScreeningRecord, sid) is None and s.get(RankingLog, sid) is None

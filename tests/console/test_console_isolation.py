"""Desk isolation and the audit log of the advisor console, on SQLite and on PostgreSQL.

A user sees and changes only the cases of their desk or referred to it; any other case answers 404 on
every route (page, edit, POSTs, export), exactly as a case that does not exist. Every view, change,
referral and export of a case writes an audit_event, desk admins read only their desk's events, and the
database refuses UPDATE and DELETE of audit rows (triggers of migration 0004).

PostgreSQL comes from TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test), in a
schema with a random name dropped afterwards; when it is unreachable its tests fail under CI (env var CI
set) and are skipped otherwise — the pattern of tests/test_storage.py.
"""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from app.store.console import AuditEvent, Case, CaseNote
from tests.support.console import (
    ADMIN,
    CHAMBER,
    OSAKA,
    TOKYO,
    YOROZU,
    audit_rows,
    csrf,
    db,
    engine_of,
    get_case,
    logged_in,
    new_case,
    post,
    quick_case,
    served_app,
    text_of,
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from served_app(request.param, tmp_path_factory.mktemp(f"isolation-{request.param}"))


@pytest.fixture(scope="module")
def users(app: FastAPI) -> dict[str, TestClient]:
    return {email: logged_in(app, email) for email in (TOKYO, ADMIN, YOROZU, OSAKA, CHAMBER)}


def _case_routes(case_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", f"/console/cases/{case_id}", {}),
        ("GET", f"/console/cases/{case_id}/edit", {}),
        ("POST", f"/console/cases/{case_id}/edit", {"case_company_name": "乗っ取り株式会社", "prefecture": "大阪府"}),
        ("POST", f"/console/cases/{case_id}/notes", {"text": "他の窓口のメモ"}),
        ("POST", f"/console/cases/{case_id}/refer", {"desk_id": "inpit-osaka", "message": "横取り"}),
        ("POST", f"/console/cases/{case_id}/status", {"to": "closed"}),
        ("POST", f"/console/cases/{case_id}/outcomes", {"program_id": "ipas", "outcome": "adopted"}),
        ("POST", f"/console/cases/{case_id}/rescreen", {"as_of": "2025-04-01"}),
    ]


def assert_hidden(app: FastAPI, c: TestClient, case_id: str) -> None:
    """Every route answers this desk's user 404 for the case, nothing changes, it is in no list or export."""
    before = get_case(app, case_id)
    token = csrf(c)
    for method, url, data in _case_routes(case_id):
        r = c.get(url) if method == "GET" else post(c, url, data, token)
        assert r.status_code == 404, (method, url, r.status_code)
        assert "案件が見つかりません" in r.text and before.company_name not in r.text
    after = get_case(app, case_id)
    assert (after.status, after.referred_to_desk_id, after.company_name, after.profile, after.latest_screening_id) \
        == (before.status, before.referred_to_desk_id, before.company_name, before.profile, before.latest_screening_id)
    with db(app) as s:
        notes = s.scalars(select(CaseNote).where(col(CaseNote.case_id) == case_id)).all()
        assert not [n for n in notes if n.text in ("他の窓口のメモ", "横取り")]
    assert case_id not in c.get("/console/cases").text
    assert case_id not in c.get("/console/cases", params={"q": before.company_name}).text
    assert case_id not in c.get("/console/cases.csv").text


def assert_visible(c: TestClient, case_id: str, company: str) -> None:
    r = c.get(f"/console/cases/{case_id}")
    assert r.status_code == 200 and company in r.text
    assert c.get(f"/console/cases/{case_id}/edit").status_code == 200
    assert case_id in c.get("/console/cases").text
    rows = list(csv.reader(io.StringIO(c.get("/console/cases.csv").content.decode("utf-8-sig"))))
    assert case_id in [row[0] for row in rows[1:]]


# ------------------------------------------------------------------ isolation


def test_another_desks_case_is_404_on_every_route(app: FastAPI, users: dict[str, TestClient]) -> None:
    yorozu = users[YOROZU]
    case_id = new_case(yorozu, case_company_name="株式会社よろず秘密")
    assert_visible(yorozu, case_id, "株式会社よろず秘密")
    for email in (TOKYO, ADMIN, OSAKA, CHAMBER):
        assert_hidden(app, users[email], case_id)
    # ids that do not exist (or are not ids) look exactly the same
    c = users[TOKYO]
    for bogus in (str(uuid.uuid4()), "not-a-uuid", case_id.upper(), case_id + "x", "%27%20OR%201=1"):
        r = c.get(f"/console/cases/{bogus}")
        assert r.status_code == 404 and "案件が見つかりません" in r.text, bogus
    assert post(c, f"/console/cases/{uuid.uuid4()}/notes", {"text": "x"}).status_code == 404


def test_a_referral_opens_the_case_to_the_receiving_desk_and_back(app: FastAPI, users: dict[str, TestClient]) -> None:
    yorozu, tokyo, osaka = users[YOROZU], users[TOKYO], users[OSAKA]
    case_id = new_case(yorozu, case_company_name="合同会社ハンドオフ")
    assert_hidden(app, tokyo, case_id)
    r = post(yorozu, f"/console/cases/{case_id}/refer", {"desk_id": "inpit-tokyo", "message": "商標の件でお願いします"})
    assert r.status_code == 303 and r.headers["location"] == f"/console/cases/{case_id}?done=referred"
    case = get_case(app, case_id)
    assert case.desk_id == "yorozu-tokyo" and case.referred_to_desk_id == "inpit-tokyo" and case.status == "referred"
    # the INPIT desk now sees it, in its list (「紹介を受けた案件」) and export, and can work on it
    assert_visible(tokyo, case_id, "合同会社ハンドオフ")
    page = text_of(tokyo.get(f"/console/cases/{case_id}").text)
    assert "から紹介を受けた案件です" in page and "商標の件でお願いします" in page
    assert case_id in tokyo.get("/console/cases", params={"scope": "received"}).text
    assert post(tokyo, f"/console/cases/{case_id}/notes", {"text": "INPIT で受けました"}).status_code == 303
    assert post(tokyo, f"/console/cases/{case_id}/status",
                {"to": "applied", "program_id": "trademark_squatting_countermeasure"}).status_code == 303
    # the admin of the receiving desk too; other desks still do not
    assert users[ADMIN].get(f"/console/cases/{case_id}").status_code == 200
    assert_hidden(app, osaka, case_id)
    assert_hidden(app, users[CHAMBER], case_id)
    # and back: the INPIT desk returns it to the owner, and no longer sees it
    r = post(tokyo, f"/console/cases/{case_id}/refer", {"desk_id": "yorozu-tokyo", "message": "対応を終えました"})
    assert r.status_code == 303 and r.headers["location"] == "/console/cases?done=referred"
    case = get_case(app, case_id)
    assert case.referred_to_desk_id is None and case.status == "applied"
    assert_hidden(app, tokyo, case_id)
    assert_visible(yorozu, case_id, "合同会社ハンドオフ")
    assert "対応を終えました" in yorozu.get(f"/console/cases/{case_id}").text
    # a desk cannot refer a case to itself or to a desk that does not exist
    assert post(yorozu, f"/console/cases/{case_id}/refer", {"desk_id": "yorozu-tokyo"}).status_code == 409
    assert post(yorozu, f"/console/cases/{case_id}/refer", {"desk_id": "nowhere"}).status_code == 409


def test_a_received_case_passed_on_leaves_the_middle_desk(app: FastAPI, users: dict[str, TestClient]) -> None:
    yorozu, tokyo, osaka = users[YOROZU], users[TOKYO], users[OSAKA]
    case_id = new_case(yorozu, case_company_name="株式会社三者間")
    post(yorozu, f"/console/cases/{case_id}/refer", {"desk_id": "inpit-tokyo"})
    assert post(tokyo, f"/console/cases/{case_id}/refer", {"desk_id": "inpit-osaka"}).status_code == 303
    assert get_case(app, case_id).referred_to_desk_id == "inpit-osaka"
    assert_hidden(app, tokyo, case_id)
    assert_visible(osaka, case_id, "株式会社三者間")
    assert_visible(yorozu, case_id, "株式会社三者間")


def test_chamber_staff_see_only_their_chambers_cases(app: FastAPI, users: dict[str, TestClient]) -> None:
    chamber = users[CHAMBER]
    own = new_case(chamber, case_company_name="有限会社会員企業")
    assert get_case(app, own).desk_id == "cci-tokyo"
    assert_visible(chamber, own, "有限会社会員企業")
    listed = chamber.get("/console/cases").text
    with db(app) as s:
        others = s.scalars(select(Case).where(col(Case.desk_id) != "cci-tokyo",
                                              col(Case.referred_to_desk_id).is_(None))).all()
    assert others and not [c.id for c in others if c.id in listed]
    rows = list(csv.reader(io.StringIO(chamber.get("/console/cases.csv").content.decode("utf-8-sig"))))
    with db(app) as s:
        desks = {r[0]: s.get(Case, r[0]) for r in rows[1:]}
    assert desks and all(c is not None and "cci-tokyo" in (c.desk_id, c.referred_to_desk_id) for c in desks.values())
    for other in others[:3]:
        assert chamber.get(f"/console/cases/{other.id}").status_code == 404
    assert chamber.get("/console/audit").status_code == 403
    for email in (TOKYO, YOROZU, OSAKA):
        assert_hidden(app, users[email], own)


# ------------------------------------------------------------------ audit


def test_views_changes_referrals_and_exports_are_audited(app: FastAPI, users: dict[str, TestClient]) -> None:
    tokyo = users[TOKYO]
    case_id = new_case(tokyo, case_company_name="株式会社監査対象")
    tokyo.get(f"/console/cases/{case_id}")
    post(tokyo, f"/console/cases/{case_id}/notes", {"text": "記録のテスト"})
    post(tokyo, f"/console/cases/{case_id}/status", {"to": "referred", "program_id": "fee_reduction"})
    post(tokyo, f"/console/cases/{case_id}/refer", {"desk_id": "yorozu-tokyo"})
    tokyo.get("/console/cases.csv", params={"q": "監査対象"})
    rows = audit_rows(app, case_id=case_id)
    actions = [r.action for r in rows]
    for needed in ("create", "view", "note", "refer", "export"):
        assert needed in actions, needed
    assert actions.count("refer") == 2  # to a program, then to the よろず desk
    tokyo_id = rows[0].user_id
    assert all(r.user_id == tokyo_id and r.desk_id == "inpit-tokyo" and r.ip for r in rows)
    assert all(r.at is not None for r in rows)
    [export] = [r for r in rows if r.action == "export"]
    assert export.detail["filters"] == {"q": "監査対象"}
    refer = [r for r in rows if r.action == "refer" and r.detail.get("to_desk_id")]
    assert refer and refer[0].detail["from_desk_id"] == "inpit-tokyo"
    # the receiving desk's view is audited under its own desk
    users[YOROZU].get(f"/console/cases/{case_id}")
    assert [r for r in audit_rows(app, case_id=case_id) if r.desk_id == "yorozu-tokyo" and r.action == "view"]
    # a profile edit is an update
    post(tokyo, f"/console/cases/{case_id}/edit", {"case_company_name": "株式会社監査対象", "prefecture": "東京都",
                                                   "employees": "7"})
    updates = [r for r in audit_rows(app, case_id=case_id) if r.action == "update"]
    assert updates and "employees" in updates[-1].detail["changed_fields"]
    # refused attempts by other desks leave no trace on the case (and change nothing)
    n = len(audit_rows(app, case_id=case_id))
    users[OSAKA].get(f"/console/cases/{case_id}")
    assert len(audit_rows(app, case_id=case_id)) == n


def test_desk_admins_read_only_their_desks_audit_log(app: FastAPI, users: dict[str, TestClient]) -> None:
    yorozu_case = quick_case(app, YOROZU, "株式会社よろず監査")
    users[YOROZU].get(f"/console/cases/{yorozu_case}")
    tokyo_case = new_case(users[TOKYO], case_company_name="株式会社東京監査")
    users[TOKYO].get(f"/console/cases/{tokyo_case}")
    admin = users[ADMIN]
    page = admin.get("/console/audit")
    assert page.status_code == 200
    assert "株式会社東京監査" in page.text and "株式会社よろず監査" not in page.text
    assert yorozu_case not in page.text
    r = admin.get("/console/audit", params={"case": yorozu_case})
    assert "記録はありません" in r.text
    r = admin.get("/console/audit", params={"case": tokyo_case})
    assert "株式会社東京監査" in r.text and "記録はありません" not in r.text
    with db(app) as s:
        tokyo_user = s.scalar(select(AuditEvent.user_id).where(col(AuditEvent.case_id) == tokyo_case).limit(1))
        yorozu_user = s.scalar(select(AuditEvent.user_id).where(col(AuditEvent.case_id) == yorozu_case).limit(1))
    r = admin.get("/console/audit", params={"user": tokyo_user, "action": "view"})
    assert "株式会社東京監査" in r.text
    r = admin.get("/console/audit", params={"user": yorozu_user})  # a user of another desk: ignored
    assert "株式会社よろず監査" not in r.text
    for email in (TOKYO, YOROZU, OSAKA, CHAMBER):
        assert users[email].get("/console/audit").status_code == 403


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'view', detail = '{}'",
    "UPDATE audit_event SET user_id = NULL WHERE id = (SELECT MIN(id) FROM audit_event)",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE id = (SELECT MAX(id) FROM audit_event)",
])
def test_audit_rows_cannot_be_updated_or_deleted(app: FastAPI, users: dict[str, TestClient], statement: str) -> None:
    users[TOKYO].get("/console/cases")
    engine = engine_of(app)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT id, action, user_id FROM audit_event ORDER BY id")).all()
    assert before
    with pytest.raises(DBAPIError) as err, engine.begin() as conn:
        conn.execute(text(statement))
    assert "append-only" in str(err.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, action, user_id FROM audit_event ORDER BY id")).all() == before
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))


def test_no_console_route_updates_or_deletes_audit_rows() -> None:
    root = Path(__file__).resolve().parents[2] / "app" / "console"
    for f in root.glob("*.py"):
        source = f.read_text(encoding="utf-8")
        assert "update(AuditEvent" not in source and "delete(AuditEvent" not in source, f


def test_login_throttling_is_shared_through_the_database(app: FastAPI, tmp_path: Path) -> None:
    from app.config import Settings
    from app.factory import create_app
    from tests.support.console import client, login

    email = f"intruder-{secrets.token_hex(4)}@example.jp"
    for _ in range(5):
        assert login(client(app), email, "guess-password-1").status_code == 401
    twin = create_app(Settings(database_url=engine_of(app).url.render_as_string(hide_password=False),
                               search_db=tmp_path / "search.db"))  # a second app server
    try:
        r = login(client(twin), email, "guess-password-2")
        assert r.status_code == 429 and "しばらくログインできません" in r.text
    finally:
        twin.state.store.dispose()  # type: ignore[attr-defined]
    failed = [a for a in audit_rows(app, action="login_failed") if a.detail.get("email") == email]
    assert [a.detail["reason"] for a in failed] == ["bad_credentials"] * 5 + ["throttled"]

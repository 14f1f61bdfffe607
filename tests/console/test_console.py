"""The advisor console (/console): login, sessions, CSRF, throttling, cases, workflow, referrals, exports, CLI.

Runs on SQLite (a file under tmp_path); the isolation and audit rules run on SQLite and PostgreSQL in
tests/test_console_isolation.py. Apps are built with `Settings(seed_demo=True)`: the demo desks and accounts
of app/console/seed.py (password DEMO_PASSWORD) are there.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlmodel import col

from app.config import Settings
from app.console import cases as C
from app.console.seed import DEMO_PASSWORD, DEMO_USERS
from app.factory import create_app
from app.store.console import (
    Case,
    CaseEvent,
    CaseNote,
    CaseOutcome,
    CaseRevision,
    DeskRecord,
    LoginAttempt,
    LoginSession,
    User,
)
from app.store.referrals import Referral
from app.web.i18n import translations
from tests.support.console import (
    ADMIN,
    FORM,
    OSAKA,
    ROOT,
    TOKYO,
    YOROZU,
    actor,
    audit_rows,
    client,
    csrf,
    db,
    engine_of,
    get_case,
    hidden,
    logged_in,
    login,
    make_app,
    new_case,
    post,
    quick_case,
    text_of,
    user_id,
)

# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("console")
    application = make_app(f"sqlite:///{tmp}/console.db", tmp)
    with TestClient(application):
        yield application


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[FastAPI]:
    """An app of its own (for throttling and other tests that must not see the others' attempts)."""
    application = make_app(f"sqlite:///{tmp_path}/fresh.db", tmp_path)
    yield application
    application.state.store.dispose()  # type: ignore[attr-defined]


# ------------------------------------------------------------------ login, cookies, CSRF, throttling


def test_login_sets_a_hardened_session_cookie_and_stores_only_its_hash(app: FastAPI) -> None:
    c = client(app)
    page = c.get("/console/login")
    assert page.status_code == 200 and '<html lang="ja">' in page.text and "ログイン" in page.text
    r = c.post("/console/login", data={"email": "  Advisor.Tokyo@Example.JP ", "password": DEMO_PASSWORD,
                                       "csrf_token": hidden(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/console/cases"
    [cookie] = [h for h in r.headers.get_list("set-cookie") if h.startswith("navi_session=")]
    attrs = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite", "path", "max-age"} <= attrs and "secure" not in attrs  # plain HTTP here
    assert "SameSite=lax" in cookie and "Path=/console" in cookie and "Max-Age=28800" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43
    with db(app) as s:
        row = s.get(LoginSession, hashlib.sha256(token.encode()).hexdigest())
        assert row is not None and row.user_id == user_id(app, TOKYO)
        assert s.get(LoginSession, token) is None  # the token itself is not stored
        assert row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None) == dt.timedelta(hours=8)
    assert c.get("/console/cases").status_code == 200
    assert audit_rows(app, user_id=user_id(app, TOKYO), action="login")


def test_session_cookie_is_secure_over_https_or_when_configured(app: FastAPI, tmp_path: Path) -> None:
    c = client(app, https=True)
    r = login(c, TOKYO)
    [cookie] = [h for h in r.headers.get_list("set-cookie") if h.startswith("navi_session=")]
    assert "Secure" in cookie and "HttpOnly" in cookie
    forced = create_app(Settings(database_url=str(engine_of(app).url), search_db=tmp_path / "s.db",
                                 cookie_secure=True))
    c = client(forced)  # plain HTTP behind a TLS proxy: the browser sends the Secure cookie back
    page = c.get("/console/login")
    assert "Secure" in page.headers["set-cookie"]
    token = hidden(page.text)
    r = c.post("/console/login", data={"email": TOKYO, "password": DEMO_PASSWORD, "csrf_token": token},
               headers={"cookie": f"navi_login_csrf={token}"})
    assert r.status_code == 303
    [cookie] = [h for h in r.headers.get_list("set-cookie") if h.startswith("navi_session=")]
    assert "Secure" in cookie


def test_bad_logins_get_one_generic_message(app: FastAPI) -> None:
    c = client(app)
    unknown = login(c, "nobody@example.jp", "whatever-password")
    wrong = login(c, TOKYO, "wrong-password-123")
    for r in (unknown, wrong):
        assert r.status_code == 401
        assert "メールアドレスまたはパスワードが正しくありません" in r.text
        assert "navi_session=" not in r.headers.get("set-cookie", "")
    # the same page either way: nothing tells whether the account exists
    assert text_of(unknown.text).replace("nobody@example.jp", "X") == text_of(wrong.text).replace(TOKYO, "X")
    failed = [a for a in audit_rows(app, action="login_failed") if a.detail.get("email") in ("nobody@example.jp", TOKYO)]
    assert len(failed) >= 2 and {a.user_id for a in failed} == {None, user_id(app, TOKYO)}


def test_throttled_after_five_failures_for_one_email_even_from_other_addresses(fresh_app: FastAPI,
                                                                                tmp_path: Path) -> None:
    for _ in range(5):
        assert login(client(fresh_app), OSAKA, "wrong-password-1").status_code == 401
    r = login(client(fresh_app), OSAKA)  # the right password, from yet another address
    assert r.status_code == 429
    assert "ログインの失敗が続いたため" in r.text and "15分" in r.text
    assert "navi_session=" not in r.headers.get("set-cookie", "")
    # another account is not locked out
    assert login(client(fresh_app), TOKYO).status_code == 303
    # the attempts are in the database: a second app server on the same database refuses too
    twin = create_app(Settings(database_url=str(engine_of(fresh_app).url), search_db=tmp_path / "twin.db"))
    assert login(client(twin), OSAKA).status_code == 429
    with db(fresh_app) as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt).where(
            col(LoginAttempt.email) == OSAKA, col(LoginAttempt.success).is_(False))) == 5
    # after the window the account can log in again
    with db(fresh_app) as s:
        s.exec(update(LoginAttempt).values(at=C.utcnow() - dt.timedelta(minutes=16)))  # type: ignore[call-overload]
        s.commit()
    assert login(client(fresh_app), OSAKA).status_code == 303


def test_throttled_after_five_failures_from_one_address(fresh_app: FastAPI) -> None:
    ip = "192.0.2.77"
    for i in range(5):
        assert login(client(fresh_app, ip=ip), f"guess{i}@example.jp", "wrong-password-1").status_code == 401
    r = login(client(fresh_app, ip=ip), YOROZU)
    assert r.status_code == 429 and "しばらくログインできません" in r.text
    assert login(client(fresh_app), YOROZU).status_code == 303  # from another address it works


def test_login_form_needs_its_csrf_token(app: FastAPI) -> None:
    c = client(app)
    c.get("/console/login")
    r = c.post("/console/login", data={"email": TOKYO, "password": DEMO_PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text and '<html lang="ja">' in r.text
    r = c.post("/console/login", data={"email": TOKYO, "password": DEMO_PASSWORD, "csrf_token": "x" * 43})
    assert r.status_code == 403
    other = client(app)  # a token from another browser (no matching cookie) is refused
    token = hidden(other.get("/console/login").text)
    r = client(app).post("/console/login", data={"email": TOKYO, "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 403


def test_state_changing_posts_without_the_csrf_token_are_403(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    for url, data in ((f"/console/cases/{case_id}/notes", {"text": "CSRF を試す"}),
                      (f"/console/cases/{case_id}/status", {"to": "closed"}),
                      (f"/console/cases/{case_id}/refer", {"desk_id": "yorozu-tokyo"}),
                      ("/console/cases/new", FORM),
                      ("/console/logout", {})):
        for token in (None, "wrong-token", ""):
            payload = dict(data) if token is None else {**data, "csrf_token": token}
            r = c.post(url, data=payload)
            assert r.status_code == 403, (url, token, r.status_code)
            assert "送信を受け付けられませんでした" in r.text and "CSRF" in r.text
    case = get_case(app, case_id)
    assert case.status == "screened" and case.referred_to_desk_id is None
    with db(app) as s:
        assert not s.scalars(select(CaseNote).where(col(CaseNote.case_id) == case_id)).all()
    assert c.get("/console/cases").status_code == 200  # still logged in


def test_logout_ends_the_session(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    token = c.cookies.get("navi_session")
    r = post(c, "/console/logout")
    assert r.status_code == 303 and r.headers["location"] == "/console/login?done=logout"
    assert 'navi_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    with db(app) as s:
        assert s.get(LoginSession, hashlib.sha256(token.encode()).hexdigest()) is None
    replay = client(app)
    replay.cookies.set("navi_session", token, domain="testserver", path="/console")
    r = replay.get("/console/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert login(client(app), TOKYO).status_code == 303  # logging in again works


def test_a_new_login_replaces_the_session_and_expired_sessions_are_refused(app: FastAPI) -> None:
    c = logged_in(app, YOROZU)
    first = c.cookies.get("navi_session")
    assert c.get("/console/login").headers["location"] == "/console/cases"  # logged in already
    form = client(app)  # a login form in a browser that holds a session (e.g. a planted one)
    token = hidden(form.get("/console/login").text)
    r = form.post("/console/login", data={"email": YOROZU, "password": DEMO_PASSWORD, "csrf_token": token},
                  headers={"cookie": f"navi_session={first}; navi_login_csrf={form.cookies.get('navi_login_csrf')}"})
    assert r.status_code == 303
    c.cookies.clear()
    c.cookies.update(form.cookies)
    second = c.cookies.get("navi_session")
    assert first != second
    with db(app) as s:
        assert s.get(LoginSession, hashlib.sha256(first.encode()).hexdigest()) is None
        row = s.get(LoginSession, hashlib.sha256(second.encode()).hexdigest())
        assert row is not None
        row.expires_at = C.utcnow() - dt.timedelta(seconds=1)
        s.add(row)
        s.commit()
    r = c.get("/console/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


def test_pages_need_a_login_and_next_is_kept_without_open_redirects(app: FastAPI) -> None:
    c = client(app)
    some = str(uuid.uuid4())
    for path in ("/console/cases", "/console/cases/new", f"/console/cases/{some}", "/console/audit",
                 "/console/password", "/console/cases.csv"):
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login"), path
    r = c.post(f"/console/cases/{some}/notes", data={"text": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    r = c.get(f"/console/cases/{some}")
    assert r.headers["location"] == f"/console/login?next=%2Fconsole%2Fcases%2F{some}"
    page = c.get(r.headers["location"])
    assert hidden(page.text, "next") == f"/console/cases/{some}"
    for evil in ("//evil.example/", "https://evil.example/console/", "/console/..\\x"):
        page = c.get("/console/login", params={"next": evil})
        assert hidden(page.text, "next") == "/console/cases"
    assert c.get("/console").headers["location"] == "/console/cases"


def test_console_responses_carry_security_headers(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    for r in (c.get("/console/cases"), client(app).get("/console/login")):
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert "script-src 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in r.text and "style=" not in r.text
    # the public pages get the app-wide headers (app/web/security.py), with their own, less strict script-src
    public = client(app).get("/").headers
    assert public["x-frame-options"] == "DENY" and "script-src 'self'" in public["content-security-policy"]


def test_password_change(fresh_app: FastAPI) -> None:
    app = fresh_app
    c = logged_in(app, OSAKA)
    other = logged_in(app, OSAKA)  # the same person on another PC
    token = csrf(c)
    r = post(c, "/console/password", {"current_password": "not-my-password", "new_password": "new-password-2026",
                                      "new_password_confirm": "new-password-2026"}, token)
    assert r.status_code == 422 and "いまのパスワードが正しくありません" in r.text
    r = post(c, "/console/password", {"current_password": DEMO_PASSWORD, "new_password": "short",
                                      "new_password_confirm": "short"}, token)
    assert r.status_code == 422 and "10文字以上" in r.text
    r = post(c, "/console/password", {"current_password": DEMO_PASSWORD, "new_password": "new-password-2026",
                                      "new_password_confirm": "new-password-2027"}, token)
    assert r.status_code == 422 and "一致しません" in r.text
    old_cookie = c.cookies.get("navi_session")
    r = post(c, "/console/password", {"current_password": DEMO_PASSWORD, "new_password": "new-password-2026",
                                      "new_password_confirm": "new-password-2026"}, token)
    assert r.status_code == 303 and r.headers["location"] == "/console/cases?done=password"
    assert c.cookies.get("navi_session") != old_cookie  # a new session
    assert "パスワードを変更しました" in c.get("/console/cases?done=password").text
    assert other.get("/console/cases").status_code == 303  # the other PC is logged out
    assert login(client(app), OSAKA).status_code == 401  # the old password no longer works
    assert login(client(app), OSAKA, "new-password-2026").status_code == 303
    assert audit_rows(app, user_id=user_id(app, OSAKA), action="password_change")
    with db(app) as s:
        u = s.scalar(select(User).where(col(User.email) == OSAKA))
        assert u is not None and u.password_hash.startswith("$argon2id$") and u.password_changed_at is not None


# ------------------------------------------------------------------ cases


def test_new_case_is_normalised_like_the_questionnaire_and_screened(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    form = c.get("/console/cases/new")
    assert form.status_code == 200 and "会社名・屋号（必須）" in form.text and "相談員が確認する項目" in form.text
    case_id = new_case(c)
    case = get_case(app, case_id)
    assert uuid.UUID(case_id).version == 4
    assert case.desk_id == "inpit-tokyo" and case.status == "screened" and case.created_by == user_id(app, TOKYO)
    assert case.contact_email == "taro@example.co.jp" and case.contact_phone == "03-1234-5678"
    assert case.as_of == dt.date(2025, 10, 1) and case.prefecture == "東京都"
    p = case.profile
    assert p["employees"] == 25 and p["capital_yen"] == 30_000_000 and p["established_on"] == "2012-06-01"
    assert p["avg_taxable_income_yen"] == 12_000_000 and p["company_name"] == "株式会社テスト精工"
    assert p["foreign_filings"] == [{"right": "patent", "already_filed": False, "cost_yen": 3_500_000}]
    assert p["large_company_shareholding"] == {"largest": 0.0, "combined": 0.0}
    page = c.get(f"/console/cases/{case_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "株式会社テスト精工" in text and "判定済み" in text
    assert "INPIT外国出願補助金" in text and "補助見込み 150万円" in text
    assert "判定の根拠をすべて見る" in page.text and 'class="trace"' in page.text  # the full rule trace
    # A program that needs more answers links to the case's edit form, not to the applicant's questionnaire.
    assert f'<a href="/console/cases/{case_id}/edit">相談者の情報を編集して回答を追加する</a>' in page.text
    assert "質問票に戻って回答する" not in page.text
    with db(app) as s:
        events = s.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case_id)).all()
        assert [(e.kind, e.from_status, e.to_status) for e in events] == [("created", None, "new"),
                                                                           ("status", "new", "screened")]
    assert [a.action for a in audit_rows(app, case_id=case_id)][:2] == ["create", "view"]


def test_new_case_form_errors_are_shown_next_to_the_fields(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    with db(app) as s:
        before = s.scalar(select(func.count()).select_from(Case))
    r = post(c, "/console/cases/new", {**FORM, "case_company_name": " ", "employees": "二十五", "case_as_of": "2025-13-01",
                                       "case_contact_email": "not-an-email"})
    assert r.status_code == 422
    assert "入力内容を確認してください（4件）" in r.text
    assert "会社名・屋号を入力してください" in r.text and "メールアドレスの形式が正しくありません" in r.text
    assert 'aria-invalid="true"' in r.text and 'value="二十五"' in r.text  # what was typed is kept
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == before


def test_profile_edit_records_a_revision_and_shows_the_history(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    form = c.get(f"/console/cases/{case_id}/edit")
    assert form.status_code == 200
    assert 'value="25"' in form.text and 'value="30,000,000"' in form.text  # the stored profile, for editing
    data = {**FORM, "employees": "30", "case_contact_phone": "03-9999-0000", "vc_backed": "yes"}
    r = post(c, f"/console/cases/{case_id}/edit", data)
    assert r.status_code == 303 and r.headers["location"] == f"/console/cases/{case_id}?done=saved"
    with db(app) as s:
        [rev] = s.scalars(select(CaseRevision).where(col(CaseRevision.case_id) == case_id)).all()
    assert rev.user_id == user_id(app, TOKYO) and rev.at is not None
    assert rev.changed_fields == ["employees", "vc_backed", "case.contact_phone"]
    assert rev.profile_before["employees"] == 25 and rev.profile_after["employees"] == 30
    assert "vc_backed" not in rev.profile_before and rev.profile_after["vc_backed"] is True
    assert rev.case_before["contact_phone"] == "03-1234-5678" and rev.case_after["contact_phone"] == "03-9999-0000"
    case = get_case(app, case_id)
    assert case.profile["employees"] == 30 and case.contact_phone == "03-9999-0000"
    page = text_of(c.get(f"/console/cases/{case_id}").text)
    assert "プロフィールの変更" in page and "東京 太郎" in page and "3項目" in page
    assert "常時使用する従業員の数" in page and "25 30" in page
    # saving without a change records nothing
    r = post(c, f"/console/cases/{case_id}/edit", data)
    assert r.headers["location"].endswith("?done=unchanged")
    with db(app) as s:
        assert len(s.scalars(select(CaseRevision).where(col(CaseRevision.case_id) == case_id)).all()) == 1
    updates = audit_rows(app, case_id=case_id, action="update")
    assert updates and updates[-1].detail["changed_fields"] == rev.changed_fields


def test_rescreen_on_another_date_stores_a_screening_and_shows_what_changed(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c, case_as_of="2024-06-01")
    first = get_case(app, case_id).latest_screening_id
    r = post(c, f"/console/cases/{case_id}/rescreen", {"as_of": "令和7年10月1日"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=rescreened#changes")
    case = get_case(app, case_id)
    assert case.latest_screening_id != first and case.as_of == dt.date(2025, 10, 1)
    stored = app.state.store.get_screening(case.latest_screening_id)  # type: ignore[attr-defined]
    assert stored is not None and stored.case_id == case_id and stored.as_of == dt.date(2025, 10, 1)
    page = c.get(f"/console/cases/{case_id}?done=rescreened")
    text = text_of(page.text)
    assert "再判定しました" in text and "前回の判定との違い" in text
    row = re.search(r"<tr>\s*<th scope=\"row\">INPIT外国出願補助金</th>(.*?)</tr>", page.text, re.S)
    assert row, "the diff lists the program that came into force"
    assert "（対象期間外） → 対象" in text_of(row.group(1)) and "— → 150万円" in text_of(row.group(1))
    with db(app) as s:
        ev = s.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case_id, col(CaseEvent.kind) == "rescreen")).one()
    assert ev.detail["previous_screening_id"] == first and ev.detail["as_of"] == "2025-10-01"
    assert {"program_id": "inpit_foreign_filing_subsidy", "status_before": None, "status_after": "eligible",
            "amount_before": None, "amount_after": 1_500_000} in ev.detail["changes"]
    # the same date again: nothing changed
    post(c, f"/console/cases/{case_id}/rescreen", {"as_of": "2025-10-01"})
    assert "判定の結果（対象・要確認・対象外と補助見込み額）は変わりませんでした" in c.get(f"/console/cases/{case_id}").text
    r = post(c, f"/console/cases/{case_id}/rescreen", {"as_of": "きのう"})
    assert r.status_code == 422 and "この操作はできません" in r.text


def test_workflow_allows_only_its_transitions(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    token = csrf(c)

    def move(to: str, **extra: str) -> Any:
        return post(c, f"/console/cases/{case_id}/status", {"to": to, **extra}, token)

    for bad in ("applied", "adopted", "not_adopted", "new", "screened", "bogus"):
        r = move(bad)
        assert r.status_code == 409, bad
        assert "この操作はできません" in r.text
    r = move("referred")  # a referral to a program needs the program
    assert r.status_code == 409 and "紹介する制度を選んでください" in r.text
    assert move("referred", program_id="no_such_program").status_code == 409
    assert get_case(app, case_id).status == "screened"
    assert move("referred", program_id="inpit_foreign_filing_subsidy", note="公募要領を渡した").status_code == 303
    assert move("adopted").status_code == 409
    assert move("applied", program_id="inpit_foreign_filing_subsidy").status_code == 303
    assert move("referred", program_id="ipas").status_code == 409
    assert move("adopted", program_id="inpit_foreign_filing_subsidy").status_code == 303
    assert move("not_adopted").status_code == 409
    assert move("closed").status_code == 303
    for target in ("new", "screened", "referred", "applied", "adopted", "closed"):
        assert move(target, program_id="ipas").status_code == 409
    assert get_case(app, case_id).status == "closed"
    with db(app) as s:
        events = s.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case_id)
                           .order_by(col(CaseEvent.at))).all()
        outcomes = s.scalars(select(CaseOutcome).where(col(CaseOutcome.case_id) == case_id)
                             .order_by(col(CaseOutcome.at))).all()
    assert [(e.from_status, e.to_status) for e in events if e.kind in ("status", "refer_program")] == [
        ("new", "screened"), ("screened", "referred"), ("referred", "applied"), ("applied", "adopted"),
        ("adopted", "closed")]
    assert [(o.program_id, o.outcome) for o in outcomes] == [("inpit_foreign_filing_subsidy", "referred"),
                                                             ("inpit_foreign_filing_subsidy", "applied"),
                                                             ("inpit_foreign_filing_subsidy", "adopted")]
    page = text_of(c.get(f"/console/cases/{case_id}").text)
    assert "この案件は終了しています" in page and "公募要領を渡した" in page
    assert "他の窓口に紹介できるのは" in page  # a closed case cannot be handed on


def test_notes_and_outcomes(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    token = csrf(c)
    assert post(c, f"/console/cases/{case_id}/notes", {"text": "初回面談。\n見積りを依頼。"}, token).status_code == 303
    assert post(c, f"/console/cases/{case_id}/notes", {"text": "  "}, token).status_code == 422
    assert post(c, f"/console/cases/{case_id}/notes", {"text": "あ" * 4001}, token).status_code == 422
    r = post(c, f"/console/cases/{case_id}/outcomes", {"program_id": "ipas", "outcome": "not_suitable",
                                                        "note": "創業期ではない"}, token)
    assert r.status_code == 303
    assert post(c, f"/console/cases/{case_id}/outcomes", {"program_id": "ipas", "outcome": "won"}, token).status_code == 422
    page = c.get(f"/console/cases/{case_id}").text
    assert "初回面談。\n見積りを依頼。" in html.unescape(page) and "この制度は合わなかった" in page
    assert [a.action for a in audit_rows(app, case_id=case_id) if a.action in ("note", "outcome")] == ["note", "outcome"]


def test_an_applicants_referral_appears_as_a_new_case_of_that_desk(app: FastAPI) -> None:
    public = client(app)
    profile = {"as_of": "2025-10-01", "applicant_type": "corporation", "prefecture": "東京都", "employees": 3,
               "company_name": "株式会社ひとりテック"}
    sid = public.post("/api/v1/screen", json=profile).json()["screening_id"]
    r = public.post(f"/results/{sid}/refer", data={"desk_id": "inpit-tokyo", "contact_name": "一人 太郎",
                                                   "contact_email": "hitori@example.jp",
                                                   "message": "特許を出すべきか相談したい"})
    assert r.status_code == 303
    c = logged_in(app, TOKYO)
    page = c.get("/console/cases")
    assert "株式会社ひとりテック" in page.text and "新しい案件として追加しました" in page.text
    with db(app) as s:
        [ref] = s.scalars(select(Referral).where(col(Referral.screening_id) == sid)).all()
        [case] = s.scalars(select(Case).where(col(Case.referral_id) == ref.id)).all()
        notes = s.scalars(select(CaseNote).where(col(CaseNote.case_id) == case.id)).all()
    assert ref.status == "in_progress"
    assert case.desk_id == "inpit-tokyo" and case.status == "new" and case.latest_screening_id == sid
    assert case.contact_email == "hitori@example.jp" and [n.text for n in notes] == ["特許を出すべきか相談したい"]
    assert notes[0].user_id is None
    c.get("/console/cases")  # a second view adds nothing
    with db(app) as s:
        assert s.scalar(select(func.count()).select_from(Case).where(col(Case.referral_id) == ref.id)) == 1
    detail = text_of(c.get(f"/console/cases/{case.id}").text)
    assert "相談者が診断結果のページからこの窓口に送った相談です" in detail and "相談者" in detail
    # other desks do not get it
    y = logged_in(app, YOROZU)
    assert "株式会社ひとりテック" not in y.get("/console/cases").text
    assert y.get(f"/console/cases/{case.id}").status_code == 404
    # screening it again moves it on
    assert post(c, f"/console/cases/{case.id}/rescreen", {"as_of": ""}).status_code == 303
    case = get_case(app, case.id)
    assert case.status == "screened" and case.as_of is None


def test_case_list_search_filters_and_pages(app: FastAPI) -> None:
    c = logged_in(app, OSAKA)
    ids = [quick_case(app, OSAKA, f"フィルタ試験{i:02d}株式会社", {"prefecture": "大阪府"}) for i in range(23)]
    overseas = quick_case(app, OSAKA, "海外展開ＡＢＣ株式会社", {
        "prefecture": "京都府", "description": "アジアへ輸出する金型メーカー",
        "foreign_filings": [{"right": "patent", "cost_yen": 3_000_000, "already_filed": False}]})
    page = c.get("/console/cases")
    assert page.status_code == 200
    assert "/console/cases?page=2" in page.text and "1 / 2 ページ" in text_of(page.text)
    page2 = c.get("/console/cases?page=2")
    assert len(re.findall(r'href="/console/cases/[0-9a-f-]{36}"', page2.text)) >= 5
    assert c.get("/console/cases?page=999").status_code == 200  # clamped to the last page

    def shown(query: str) -> set[str]:
        r = c.get("/console/cases?" + query)
        assert r.status_code == 200
        return set(re.findall(r'href="/console/cases/([0-9a-f-]{36})"', r.text))

    assert shown("q=abc") == {overseas}  # 全角 / case-insensitive
    assert shown("q=金型+輸出") == {overseas}  # description, every word
    assert shown("q=%25") == set()  # LIKE wildcards are literal
    assert shown("prefecture=京都府") == {overseas}
    assert overseas in shown("program=inpit_foreign_filing_subsidy")
    assert not shown("program=inpit_foreign_filing_subsidy") & set(ids)
    assert shown("status=adopted") == set()
    assert len(shown("status=screened&prefecture=大阪府")) == 20
    today = dt.datetime.now(C.JST).date()
    assert overseas in shown(f"date_from={today.isoformat()}&date_to={today.isoformat()}")
    assert shown(f"date_to={(today - dt.timedelta(days=1)).isoformat()}") == set()
    r = c.get("/console/cases?date_from=2025-02-30")
    assert r.status_code == 422 and "aria-invalid" in r.text
    assert shown("scope=received") == set()


def test_csv_export_is_excel_ready_and_safe(app: FastAPI) -> None:
    c = logged_in(app, OSAKA)
    danger = quick_case(app, OSAKA, "=HYPERLINK(\"http://evil.example\")", {"prefecture": "大阪府"})
    r = c.get("/console/cases.csv?q=hyperlink")
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"] and ".csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["案件ID", "会社名・屋号", "状態"]
    assert rows[1][0] == danger and rows[1][1] == "'=HYPERLINK(\"http://evil.example\")" and rows[1][2] == "判定済み"
    assert len(rows) == 2
    [row] = audit_rows(app, case_id=danger, action="export")
    assert row.detail["format"] == "csv" and row.detail["filters"] == {"q": "hyperlink"}


def test_audit_page_is_for_desk_admins(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    r = c.get("/console/audit")
    assert r.status_code == 403 and "窓口管理者だけ" in r.text
    assert "/console/audit" not in c.get("/console/cases").text
    admin = logged_in(app, ADMIN)
    page = admin.get("/console/audit")
    assert page.status_code == 200 and "監査ログ" in page.text and "ログイン" in text_of(page.text)


def test_english_pages_and_translations(app: FastAPI) -> None:
    c = logged_in(app, TOKYO)
    case_id = new_case(c)
    r = c.get(f"/console/cases/{case_id}?lang=en")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    text = text_of(r.text)
    assert "Screen again" in text and "Refer to another desk" in text and "Notes" in text
    for ja in ("再判定", "他の窓口に紹介", "メモを保存する", "進み具合"):
        assert ja not in text, ja
    assert c.get("/console/cases").text.count('<html lang="en">') == 1  # remembered (cookie)
    c.get("/console/cases?lang=ja")


def test_console_msgids_have_english_translations() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file

    keywords = {**DEFAULT_KEYWORDS, "tr": None, "N_": None}
    found: list[str] = []
    for f in sorted((ROOT / "templates" / "console").glob("*.html")):
        found += [str(m[1]) for m in extract_from_file("jinja2", f, keywords=keywords,
                                                        options={"extensions": "jinja2.ext.i18n"})]
    found += [str(m[1]) for m in extract_from_file("python", ROOT / "app/console/forms.py", keywords=keywords)]
    assert len(found) > 100
    en = translations("en")
    missing = sorted({m for m in found if en.gettext(m) == m and m != "English"})
    assert missing == []


# ------------------------------------------------------------------ seed and command line


def test_demo_is_seeded_on_start_only_when_enabled(tmp_path: Path) -> None:
    assert Settings(environment="production").seed_demo_on_start is False
    assert Settings(environment="development", seed_demo=None).seed_demo_on_start is True
    assert Settings(environment="production", seed_demo=True).seed_demo_on_start is True
    plain = create_app(Settings(database_url=f"sqlite:///{tmp_path}/plain.db", search_db=tmp_path / "s.db"))
    with db(plain) as s:  # the tests' environment sets NAVI_SEED_DEMO=false
        assert s.scalar(select(func.count()).select_from(DeskRecord)) == 0
    seeded = make_app(f"sqlite:///{tmp_path}/demo.db", tmp_path)
    with db(seeded) as s:
        assert s.scalar(select(func.count()).select_from(DeskRecord)) == 99
        assert {u.email for u in s.scalars(select(User)).all()} == {u.email for u in DEMO_USERS}
        assert s.scalar(select(func.count()).select_from(Case)) == 4
        [yorozu_case] = s.scalars(select(Case).where(col(Case.desk_id) == "yorozu-tokyo")).all()
        assert yorozu_case.referred_to_desk_id == "inpit-tokyo"
    make_app(f"sqlite:///{tmp_path}/demo.db", tmp_path)  # a restart adds nothing
    with db(seeded) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 4
    c = logged_in(seeded, TOKYO)  # the README's demo login works on a fresh database
    text = text_of(c.get("/console/cases").text)
    assert "合同会社みどりフーズ" in text and "株式会社サンプル精機" in text and "株式会社ひかりデザイン" in text


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> int:
    from app.__main__ import main

    monkeypatch.setenv("DATABASE_URL", url)
    return main(list(argv))


def test_cli_create_desk_create_user_and_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    assert _cli(monkeypatch, url, "create-desk", "--id", "cci-sendai", "--kind", "chamber", "--name", "仙台商工会議所",
                "--prefecture", "宮城") == 0
    assert "cci-sendai" in capsys.readouterr().out
    assert _cli(monkeypatch, url, "create-desk", "--id", "cci-sendai", "--kind", "chamber", "--name", "x",
                "--prefecture", "宮城県") == 2
    assert "すでにあります" in capsys.readouterr().err
    assert _cli(monkeypatch, url, "create-desk", "--id", "Bad Id", "--kind", "chamber", "--name", "x",
                "--prefecture", "宮城県") == 2
    assert _cli(monkeypatch, url, "create-user", "--email", "staff@sendai.example.jp", "--name", "仙台 職員",
                "--role", "chamber_staff", "--desk", "cci-sendai", "--password", "short") == 2
    assert "10文字以上" in capsys.readouterr().err
    answers = iter(["a-long-enough-password", "a-long-enough-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert _cli(monkeypatch, url, "create-user", "--email", "Staff@Sendai.example.jp", "--name", "仙台 職員",
                "--role", "chamber_staff", "--desk", "cci-sendai") == 0
    assert "staff@sendai.example.jp" in capsys.readouterr().out
    assert _cli(monkeypatch, url, "create-user", "--email", "staff@sendai.example.jp", "--name", "x",
                "--role", "chamber_staff", "--desk", "cci-sendai", "--password", "another-password") == 2
    assert _cli(monkeypatch, url, "create-user", "--email", "a@example.jp", "--name", "x", "--role", "advisor",
                "--desk", "nowhere", "--password", "another-password") == 2
    assert "create-desk" in capsys.readouterr().err
    assert _cli(monkeypatch, url, "seed-demo") == 0
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and TOKYO in out and "窓口 desks 99" in out
    assert _cli(monkeypatch, url, "seed-demo") == 0
    assert "窓口 desks 0, アカウント users 0, 案件 cases 0" in capsys.readouterr().out
    app = create_app(Settings(database_url=url, search_db=tmp_path / "s.db"))
    assert login(client(app), "staff@sendai.example.jp", "a-long-enough-password").status_code == 303


def test_exported_outcomes_train_the_scorer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from matching.__main__ import main as matching_main

    url = f"sqlite:///{tmp_path}/labels.db"
    app = make_app(url, tmp_path)
    svc = app.state.services  # type: ignore[attr-defined]

    def record(n_pos: int, n_neg: int) -> None:
        for i in range(n_pos + n_neg):
            case_id = quick_case(app, TOKYO, f"学習用{i}株式会社", {
                "employees": 5 + i, "interests": ["overseas"] if i % 2 else ["fee_reduction"],
                "foreign_filings": [{"right": "patent", "cost_yen": 2_000_000 + 10_000 * i, "already_filed": False}]})
            with db(app) as s:
                case = C.get_case(s, "inpit-tokyo", case_id)
                outcome = ("referred", "applied", "adopted")[i % 3] if i < n_pos else "not_suitable"
                program = "inpit_foreign_filing_subsidy" if i % 2 else "fee_reduction"
                C.add_outcome(s, svc, actor(app, TOKYO), case, program, outcome, None)

    def export_and_train(name: str) -> tuple[int, str]:
        labels = tmp_path / f"{name}.jsonl"
        assert _cli(monkeypatch, url, "export-labels", "--output", str(labels)) == 0
        capsys.readouterr()
        code = matching_main(["train", "--labels", str(labels), "--out", str(tmp_path / f"{name}.joblib")])
        return code, capsys.readouterr().err

    record(4, 3)  # plus the demo's outcomes: far too few
    code, err = export_and_train("few")
    assert code == 1 and "ラベルが少なすぎるため学習しません" in err
    lines = [json.loads(x) for x in (tmp_path / "few.jsonl").read_text(encoding="utf-8").splitlines()]
    # the records of matching/records.py (issue 17): shown lists, decisions and stages; no names
    shown = [x for x in lines if x["type"] == "shown"]
    assert {x["type"] for x in lines} == {"shown", "decision", "stage"} and shown
    assert all("company_name" not in x["profile"] and x["profile"]["as_of"] == "2025-10-01" for x in shown)
    assert "学習用" not in (tmp_path / "few.jsonl").read_text(encoding="utf-8")
    record(20, 12)
    code, err = export_and_train("enough")
    assert code == 0, err
    assert (tmp_path / "enough.joblib").is_file()

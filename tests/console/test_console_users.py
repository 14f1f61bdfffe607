"""Desk accounts (/console/users, app/console/users.py): a desk administrator adds an advisor with a temporary
password shown once, reissues a password, disables and enables an account; only for desk administrators, only
the own desk's accounts, every change audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlmodel import col

from app.store.console import LoginSession, User
from tests.support.console import (
    ADMIN,
    CHAMBER,
    OSAKA,
    TOKYO,
    audit_rows,
    client,
    csrf,
    db,
    logged_in,
    login,
    make_app,
    post,
    text_of,
    user_id,
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = make_app(f"sqlite:///{tmp_path}/users.db", tmp_path)
    yield application
    application.state.store.dispose()  # type: ignore[attr-defined]


def issued_password(page: str) -> str:
    marker = 'class="mono secret">'
    assert marker in page, text_of(page)[:1500]
    return page.split(marker, 1)[1].split("<", 1)[0]


def test_only_desk_administrators_see_the_page_and_the_menu(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    page = admin.get("/console/users")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "窓口のアカウント" in text and TOKYO in text and ADMIN in text
    assert OSAKA not in text  # another desk's accounts are not listed
    assert 'href="/console/users"' in admin.get("/console/cases").text
    for email in (TOKYO, CHAMBER):
        c = logged_in(app, email)
        assert c.get("/console/users").status_code == 403
        assert 'href="/console/users"' not in c.get("/console/cases").text
        assert post(c, "/console/users", {"email": "x@example.jp", "display_name": "x", "role": "advisor"}).status_code == 403


def test_add_an_advisor_who_logs_in_with_the_temporary_password(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    r = post(admin, "/console/users", {"email": "  New.Advisor@Example.JP ", "display_name": "新人 相談員",
                                       "role": "advisor"})
    assert r.status_code == 201
    assert "アカウントを追加しました" in text_of(r.text) and "new.advisor@example.jp" in r.text
    password = issued_password(r.text)
    assert len(password) == 16
    with db(app) as s:
        user = s.scalar(select(User).where(col(User.email) == "new.advisor@example.jp"))
        assert user is not None and user.desk_id == "inpit-tokyo" and user.role == "advisor"
        assert password not in user.password_hash  # only the Argon2 hash is stored
    assert login(client(app), "new.advisor@example.jp", password).status_code == 303
    rows = audit_rows(app, user_id=user_id(app, ADMIN), action="create")
    assert any((r.detail or {}).get("account") == "new.advisor@example.jp" for r in rows)
    assert password not in str([r.detail for r in rows])  # never in the audit log
    assert "アカウントを追加しました" not in admin.get("/console/users").text  # shown once


def test_form_errors_are_next_to_the_fields_and_the_values_kept(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    r = post(admin, "/console/users", {"email": "not-an-address", "display_name": "", "role": "chamber_staff"})
    assert r.status_code == 422
    text = text_of(r.text)
    assert "メールアドレスを正しく入力してください" in text and "表示名を100文字以内で入力してください" in text
    assert "役割を選んでください" in text
    assert 'value="not-an-address"' in r.text and 'aria-invalid="true"' in r.text
    dup = post(admin, "/console/users", {"email": TOKYO, "display_name": "二人目", "role": "advisor"})
    assert dup.status_code == 422 and "すでにあります" in text_of(dup.text)
    en = admin.post("/console/users?lang=en", data={"email": "bad", "display_name": "x", "role": "advisor",
                                                    "csrf_token": csrf(admin)})
    assert en.status_code == 422 and "Enter a valid e-mail address" in en.text


def test_reissue_ends_the_sessions_and_the_old_password(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    advisor = logged_in(app, TOKYO)
    r = post(admin, f"/console/users/{user_id(app, TOKYO)}/password")
    assert r.status_code == 200 and "パスワードを再発行しました" in text_of(r.text)
    password = issued_password(r.text)
    assert advisor.get("/console/cases").status_code == 303  # logged out everywhere
    assert login(client(app), TOKYO).status_code == 401
    assert login(client(app), TOKYO, password).status_code == 303
    assert any((r.detail or {}).get("change") == "password_reset"
               for r in audit_rows(app, user_id=user_id(app, ADMIN), action="update"))


def test_disable_and_enable_an_account(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    advisor = logged_in(app, TOKYO)
    target = user_id(app, TOKYO)
    r = post(admin, f"/console/users/{target}/active", {"active": "no"})
    assert r.status_code == 303 and r.headers["location"] == "/console/users?done=disabled"
    assert "アカウントを無効にし" in admin.get(r.headers["location"]).text
    assert advisor.get("/console/cases").status_code == 303
    assert login(client(app), TOKYO).status_code == 401
    with db(app) as s:
        assert not s.scalars(select(LoginSession).where(col(LoginSession.user_id) == target)).all()
    assert post(admin, f"/console/users/{target}/active", {"active": "yes"}).status_code == 303
    assert login(client(app), TOKYO).status_code == 303
    changes = [(r.detail or {}).get("change") for r in audit_rows(app, user_id=user_id(app, ADMIN), action="update")]
    assert changes.count("disabled") == 1 and changes.count("enabled") == 1


def test_no_disabling_oneself_and_no_other_desks_accounts(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    me = user_id(app, ADMIN)
    r = post(admin, f"/console/users/{me}/active", {"active": "no"})
    assert r.status_code == 409 and "自分のアカウントは無効にできません" in text_of(r.text)
    osaka = user_id(app, OSAKA)
    assert post(admin, f"/console/users/{osaka}/password").status_code == 404
    assert post(admin, f"/console/users/{osaka}/active", {"active": "no"}).status_code == 404
    assert login(client(app), OSAKA).status_code == 303  # untouched
    assert post(admin, f"/console/users/{osaka}/password", token="wrong").status_code == 403  # CSRF first

"""A temporary password (account added, or password reissued, by a desk administrator) must be changed before
the console can be used: every console page sends the user to 「パスワード変更」 until they set their own
(issue 16, finding 10); on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.store.console import Case, User
from tests.support.console import (
    ADMIN,
    FORM,
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
from tests.support.pg import postgres_url

NEW = "temp.user@example.jp"


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    urls = iter([f"sqlite:///{tmp_path}/pw.db"]) if request.param == "sqlite" else postgres_url()
    application = make_app(next(urls), tmp_path)
    yield application
    application.state.store.dispose()  # type: ignore[attr-defined]
    for _ in urls:
        pass


def issued_password(page: str) -> str:
    m = re.search(r'class="mono secret">([^<]+)<', page)
    assert m, text_of(page)[:1500]
    return m[1]


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        elif hasattr(r, "original_router"):  # an included router (FastAPI keeps it as one entry)
            yield from _walk(r.original_router.routes, prefix + getattr(r.include_context, "prefix", ""))


def console_get_paths(app: FastAPI) -> list[str]:
    """Every console GET page, with a made-up id where the path has one."""
    return sorted({re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
                   for path, r in _walk(app.routes) if "GET" in r.methods and path.startswith("/console")})


def change(c: TestClient, current: str, new: str, confirm: str | None = None) -> object:
    return c.post("/console/password", data={"current_password": current, "new_password": new,
                                             "new_password_confirm": new if confirm is None else confirm,
                                             "csrf_token": csrf(c)})


def test_a_temporary_password_must_be_changed_before_anything_else(app: FastAPI) -> None:
    admin = logged_in(app, ADMIN)
    r = post(admin, "/console/users", {"email": NEW, "display_name": "仮 太郎", "role": "advisor"})
    assert r.status_code == 201
    temporary = issued_password(r.text)
    with db(app) as s:
        user = s.scalar(select(User).where(col(User.email) == NEW))
        assert user is not None and user.must_change_password

    c = client(app)
    r = login(c, NEW, temporary)
    assert r.status_code == 303 and r.headers["location"] == "/console/password"
    page = c.get("/console/password")
    assert page.status_code == 200 and "仮のパスワードでログインしています" in text_of(page.text)
    assert "You are logged in with a temporary password" in c.get("/console/password?lang=en").text
    c.get("/console/password?lang=ja")  # back to Japanese (the choice is kept in a cookie)
    paths = console_get_paths(app)
    assert "/console/cases" in paths and "/console/batch" in paths and len(paths) > 8
    for path in paths:
        if path in ("/console/password", "/console/login", "/console"):
            continue
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/console/password", (path, r.status_code)
    token = csrf(c)
    r = c.post("/console/cases/new", data={**FORM, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/console/password"
    with db(app) as s:  # nothing was made
        assert s.scalar(select(Case).where(col(Case.company_name) == FORM["case_company_name"])) is None

    # the new password: long enough, not the temporary one, confirmed
    r = change(c, temporary, "short")
    assert r.status_code == 422 and "10文字以上" in text_of(r.text)  # type: ignore[attr-defined]
    r = change(c, temporary, temporary)
    assert r.status_code == 422 and "いまと違うパスワードにしてください" in text_of(r.text)  # type: ignore[attr-defined]
    assert c.get("/console/cases").headers["location"] == "/console/password"
    r = change(c, temporary, "my-own-long-password-42")
    assert r.status_code == 303 and r.headers["location"] == "/console/cases?done=password"  # type: ignore[attr-defined]
    assert c.get("/console/cases").status_code == 200
    with db(app) as s:
        user = s.scalar(select(User).where(col(User.email) == NEW))
        assert user is not None and not user.must_change_password and user.password_changed_at is not None
    [row] = audit_rows(app, user_id=user_id(app, NEW), action="password_change")
    assert row.detail == {"replaced_temporary": True}
    assert any((a.detail or {}).get("temporary_password") for a in audit_rows(app, action="create"))
    assert login(client(app), NEW, "my-own-long-password-42").headers["location"] == "/console/cases"


def test_a_reissued_password_is_temporary_too_and_ordinary_accounts_are_not_asked(app: FastAPI) -> None:
    assert login(client(app), TOKYO).headers["location"] == "/console/cases"  # a demo account: its own password
    admin = logged_in(app, ADMIN)
    r = post(admin, f"/console/users/{user_id(app, TOKYO)}/password")
    assert r.status_code == 200
    temporary = issued_password(r.text)
    c = client(app)
    assert login(c, TOKYO, temporary).headers["location"] == "/console/password"
    assert c.get("/console/cases/00000000-0000-4000-8000-000000000000").headers["location"] == "/console/password"
    r = c.post("/console/logout", data={"csrf_token": csrf(c)})  # logging out stays possible
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")

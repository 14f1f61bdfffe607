"""Console screen: log in, log out, change the password."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col

from app.console import cases as C
from app.console import security as S
from app.console.deps import (
    CSRF_FAILED,
    Checked,
    Form,
    LoggedIn,
    PageError,
    db_session,
    form_text,
)
from app.console.layout import console_lang, console_page, redirect, safe_next
from app.deps import ServicesDep, StoreDep
from app.services import Services
from app.store.console import (
    User,
)
from app.store.db import Store

router = APIRouter(prefix="/console", include_in_schema=False)


# ------------------------------------------------------------------ login, logout, password


@router.get("")
def console_root() -> RedirectResponse:
    return redirect("/console/cases")


def _login_page(request: Request, svc: Services, store: Store, status: int = 200,
                error: tuple[str, str] | None = None, email: str = "",
                next_url: str = "/console/cases") -> HTMLResponse:
    token = S.login_csrf(request)
    lang = console_lang(request)
    response = console_page(request, svc, store, "console/login.html", status=status, login_csrf=token,
                            email=email, next_url=next_url,
                            error=(error[0] if lang == "ja" else error[1]) if error else None)
    S.set_login_csrf_cookie(response, token, S.is_secure(request, svc.settings))
    return response


@router.get("/login")
def login_form(request: Request, svc: ServicesDep, store: StoreDep) -> Response:
    with db_session(store) as db:
        if S.load_session(db, request.cookies.get(S.SESSION_COOKIE)) is not None:
            return redirect("/console/cases")
    return _login_page(request, svc, store, next_url=safe_next(request.query_params.get("next")))


BAD_LOGIN = ("メールアドレスまたはパスワードが正しくありません", "The e-mail address or the password is wrong")
THROTTLED = ("ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからもう一度お試しください。",
             "Too many failed logins. Wait about 15 minutes and try again.")


@router.post("/login")
def login(request: Request, svc: ServicesDep, store: StoreDep, form: Form) -> Response:
    next_url = safe_next(form.get("next"))
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not S.same(sent, request.cookies.get(S.LOGIN_CSRF_COOKIE)):
        raise PageError(403, *CSRF_FAILED, back="/console/login")
    raw_email = form.get("email")
    password = form.get("password")
    email = S.normalize_email(raw_email if isinstance(raw_email, str) else "")
    password = password[:S.PASSWORD_MAX] if isinstance(password, str) else ""
    ip = S.client_ip(request)
    with db_session(store) as db:
        attempt = S.claim_attempt(db, email, ip)
        if attempt is None:
            C.audit(db, C.Actor(None, None, ip), "login_failed", email=email, reason="throttled")
            db.commit()
            return _login_page(request, svc, store, status=429, error=THROTTLED, email=email, next_url=next_url)
        user = db.scalar(select(User).where(col(User.email) == email)) if email else None
        ok, new_hash = S.verify_password(password, user.password_hash if user is not None and user.active else None)
        S.settle_attempt(db, attempt, ok)
        if not ok or user is None:
            actor = C.Actor(user.id if user else None, user.desk_id if user else None, ip)
            C.audit(db, actor, "login_failed", email=email, reason="bad_credentials")
            db.commit()
            return _login_page(request, svc, store, status=401, error=BAD_LOGIN, email=email, next_url=next_url)
        if new_hash:
            user.password_hash = new_hash
            db.add(user)
        S.end_session(db, request.cookies.get(S.SESSION_COOKIE))  # a new session id on every login
        S.purge_expired_sessions(db)
        token, _ = S.create_session(db, user, ip, request.headers.get("user-agent"))
        C.audit(db, C.Actor(user.id, user.desk_id, ip), "login")
        db.commit()
    response = redirect("/console/password" if user.must_change_password else next_url)
    secure = S.is_secure(request, svc.settings)
    S.set_session_cookie(response, token, secure)
    response.delete_cookie(S.LOGIN_CSRF_COOKIE, path=S.COOKIE_PATH, httponly=True, samesite="lax", secure=secure)
    return response


@router.post("/logout")
def logout(request: Request, svc: ServicesDep, store: StoreDep, ctx: Checked) -> Response:
    with db_session(store) as db:
        S.end_session(db, ctx.token)
        C.audit(db, ctx.actor, "logout")
        db.commit()
    response = redirect("/console/login?done=logout")
    S.clear_session_cookie(response, S.is_secure(request, svc.settings))
    return response


@router.get("/password")
def password_form(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    return console_page(request, svc, store, "console/password.html", ctx, errors={}, section="password")


@router.post("/password")
def change_password(request: Request, svc: ServicesDep, store: StoreDep, ctx: Checked, form: Form) -> Response:
    lang = console_lang(request)
    pick: Callable[[tuple[str, str]], str] = (lambda m: m[0]) if lang == "ja" else (lambda m: m[1])
    current_pw = form_text(form, "current_password", S.PASSWORD_MAX)
    new_pw = form.get("new_password")
    new_pw = new_pw if isinstance(new_pw, str) else ""
    confirm = form.get("new_password_confirm")
    errors: dict[str, str] = {}
    with db_session(store) as db:
        attempt = S.claim_attempt(db, ctx.user.email, ctx.ip)
        if attempt is None:
            return console_page(request, svc, store, "console/password.html", ctx, status=429,
                                section="password", errors={"current_password": pick(THROTTLED)})
        user = db.get(User, ctx.user.id)
        assert user is not None
        ok, _ = S.verify_password(current_pw, user.password_hash)
        S.settle_attempt(db, attempt, ok)
        db.commit()
        if not ok:
            errors["current_password"] = pick(("いまのパスワードが正しくありません", "The current password is wrong"))
        problem = S.password_problem(new_pw, user.email)
        if problem:
            errors["new_password"] = pick(problem)
        elif new_pw == current_pw:
            errors["new_password"] = pick(("いまと違うパスワードにしてください", "Choose a password different from the current one"))
        elif confirm != new_pw:
            errors["new_password_confirm"] = pick(("確認のパスワードが一致しません", "The two new passwords differ"))
        if errors:
            return console_page(request, svc, store, "console/password.html", ctx, status=422, errors=errors,
                                section="password")
        user.password_hash = S.hash_password(new_pw)
        user.password_changed_at = dt.datetime.now(dt.UTC)
        temporary, user.must_change_password = user.must_change_password, False
        db.add(user)
        S.end_user_sessions(db, user.id)  # every session, this one included: a new one follows
        token, _ = S.create_session(db, user, ctx.ip, request.headers.get("user-agent"))
        C.audit(db, ctx.actor, "password_change", None, **({"replaced_temporary": True} if temporary else {}))
        db.commit()
    response = redirect("/console/cases?done=password")
    S.set_session_cookie(response, token, S.is_secure(request, svc.settings))
    return response

"""The desk's accounts (/console/users): a desk administrator adds advisors, resets a password, disables an account.

Only a `desk_admin` sees this page, and only the accounts of their own desk (another desk's account is a 404).
A new account and a reset get a random temporary password, shown once on the answer page (never stored in
clear, never e-mailed by the service); the person must change it under 「パスワード変更」: until then every
console page sends them there (`must_change_password`, app/console/deps.py). Disabling or resetting
ends the account's sessions at once. Every change is in the audit log (action create / update, with the
account in the detail). Chamber desks have only chamber_staff accounts (app/console/seed.create_user), made
with `python -m app create-user`.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from app.console import cases as C
from app.console import security as S
from app.console.catalog_review import editor_ids
from app.console.deps import Checked, Form, LoggedIn, PageError, Staff, db_session, form_text
from app.console.layout import console_lang, console_page, redirect
from app.console.seed import SetupError, create_user
from app.deps import ServicesDep, StoreDep
from app.intake.contact import EMAIL_RE
from app.services import Services
from app.store.console import User
from app.store.db import Store

router = APIRouter(prefix="/console", include_in_schema=False)

ADMIN_ONLY = (("このページは窓口管理者だけが見られます", "Only desk administrators can see this page"),
              ("アカウントの追加や無効化は、窓口管理者（desk_admin）のアカウントで行ってください。",
               "Add or disable accounts with a desk administrator account."))
NOT_YOURS = (("アカウントが見つかりません", "Account not found"),
             ("このアカウントはないか、あなたの窓口のものではありません。一覧から選び直してください。",
              "This account does not exist or belongs to another desk. Choose it again from the list."))
SELF = (("自分のアカウントは無効にできません", "You cannot disable your own account"),
        ("ほかの窓口管理者に頼んでください。", "Ask another desk administrator."))
WEB_ROLES = ("advisor", "desk_admin")  # roles a desk administrator may give (chamber desks: the CLI)


def temporary_password() -> str:
    """16 random URL-safe characters (96 bits), which pass `password_problem`.

    >>> len(temporary_password()), S.password_problem(temporary_password()) is None
    (16, True)
    """
    return secrets.token_urlsafe(12)


def _require_admin(ctx: Staff) -> None:
    if not ctx.is_admin:
        raise PageError(403, *ADMIN_ONLY, back="/console/cases", ctx=ctx)


def _staff(db: Session, ctx: Staff) -> list[User]:
    return list(db.scalars(select(User).where(col(User.desk_id) == ctx.desk.id)
                           .order_by(col(User.active).desc(), col(User.email))).all())


def _page(request: Request, svc: Services, store: Store, ctx: Staff, status: int = 200,
          errors: dict[str, str] | None = None, form: dict[str, Any] | None = None,
          issued: dict[str, str] | None = None) -> HTMLResponse:
    with db_session(store) as db:
        staff = _staff(db, ctx)
        editors = editor_ids(db, [u.id for u in staff])
    values = {"email": "", "display_name": "", "role": "advisor", **(form or {})}
    return console_page(request, svc, store, "console/users.html", ctx, status=status, staff=staff,
                        errors=errors or {}, form=values, roles=WEB_ROLES, issued=issued, section="users",
                        editors=editors)


def _own(db: Session, ctx: Staff, user_id: str) -> User:
    user = db.get(User, user_id[:36])
    if user is None or user.desk_id != ctx.desk.id:  # another desk's account does not exist for this one
        raise PageError(404, *NOT_YOURS, back="/console/users", ctx=ctx)
    return user


@router.get("/users")
def users_page(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    _require_admin(ctx)
    return _page(request, svc, store, ctx)


@router.post("/users")
def add_user(request: Request, svc: ServicesDep, store: StoreDep, ctx: Checked, form: Form) -> Response:
    _require_admin(ctx)
    lang = console_lang(request)
    pick = 0 if lang == "ja" else 1
    values = {"email": S.normalize_email(form_text(form, "email", 254)), "display_name": form_text(form, "display_name", 100),
              "role": form_text(form, "role", 16)}
    errors: dict[str, str] = {}
    if not EMAIL_RE.match(values["email"]):
        errors["email"] = ("メールアドレスを正しく入力してください（例: taro@example.jp）",
                           "Enter a valid e-mail address (e.g. taro@example.jp)")[pick]
    if not values["display_name"] or len(values["display_name"]) > 100:
        errors["display_name"] = ("表示名を100文字以内で入力してください", "Give a display name (at most 100 characters)")[pick]
    if values["role"] not in WEB_ROLES:
        errors["role"] = ("役割を選んでください", "Choose a role")[pick]
    password = temporary_password()
    with db_session(store) as db:
        if not errors:
            try:
                user = create_user(db, values["email"], values["display_name"], values["role"], ctx.desk.id, password)
            except SetupError as e:  # a duplicate address (the rest was checked above)
                errors["email"] = e.ja if lang == "ja" else e.en
            else:
                user.must_change_password = True  # a temporary password: changed at the first login
                db.add(user)
                C.audit(db, ctx.actor, "create", None, account=user.email, role=user.role, temporary_password=True)
                db.commit()
                return _page(request, svc, store, ctx, status=201,
                             issued={"email": user.email, "password": password, "kind": "created"})
    return _page(request, svc, store, ctx, status=422, errors=errors, form=values)


@router.post("/users/{user_id}/password")
def reset_password(request: Request, svc: ServicesDep, store: StoreDep, user_id: str, ctx: Checked) -> Response:
    _require_admin(ctx)
    password = temporary_password()
    with db_session(store) as db:
        user = _own(db, ctx, user_id)
        user.password_hash = S.hash_password(password)
        user.password_changed_at = None  # a temporary password: not changed by its owner yet
        user.must_change_password = True
        db.add(user)
        S.end_user_sessions(db, user.id)
        C.audit(db, ctx.actor, "update", None, account=user.email, change="password_reset")
        db.commit()
    if user.id == ctx.user.id:  # one's own sessions ended too: log in again with the new password
        return redirect("/console/login")
    return _page(request, svc, store, ctx, issued={"email": user.email, "password": password, "kind": "reset"})


@router.post("/users/{user_id}/active")
def set_active(request: Request, store: StoreDep, user_id: str, ctx: Checked, form: Form) -> Response:
    _require_admin(ctx)
    active = form.get("active") == "yes"
    with db_session(store) as db:
        user = _own(db, ctx, user_id)
        if user.id == ctx.user.id and not active:
            raise PageError(409, *SELF, back="/console/users", ctx=ctx)
        if user.active != active:
            user.active = active
            db.add(user)
            if not active:
                S.end_user_sessions(db, user.id)
            C.audit(db, ctx.actor, "update", None, account=user.email, change="enabled" if active else "disabled")
            db.commit()
    return redirect("/console/users?done=" + ("enabled" if active else "disabled"))

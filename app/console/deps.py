"""The console's request dependencies: the logged-in user (`LoggedIn`), CSRF-checked POSTs (`Checked`), the form.

Also the console's error exceptions. The dependencies get the store through `app.deps.StoreDep` as the routes
do; routes declare `svc: ServicesDep`, `store: StoreDep` themselves and open sessions with `db_session(store)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from app.console import cases as C
from app.console import security as S
from app.deps import StoreDep
from app.store.console import (
    DeskRecord,
    LoginSession,
    User,
)
from app.store.db import Store

# ------------------------------------------------------------------ errors and the request's user


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""

    def __init__(self, next_url: str = "/console/cases"):
        self.next_url = next_url


class PasswordChangeRequired(Exception):
    """The user logged in with a temporary password: the browser is sent to 「パスワード変更」."""


# Where a user with a temporary password may go (every other console page sends them to the first).
PASSWORD_CHANGE_PATHS = ("/console/password", "/console/logout")


class PageError(Exception):
    """A Japanese (or English) error page with a status: 403, 404, 409, 422, 429."""

    def __init__(self, status: int, title: tuple[str, str], message: tuple[str, str],
                 back: str | None = None, ctx: Staff | None = None):
        self.status, self.title, self.message, self.back, self.ctx = status, title, message, back, ctx
        super().__init__(message[1])


NOT_FOUND = (("案件が見つかりません", "Case not found"),
             ("この案件はないか、あなたの窓口では見られません。一覧から選び直してください。",
              "This case does not exist or is not visible to your desk. Choose it again from the list."))
CSRF_FAILED = (("送信を受け付けられませんでした", "The form could not be accepted"),
               ("フォームの有効期限が切れたか、正しくない送信です（CSRF の確認に失敗しました）。"
                "ページを読み込み直してから、もう一度操作してください。",
                "The form has expired or was not sent from this site (CSRF check failed). "
                "Reload the page and try again."))


def not_found(ctx: Staff | None = None) -> PageError:
    return PageError(404, *NOT_FOUND, back="/console/cases", ctx=ctx)


@dataclass
class Staff:
    user: User
    login: LoginSession
    desk: DeskRecord
    token: str
    ip: str

    @property
    def actor(self) -> C.Actor:
        return C.Actor(self.user.id, self.user.desk_id, self.ip)

    @property
    def is_admin(self) -> bool:
        return self.user.role == "desk_admin"


def db_session(store: Store) -> Session:
    """A session of the store's database whose objects stay readable after the commit."""
    return Session(store.engine, expire_on_commit=False)


def current(request: Request, store: StoreDep) -> Staff:
    """The logged-in user of this request (LoginRequired otherwise)."""
    token = request.cookies.get(S.SESSION_COOKIE)
    with db_session(store) as db:
        loaded = S.load_session(db, token)
        desk = db.get(DeskRecord, loaded[1].desk_id) if loaded else None
        if loaded is None or desk is None or token is None:
            path = request.url.path if request.method == "GET" else "/console/cases"
            raise LoginRequired(path)
        db.expunge_all()
    if loaded[1].must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return Staff(user=loaded[1], login=loaded[0], desk=desk, token=token, ip=S.client_ip(request))


async def form_data(request: Request) -> FormData:
    return await request.form()


LoggedIn = Annotated[Staff, Depends(current)]
Form = Annotated[FormData, Depends(form_data)]


def checked(ctx: LoggedIn, form: Form) -> Staff:
    """The user of a state-changing POST whose `csrf_token` matches the session's (403 otherwise)."""
    token = form.get("csrf_token")
    if not isinstance(token, str) or not S.same(token, ctx.login.csrf_token):
        raise PageError(403, *CSRF_FAILED, back="/console/cases", ctx=ctx)
    return ctx


Checked = Annotated[Staff, Depends(checked)]


def form_text(form: FormData, name: str, limit: int = 10_000) -> str:
    v = form.get(name)
    return v.strip().replace("\r\n", "\n")[:limit + 1] if isinstance(v, str) else ""

"""The advisor console's pages (server-rendered, no JavaScript needed; Japanese first, English via ?lang=en).

    GET  /console                          → /console/cases
    GET  /console/login   POST /console/login      log in (CSRF: double-submit cookie; throttled: 429)
    POST /console/logout                            log out (the session row is deleted)
    GET  /console/password POST /console/password   change the password (current one required)
    GET  /console/cases                     the desk's cases: search, filters, pages; applicants' referrals
                                            to the desk become new cases here on first view
    GET  /console/cases.csv                 the same list as CSV (UTF-8 with BOM for Excel)
    GET  /console/cases/new POST …/new      a new case from the form (the questionnaire's normalisation)
    GET  /console/cases/{id}                the case: facts, latest screening with every rule, what changed at
                                            the last screening, workflow, referrals, outcomes, notes, history
    GET  /console/cases/{id}/edit POST …    edit the profile (a revision; screened again)
    POST /console/cases/{id}/rescreen       「再判定」 (optionally on another 基準日)
    POST /console/cases/{id}/status         move along the workflow (refer to a program, applied, …)
    POST /console/cases/{id}/refer          hand the case to another desk
    POST /console/cases/{id}/notes          add a note
    POST /console/cases/{id}/outcomes       record a program's outcome (training labels of the scorer)
    GET  /console/audit                     the audit log of the desk (desk admins only)
    …    /console/batch…                    batch screening of a member list (chamber staff, desk admins):
                                            see `app.console.batch`

Security: see `app.console.security`. Every POST carries the session's `csrf_token` (403 otherwise); a case
of another desk is a 404 on every route (`app.console.cases.get_case`); every view, change, referral and
export of a case writes an `audit_event`. Responses under /console are `no-store`, cannot be framed and
carry a strict Content-Security-Policy (pages use no script and no inline style).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from starlette.datastructures import FormData, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.console import cases as C
from app.console import security as S
from app.console.forms import case_raw, form_view, parse_case_form, raw_from_profile, read_case_form
from app.console.seed import seed_if_empty
from app.console.workflow import (
    ACTION_LABELS,
    ACTION_NAMES,
    DESK_KIND_LABELS,
    EVENT_LABELS,
    HANDOFF_FROM,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    label,
    next_statuses,
)
from app.intake.normalize import NormalizeError, parse_date
from app.pages.results import _load_sync, build_view, fmt_date, fmt_datetime
from app.services import Services
from app.store.batch_jobs import BATCH_ROLES
from app.store.console import (
    OUTCOMES,
    STATUSES,
    AuditEvent,
    Case,
    CaseEvent,
    CaseNote,
    CaseOutcome,
    CaseRevision,
    DeskRecord,
    LoginSession,
    User,
)
from app.store.db import Store
from app.web.i18n import environment
from app.web.language import chosen_lang, page_lang, remember_lang
from eligibility.facts import PREFECTURES, enum_label, field_label
from eligibility.money import yen
from eligibility.profile import ProfileError

router = APIRouter(prefix="/console", include_in_schema=False)

AUDIT_PAGE = 50
NOTE_MAX = 4000
OUTCOME_NOTE_MAX = 1000
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": ("default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
}
FLASH: dict[str, tuple[str, str]] = {
    "logout": ("ログアウトしました", "You are logged out"),
    "password": ("パスワードを変更しました。ほかの端末のログインは終了しました", "Password changed; other sessions were ended"),
    "created": ("案件を作成し、判定しました", "Case created and screened"),
    "saved": ("プロフィールを保存し、判定し直しました", "Profile saved and screened again"),
    "unchanged": ("変更はありませんでした", "Nothing was changed"),
    "rescreened": ("再判定しました", "Screened again"),
    "status": ("状態を変更しました", "Status changed"),
    "referred": ("他の窓口に紹介しました", "Referred to the other desk"),
    "note": ("メモを追加しました", "Note added"),
    "outcome": ("結果を記録しました", "Outcome recorded"),
    "enabled": ("アカウントを有効にしました", "The account is enabled"),
    "disabled": ("アカウントを無効にし、ログインを終了させました", "The account is disabled and logged out"),
}
RESULT_STATUS: dict[str, tuple[str, str]] = {
    "eligible": ("対象", "Eligible"), "needs_info": ("要確認", "Check needed"), "ineligible": ("対象外", "Not eligible"),
}


# ------------------------------------------------------------------ errors and the request's user


class LoginRequired(Exception):
    """No valid session: the browser is sent to the login page."""

    def __init__(self, next_url: str = "/console/cases"):
        self.next_url = next_url


class PageError(Exception):
    """A Japanese (or English) error page with a status: 403, 404, 409, 422, 429."""

    def __init__(self, status: int, title: tuple[str, str], message: tuple[str, str],
                 back: str | None = None, ctx: Ctx | None = None):
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


def not_found(ctx: Ctx | None = None) -> PageError:
    return PageError(404, *NOT_FOUND, back="/console/cases", ctx=ctx)


@dataclass
class Ctx:
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


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _engine(request: Request) -> Engine:
    return _store(request).engine


def _svc(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _settings(request: Request) -> Settings:
    return _svc(request).settings


def _db(request: Request) -> Session:
    return Session(_engine(request), expire_on_commit=False)


def current(request: Request) -> Ctx:
    """The logged-in user of this request (LoginRequired otherwise)."""
    token = request.cookies.get(S.SESSION_COOKIE)
    with _db(request) as db:
        loaded = S.load_session(db, token)
        desk = db.get(DeskRecord, loaded[1].desk_id) if loaded else None
        if loaded is None or desk is None or token is None:
            path = request.url.path if request.method == "GET" else "/console/cases"
            raise LoginRequired(path)
        db.expunge_all()
    return Ctx(user=loaded[1], login=loaded[0], desk=desk, token=token, ip=S.client_ip(request))


async def form_data(request: Request) -> FormData:
    return await request.form()


LoggedIn = Annotated[Ctx, Depends(current)]
Form = Annotated[FormData, Depends(form_data)]


def checked(ctx: LoggedIn, form: Form) -> Ctx:
    """The user of a state-changing POST whose `csrf_token` matches the session's (403 otherwise)."""
    token = form.get("csrf_token")
    if not isinstance(token, str) or not S.same(token, ctx.login.csrf_token):
        raise PageError(403, *CSRF_FAILED, back="/console/cases", ctx=ctx)
    return ctx


Checked = Annotated[Ctx, Depends(checked)]


def _text(form: FormData, name: str, limit: int = 10_000) -> str:
    v = form.get(name)
    return v.strip().replace("\r\n", "\n")[:limit + 1] if isinstance(v, str) else ""


# ------------------------------------------------------------------ rendering


class Labels:
    """Helpers the templates use for labels, names, dates and amounts in the page's language."""

    def __init__(self, lang: str, svc: Services, desks: dict[str, DeskRecord] | None = None):
        self.lang = lang
        self.svc = svc
        self._desks = desks

    def status(self, s: str | None) -> str:
        return label(STATUS_LABELS, s, self.lang)

    def action_button(self, s: str) -> str:
        return label(ACTION_LABELS, s, self.lang)

    def outcome(self, o: str | None) -> str:
        return label(OUTCOME_LABELS, o, self.lang)

    def role(self, r: str | None) -> str:
        return label(ROLE_LABELS, r, self.lang)

    def desk_kind(self, k: str | None) -> str:
        return label(DESK_KIND_LABELS, k, self.lang)

    def audit_action(self, a: str | None) -> str:
        return label(ACTION_NAMES, a, self.lang)

    def event(self, k: str | None) -> str:
        return label(EVENT_LABELS, k, self.lang)

    def result_status(self, s: str | None) -> str:
        return label(RESULT_STATUS, s, self.lang) if s else ("（対象期間外）" if self.lang == "ja" else "(not in force)")

    def program(self, pid: str | None) -> str:
        p = self.svc.catalog.programs.get(pid or "")
        if p is None:
            return pid or ""
        return p.names.ja if self.lang == "ja" else p.names.en

    def desk(self, desk_id: str | None) -> str:
        if not desk_id:
            return ""
        d = (self._desks or {}).get(desk_id)
        if d is None:
            return desk_id
        return d.name if self.lang == "ja" or not d.name_en else d.name_en

    def field(self, name: str) -> str:
        if name.startswith("case."):
            return {"company_name": field_label("company_name", self.lang),
                    "contact_name": "担当者" if self.lang == "ja" else "Contact person",
                    "contact_email": "メールアドレス" if self.lang == "ja" else "E-mail",
                    "contact_phone": "電話番号" if self.lang == "ja" else "Phone",
                    "as_of": field_label("as_of", self.lang)}.get(name[5:], name)
        return field_label(name, self.lang)

    def value(self, name: str, v: Any) -> str:
        """A profile value for people (revisions' before / after)."""
        ja = self.lang == "ja"
        if v is None:
            return "（未回答）" if ja else "(not answered)"
        if isinstance(v, bool):
            return ("はい" if v else "いいえ") if ja else ("Yes" if v else "No")
        enum = {"applicant_type": "applicant_type", "industry": "industry", "phase": "phase",
                "patent_exam_status": "patent_exam_status", "design_application": "design_application",
                "domestic_applications": "right", "interests": "interests"}.get(name)
        if enum and isinstance(v, str):
            return enum_label(enum, v, self.lang)
        if enum and isinstance(v, list):
            return ("、" if ja else ", ").join(enum_label(enum, str(x), self.lang) for x in v) or ("なし" if ja else "None")
        if isinstance(v, int) and name.endswith("_yen"):
            return yen(v, self.lang)
        if isinstance(v, str | int | float):
            return str(v)
        return json.dumps(v, ensure_ascii=False, sort_keys=True)

    def when(self, value: dt.datetime | None) -> str:
        return fmt_datetime(value, self.lang) if value else ""

    def date(self, value: dt.date | str | None) -> str:
        return fmt_date(value, self.lang) if value else ""

    def yen(self, n: int | None) -> str:
        return yen(n, self.lang) if n is not None else "—"

    def user(self, users: dict[str, User], uid: str | None) -> str:
        if uid is None:
            return "相談者" if self.lang == "ja" else "Applicant"
        u = users.get(uid)
        return u.display_name if u else uid[:8]


def _lang(request: Request) -> str:
    return page_lang(request)


def render(request: Request, template: str, ctx: Ctx | None = None, status: int = 200,
           desks: dict[str, DeskRecord] | None = None, **kw: Any) -> HTMLResponse:
    lang = _lang(request)
    done = request.query_params.get("done")
    flash = label(FLASH, done, lang) if done in FLASH else None
    page = environment(lang).get_template(template).render(
        me=ctx.user if ctx else None, my_desk=ctx.desk if ctx else None, csrf=ctx.login.csrf_token if ctx else "",
        is_admin=bool(ctx and ctx.is_admin), can_batch=bool(ctx and ctx.user.role in BATCH_ROLES),
        L=Labels(lang, _svc(request), desks), flash=flash,
        path=request.url.path, **kw)
    response = HTMLResponse(page, status_code=status)
    if chosen_lang(request):
        remember_lang(response, request, lang)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: Any) -> str:
    """Only a path of the console (no open redirect).

    >>> _safe_next("/console/cases/1"), _safe_next("//evil.example/"), _safe_next("https://x/console/")
    ('/console/cases/1', '/console/cases', '/console/cases')
    """
    if isinstance(value, str) and value.startswith("/console/") and "//" not in value and "\\" not in value \
            and len(value) < 300 and not value.startswith("/console/login"):
        return value
    return "/console/cases"


# ------------------------------------------------------------------ login, logout, password


@router.get("")
def console_root() -> RedirectResponse:
    return redirect("/console/cases")


def _login_page(request: Request, status: int = 200, error: tuple[str, str] | None = None,
                email: str = "", next_url: str = "/console/cases") -> HTMLResponse:
    token = S.login_csrf(request)
    lang = _lang(request)
    response = render(request, "console/login.html", status=status, login_csrf=token, email=email,
                      next_url=next_url, error=(error[0] if lang == "ja" else error[1]) if error else None)
    S.set_login_csrf_cookie(response, token, S.is_secure(request, _settings(request)))
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    with _db(request) as db:
        if S.load_session(db, request.cookies.get(S.SESSION_COOKIE)) is not None:
            return redirect("/console/cases")
    return _login_page(request, next_url=_safe_next(request.query_params.get("next")))


BAD_LOGIN = ("メールアドレスまたはパスワードが正しくありません", "The e-mail address or the password is wrong")
THROTTLED = ("ログインの失敗が続いたため、しばらくログインできません。15分ほど待ってからもう一度お試しください。",
             "Too many failed logins. Wait about 15 minutes and try again.")


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    next_url = _safe_next(form.get("next"))
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not S.same(sent, request.cookies.get(S.LOGIN_CSRF_COOKIE)):
        raise PageError(403, *CSRF_FAILED, back="/console/login")
    raw_email = form.get("email")
    password = form.get("password")
    email = S.normalize_email(raw_email if isinstance(raw_email, str) else "")
    password = password[:S.PASSWORD_MAX] if isinstance(password, str) else ""
    ip = S.client_ip(request)
    with _db(request) as db:
        if S.throttled(db, email, ip):
            C.audit(db, C.Actor(None, None, ip), "login_failed", email=email, reason="throttled")
            db.commit()
            return _login_page(request, status=429, error=THROTTLED, email=email, next_url=next_url)
        user = db.scalar(select(User).where(col(User.email) == email)) if email else None
        ok, new_hash = S.verify_password(password, user.password_hash if user is not None and user.active else None)
        S.record_attempt(db, email, ip, ok)
        if not ok or user is None:
            actor = C.Actor(user.id if user else None, user.desk_id if user else None, ip)
            C.audit(db, actor, "login_failed", email=email, reason="bad_credentials")
            db.commit()
            return _login_page(request, status=401, error=BAD_LOGIN, email=email, next_url=next_url)
        if new_hash:
            user.password_hash = new_hash
            db.add(user)
        S.end_session(db, request.cookies.get(S.SESSION_COOKIE))  # a new session id on every login
        S.purge_expired_sessions(db)
        token, _ = S.create_session(db, user, ip, request.headers.get("user-agent"))
        C.audit(db, C.Actor(user.id, user.desk_id, ip), "login")
        db.commit()
    response = redirect(next_url)
    secure = S.is_secure(request, _settings(request))
    S.set_session_cookie(response, token, secure)
    response.delete_cookie(S.LOGIN_CSRF_COOKIE, path=S.COOKIE_PATH, httponly=True, samesite="lax", secure=secure)
    return response


@router.post("/logout")
def logout(request: Request, ctx: Checked) -> Response:
    with _db(request) as db:
        S.end_session(db, ctx.token)
        C.audit(db, ctx.actor, "logout")
        db.commit()
    response = redirect("/console/login?done=logout")
    S.clear_session_cookie(response, S.is_secure(request, _settings(request)))
    return response


@router.get("/password")
def password_form(request: Request, ctx: LoggedIn) -> HTMLResponse:
    return render(request, "console/password.html", ctx, errors={}, section="password")


@router.post("/password")
def change_password(request: Request, ctx: Checked, form: Form) -> Response:
    lang = _lang(request)
    pick: Callable[[tuple[str, str]], str] = (lambda m: m[0]) if lang == "ja" else (lambda m: m[1])
    current_pw = _text(form, "current_password", S.PASSWORD_MAX)
    new_pw = form.get("new_password")
    new_pw = new_pw if isinstance(new_pw, str) else ""
    confirm = form.get("new_password_confirm")
    errors: dict[str, str] = {}
    with _db(request) as db:
        if S.throttled(db, ctx.user.email, ctx.ip):
            return render(request, "console/password.html", ctx, status=429, section="password",
                          errors={"current_password": pick(THROTTLED)})
        user = db.get(User, ctx.user.id)
        assert user is not None
        ok, _ = S.verify_password(current_pw, user.password_hash)
        if not ok:
            S.record_attempt(db, user.email, ctx.ip, False)
            db.commit()
            errors["current_password"] = pick(("いまのパスワードが正しくありません", "The current password is wrong"))
        problem = S.password_problem(new_pw, user.email)
        if problem:
            errors["new_password"] = pick(problem)
        elif new_pw == current_pw:
            errors["new_password"] = pick(("いまと違うパスワードにしてください", "Choose a password different from the current one"))
        elif confirm != new_pw:
            errors["new_password_confirm"] = pick(("確認のパスワードが一致しません", "The two new passwords differ"))
        if errors:
            return render(request, "console/password.html", ctx, status=422, errors=errors, section="password")
        user.password_hash = S.hash_password(new_pw)
        user.password_changed_at = dt.datetime.now(dt.UTC)
        db.add(user)
        S.end_user_sessions(db, user.id)  # every session, this one included: a new one follows
        token, _ = S.create_session(db, user, ctx.ip, request.headers.get("user-agent"))
        C.audit(db, ctx.actor, "password_change")
        db.commit()
    response = redirect("/console/cases?done=password")
    S.set_session_cookie(response, token, S.is_secure(request, _settings(request)))
    return response


# ------------------------------------------------------------------ the list and the export


def _program_options(svc: Services, lang: str) -> list[tuple[str, str]]:
    progs = sorted(svc.catalog.programs.values(), key=lambda p: p.id)
    return [(p.id, p.names.ja if lang == "ja" else p.names.en) for p in progs]


@router.get("/cases")
def case_list(request: Request, ctx: LoggedIn) -> HTMLResponse:
    svc = _svc(request)
    lang = _lang(request)
    f = C.parse_filters(request.query_params, list(svc.catalog.programs))
    with _db(request) as db:
        imported = C.import_referrals(db, ctx.actor)
        rows, total = C.list_cases(db, ctx.desk.id, f)
        eligible = C.eligible_programs(db, [c.id for c in rows])
        new_count = int(db.scalar(select(func.count()).select_from(Case).where(
            C.visible(ctx.desk.id), col(Case.status) == "new")) or 0)
        C.audit(db, ctx.actor, "view", None, page="list", filters=f.as_detail(), shown=[c.id for c in rows])
        db.commit()
        desks = C.desks_by_id(db)
    pages = max(1, -(-total // C.PAGE_SIZE))
    page_links = {n: "/console/cases?" + urlencode(f.query(n)) for n in range(1, pages + 1)
                  if n in (1, pages) or abs(n - f.page) <= 2}
    flash_imported = imported > 0
    return render(request, "console/cases.html", ctx, desks=desks, rows=rows, total=total, f=f, pages=pages,
                  page_links=page_links, eligible=eligible, statuses=STATUSES, prefectures=PREFECTURES,
                  programs=_program_options(svc, lang), new_count=new_count, imported=imported,
                  flash_imported=flash_imported, errors={k: v[0] if lang == "ja" else v[1] for k, v in f.errors.items()},
                  csv_url="/console/cases.csv" + ("?" + urlencode(f.query()) if f.query() else ""),
                  section="cases")


def _csv_cell(value: Any) -> str:
    """A cell that Excel will not run as a formula (CSV injection).

    >>> _csv_cell("=HYPERLINK()"), _csv_cell("株式会社テスト"), _csv_cell(None)
    ("'=HYPERLINK()", '株式会社テスト', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/cases.csv")
def case_export(request: Request, ctx: LoggedIn) -> Response:
    svc = _svc(request)
    lang = _lang(request)
    f = C.parse_filters(request.query_params, list(svc.catalog.programs))
    with _db(request) as db:
        rows = C.export_cases(db, ctx.desk.id, f)
        eligible = C.eligible_programs(db, [c.id for c in rows])
        desks = C.desks_by_id(db)
        L = Labels(lang, svc, desks)
        export_id = uuid.uuid4().hex
        for c in rows:
            C.audit(db, ctx.actor, "export", c.id, format="csv", export_id=export_id, rows=len(rows),
                    filters=f.as_detail())
        if not rows:
            C.audit(db, ctx.actor, "export", None, format="csv", export_id=export_id, rows=0, filters=f.as_detail())
        db.commit()
    ja = lang == "ja"
    head = (["案件ID", "会社名・屋号", "状態", "都道府県", "担当窓口", "紹介先の窓口", "担当者", "メールアドレス", "電話番号",
             "基準日", "対象の制度", "作成日時", "更新日時"] if ja else
            ["Case ID", "Company", "Status", "Prefecture", "Desk", "Referred to", "Contact", "E-mail", "Phone",
             "Reference date", "Eligible programs", "Created", "Updated"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for c in rows:
        w.writerow([_csv_cell(x) for x in (
            c.id, c.company_name, L.status(c.status), c.prefecture, L.desk(c.desk_id), L.desk(c.referred_to_desk_id),
            c.contact_name, c.contact_email, c.contact_phone, c.as_of.isoformat() if c.as_of else "",
            " / ".join(L.program(p) for p in eligible.get(c.id, [])), L.when(c.created_at), L.when(c.updated_at))])
    stamp = dt.datetime.now(C.JST).strftime("%Y%m%d-%H%M")
    ascii_name, utf8_name = f"cases-{ctx.desk.id}-{stamp}.csv", f"案件一覧_{ctx.desk.id}_{stamp}.csv"
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}"})


# ------------------------------------------------------------------ new case and profile edit


@router.get("/cases/new")
def new_case_form(request: Request, ctx: LoggedIn) -> HTMLResponse:
    lang = _lang(request)
    view = form_view(lang, case_raw({}), {}, {})
    return render(request, "console/case_form.html", ctx, mode="new", action="/console/cases/new", **view,
                  section="new")


@router.post("/cases/new")
def create_case(request: Request, ctx: Checked, form: Form) -> Response:
    lang = _lang(request)
    svc = _svc(request)
    case_in, raw = read_case_form(form)
    parsed = parse_case_form(case_in, raw, {}, svc.screen)
    if parsed.errors:
        view = form_view(lang, case_in, raw, parsed.errors)
        return render(request, "console/case_form.html", ctx, status=422, mode="new", action="/console/cases/new",
                      **view, section="new")
    with _db(request) as db:
        case = C.create_case(db, svc, _store(request), ctx.actor, parsed.values, parsed.profile)
    return redirect(f"/console/cases/{case.id}?done=created")


def _load(db: Session, ctx: Ctx, case_id: str) -> Case:
    try:
        return C.get_case(db, ctx.desk.id, case_id)
    except C.CaseNotFound:
        raise not_found(ctx) from None


@router.get("/cases/{case_id}/edit")
def edit_case_form(request: Request, case_id: str, ctx: LoggedIn) -> HTMLResponse:
    lang = _lang(request)
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        C.audit(db, ctx.actor, "view", case.id, page="edit")
        db.commit()
    view = form_view(lang, case_raw(case.model_dump()), raw_from_profile(case.profile), {})
    return render(request, "console/case_form.html", ctx, mode="edit", case=case,
                  action=f"/console/cases/{case.id}/edit", **view)


@router.post("/cases/{case_id}/edit")
def edit_case(request: Request, case_id: str, ctx: Checked,
              form: Form) -> Response:
    lang = _lang(request)
    svc = _svc(request)
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        case_in, raw = read_case_form(form)
        parsed = parse_case_form(case_in, raw, case.profile, svc.screen)
        if parsed.errors:
            view = form_view(lang, case_in, raw, parsed.errors)
            return render(request, "console/case_form.html", ctx, status=422, mode="edit", case=case,
                          action=f"/console/cases/{case.id}/edit", **view)
        revision = C.update_case(db, svc, _store(request), ctx.actor, case, parsed.values, parsed.profile)
    return redirect(f"/console/cases/{case.id}?done={'saved' if revision else 'unchanged'}")


# ------------------------------------------------------------------ the case page


def _event_view(e: CaseEvent, L: Labels) -> dict[str, Any]:
    d = e.detail or {}
    parts = []
    if e.from_status or e.to_status:
        parts.append(f"{L.status(e.from_status)} → {L.status(e.to_status)}" if e.from_status else L.status(e.to_status))
    if d.get("program_id"):
        parts.append(L.program(d["program_id"]))
    if e.kind == "refer_desk":
        parts.append(f"{L.desk(d.get('from_desk_id'))} → {L.desk(d.get('to_desk_id'))}")
    if e.kind in ("rescreen", "profile") and d.get("as_of"):
        parts.append(f"{field_label('as_of', L.lang)} {L.date(d['as_of'])}")
    return {"at": e.at, "kind": e.kind, "label": L.event(e.kind), "text": "・".join(p for p in parts if p),
            "note": d.get("note"), "changes": d.get("changes") or [], "user_id": e.user_id, "desk_id": e.desk_id}


def case_page(request: Request, ctx: Ctx, case: Case, db: Session, status: int = 200,
              error: str | None = None) -> HTMLResponse:
    lang = _lang(request)
    svc = _svc(request)
    desks = C.desks_by_id(db)
    L = Labels(lang, svc, desks)
    notes = db.scalars(select(CaseNote).where(col(CaseNote.case_id) == case.id)
                       .order_by(col(CaseNote.at).desc())).all()
    revisions = db.scalars(select(CaseRevision).where(col(CaseRevision.case_id) == case.id)
                           .order_by(col(CaseRevision.at).desc())).all()
    events = db.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case.id)
                        .order_by(col(CaseEvent.at).desc())).all()
    outcomes = db.scalars(select(CaseOutcome).where(col(CaseOutcome.case_id) == case.id)
                          .order_by(col(CaseOutcome.at).desc())).all()
    users = C.users_by_id(db, {n.user_id for n in notes} | {r.user_id for r in revisions}
                          | {e.user_id for e in events} | {o.user_id for o in outcomes} | {case.created_by})
    view: dict[str, Any] = {}
    if case.latest_screening_id:
        loaded = _load_sync(_store(request), svc, case.latest_screening_id, lang)
        if loaded is not None:
            view = build_view(loaded, request, None)
            view["questionnaire_url"] = f"/console/cases/{case.id}/edit"
    last_screen = next((e for e in events if e.kind in ("rescreen", "profile")), None)
    programs = [(p["program_id"], p["name"]) for p in view.get("ranked", []) + view.get("ineligible", [])] \
        or _program_options(svc, lang)
    live = [(p["program_id"], p["name"]) for p in view.get("ranked", [])] or programs
    other_desks = sorted((d for d in desks.values() if d.id != ctx.desk.id),
                         key=lambda d: (d.prefecture != (case.prefecture or ctx.desk.prefecture),
                                        PREFECTURES.index(d.prefecture) if d.prefecture in PREFECTURES else 99,
                                        {"inpit_desk": 0, "yorozu": 1}.get(d.kind, 2), d.id))
    return render(
        request, "console/case.html", ctx, status=status, desks=desks, case=case, v=view, notes=notes,
        revisions=revisions, events=[_event_view(e, L) for e in events], outcomes=outcomes, users=users,
        last_screen=_event_view(last_screen, L) if last_screen else None,
        next_statuses=next_statuses(case.status), can_handoff=case.status in HANDOFF_FROM, programs=programs,
        live_programs=live, outcome_kinds=OUTCOMES, other_desks=other_desks, error=error,
        received=case.referred_to_desk_id == ctx.desk.id, label_of=lambda n: field_label(n, lang),
        as_of_value=case.as_of.isoformat() if case.as_of else "", section="cases",
    )


@router.get("/cases/{case_id}")
def show_case(request: Request, case_id: str, ctx: LoggedIn) -> HTMLResponse:
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        C.audit(db, ctx.actor, "view", case.id, page="case")
        db.commit()
        return case_page(request, ctx, case, db)


def _refused(request: Request, ctx: Ctx, case_id: str, err: C.WorkflowError, status: int = 409) -> PageError:
    return PageError(status, ("この操作はできません", "This cannot be done"), (err.ja, err.en),
                     back=f"/console/cases/{case_id}", ctx=ctx)


@router.post("/cases/{case_id}/rescreen")
def rescreen_case(request: Request, case_id: str, ctx: Checked,
                  form: Form) -> Response:
    text = _text(form, "as_of", 100)
    as_of: dt.date | None = None
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        if text:
            try:
                as_of = parse_date(text)
            except NormalizeError as e:
                raise _refused(request, ctx, case.id, C.WorkflowError(e.message_ja, e.message_en), 422) from None
            if not dt.date(2000, 1, 1) <= as_of <= dt.date(2100, 12, 31):
                raise _refused(request, ctx, case.id, C.WorkflowError(
                    "基準日は2000年から2100年の間で入力してください", "Give a reference date between 2000 and 2100"), 422)
        try:
            C.rescreen(db, _svc(request), _store(request), ctx.actor, case, as_of)
        except ProfileError as e:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                "この基準日では判定できません: " + "、".join(x.message_ja for x in e.errors),
                "Cannot screen on this date: " + "; ".join(x.message_en for x in e.errors)), 422) from None
    return redirect(f"/console/cases/{case_id}?done=rescreened#changes")


@router.post("/cases/{case_id}/status")
def change_status(request: Request, case_id: str, ctx: Checked,
                  form: Form) -> Response:
    target = _text(form, "to", 32)
    program_id = _text(form, "program_id", 80) or None
    note = _text(form, "note", OUTCOME_NOTE_MAX)[:OUTCOME_NOTE_MAX] or None
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        try:
            C.transition(db, _svc(request), ctx.actor, case, target, program_id, note)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e) from None
    return redirect(f"/console/cases/{case_id}?done=status")


@router.post("/cases/{case_id}/refer")
def refer_case(request: Request, case_id: str, ctx: Checked,
               form: Form) -> Response:
    desk_id = _text(form, "desk_id", 64)
    message = _text(form, "message", NOTE_MAX)
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        if len(message) > NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"伝言は{NOTE_MAX}文字以内にしてください", f"Keep the message to {NOTE_MAX} characters"), 422)
        try:
            C.handoff(db, ctx.actor, case, desk_id, message or None)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e) from None
        still_visible = C.can_see(db.get(Case, case.id) or case, ctx.desk.id)
    # A desk that passes on a case it received no longer sees it: back to the list then.
    return redirect(f"/console/cases/{case_id}?done=referred" if still_visible else "/console/cases?done=referred")


@router.post("/cases/{case_id}/notes")
def add_note(request: Request, case_id: str, ctx: Checked,
             form: Form) -> Response:
    text = _text(form, "text", NOTE_MAX)
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        if not text or len(text) > NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"メモを1〜{NOTE_MAX}文字で入力してください", f"Write a note of 1 to {NOTE_MAX} characters"), 422)
        C.add_note(db, ctx.actor, case, text)
    return redirect(f"/console/cases/{case_id}?done=note#notes")


@router.post("/cases/{case_id}/outcomes")
def add_outcome(request: Request, case_id: str, ctx: Checked,
                form: Form) -> Response:
    program_id = _text(form, "program_id", 80)
    outcome = _text(form, "outcome", 32)
    note = _text(form, "note", OUTCOME_NOTE_MAX)
    with _db(request) as db:
        case = _load(db, ctx, case_id)
        if len(note) > OUTCOME_NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"補足は{OUTCOME_NOTE_MAX}文字以内にしてください", f"Keep the note to {OUTCOME_NOTE_MAX} characters"), 422)
        try:
            C.add_outcome(db, _svc(request), ctx.actor, case, program_id, outcome, note or None)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e, 422) from None
    return redirect(f"/console/cases/{case_id}?done=outcome#outcomes")


# ------------------------------------------------------------------ the audit log


FORBIDDEN = (("このページは窓口管理者だけが見られます", "Only desk administrators can see this page"),
             ("監査ログは、窓口管理者（desk_admin）のアカウントで開いてください。",
              "Open the audit log with a desk administrator account."))


@router.get("/audit")
def audit_log(request: Request, ctx: LoggedIn) -> HTMLResponse:
    if not ctx.is_admin:
        raise PageError(403, *FORBIDDEN, back="/console/cases", ctx=ctx)
    q = request.query_params
    case_filter = (q.get("case") or "").strip().lower()[:36]
    user_filter = (q.get("user") or "").strip()[:36]
    action_filter = (q.get("action") or "").strip()
    page_text = q.get("page") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
    with _db(request) as db:
        staff = db.scalars(select(User).where(col(User.desk_id) == ctx.desk.id).order_by(col(User.email))).all()
        stmt = select(AuditEvent).where(col(AuditEvent.desk_id) == ctx.desk.id)
        if case_filter:
            stmt = stmt.where(col(AuditEvent.case_id) == case_filter)
        if user_filter and any(u.id == user_filter for u in staff):
            stmt = stmt.where(col(AuditEvent.user_id) == user_filter)
        if action_filter in ACTION_NAMES:
            stmt = stmt.where(col(AuditEvent.action) == action_filter)
        total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        pages = max(1, -(-total // AUDIT_PAGE))
        page = min(page, pages)
        rows = db.scalars(stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                          .offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)).all()
        case_ids = {r.case_id for r in rows if r.case_id}
        names = {c.id: c.company_name for c in db.scalars(select(Case).where(
            col(Case.id).in_(case_ids), C.visible(ctx.desk.id))).all()} if case_ids else {}
        desks = C.desks_by_id(db)
    users = {u.id: u for u in staff}
    base = {k: v for k, v in (("case", case_filter), ("user", user_filter), ("action", action_filter)) if v}
    page_links = {n: "/console/audit?" + urlencode({**base, "page": n}) for n in range(1, pages + 1)
                  if n in (1, pages) or abs(n - page) <= 2}
    return render(request, "console/audit.html", ctx, desks=desks, rows=rows, total=total, page=page,
                  pages=pages, page_links=page_links, staff=staff, users=users, names=names,
                  actions=list(ACTION_NAMES), f={"case": case_filter, "user": user_filter, "action": action_filter},
                  detail=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True)[:300], section="audit")


# ------------------------------------------------------------------ wiring


class ConsoleHeaders:
    """Security headers on every response under /console (pure ASGI, so streaming is untouched)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == "/console" or path.startswith("/console/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    headers[k] = v
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(app: FastAPI, settings: Settings) -> None:
    """Add the console to the app: routes, error pages, security headers; demo data on a fresh database."""
    from app.console.batch import router as batch_router  # imports this module
    from app.console.users import router as users_router  # imports this module

    app.include_router(router)
    app.include_router(batch_router)
    app.include_router(users_router)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        nxt = _safe_next(exc.next_url)
        url = "/console/login" + ("" if nxt == "/console/cases" else "?" + urlencode({"next": nxt}))
        response = redirect(url)
        if request.cookies.get(S.SESSION_COOKIE):  # an expired or unknown session: forget the cookie
            S.clear_session_cookie(response, S.is_secure(request, settings))
        return response

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        lang = _lang(request)
        pick = 0 if lang == "ja" else 1
        return render(request, "console/error.html", exc.ctx, status=exc.status, title=exc.title[pick],
                      message=exc.message[pick], back=exc.back)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageError, page_error)
    app.add_middleware(ConsoleHeaders)
    if settings.seed_demo_on_start:
        seed_if_empty(app.state.store, app.state.services)


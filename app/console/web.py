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
    GET  /console/cases/{id}/ranking POST …   the list as shown and the advisor's picks, skips and stages
                                            (issue 17): see `app.console.ranking_feedback`
    …    /console/catalog…                  review of the jGrants sync's drafts (catalog editors): see
                                            `app.console.catalog_review`
    …    /console/batch…                    batch screening of a member list (chamber staff, desk admins):
                                            see `app.console.batch`

Security: see `app.console.security`. Every POST carries the session's `csrf_token` (403 otherwise); a case
of another desk is a 404 on every route (`app.console.cases.get_case`); every view, change, referral and
export of a case writes an `audit_event`. Responses under /console are `no-store`, cannot be framed and
carry a strict Content-Security-Policy (pages use no script and no inline style).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.console import (
    audit,
    batch,
    case_list,
    case_pages,
    case_prefill,
    catalog_review,
    login,
    ranking_feedback,
    users,
)
from app.console import security as S
from app.console.deps import (
    LoginRequired,
    PageError,
    PasswordChangeRequired,
)
from app.console.layout import console_lang, console_page, redirect, safe_next
from app.services import Services
from app.store.db import Store

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


def install(app: FastAPI, settings: Settings, services: Services, store: Store) -> None:
    """Add the console to the app: routes, error pages, security headers. The error pages are rendered by
    exception handlers, which get no dependencies: they use the app's `services` and `store` given here."""
    for screen in (login, case_list, case_pages, case_prefill, audit, batch, users):  # one router per screen
        app.include_router(screen.router)
    for extra in (catalog_review, ranking_feedback):  # issue 12: catalog review; issue 17: ranking feedback
        app.include_router(extra.router)

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        nxt = safe_next(exc.next_url)
        url = "/console/login" + ("" if nxt == "/console/cases" else "?" + urlencode({"next": nxt}))
        response = redirect(url)
        if request.cookies.get(S.SESSION_COOKIE):  # an expired or unknown session: forget the cookie
            S.clear_session_cookie(response, S.is_secure(request, settings))
        return response

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        lang = console_lang(request)
        pick = 0 if lang == "ja" else 1
        return console_page(request, services, store, "console/error.html", exc.ctx, status=exc.status,
                            title=exc.title[pick], message=exc.message[pick], back=exc.back)

    async def password_change_required(request: Request, exc: Exception) -> Response:
        return redirect("/console/password")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PasswordChangeRequired, password_change_required)
    app.add_exception_handler(PageError, page_error)
    app.add_middleware(ConsoleHeaders)


"""The error policy, in one place: JSON under /api/, an HTML page elsewhere, 503 when the database is down.

`install(app, settings)` registers every handler:
- `BadRequest` (raised by the API) and request validation errors → JSON 4xx with a message per field;
- HTTP errors (404, 405) → a page for a browser outside /api/, JSON otherwise;
- any other exception → a generic 500 (page or JSON), never a traceback;
- the database is unreachable (PostgreSQL stopped or restarting, SQLite locked too long): 503, fast.

The last maps SQLAlchemy's connection-level errors to 503 Service Unavailable with `Retry-After`:
JSON `{"message": …, "errors": []}` for the API (/api/…; Japanese unless Accept-Language asks for English),
a short HTML page in the page's language for everything else. The engine fails fast (app/store/db.py: a 2 s
connect timeout, pre-ping on every checkout), and the next request after the database is back succeeds
without a restart: the pool replaces dead connections on checkout.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.config import Settings
from app.deps import api_lang
from app.web.i18n import environment
from app.web.language import page_lang
from app.web.pdf import PdfBusy
from app.web.security import apply as apply_security_headers
from eligibility.profile import FieldError, make_error

log = logging.getLogger("navi")

RETRY_AFTER_SECONDS = 10
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,  # connection refused or lost, server shutting down or starting, SQLite busy/locked
    InterfaceError,  # the DBAPI connection is closed
    DisconnectionError,
    PoolTimeoutError,  # no pooled connection became free in time
)

API_MESSAGE = {
    "ja": "データベースに接続できないため、いまは処理できません。しばらく待ってから、もう一度お試しください",
    "en": "The database cannot be reached right now; please try again shortly",
}
PAGE_TEXT = {
    "ja": ("一時的にご利用いただけません",
           "データベースに接続できないため、いまはページの表示や保存ができません。"
           "この画面より前に保存された回答と結果は失われていません。1分ほど待ってから、もう一度お試しください。"),
    "en": ("Temporarily unavailable",
           "The database cannot be reached, so this page cannot be shown or saved right now. Answers and results "
           "saved before this page are not lost. Please try again in a minute."),
}


def unavailable_response(request: Request) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.url.path.startswith("/api/"):
        lang = api_lang(request)
        return JSONResponse({"message": API_MESSAGE.get(lang, API_MESSAGE["ja"]), "errors": []},
                            status_code=503, headers=headers)
    lang = page_lang(request)
    title, message = PAGE_TEXT.get(lang, PAGE_TEXT["ja"])
    try:
        body = environment(lang).get_template("unavailable.html").render(title=title, message=message)
    except Exception:  # the page must not fail in turn: a bare page
        log.exception("rendering the 503 page failed")
        body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{html.escape(title)}</title>'
                f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></html>")
    return HTMLResponse(body, status_code=503, headers=headers)


def install_unavailable(app: FastAPI) -> None:
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        text = str(getattr(exc, "orig", None) or exc).strip()
        reason = text.splitlines()[0][:200] if text else ""
        log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path,
                    type(exc).__name__, reason)
        return unavailable_response(request)

    for cls in UNAVAILABLE_ERRORS:
        app.add_exception_handler(cls, database_unavailable)


def error_body(errors: list[FieldError], lang: str, status: int) -> dict[str, Any]:
    head = {
        400: ("リクエストの形式が正しくありません", "The request could not be read"),
        413: ("送信データが大きすぎます（上限 1 MiB）", "The request body is too large (limit 1 MiB)"),
        422: ("入力内容に誤りがあります", "Some fields are invalid"),
        404: ("見つかりません", "Not found"),
        405: ("この方法では利用できません", "Method not allowed"),
    }.get(status, ("リクエストを処理できません", "The request cannot be processed"))
    return {"message": head[0] if lang == "ja" else head[1], "errors": [e.as_dict(lang) for e in errors]}


class BadRequest(Exception):
    """A request the API refuses (4xx) with per-field messages."""

    def __init__(self, status: int, errors: list[FieldError]):
        self.status = status
        self.errors = errors


SERVER_ERROR = {
    "ja": ("サーバーで問題が起きました", "サーバーで問題が起きました。時間をおいてもう一度お試しください"),
    "en": ("Something went wrong", "Something went wrong on our side; please try again later"),
}


def wants_html(request: Request) -> bool:
    """A browser asking for a page (the JSON API always gets JSON)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


PAGE_ERRORS = {
    404: {"ja": ("ページが見つかりません", "このアドレスのページはありません。アドレスに誤りがないか確認してください"),
          "en": ("Page not found", "There is no page at this address; please check it")},
    405: {"ja": ("この操作はできません", "このページではこの操作を受け付けていません"),
          "en": ("Not allowed", "This page does not accept this kind of request")},
    500: SERVER_ERROR,
}


def error_page(request: Request, status: int, headers: Mapping[str, str] | None = None,
               message: str | None = None) -> HTMLResponse:
    """A page in the request's language for an error status (templates/server_error.html)."""
    lang = api_lang(request)
    texts = PAGE_ERRORS.get(status) or PAGE_ERRORS[500]
    title, default = texts.get(lang, texts["ja"])
    message = message or default
    try:
        html = environment(lang).get_template("server_error.html").render(title=title, message=message)
    except Exception:  # the page must not fail in turn: a bare page
        log.exception("rendering the error page failed")
        html = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title><p>{message}</p></html>'
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def server_error_response(request: Request) -> Response:
    if not wants_html(request):
        message = SERVER_ERROR.get(api_lang(request), SERVER_ERROR["ja"])[1]
        return JSONResponse({"message": message, "errors": []}, status_code=500)
    return error_page(request, 500)


def install(app: FastAPI, settings: Settings) -> None:
    """Every error handler of the app (see the module's docstring)."""
    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse(error_body(exc.errors, api_lang(request), exc.status), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for item in exc.errors():
            loc = [str(x) for x in item.get("loc", ()) if x not in ("query", "path", "body")]
            ctx = dict(item.get("ctx") or {})
            errors.append(make_error(".".join(loc), item.get("type", "value_error"), **ctx))
        return JSONResponse(error_body(errors, api_lang(request), 422), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):  # a mistyped address in a browser: a page, not JSON
            return error_page(request, exc.status_code, headers=exc.headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "json_invalid")
        return JSONResponse(error_body([make_error("", code)], api_lang(request), exc.status_code),
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(PdfBusy)
    async def pdf_busy(request: Request, exc: PdfBusy) -> Response:
        """The PDF pool is full (app/web/pdf.py): 503 with Retry-After, the rest of the site unaffected."""
        lang = api_lang(request)
        message = ("PDF の作成が混み合っています。数秒後にもう一度お試しください（印刷用ページは今すぐ使えます）" if lang == "ja"
                   else "Many PDFs are being made; try again in a few seconds (the print page works now)")
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if wants_html(request):
            return error_page(request, 503, headers=headers, message=message)
        return JSONResponse({"message": message, "errors": []}, status_code=503, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        """A generic message, never a traceback: an HTML page for browsers (outside /api/), JSON otherwise.
        Sent by ServerErrorMiddleware, outside SecurityHeaders, so the headers are added here."""
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        response = server_error_response(request)
        apply_security_headers(response.headers, request.scope, settings)
        # The server drops the keep-alive connection after an unhandled error: say so, or the client (or a
        # pooling proxy) sends its next request on a dead connection (issue 16, finding 7).
        response.headers["connection"] = "close"
        return response

    install_unavailable(app)

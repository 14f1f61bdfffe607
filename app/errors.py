"""The database is unreachable (PostgreSQL stopped or restarting, SQLite locked too long): 503, fast.

`install(app)` maps SQLAlchemy's connection-level errors to 503 Service Unavailable with `Retry-After`:
JSON `{"message": …, "errors": []}` for the API (/api/…; Japanese unless Accept-Language asks for English),
a short HTML page in the page's language for everything else. The engine fails fast (app/db.py: a 2 s
connect timeout, pre-ping on every checkout), and the next request after the database is back succeeds
without a restart: the pool replaces dead connections on checkout.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.api.screen import lang_of
from app.web.i18n import environment
from app.web.language import page_lang

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
        lang = lang_of(request)
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


def install(app: FastAPI) -> None:
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        text = str(getattr(exc, "orig", None) or exc).strip()
        reason = text.splitlines()[0][:200] if text else ""
        log.warning("database unavailable on %s %s: %s: %s", request.method, request.url.path,
                    type(exc).__name__, reason)
        return unavailable_response(request)

    for cls in UNAVAILABLE_ERRORS:
        app.add_exception_handler(cls, database_unavailable)

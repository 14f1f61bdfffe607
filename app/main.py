"""The ASGI app (`app.main:app`): wires settings, services, routes and error handling."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import BadRequest, error_body, lang_of, router
from app.api_screenings import remember_request, screening_saver, screening_saver_async
from app.api_screenings import router as screenings_router
from app.companies.views import router as companies_router
from app.config import Settings, get_settings
from app.console.web import install as install_console
from app.db import Store, migrate
from app.search import search_hook
from app.security import SecurityHeaders
from app.security import apply as apply_security_headers
from app.services import Services
from app.unavailable import install as install_unavailable
from app.web_i18n import QueryContext, environment
from app.web_questionnaire import router as questionnaire_router
from app.web_results import router as results_router
from eligibility.profile import errors_from_validation, make_error

log = logging.getLogger("navi")

DESCRIPTION = """
知財支援ナビ — スタートアップ・中小企業が使える知財支援制度（IPAS、VC-IPAS、IPランドスケープ支援、
海外出願補助、侵害対策補助、早期審査、減免、INPIT 相談窓口など）を、根拠・補助見込み額・次の一歩とともに返します。

すべてのメッセージは日本語が既定です。`Accept-Language: en` で英語になります。
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.dispose()

    app = FastAPI(
        title="知財支援ナビ API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        debug=False,  # never a traceback in a response, whatever the environment
        # Production serves no Swagger UI / ReDoc (they load scripts from a CDN); /openapi.json stays.
        docs_url=None if settings.environment == "production" else "/docs",
        redoc_url=None if settings.environment == "production" else "/redoc",
    )
    app.state.services = Services.build(settings)
    app.state.search_programs = search_hook(app.state.services.catalog, settings.search_db)
    migrate(settings.database_url)  # alembic upgrade head (storage issue)
    app.state.store = Store.from_url(settings.database_url)
    app.state.save_screening = screening_saver(app.state.store)
    app.state.save_screening_async = screening_saver_async(app.state.store)
    app.include_router(router, dependencies=[Depends(remember_request)])
    app.include_router(screenings_router)
    app.include_router(companies_router)  # GET /api/v1/companies/{corporate_number}: gBizINFO prefill (issue 13)
    app.include_router(results_router)
    app.include_router(questionnaire_router)
    install_console(app, settings)  # /console: routes, error pages, headers; demo data on a fresh database
    install_unavailable(app)  # database unreachable → 503 with Retry-After (JSON for /api/, else a page)
    app.add_middleware(QueryContext)  # the header's language switch keeps the query (app/web_i18n.py)
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: keeps the console's stricter values
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")

    @app.get("/healthz", summary="稼働確認", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "catalog_version": app.state.services.catalog.version}

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return JSONResponse(error_body(exc.errors, lang_of(request), exc.status), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for item in exc.errors():
            loc = [str(x) for x in item.get("loc", ()) if x not in ("query", "path", "body")]
            ctx = dict(item.get("ctx") or {})
            errors.append(make_error(".".join(loc), item.get("type", "value_error"), **ctx))
        return JSONResponse(error_body(errors, lang_of(request), 422), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):  # a mistyped address in a browser: a page, not JSON
            return error_page(request, exc.status_code, headers=exc.headers)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "json_invalid")
        return JSONResponse(error_body([make_error("", code)], lang_of(request), exc.status_code),
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        """A generic message, never a traceback: an HTML page for browsers (outside /api/), JSON otherwise.
        Sent by ServerErrorMiddleware, outside SecurityHeaders, so the headers are added here."""
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        response = server_error_response(request)
        apply_security_headers(response.headers, request.scope, settings)
        return response

    _ = errors_from_validation  # re-used by the web forms (issue 5)
    return app


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


def error_page(request: Request, status: int, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A page in the request's language for an error status (templates/server_error.html)."""
    lang = lang_of(request)
    texts = PAGE_ERRORS.get(status) or PAGE_ERRORS[500]
    title, message = texts.get(lang, texts["ja"])
    try:
        html = environment(lang).get_template("server_error.html").render(title=title, message=message)
    except Exception:  # the page must not fail in turn: a bare page
        log.exception("rendering the error page failed")
        html = f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{title}</title><p>{message}</p></html>'
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def server_error_response(request: Request) -> Response:
    if not wants_html(request):
        message = SERVER_ERROR.get(lang_of(request), SERVER_ERROR["ja"])[1]
        return JSONResponse({"message": message, "errors": []}, status_code=500)
    return error_page(request, 500)


app = create_app()
# The catalog, engine, scorer and templates live as long as the process: keep them out of the cyclic garbage
# collector's full collections, which otherwise walk ~200,000 objects (~140 ms measured) every few hundred
# screenings, in the middle of a request. Only for the served app (tests build many apps and drop them).
gc.collect()
gc.freeze()

"""The composition root: `create_app(settings)` builds the services, the store and the routes. Importing this
module builds nothing; `app.main:app` is the served app.

What it builds goes on `app.state`, read for requests by app/deps.py only (routes declare `ServicesDep`,
`StoreDep`, …) and, for code that holds the app but serves no request (the worker command, tests), by `parts_of`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.api.screen import router
from app.api.screenings import router as screenings_router
from app.companies.views import router as companies_router
from app.companies.wiring import Companies
from app.config import Settings, get_settings
from app.console.batch import FORM_OVERHEAD as BATCH_FORM_OVERHEAD
from app.console.batch import MAX_BYTES as BATCH_MAX_BYTES
from app.console.batch import TOO_LARGE as BATCH_TOO_LARGE
from app.console.job_runner import Jobs
from app.console.seed import seed_if_empty
from app.console.web import install as install_console
from app.errors import install as install_error_policy
from app.live_catalog import LiveRounds
from app.pages.feeds import router as feeds_router
from app.pages.questionnaire import router as questionnaire_router
from app.pages.results import router as results_router
from app.search import search_hook
from app.services import Services
from app.store.catalogs import store_catalog_version
from app.store.db import Store, migrate
from app.web.guards import Limit, RequestGuards
from app.web.i18n import QueryContext
from app.web.language import LanguageSwitch
from app.web.security import SecurityHeaders

log = logging.getLogger("navi")

DESCRIPTION = """
知財支援ナビ — スタートアップ・中小企業が使える知財支援制度（IPAS、VC-IPAS、IPランドスケープ支援、
海外出願補助、侵害対策補助、早期審査、減免、INPIT 相談窓口など）を、根拠・補助見込み額・次の一歩とともに返します。

すべてのメッセージは日本語が既定です。`Accept-Language: en` で英語になります。
"""


@dataclass(frozen=True)
class Parts:
    """What `create_app` built (the same objects the routes get through app/deps.py)."""

    services: Services
    store: Store
    search: Callable[[str], list[str]] | None
    companies: Companies
    jobs: Jobs


def parts_of(app: FastAPI) -> Parts:
    """The parts of an app made by `create_app`, for code that holds the app but serves no request (the worker
    command, tests)."""
    state = app.state
    return Parts(state.services, state.store, state.search_programs, state.companies, state.jobs)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = jobs.runner()  # batch jobs queued or left by a stopped server are resumed (issue 16)
        yield
        if runner is not None:
            runner.stop()
        store.dispose()

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
    services = app.state.services = Services.build(settings)
    services.scorer.text_model()  # fitted now, not on the first request with a description (the CLI skips it)
    app.state.search_programs = search_hook(services.catalog, settings.search_db)
    migrate(settings.database_url)  # alembic upgrade head (storage issue)
    store = app.state.store = Store.from_url(settings.database_url)
    companies = app.state.companies = Companies(services.settings, store.engine)  # gBizINFO, made on first use
    jobs = app.state.jobs = Jobs(store, services, companies)  # the batch job runner, started on first use
    # The published catalog = YAML + synced jGrants rounds, rebuilt when a sync changes them (issue 12).
    services.live = LiveRounds(store.engine, services.catalog)
    services.live.refresh(services, force=True)
    # Every screening names its catalog version; keep that version so the screening renders as it was made
    # (app/web/stored.py). Whoever publishes another catalog (synced rounds, approved changes) calls this too.
    store_catalog_version(store.engine, services.catalog)
    app.include_router(router)
    app.include_router(screenings_router)
    app.include_router(companies_router)  # GET /api/v1/companies/{corporate_number}: gBizINFO prefill (issue 13)
    app.include_router(results_router)
    app.include_router(feeds_router)  # deadlines.ics and rounds.atom (issue 12 item 6)
    app.include_router(questionnaire_router)
    install_console(app, settings, services, store)  # /console: routes, error pages, headers
    if settings.seed_demo_on_start:  # demo desks, accounts and cases on a fresh database (never in production)
        seed_if_empty(store, services)
    app.add_middleware(QueryContext)  # the header's language switch keeps the query (app/web/i18n.py)
    app.add_middleware(LanguageSwitch)  # a GET with ?lang= sets the navi_lang cookie (app/web/language.py)
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: keeps the console's stricter values
    # Outermost: body size (from Content-Length, before reading), 415 on the JSON API, control characters.
    app.add_middleware(RequestGuards, default_max=settings.max_form_bytes, limits=(
        Limit("/api/", settings.max_body_bytes),
        Limit("/console/batch", BATCH_MAX_BYTES + BATCH_FORM_OVERHEAD, BATCH_TOO_LARGE)))
    if not any(getattr(r, "path", None) == "/static" for r in app.routes):
        app.mount("/static", StaticFiles(directory=Path(__file__).resolve().parent / "static"), name="static")

    @app.get("/healthz", summary="稼働確認", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "catalog_version": services.catalog.version}

    install_error_policy(app, settings)  # app/errors.py: JSON under /api/, a page elsewhere, 503 without a database
    return app

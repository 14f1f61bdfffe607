"""Request dependencies: the one place that reads what `create_app` put on `app.state`.

Routes declare what they need with these `Annotated` aliases (`svc: ServicesDep`, `store: StoreDep`,
`search: SearchDep`, `companies: CompaniesDep`, `jobs: JobsDep`, `lang: ApiLang`); dependencies of their own
(the console's `LoggedIn`) declare them too, and helpers called by routes receive the values as arguments.
No route or helper reads `app.state` (tests/test_route_dependencies.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.companies.wiring import Companies
from app.console.job_runner import Jobs
from app.services import Services
from app.store.db import Store
from app.web.language import page_lang

SearchPrograms = Callable[[str], list[str]]


async def services_of(request: Request) -> Services:
    """The catalog, engine and scorer built at start-up (`app.services.Services`)."""
    svc: Services = request.app.state.services
    return svc


async def store_of(request: Request) -> Store:
    """The screening store (engine, migrations done, group-commit writer)."""
    store: Store = request.app.state.store
    return store


async def search_of(request: Request) -> SearchPrograms | None:
    """The full-text program search (SQLite FTS), or None when its index could not be built."""
    search: SearchPrograms | None = getattr(request.app.state, "search_programs", None)
    return search


async def companies_of(request: Request) -> Companies:
    """gBizINFO: the app's company lookup, made on first use (`Companies.lookup()`)."""
    companies: Companies = request.app.state.companies
    return companies


async def jobs_of(request: Request) -> Jobs:
    """The app server's batch job runner (`Jobs.runner()`: started on first use, None without worker threads)."""
    jobs: Jobs = request.app.state.jobs
    return jobs


def api_lang(request: Request) -> str:
    """The language of a JSON answer or a page: ?lang=, else the switch's cookie, else Accept-Language, else
    Japanese (app/web/language.py, the one rule)."""
    return page_lang(request)


async def request_lang(request: Request) -> str:
    """`api_lang` as a dependency awaited on the event loop: FastAPI runs a plain `def` dependency in the
    thread pool, a hand-off to a worker thread and back on every request for a few look-ups (issue 15)."""
    return page_lang(request)


ServicesDep = Annotated[Services, Depends(services_of)]
StoreDep = Annotated[Store, Depends(store_of)]
SearchDep = Annotated[SearchPrograms | None, Depends(search_of)]
CompaniesDep = Annotated[Companies, Depends(companies_of)]
JobsDep = Annotated[Jobs, Depends(jobs_of)]
ApiLang = Annotated[str, Depends(request_lang)]

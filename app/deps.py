"""Request dependencies: the one place that reads what `create_app` put on `app.state`.

Routes declare what they need with these `Annotated` aliases (`svc: ServicesDep`, `store: StoreDep`,
`lang: ApiLang`); helpers called by routes receive the values as arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.services import Services
from app.store.db import Store
from app.web.language import page_lang

SearchPrograms = Callable[[str], list[str]]


def services_of(request: Request) -> Services:
    """The catalog, engine and scorer built at start-up (`app.services.Services`)."""
    svc: Services = request.app.state.services
    return svc


def store_of(request: Request) -> Store:
    """The screening store (engine, migrations done, group-commit writer)."""
    store: Store = request.app.state.store
    return store


def search_of(request: Request) -> SearchPrograms | None:
    """The full-text program search (SQLite FTS), or None when its index could not be built."""
    search: SearchPrograms | None = getattr(request.app.state, "search_programs", None)
    return search


def api_lang(request: Request) -> str:
    """The language of a JSON answer or a page: ?lang=, else the switch's cookie, else Accept-Language, else
    Japanese (app/web/language.py, the one rule)."""
    return page_lang(request)


ServicesDep = Annotated[Services, Depends(services_of)]
StoreDep = Annotated[Store, Depends(store_of)]
SearchDep = Annotated[SearchPrograms | None, Depends(search_of)]
ApiLang = Annotated[str, Depends(api_lang)]

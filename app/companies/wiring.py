"""The one module of the package that reaches into the rest of the app: settings, the store's engine, migrations.

`lookup_for(app)` for the routes (from `app.state`, set up by app.main) and `cli_prefill(settings, …)` for the
command line's batch (app/batch.py `run(prefill=…)`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from typing import Any

from fastapi import FastAPI

from app.companies.batch import prefill_rows
from app.companies.client import GbizClient
from app.companies.mapping import to_prefill
from app.companies.service import CompanyLookup
from app.config import Settings
from app.store.db import make_engine, migrate
from eligibility.profile import Profile


def make_lookup(settings: Settings, engine: Any) -> CompanyLookup:
    client = GbizClient(settings.gbizinfo_base_url, settings.gbizinfo_token, timeout=settings.gbizinfo_timeout_seconds,
                        max_concurrency=settings.gbizinfo_max_concurrency,
                        per_second=settings.gbizinfo_requests_per_second)
    return CompanyLookup(client, engine, dt.timedelta(hours=settings.gbizinfo_cache_ttl_hours))


def lookup_for(app: FastAPI) -> CompanyLookup:
    """The app's CompanyLookup, built on first use from its settings and its store's engine."""
    lookup: CompanyLookup | None = getattr(app.state, "companies", None)
    if lookup is None:
        lookup = make_lookup(app.state.services.settings, app.state.store.engine)
        app.state.companies = lookup
    return lookup


def cli_prefill(settings: Settings, known_programs: Collection[str], field_of: Callable[[str], str | None],
                ) -> Callable[[list[Any], Any, str], Any] | None:
    """The batch's prefill step (rows, progress, lang), or None without a gBizINFO token (nothing to ask)."""
    if settings.gbizinfo_token is None or not settings.gbizinfo_token.get_secret_value().strip():
        return None
    migrate(settings.database_url)  # the company_cache table
    lookup = make_lookup(settings, make_engine(settings.database_url))

    def run(rows: list[Any], progress: Any, lang: str) -> Any:
        def fetch(number: str) -> dict[str, Any] | None:
            record, _ = lookup.record(number)
            return None if record is None else to_prefill(number, record, known_programs, lang)

        workers = settings.gbizinfo_max_concurrency
        return prefill_rows(rows, fetch, field_of, progress, lang, fields=Profile.model_fields, workers=workers)

    return run

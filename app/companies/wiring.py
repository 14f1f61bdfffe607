"""The one module of the package that reaches into the rest of the app: settings, the store's engine, migrations.

`Companies` for the app (made by app/factory.py, given to routes as `app.deps.CompaniesDep`) and
`cli_prefill(settings, …)` for the command line's batch (app/batch_run.py `run(prefill=…)`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection
from typing import Any

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


class Companies:
    """The app's CompanyLookup, built on first use from its settings and its store's engine (an app that never
    asks gBizINFO makes no HTTP client)."""

    def __init__(self, settings: Settings, engine: Any):
        self.settings, self.engine = settings, engine
        self._lookup: CompanyLookup | None = None
        self._lock = threading.Lock()

    def lookup(self) -> CompanyLookup:
        with self._lock:
            if self._lookup is None:
                self._lookup = make_lookup(self.settings, self.engine)
            return self._lookup


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

"""The published catalog = the YAML files + the rounds synced from jGrants, rebuilt when a sync changes them.

A server checks `rounds_digest` at most every `interval` seconds (one small query on jgrants_round; measured
at well under a millisecond on a few hundred rows, but a screening should not pay it each time), so a sync
shows up on every app server within a minute and without a restart. A database that cannot be read keeps
the catalog a server has.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlalchemy.exc import SQLAlchemyError

from app.jgrants.rounds import published_rounds, rounds_digest
from app.store.catalogs import store_catalog_version
from eligibility.compiled import CompiledEngine
from programs.loader import Catalog, CatalogError
from programs.rounds import Round

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 60.0


def synced_rounds(db: DbEngine, catalog: Catalog) -> list[tuple[str, Round]]:
    """The published synced rounds as (program_id, Round), leaving out programs the catalog no longer has."""
    out: list[tuple[str, Round]] = []
    for d in published_rounds(db):
        pid = d.pop("program_id")
        if pid not in catalog.programs:
            log.warning("synced round %s: no program %r in the catalog", d.get("jgrants_id"), pid)
            continue
        out.append((pid, Round.model_validate(d)))
    return out


class LiveRounds:
    """Keeps a Services' catalog and engine in step with the synced rounds."""

    def __init__(self, db: DbEngine, base: Catalog, interval: float = CHECK_EVERY_SECONDS):
        self.db, self.base, self.interval = db, base, interval
        self.digest: str | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def refresh(self, svc: Any, force: bool = False) -> bool:
        """Rebuild `svc.catalog` / `svc.engine` if the synced rounds changed; True when it rebuilt."""
        now = time.monotonic()
        if not force and now - self._checked < self.interval:
            return False
        with self._lock:
            if not force and now - self._checked < self.interval:
                return False
            self._checked = now
            try:
                digest = rounds_digest(self.db)
                if digest == self.digest:
                    return False
                synced = synced_rounds(self.db, self.base)
                catalog = self.base.with_rounds(synced)
                # Kept in the database so screenings made with it render as they were (app/web/stored.py).
                store_catalog_version(self.db, catalog)
            except (SQLAlchemyError, CatalogError, ValueError) as exc:
                log.warning("synced rounds not applied (the catalog stays %s): %s", svc.catalog.version, exc)
                return False
            svc.engine = CompiledEngine(catalog)
            svc.catalog = catalog
            self.digest = digest
            log.info("catalog %s: %d synced rounds applied", catalog.version, len(synced))
            return True

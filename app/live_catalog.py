"""The published catalog = the YAML files + the rounds synced from jGrants + the changes catalog editors approved
(app/store/catalog_review.py, applied by programs/changes.py), rebuilt when a sync or an approval changes them.

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
from app.store.catalog_review import approved_changes, changes_digest
from app.store.catalogs import store_catalog_version
from eligibility.compiled import CompiledEngine
from programs.changes import ParameterChange, RoundChange, apply_changes, parse_change
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


def approved(db: DbEngine, catalog: Catalog) -> list[ParameterChange | RoundChange]:
    """The approved changes that still apply to `catalog` (one that no longer does is logged and left out)."""
    out: list[ParameterChange | RoundChange] = []
    for raw in approved_changes(db):
        try:
            change = parse_change(raw)
            apply_changes(catalog, [change])
        except (CatalogError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            log.warning("approved change not applied (%s): %s", raw.get("program_id"), exc)
            continue
        out.append(change)
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
                digest = rounds_digest(self.db) + changes_digest(self.db)
                if digest == self.digest:
                    return False
                synced = synced_rounds(self.db, self.base)
                catalog = self.base.with_rounds(synced)
                catalog = apply_changes(catalog, approved(self.db, catalog))
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

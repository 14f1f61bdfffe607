"""A stored screening rendered on read: its facts, rebuilt with the catalog version it was made with.

The catalog version comes from the database (app/store/catalogs.py; the current one from the services), is
unpacked once and kept with its engine and scorer in a small LRU (versions are content-addressed, so a version
means the same catalog in every database). The stored profile is screened again with that version at the
stored moment (deterministic), the stored ranks, scores, order and model version are put back, and the
statuses and amounts are held against the stored ones: if they differ (the engine's code changed) or the
version is gone, the result says so (`notice`) instead of silently showing something else.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from app.services import Services
from app.store.catalogs import load_catalog_content
from app.store.db import Store
from app.store.screenings import ScreeningPublic
from eligibility.engine import Engine
from eligibility.outcome import differences, outcome_of, outcome_of_result, overlay
from eligibility.profile import ProfileError
from matching.scorer import Scorer
from programs.loader import CatalogError
from programs.snapshot import unpack

log = logging.getLogger(__name__)

CACHE_SIZE = 8  # catalog versions kept unpacked (each ~10 MB with its engine and scorer)

MESSAGES = {
    "catalog_missing": ("この審査に使った制度カタログの版（{version}）が保存されていないため、結果を表示できません。"
                        "同じ回答で審査し直してください。",
                        "The catalog version this screening used ({version}) is no longer stored, so its result "
                        "cannot be shown. Please screen the same answers again."),
    "outcome_changed": ("判定の仕組みが更新されたため、同じ版の制度カタログで再構成した結果が保存時と異なります"
                        "（{programs}）。保存時の判定とは違う可能性があります。",
                        "The screening engine has changed since this was stored: rebuilt with the same catalog "
                        "version, the result differs from the stored one ({programs})."),
    "rescreened": ("この記録には表示する言語の結果がなく、制度カタログの版（{version}）も保存されていないため、"
                   "現在の制度カタログで同じ基準日により判定し直しました。",
                   "This record has no result in this language and its catalog version ({version}) is not stored: "
                   "it was screened again on the same date with the current catalog."),
}

_cache: OrderedDict[str, tuple[Engine, Scorer]] = OrderedDict()
_lock = threading.Lock()


@dataclass
class Rendered:
    result: dict[str, Any] | None  # None: cannot be shown (see notice)
    notice: str | None = None  # None, "catalog_missing", "outcome_changed" or "rescreened"
    message: str | None = None
    changed: tuple[str, ...] = ()


def _message(notice: str, lang: str, **kw: str) -> str:
    ja, en = MESSAGES[notice]
    return (ja if lang == "ja" else en).format(**kw)


def services_for(store: Store, svc: Services, version: str) -> tuple[Engine, Scorer] | None:
    """The engine and scorer of a catalog version (the current one, or unpacked from the database)."""
    if version == svc.catalog.version:
        return svc.engine, svc.scorer
    with _lock:
        hit = _cache.get(version)
        if hit is not None:
            _cache.move_to_end(version)
            return hit
    blob = load_catalog_content(store.engine, version)
    if blob is None:
        return None
    try:
        catalog = unpack(blob)
        built = Engine(catalog), Scorer(catalog.programs.values(), model=svc.scorer.model)
    except CatalogError as e:  # a version the current code cannot load any more: like a missing one
        log.warning("catalog version %s cannot be rebuilt: %s", version, e)
        return None
    with _lock:
        _cache[version] = built
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def _rebuild(record: ScreeningPublic, engine: Engine, scorer: Scorer, stored: dict[str, Any], lang: str) -> Rendered:
    profile = dict(record.profile)
    profile["as_of"] = record.as_of.isoformat()
    at = dt.datetime.fromisoformat(stored["at"]) if stored.get("at") else None
    try:
        screening = scorer.rank(engine.screen(profile, now=at))
    except ProfileError:  # the stored profile no longer parses: the code changed
        return Rendered(None, "outcome_changed", _message("outcome_changed", lang, programs="—"))
    changed = differences(stored, outcome_of(screening))
    result = overlay(screening, stored).as_dict(lang)
    if changed:
        return Rendered(result, "outcome_changed", _message("outcome_changed", lang, programs=", ".join(changed)),
                        tuple(changed))
    return Rendered(result)


def render_stored(store: Store, svc: Services, record: ScreeningPublic, lang: str) -> Rendered:
    """The stored screening in `lang` (see the module's docstring)."""
    if record.facts is None and record.result is not None and lang == record.lang:
        return Rendered(record.result)  # a row from before 0010, in its own language: as it was shown
    built = services_for(store, svc, record.catalog_version)
    if record.facts is not None:
        if built is None:
            return Rendered(None, "catalog_missing", _message("catalog_missing", lang, version=record.catalog_version))
        return _rebuild(record, *built, record.facts, lang)
    # An old row in the other language: rebuilt with its own catalog version if stored, else (as before 0010)
    # screened again with the current catalog, and the page says so.
    stored = outcome_of_result(record.result or {})
    if built is not None:
        return _rebuild(record, *built, stored, lang)
    profile = dict(record.profile)
    profile["as_of"] = record.as_of.isoformat()
    try:
        result = svc.screen(profile).as_dict(lang)
    except ProfileError:
        return Rendered(record.result, "rescreened", _message("rescreened", lang, version=record.catalog_version))
    return Rendered(result, "rescreened", _message("rescreened", lang, version=record.catalog_version))

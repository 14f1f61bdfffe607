"""The process-wide services the routes use: catalog, engine, scorer (built once at start-up)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.config import Settings
from eligibility.compiled import CompiledEngine
from eligibility.engine import Engine, Screening
from matching.learner import load_gated
from matching.scorer import Scorer
from programs.loader import Catalog, load_catalog

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    engine: Engine
    scorer: Scorer
    live: Any = None  # app/live_catalog.py LiveRounds: the synced jGrants rounds, set by create_app

    @classmethod
    def build(cls, settings: Settings) -> Services:
        catalog = load_catalog(settings.catalog_dir, settings.definitions_file)
        engine = CompiledEngine(catalog)
        # Never because a file exists: only a model whose own holdout report beats this prior (matching/learner.py).
        model, why = load_gated(settings.model_path, settings.model_min_outcomes, Scorer.PRIOR_VERSION)
        if settings.model_path.is_file():
            log.info("ranking model %s: %s", settings.model_path, why)
        return cls(settings, catalog, engine, Scorer(catalog.programs.values(), model=model))

    def screen(self, data: Any) -> Screening:
        """Validate, evaluate and rank one profile (raises ProfileError on bad input)."""
        if self.live is not None:  # a sync since the last check rebuilds the catalog (app/live_catalog.py)
            self.live.refresh(self)
        return self.scorer.rank(self.engine.screen(data))

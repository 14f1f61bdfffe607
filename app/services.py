"""The process-wide services the routes use: catalog, engine, scorer (built once at start-up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.config import Settings
from eligibility.engine import Engine, Screening
from matching.model import LearnedModel
from matching.scorer import Scorer
from programs.loader import Catalog, load_catalog


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    engine: Engine
    scorer: Scorer

    @classmethod
    def build(cls, settings: Settings) -> Services:
        catalog = load_catalog(settings.catalog_dir, settings.definitions_file)
        engine = Engine(catalog)
        model = LearnedModel.load(settings.model_path) if settings.model_path.is_file() else None
        return cls(settings, catalog, engine, Scorer(catalog.programs.values(), model=model))

    def screen(self, data: Any) -> Screening:
        """Validate, evaluate and rank one profile (raises ProfileError on bad input)."""
        return self.scorer.rank(self.engine.screen(data))

"""Every table of the store, so that `SQLModel.metadata` is complete (alembic/env.py, Store, tests)."""

from __future__ import annotations

from app.companies import models as companies
from app.jgrants import models as jgrants
from app.store import (
                       batch_jobs,
                       catalog_review,
                       catalogs,
                       console,
                       drafts,
                       job_lease,
                       ranking,
                       referral_limits,
                       referrals,
                       screenings,
)
from app.store.base import metadata

__all__ = ["batch_jobs", "catalog_review", "catalogs", "companies", "console", "drafts", "jgrants", "job_lease", "metadata",
           "ranking", "referral_limits", "referrals", "screenings"]

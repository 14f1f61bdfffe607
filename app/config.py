"""Settings of the service, from the environment (prefix NAVI_) or a .env file: the one Settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVI_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'navi.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite by default, PostgreSQL for several app servers",
    )
    catalog_dir: Path | None = None
    definitions_file: Path | None = None
    search_db: Path = ROOT / "var" / "programs_search.db"
    model_path: Path = Field(default=ROOT / "var" / "model.joblib",
                             description="learned ranking model (python -m matching train); prior only if absent")
    screening_retention_days: int = Field(default=365, description="stored screenings not sent to a desk are deleted after this")
    batch_retention_days: int = Field(default=30, ge=1, description="chamber batch jobs (uploaded list, result CSV, "
                                      "PDFs) are deleted after this; the cases made from them stay")
    max_body_bytes: int = 1024 * 1024
    max_batch: int = 1000
    default_lang: str = "ja"
    environment: str = "development"
    # Advisor console (app/console): demo desks, users and cases are loaded on start when the desk table is
    # empty; None means "yes unless environment is production".
    seed_demo: bool | None = Field(default=None, description="load the demo data on start (None: not in production)")
    cookie_secure: bool = Field(default=False, description="console cookies always Secure (behind a TLS proxy)")
    # Behind a TLS-terminating proxy: honour its X-Forwarded-Proto for HSTS (app/security.py). Only when every
    # request comes through that proxy; otherwise run uvicorn --proxy-headers --forwarded-allow-ips=<proxy>.
    trust_proxy_headers: bool = Field(default=False, description="trust X-Forwarded-Proto (HSTS on https)")
    # jGrants sync (app/jgrants, `python -m app catalog sync-jgrants`): the public API, read politely.
    jgrants_base_url: str = Field(default="https://api.jgrants-portal.go.jp/exp",
                                  description="jGrants public API base URL (NAVI_JGRANTS_BASE_URL); tests use a local fake")
    jgrants_min_interval: float = Field(default=1.0, ge=0, description="seconds between two requests to jGrants")
    jgrants_timeout: float = Field(default=15.0, gt=0, description="seconds before a jGrants request times out")
    jgrants_retries: int = Field(default=3, ge=0, le=10, description="retries of a jGrants request (time-out, 429, 5xx)")

    @property
    def seed_demo_on_start(self) -> bool:
        return self.seed_demo if self.seed_demo is not None else self.environment != "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Settings of the service, from the environment (prefix NAVI_) or a .env file: the one Settings class."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Every setting, from `NAVI_<NAME>` (or `DATABASE_URL`); each is described by its Field and listed in
    docs/architecture.md (tests/test_settings_documented.py)."""

    model_config = SettingsConfigDict(env_prefix="NAVI_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{ROOT / 'var' / 'navi.db'}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite by default, PostgreSQL for several app servers",
    )
    catalog_dir: Path | None = Field(default=None, description="folder of the program files (default programs/catalog)")
    definitions_file: Path | None = Field(default=None, description="named definitions (default programs/definitions.yaml)")
    search_db: Path = Field(default=ROOT / "var" / "programs_search.db",
                            description="SQLite full-text index of the programs, rebuilt when the catalog changes")
    model_path: Path = Field(default=ROOT / "var" / "model.joblib",
                             description="learned ranking correction (python -m matching train); used only when "
                             "its holdout report beats the prior and it was trained on model_min_outcomes or more")
    model_min_outcomes: int = Field(default=1000, ge=1, description="outcomes a learned model needs before it ranks")
    screening_retention_days: int = Field(default=365, description="stored screenings not sent to a desk are deleted after this")
    batch_retention_days: int = Field(default=30, ge=1, description="chamber batch jobs (uploaded list, result CSV, "
                                      "PDFs) are deleted after this; the cases made from them stay")
    stale_after_days: int = Field(default=60, ge=0, description="a program whose newest check (round checked_at, else "
                                  "the catalog's sources) is older than this is flagged 「情報が古い可能性があります」")
    max_body_bytes: int = Field(default=1024 * 1024, description="largest JSON body the API reads (413 above)")
    max_form_bytes: int = Field(default=256 * 1024, ge=1024, description="largest body of any other route (forms: "
                                "login, referral, questionnaire); 413 from Content-Length before a byte is read")
    max_batch: int = Field(default=1000, description="most profiles in one POST /api/v1/screen/batch")
    job_worker_threads: int = Field(default=2, ge=0, description="threads of each app server that run the console's "
                                    "batch jobs (0: none; run `python -m app worker` instead)")
    job_lease_seconds: float = Field(default=60, gt=0, description="a worker's lease on a batch job; a job whose "
                                     "worker stopped heartbeating this long is resumed by another")
    referral_limit_per_hour: int = Field(default=10, ge=1, description="most referrals (「相談窓口に送る」) one client "
                                         "address may send in an hour, counted in the database (every app server)")
    default_lang: str = Field(default="ja", description="language when the request names none")
    environment: str = Field(default="development", description="production: no demo data, no /docs")
    # Advisor console (app/console): demo desks, users and cases are loaded on start when the desk table is
    # empty; None means "yes unless environment is production".
    seed_demo: bool | None = Field(default=None, description="load the demo data on start (None: not in production)")
    cookie_secure: bool = Field(default=False, description="console cookies always Secure (behind a TLS proxy)")
    # Behind a TLS-terminating proxy: honour its X-Forwarded-Proto for HSTS (app/web/security.py). Only when every
    # request comes through that proxy; otherwise run uvicorn --proxy-headers --forwarded-allow-ips=<proxy>.
    trust_proxy_headers: bool = Field(default=False, description="trust X-Forwarded-Proto (HSTS on https)")
    # gBizINFO prefill by 法人番号 (app/companies). No token: the prefill answers 503 and every form works without it.
    gbizinfo_base_url: str = Field(default="https://api.info.gbiz.go.jp/hojin",
                                   description="gBizINFO REST API root (the v2 paths are appended)")
    gbizinfo_token: SecretStr | None = Field(default=None, description="gBizINFO API token (X-hojinInfo-api-token); "
                                             "never logged or shown")
    gbizinfo_cache_ttl_hours: float = Field(default=24, ge=0, description="a company's gBizINFO answer is kept "
                                            "this long in the company_cache table (0: not cached)")
    gbizinfo_timeout_seconds: float = Field(default=5, gt=0, description="time-out of one gBizINFO request")
    gbizinfo_max_concurrency: int = Field(default=4, ge=1, description="gBizINFO requests in flight at once, per process")
    gbizinfo_requests_per_second: float = Field(default=5, gt=0, description="batch prefill: at most this many "
                                                "gBizINFO requests a second")
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

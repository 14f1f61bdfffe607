"""The `company_cache` table: gBizINFO's record of a company, kept `NAVI_GBIZINFO_CACHE_TTL_HOURS` (migration 0007).

The raw record is stored (not the mapped prefill), so a change of the mapping rules applies to cached
companies at once. An unknown number is cached too (`found` false): it is not asked again within the TTL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.store import base  # noqa: F401  (the shared metadata's naming convention)


class CompanyCache(SQLModel, table=True):
    __tablename__ = "company_cache"

    corporate_number: str = Field(primary_key=True, max_length=13, description="法人番号（13桁）")
    fetched_at: dt.datetime = Field(sa_type=DateTime(timezone=True), nullable=False,
                                    description="gBizINFO に問い合わせた日時（UTC）")
    found: bool = Field(description="gBizINFO がこの法人番号を知っていたか")
    record: dict[str, Any] | None = Field(default=None, sa_type=JSON().with_variant(JSONB(), "postgresql"),
                                          description="gBizINFO の応答（基本情報・補助金・特許）")

"""Tables of the ranking logs a learner needs: the list as shown per screening, and advisors' feedback on a case.

`ranking_log`: one row per stored screening (deleted with it): the ranker (prior / learned), the model and
catalog versions, and the shown list compactly as [[program_id, score, status], …] in the order shown (position
= index + 1). `ranking_feedback`: an advisor's pick or skip (optional reason) or a program's stage with its date
(referred → applied → adopted / not_adopted), on a case's screening. The profile is the screening's; exports
leave out names and contacts (app/console/ranking_feedback.py). Migration: 0012_review_and_ranking.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey
from sqlmodel import Field, SQLModel

from app.store.base import JSONType, new_id, sql_in, utcnow

RANKERS = ("prior", "learned")
FEEDBACK = ("pick", "skip", "referred", "applied", "adopted", "not_adopted")


class RankingLog(SQLModel, table=True):
    __tablename__ = "ranking_log"
    __table_args__ = (CheckConstraint(f"ranker IN {sql_in(RANKERS)}", name="ranker"),)

    screening_id: str = Field(primary_key=True, max_length=36,
                              sa_column_args=[ForeignKey("screening.id", ondelete="CASCADE")])
    ranker: str = Field(max_length=8, description="prior / learned")
    model_version: str | None = Field(default=None, max_length=64)
    catalog_version: str = Field(max_length=64)
    items: list[Any] = Field(sa_type=JSONType, description="[[program_id, score, status], …] in the order shown")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class RankingFeedback(SQLModel, table=True):
    __tablename__ = "ranking_feedback"
    __table_args__ = (CheckConstraint(f"action IN {sql_in(FEEDBACK)}", name="action"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    case_id: str = Field(max_length=36, index=True,
                         sa_column_args=[ForeignKey("case.id", ondelete="CASCADE")])
    screening_id: str | None = Field(default=None, max_length=36, description="the screening the advisor saw")
    program_id: str = Field(max_length=80)
    action: str = Field(max_length=16, description="pick / skip, or a stage: referred / applied / adopted / not_adopted")
    reason: str | None = Field(default=None, max_length=500, description="optional; never exported")
    on_date: dt.date = Field(description="the day of the decision or stage")
    user_id: str | None = Field(default=None, max_length=36)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)

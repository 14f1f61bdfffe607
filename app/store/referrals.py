"""Referrals (SQLModel): an applicant sends a stored screening to a 相談窓口 (table `referral`).

`screening_id` names a row of `screening` but is not a foreign key: the screening store and the referral
queue can be kept (and purged) separately. `desk_id` is an id of `programs/desks.yaml`. The contact fields
are optional and are sent only to the chosen desk: the company (`company_name`) and the person
(`contact_name`) are two fields since migration 0013; an older row has both in `contact_name`.

Any change here needs a migration in `alembic/versions/` (`alembic check` in `make test` fails otherwise).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Engine, Index, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from app.store.base import new_id, utcnow

NAME_MAX = 100
COMPANY_MAX = 200
EMAIL_MAX = 254
PHONE_MAX = 32
MESSAGE_MAX = 2000


class ReferralBase(SQLModel):
    screening_id: str = Field(max_length=36, index=True, description="審査記録の ID（screening.id）")
    desk_id: str = Field(max_length=64, description="送り先の相談窓口（programs/desks.yaml の id）")
    company_name: str | None = Field(default=None, max_length=COMPANY_MAX,
                                     description="会社名・屋号（フォームの欄。なし: 0013 より前の送信、または未記入）")
    contact_name: str | None = Field(default=None, max_length=NAME_MAX,
                                     description="担当者名（0013 より前は「お名前・会社名」の1欄）")
    contact_email: str | None = Field(default=None, max_length=EMAIL_MAX, description="メールアドレス")
    contact_phone: str | None = Field(default=None, max_length=PHONE_MAX, description="電話番号")
    message: str | None = Field(default=None, max_length=MESSAGE_MAX, description="窓口への伝言")
    status: str = Field(default="new", max_length=16, description="new / in_progress / closed")


PENDING = text("status <> 'closed'")


class Referral(ReferralBase, table=True):
    __tablename__ = "referral"
    # One pending referral per screening and desk, enforced by the database (migration 0011): a partial unique
    # index, so two posts in the same instant (on two app servers) cannot both be stored.
    __table_args__ = (Index("uq_referral_pending", "screening_id", "desk_id", unique=True,
                            postgresql_where=PENDING, sqlite_where=PENDING),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True,
    )


class AlreadyReferred(Exception):
    """This screening is already waiting at this desk (one pending referral per screening and desk)."""


def save_referral(engine: Engine, screening_id: str, values: dict[str, str | None]) -> Referral:
    """Store a referral; AlreadyReferred when one for the same screening and desk is not closed (issue 16:
    300 posts of one screening made 300 cases). The check before the insert gives the usual answer; the
    partial unique index `uq_referral_pending` refuses the second of two posts in the same instant."""
    referral = Referral(screening_id=screening_id, **values)  # type: ignore[arg-type]
    with Session(engine) as session:
        pending = session.scalar(select(col(Referral.id)).where(
            col(Referral.screening_id) == screening_id, col(Referral.desk_id) == referral.desk_id,
            col(Referral.status) != "closed").limit(1))
        if pending is not None:
            raise AlreadyReferred(pending)
        session.add(referral)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise AlreadyReferred(None) from None
        session.refresh(referral)
        session.expunge(referral)
    return referral

def get_referral(engine: Engine, screening_id: str, referral_id: str) -> Referral | None:
    with Session(engine) as session:
        row = session.get(Referral, referral_id)
        if row is None or row.screening_id != screening_id:
            return None
        session.expunge(row)
        return row

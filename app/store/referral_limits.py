"""Per-address rate limit of applicants' referrals (table `referral_attempt`), shared by every app server.

An applicant's 「相談窓口に送る」 is anonymous: a flood of referrals (issue 16: 300 in 1.6 s) would fill desks'
case lists. Each referral first claims a slot — a row with a hash of the client's address (never the
address itself) — committed before the slots in the window are counted, as the login throttle does
(app/console/security.py): the k-th claim to commit sees at least k rows, so however many requests arrive at
once, on however many app servers sharing the database, at most `limit` pass in a window. A refused claim
is removed again, so that waiting is enough to be let through.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import DateTime, Engine, Index, delete, func, select
from sqlmodel import Field, Session, SQLModel, col

from app.store.base import new_id, utcnow

KEPT = dt.timedelta(days=1)  # older claims are deleted (the window is shorter)


class ReferralAttempt(SQLModel, table=True):
    __tablename__ = "referral_attempt"
    __table_args__ = (Index("ix_referral_attempt_client_at", "client_hash", "at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    client_hash: str = Field(max_length=64, description="sha256 of the client's address (the address is not kept)")
    at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


def client_hash(address: str) -> str:
    """
    >>> len(client_hash("192.0.2.1")), client_hash("192.0.2.1") == client_hash("192.0.2.2")
    (64, False)
    """
    return hashlib.sha256(b"navi-referral\0" + address.encode("utf-8", "replace")).hexdigest()


def claim_referral_slot(engine: Engine, address: str, limit: int, window: dt.timedelta) -> str | None:
    """The claimed slot's id, or None when this address already sent `limit` referrals within `window`."""
    key = client_hash(address)
    with Session(engine) as db:
        db.exec(delete(ReferralAttempt).where(col(ReferralAttempt.at) < utcnow() - KEPT))  # type: ignore[call-overload]
        row = ReferralAttempt(client_hash=key)
        slot, at = row.id, row.at
        db.add(row)
        db.commit()
        since = utcnow() - window
        # Only the attempts recorded before this one count (time, then id): in a burst the first `limit` pass and
        # the rest are refused, whatever order the servers count in (counting every row let a burst refuse all).
        earlier = (col(ReferralAttempt.at) < at) | ((col(ReferralAttempt.at) == at) & (col(ReferralAttempt.id) <= slot))
        count = db.scalar(select(func.count()).select_from(ReferralAttempt).where(
            col(ReferralAttempt.client_hash) == key, col(ReferralAttempt.at) >= since, earlier)) or 0
        if count > limit:
            db.exec(delete(ReferralAttempt).where(col(ReferralAttempt.id) == slot))  # type: ignore[call-overload]
            db.commit()
            return None
        return slot


def release_referral_slot(engine: Engine, slot: str) -> None:
    """Give a slot back (the referral was not stored, e.g. it was already waiting at that desk)."""
    with Session(engine) as db:
        db.exec(delete(ReferralAttempt).where(col(ReferralAttempt.id) == slot))  # type: ignore[call-overload]
        db.commit()

"""Per-address rate limit of applicants' referrals (table `referral_attempt`), shared by every app server.

An applicant's 「相談窓口に送る」 is anonymous: a flood of referrals (issue 16: 300 in 1.6 s) would fill desks'
case lists. Each referral claims a slot — a row with a hash of the client's address (never the address itself)
— and counts the address's slots in the window in the same transaction, the claims of one address taking turns:
on PostgreSQL a transaction-level advisory lock on the address's hash, on SQLite the database's write lock (the
purge and the insert write first). So the k-th claim sees the k − 1 before it, and however many requests arrive
at once, on however many app servers sharing the database, exactly `limit` pass in a window. A refused claim is
rolled back, so that waiting is enough to be let through. (Committing first and counting only the earlier rows
let a late-committing claim and a later one both pass: 4 of 16 concurrent claims on two servers, limit 3.)
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import DateTime, Engine, Index, delete, func, select, text
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
        if engine.dialect.name == "postgresql":  # one address's claims take turns (released at commit/rollback)
            db.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=int(key[:15], 16)))  # type: ignore[call-overload]
        db.exec(delete(ReferralAttempt).where(col(ReferralAttempt.at) < utcnow() - KEPT))  # type: ignore[call-overload]
        row = ReferralAttempt(client_hash=key)
        db.add(row)
        db.flush()
        count = db.scalar(select(func.count()).select_from(ReferralAttempt).where(
            col(ReferralAttempt.client_hash) == key, col(ReferralAttempt.at) >= utcnow() - window)) or 0
        if count > limit:
            db.rollback()
            return None
        slot = row.id
        db.commit()
        return slot


def release_referral_slot(engine: Engine, slot: str) -> None:
    """Give a slot back (the referral was not stored, e.g. it was already waiting at that desk)."""
    with Session(engine) as db:
        db.exec(delete(ReferralAttempt).where(col(ReferralAttempt.id) == slot))  # type: ignore[call-overload]
        db.commit()

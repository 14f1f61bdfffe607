"""What arrives at a desk: applicants' referrals imported as new cases, and the unread mark until a case is opened.

A referral sent from a results page (`referral`, app/store/referrals.py) becomes a new case of its desk the
next time someone of that desk opens the case list; the company and the person are the form's two fields
(migration 0013). A row from before has one 「お名前・会社名」 text in `contact_name`: it stays the contact,
and names the case when it is plainly a company's name and nothing else does.

A case that arrives at a desk (an applicant's referral, or another desk's handoff) carries
`case.unread_desk_id`; the list and the case page mark it 「未読」 until someone of that desk opens the case
page, which clears it (the `view` audit row says `marked_read`).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.console.cases import Actor, _set_programs, audit, search_text, visible
from app.store.base import utcnow
from app.store.console import Case, CaseEvent, CaseNote
from app.store.referrals import Referral
from app.store.screenings import ScreeningRecord, record_body

NO_COMPANY = "（会社名の記入なし）"
# A company's legal form in the name (old one-field referrals): then the text names the company.
LEGAL_FORM_RE = re.compile(r"株式会社|有限会社|合同会社|合名会社|合資会社|一般社団法人|一般財団法人|特定非営利活動法人|"
                           r"NPO法人|[（(]株[）)]|[（(]有[）)]|㈱|㈲")


def case_company(ref: Referral, profile_company: str) -> str:
    """The case's name: the form's company, else the screening's, else an old one-field text that is a company's.

    >>> old = Referral(screening_id="s", desk_id="d", contact_name="株式会社ロジAI 山田")
    >>> case_company(old, ""), case_company(Referral(screening_id="s", desk_id="d", contact_name="山田"), "")
    ('株式会社ロジAI 山田', '（会社名の記入なし）')
    >>> case_company(Referral(screening_id="s", desk_id="d", company_name="ロジAI", contact_name="山田"), "X")
    'ロジAI'
    """
    if ref.company_name:
        return ref.company_name
    if profile_company:
        return profile_company
    if ref.company_name is None and ref.contact_name and LEGAL_FORM_RE.search(ref.contact_name):
        return ref.contact_name
    return NO_COMPANY


def import_referrals(db: Session, actor: Actor) -> int:
    """Referrals that applicants sent from their results page to the actor's desk become new cases (once
    each: `case.referral_id` is unique, so two app servers cannot import one twice), marked unread."""
    desk_id = actor.desk_id
    if desk_id is None:
        return 0
    taken = select(col(Case.referral_id)).where(col(Case.referral_id).is_not(None))
    pending = db.scalars(select(Referral).where(col(Referral.desk_id) == desk_id,
                                                col(Referral.id).not_in(taken))
                         .order_by(col(Referral.created_at)).limit(200)).all()
    created = 0
    for ref in pending:
        screening = db.get(ScreeningRecord, ref.screening_id)
        if screening is None:
            continue
        profile = {k: v for k, v in dict(screening.profile).items() if k != "as_of"}
        company = case_company(ref, str(profile.get("company_name") or "").strip())
        case = Case(desk_id=desk_id, status="new", company_name=company[:200], contact_name=ref.contact_name,
                    contact_email=ref.contact_email, contact_phone=ref.contact_phone,
                    prefecture=profile.get("prefecture") if isinstance(profile.get("prefecture"), str) else None,
                    profile=profile, as_of=screening.as_of, latest_screening_id=screening.id, referral_id=ref.id,
                    unread_desk_id=desk_id, search_text=search_text(company, profile, ref.contact_name),
                    created_at=ref.created_at, updated_at=utcnow())
        try:
            db.add(case)
            db.flush()
            _set_programs(db, case.id, record_body(screening))
            db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=desk_id, kind="accepted",
                             to_status="new", detail={"referral_id": ref.id, "screening_id": screening.id}))
            if ref.message:
                db.add(CaseNote(case_id=case.id, user_id=None, desk_id=None, text=ref.message, at=ref.created_at))
            db.exec(update(Referral).where(col(Referral.id) == ref.id).values(status="in_progress"))  # type: ignore[call-overload]
            audit(db, actor, "create", case.id, source="referral", referral_id=ref.id)
            db.commit()  # one transaction per referral
        except IntegrityError:  # imported meanwhile by another request (case.referral_id is unique)
            db.rollback()
            continue
        created += 1
    return created


def unread_count(db: Session, desk_id: str) -> int:
    """Cases of this desk's list that arrived and nobody of the desk has opened yet."""
    return int(db.scalar(select(func.count()).select_from(Case).where(
        visible(desk_id), col(Case.unread_desk_id) == desk_id)) or 0)


def mark_read(db: Session, case: Case, desk_id: str | None) -> bool:
    """Opening the case page clears its unread mark for the opener's desk; True when it was unread (the
    caller's `view` audit row records it, in the same transaction)."""
    if desk_id is None or case.unread_desk_id != desk_id:
        return False
    result = db.exec(update(Case).where(col(Case.id) == case.id, col(Case.unread_desk_id) == desk_id)  # type: ignore[call-overload]
                     .values(unread_desk_id=None))
    return bool(result.rowcount)

"""Cases: storage, the desk-isolation rule, the workflow's changes, referrals, listing and the audit log.

Isolation: a desk sees a case it owns (`case.desk_id`) or that was referred to it
(`case.referred_to_desk_id`); nothing else. Every read goes through `visible()` / `get_case()`, and a
case of another desk is treated exactly like a case that does not exist (the routes answer 404).

A referral hands a case on: the receiving desk becomes `referred_to_desk_id` (the owner keeps it);
referring it back to the owner clears `referred_to_desk_id`, and a desk that refers a case it received
to a third desk no longer sees it.

Every function that changes something writes its `audit_event` row in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from app.console.workflow import HANDOFF_FROM, OUTCOME_OF_STATUS, allowed, status_after_outcome
from app.services import Services
from app.store.base import utcnow
from app.store.console import (
    STATUSES,
    AuditEvent,
    Case,
    CaseEvent,
    CaseNote,
    CaseOutcome,
    CaseProgram,
    CaseRevision,
    DeskRecord,
    User,
)
from app.store.db import Store
from app.store.screenings import ScreeningRecord, record_body
from eligibility.facts import PREFECTURES

JST = dt.timezone(dt.timedelta(hours=9), "JST")
PAGE_SIZE = 20
EXPORT_MAX = 10_000
SEARCH_TERMS_MAX = 5


class CaseNotFound(Exception):
    """No such case, or a case of another desk (the same answer: 404)."""


class WorkflowError(Exception):
    """A change the workflow does not allow (409), with a message in Japanese and English."""

    def __init__(self, ja: str, en: str):
        self.ja, self.en = ja, en
        super().__init__(en)


@dataclass(frozen=True)
class Actor:
    """Who does something: the user, their desk and the request's IP address."""

    user_id: str | None
    desk_id: str | None
    ip: str | None = None


# ------------------------------------------------------------------ audit


def audit(db: Session, actor: Actor, action: str, case_id: str | None = None, **detail: Any) -> None:
    """Add one audit row (committed with the change it records)."""
    db.add(AuditEvent(user_id=actor.user_id, desk_id=actor.desk_id, case_id=case_id, action=action,
                      detail=_plain(detail), ip=actor.ip))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    return value


# ------------------------------------------------------------------ isolation


def visible(desk_id: str) -> ColumnElement[bool]:
    """The cases a desk may see: its own and those referred to it."""
    return or_(col(Case.desk_id) == desk_id, col(Case.referred_to_desk_id) == desk_id)


def can_see(case: Case, desk_id: str) -> bool:
    return desk_id in (case.desk_id, case.referred_to_desk_id)


def valid_id(case_id: str) -> bool:
    try:
        return str(uuid.UUID(case_id)) == case_id.lower() and len(case_id) == 36
    except (ValueError, AttributeError, TypeError):
        return False


def get_case(db: Session, desk_id: str, case_id: str) -> Case:
    """The case if this desk may see it; CaseNotFound otherwise (whether or not it exists)."""
    if not valid_id(case_id):
        raise CaseNotFound(case_id)
    case = db.get(Case, case_id.lower())
    if case is None or not can_see(case, desk_id):
        raise CaseNotFound(case_id)
    return case


# ------------------------------------------------------------------ screening


def search_text(company_name: str, profile: dict[str, Any], contact_name: str | None) -> str:
    parts = [company_name, str(profile.get("description") or ""), contact_name or ""]
    return normalize_search("\n".join(p for p in parts if p))


def normalize_search(text: str) -> str:
    """NFKC and case-folded, as the search column is stored.

    >>> normalize_search("ＡＢＣ　精工")
    'abc 精工'
    """
    return unicodedata.normalize("NFKC", text).casefold().strip()


def screen_case(svc: Services, store: Store, case_id: str, profile: dict[str, Any],
                as_of: dt.date | None) -> tuple[str, dict[str, Any]]:
    """Screen a case's profile and store the screening (with the case's id). Returns (id, body as shown)."""
    data = {k: v for k, v in profile.items() if k != "as_of"}
    if as_of is not None:
        data["as_of"] = as_of.isoformat()
    screening = svc.screen(data)
    body = screening.as_dict("ja")
    data["as_of"] = screening.as_of.isoformat()
    screening_id = store.save_screening(data, screening, body, source="web", lang="ja", case_id=case_id)
    return screening_id, body


def program_states(body: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    """program id -> (status, amount in yen or None) of a screening's body."""
    out: dict[str, tuple[str, int | None]] = {}
    for r in body.get("results") or ():
        est = r.get("estimate") or {}
        amount = est.get("amount_yen") if isinstance(est, dict) else None
        out[str(r.get("program_id"))] = (str(r.get("status")), int(amount) if amount is not None else None)
    return out


def diff_results(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Programs whose status or estimated amount changed between two screenings (before → after).

    >>> a = {"results": [{"program_id": "x", "status": "needs_info", "estimate": None}]}
    >>> b = {"results": [{"program_id": "x", "status": "eligible", "estimate": {"amount_yen": 500}}]}
    >>> diff_results(a, b)
    [{'program_id': 'x', 'status_before': 'needs_info', 'status_after': 'eligible', 'amount_before': None, 'amount_after': 500}]
    """
    old = program_states(before or {})
    new = program_states(after)
    out = []
    for pid in list(new) + [p for p in old if p not in new]:
        b = old.get(pid, (None, None))
        a = new.get(pid, (None, None))
        if b != a:
            out.append({"program_id": pid, "status_before": b[0], "status_after": a[0],
                        "amount_before": b[1], "amount_after": a[1]})
    return out


def _set_programs(db: Session, case_id: str, body: dict[str, Any]) -> None:
    db.exec(delete(CaseProgram).where(col(CaseProgram.case_id) == case_id))  # type: ignore[call-overload]
    for pid, (status, amount) in program_states(body).items():
        db.add(CaseProgram(case_id=case_id, program_id=pid, status=status, amount_yen=amount))


def screening_body(db: Session, screening_id: str | None) -> dict[str, Any] | None:
    if not screening_id:
        return None
    rec = db.get(ScreeningRecord, screening_id)
    return None if rec is None else record_body(rec)


# ------------------------------------------------------------------ creating and editing


CASE_VALUE_FIELDS = ("company_name", "contact_name", "contact_email", "contact_phone", "as_of")


def create_case(db: Session, svc: Services, store: Store, actor: Actor, values: dict[str, Any],
                profile: dict[str, Any]) -> Case:
    """A case of the actor's desk from the form; it is screened at once (status `screened`)."""
    assert actor.desk_id is not None
    case_id = str(uuid.uuid4())
    profile = store._json({k: v for k, v in profile.items() if k != "as_of"})
    screening_id, body = screen_case(svc, store, case_id, profile, values.get("as_of"))
    now = utcnow()
    case = Case(id=case_id, desk_id=actor.desk_id, status="screened", company_name=values["company_name"],
                contact_name=values.get("contact_name"), contact_email=values.get("contact_email"),
                contact_phone=values.get("contact_phone"), prefecture=profile.get("prefecture"),
                profile=profile, as_of=values.get("as_of"), latest_screening_id=screening_id,
                search_text=search_text(values["company_name"], profile, values.get("contact_name")),
                created_by=actor.user_id, created_at=now, updated_at=now)
    db.add(case)
    db.flush()
    _set_programs(db, case_id, body)
    db.add(CaseEvent(case_id=case_id, user_id=actor.user_id, desk_id=actor.desk_id, kind="created",
                     to_status="new", at=now))
    db.add(CaseEvent(case_id=case_id, user_id=actor.user_id, desk_id=actor.desk_id, kind="status",
                     from_status="new", to_status="screened", at=now + dt.timedelta(microseconds=1),
                     detail={"screening_id": screening_id}))
    audit(db, actor, "create", case_id, company_name=values["company_name"], screening_id=screening_id)
    db.commit()
    db.refresh(case)
    return case


def _case_values(case: Case) -> dict[str, Any]:
    return {k: getattr(case, k) for k in CASE_VALUE_FIELDS}


def update_case(db: Session, svc: Services, store: Store, actor: Actor, case: Case, values: dict[str, Any],
                profile: dict[str, Any]) -> CaseRevision | None:
    """Save an edit: a revision (who, when, before / after, changed fields) and a new screening.
    None when nothing changed."""
    from app.console.forms import changed_fields

    profile = store._json({k: v for k, v in profile.items() if k != "as_of"})
    before_values = _case_values(case)
    after_values = {k: values.get(k) for k in CASE_VALUE_FIELDS}
    changed = changed_fields(case.profile, profile)
    changed += [f"case.{k}" for k in CASE_VALUE_FIELDS if before_values[k] != after_values[k]
                and not (k == "company_name" and "company_name" in changed)]
    if not changed:
        return None
    previous = screening_body(db, case.latest_screening_id)
    # Screen (and store the screening, in its own transaction) before this session writes anything:
    # SQLite has one writer at a time.
    screening_id, body = screen_case(svc, store, case.id, profile, after_values["as_of"])
    revision = CaseRevision(case_id=case.id, user_id=actor.user_id, profile_before=dict(case.profile),
                            profile_after=profile, case_before=_plain(before_values),
                            case_after=_plain(after_values), changed_fields=changed)
    db.add(revision)
    for k in CASE_VALUE_FIELDS:
        setattr(case, k, after_values[k])
    case.profile = profile
    case.prefecture = profile.get("prefecture")
    case.search_text = search_text(case.company_name, profile, case.contact_name)
    case.latest_screening_id = screening_id
    case.updated_at = utcnow()
    _set_programs(db, case.id, body)
    changes = diff_results(previous, body)
    event_detail = {"screening_id": screening_id, "as_of": body.get("as_of"), "changes": changes,
                    "reason": "profile"}
    db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind="profile",
                     detail=event_detail))
    _screened(db, actor, case)
    db.add(case)
    audit(db, actor, "update", case.id, changed_fields=changed, screening_id=screening_id)
    db.commit()
    db.refresh(revision)
    return revision


def _screened(db: Session, actor: Actor, case: Case) -> None:
    """A new case that has been screened by the desk moves to `screened`."""
    if case.status == "new":
        db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind="status",
                         from_status="new", to_status="screened"))
        case.status = "screened"


def rescreen(db: Session, svc: Services, store: Store, actor: Actor, case: Case,
             as_of: dt.date | None) -> CaseEvent:
    """「再判定」: screen the profile again on `as_of` (None: today), which becomes the case's date; store the
    screening and record what changed (programs whose status or amount differ)."""
    previous = screening_body(db, case.latest_screening_id)
    screening_id, body = screen_case(svc, store, case.id, case.profile, as_of)
    changes = diff_results(previous, body)
    event = CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind="rescreen",
                      detail={"screening_id": screening_id, "previous_screening_id": case.latest_screening_id,
                              "as_of": body.get("as_of"),
                              "previous_as_of": (previous or {}).get("as_of"), "changes": changes})
    db.add(event)
    case.as_of = as_of
    case.latest_screening_id = screening_id
    case.updated_at = utcnow()
    _set_programs(db, case.id, body)
    _screened(db, actor, case)
    db.add(case)
    audit(db, actor, "update", case.id, rescreen=True, screening_id=screening_id, as_of=body.get("as_of"),
          changes=len(changes))
    db.commit()
    db.refresh(event)
    return event


# ------------------------------------------------------------------ workflow


def _move(db: Session, case: Case, target: str) -> None:
    """Change the status only if nobody changed it meanwhile (several app servers)."""
    stmt = (update(Case).where(col(Case.id) == case.id, col(Case.status) == case.status)
            .values(status=target, updated_at=utcnow()))
    result = db.exec(stmt)  # type: ignore[call-overload]
    if result.rowcount != 1:
        db.rollback()
        raise WorkflowError("ほかの人が先にこの案件を更新しました。ページを読み込み直してください",
                            "Someone else changed this case first; reload the page")


def transition(db: Session, svc: Services, actor: Actor, case: Case, target: str,
               program_id: str | None = None, note: str | None = None) -> None:
    """Move a case to `target` if the workflow allows it; `referred` needs a program (an outcome
    "referred" is recorded), and applied / adopted / not_adopted record the program's outcome when given."""
    if target not in STATUSES:
        raise WorkflowError("その状態はありません", "No such status")
    if not allowed(case.status, target):
        raise WorkflowError("この案件はいまの状態からその状態には進めません",
                            "This case cannot move from its current status to that one")
    if program_id and program_id not in svc.catalog.programs:
        raise WorkflowError("制度を一覧から選んでください", "Choose a program from the list")
    if target == "referred" and not program_id:
        raise WorkflowError("紹介する制度を選んでください（他の窓口への紹介は「他の窓口に紹介する」から）",
                            "Choose the program (to refer the case to another desk, use “Refer to another desk”)")
    before = case.status
    _move(db, case, target)
    kind = "refer_program" if target == "referred" else "status"
    detail: dict[str, Any] = {"program_id": program_id} if program_id else {}
    if note:
        detail["note"] = note
    db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind=kind,
                     from_status=before, to_status=target, detail=detail))
    outcome = OUTCOME_OF_STATUS.get(target)
    if program_id and outcome:
        db.add(CaseOutcome(case_id=case.id, program_id=program_id, outcome=outcome, user_id=actor.user_id,
                           desk_id=actor.desk_id, note=note))
    action = "refer" if target == "referred" else "update"
    audit(db, actor, action, case.id, status_before=before, status_after=target, **detail)
    db.commit()


def handoff(db: Session, actor: Actor, case: Case, to_desk_id: str, message: str | None) -> None:
    """Refer a case to another desk (よろず支援拠点 → INPIT desk and back): it appears in that desk's list."""
    target = db.get(DeskRecord, to_desk_id) if to_desk_id else None
    if target is None:
        raise WorkflowError("紹介先の窓口を一覧から選んでください", "Choose the desk from the list")
    if to_desk_id == actor.desk_id:
        raise WorkflowError("自分の窓口には紹介できません", "You cannot refer a case to your own desk")
    if case.status not in HANDOFF_FROM:
        raise WorkflowError("他の窓口に紹介できるのは、判定済み・紹介済み・申請済みの案件です",
                            "Only screened, referred or applied cases can be referred to another desk")
    before_status, before_desk = case.status, case.referred_to_desk_id
    new_ref = None if to_desk_id == case.desk_id else to_desk_id
    target_status = "referred" if allowed(case.status, "referred") else case.status
    stmt = (update(Case).where(col(Case.id) == case.id, col(Case.status) == before_status)
            .values(referred_to_desk_id=new_ref, status=target_status, unread_desk_id=to_desk_id, updated_at=utcnow()))
    if db.exec(stmt).rowcount != 1:  # type: ignore[call-overload]
        db.rollback()
        raise WorkflowError("ほかの人が先にこの案件を更新しました。ページを読み込み直してください",
                            "Someone else changed this case first; reload the page")
    detail = {"from_desk_id": actor.desk_id, "to_desk_id": to_desk_id, "previous_referred_to": before_desk}
    db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind="refer_desk",
                     from_status=before_status, to_status=target_status, detail=detail))
    if message:
        db.add(CaseNote(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, text=message))
    audit(db, actor, "refer", case.id, **detail, status_before=before_status, status_after=target_status)
    db.commit()


def add_note(db: Session, actor: Actor, case: Case, text: str) -> None:
    db.add(CaseNote(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, text=text))
    db.exec(update(Case).where(col(Case.id) == case.id).values(updated_at=utcnow()))  # type: ignore[call-overload]
    audit(db, actor, "note", case.id, length=len(text))
    db.commit()


def add_outcome(db: Session, svc: Services, actor: Actor, case: Case, program_id: str, outcome: str,
                note: str | None) -> None:
    from app.store.console import OUTCOMES

    if program_id not in svc.catalog.programs:
        raise WorkflowError("制度を一覧から選んでください", "Choose a program from the list")
    if outcome not in OUTCOMES:
        raise WorkflowError("結果を一覧から選んでください", "Choose an outcome from the list")
    db.add(CaseOutcome(case_id=case.id, program_id=program_id, outcome=outcome, user_id=actor.user_id,
                       desk_id=actor.desk_id, note=note))
    moved: dict[str, Any] = {}
    target = status_after_outcome(case.status, outcome)  # 申請した → 申請済み (forward only)
    if target is not None:
        moved = {"status_before": case.status, "status_after": target}
        _move(db, case, target)  # (the session's copy of the case now says `target`)
        db.add(CaseEvent(case_id=case.id, user_id=actor.user_id, desk_id=actor.desk_id, kind="status",
                         from_status=moved["status_before"], to_status=target,
                         detail={"program_id": program_id, "outcome": outcome}))
    else:
        db.exec(update(Case).where(col(Case.id) == case.id).values(updated_at=utcnow()))  # type: ignore[call-overload]
    audit(db, actor, "outcome", case.id, program_id=program_id, outcome=outcome, **moved)
    db.commit()


# ------------------------------------------------------------------ listing


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    program: str = ""
    prefecture: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    scope: str = "all"
    page: int = 1
    errors: dict[str, tuple[str, str]] = field(default_factory=dict)

    def as_detail(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("q", "status", "program", "prefecture") if getattr(self, k)}
        if self.scope != "all":
            out["scope"] = self.scope
        for k in ("date_from", "date_to"):
            if getattr(self, k):
                out[k] = getattr(self, k).isoformat()
        return out

    def query(self, page: int | None = None) -> dict[str, str]:
        out = {k: str(v) for k, v in self.as_detail().items()}
        if page and page > 1:
            out["page"] = str(page)
        return out


def parse_filters(params: Any, program_ids: Sequence[str]) -> Filters:
    """The list's filters from the query string; unreadable values are dropped with a message."""
    from app.intake.normalize import NormalizeError, parse_date

    def get(name: str) -> str:
        v = params.get(name)
        return v.strip()[:200] if isinstance(v, str) else ""

    f = Filters(q=get("q"))
    status = get("status")
    if status in STATUSES:
        f.status = status
    program = get("program")
    if program in program_ids:
        f.program = program
    pref = get("prefecture")
    if pref in PREFECTURES:
        f.prefecture = pref
    scope = get("scope")
    f.scope = scope if scope in ("all", "own", "received") else "all"
    for name in ("date_from", "date_to"):
        text = get(name)
        if not text:
            continue
        try:  # 2000–2100 only: 9999-12-31 + 1 day overflowed into a 500 (issue 16, finding 6)
            ok = 2000 <= (day := parse_date(text)).year <= 2100
            f.errors.update({} if ok else {name: ("日付は 2000年〜2100年 の範囲で入力してください", "Enter a date between 2000 and 2100")})
            setattr(f, name, day if ok else None)
        except NormalizeError as e:
            f.errors[name] = (e.message_ja, e.message_en)
    page = get("page")
    f.page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    return f


def _jst_midnight(d: dt.date) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(), JST).astimezone(dt.UTC)


def _filtered(desk_id: str, f: Filters) -> Any:
    stmt = select(Case).where(visible(desk_id))
    if f.scope == "own":
        stmt = stmt.where(col(Case.desk_id) == desk_id)
    elif f.scope == "received":
        stmt = stmt.where(col(Case.referred_to_desk_id) == desk_id)
    if f.status:
        stmt = stmt.where(col(Case.status) == f.status)
    if f.prefecture:
        stmt = stmt.where(col(Case.prefecture) == f.prefecture)
    if f.program:
        stmt = stmt.where(exists().where(col(CaseProgram.case_id) == col(Case.id),
                                         col(CaseProgram.program_id) == f.program,
                                         col(CaseProgram.status) == "eligible"))
    if f.date_from:
        stmt = stmt.where(col(Case.created_at) >= _jst_midnight(f.date_from))
    if f.date_to:
        stmt = stmt.where(col(Case.created_at) < _jst_midnight(f.date_to + dt.timedelta(days=1)))
    for term in normalize_search(f.q).split()[:SEARCH_TERMS_MAX]:
        stmt = stmt.where(col(Case.search_text).contains(term, autoescape=True))
    return stmt


def list_cases(db: Session, desk_id: str, f: Filters) -> tuple[list[Case], int]:
    stmt = _filtered(desk_id, f)
    total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    f.page = min(f.page, pages)
    rows = db.scalars(stmt.order_by(col(Case.updated_at).desc(), col(Case.id))
                      .offset((f.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def export_cases(db: Session, desk_id: str, f: Filters) -> list[Case]:
    stmt = _filtered(desk_id, f).order_by(col(Case.updated_at).desc(), col(Case.id)).limit(EXPORT_MAX)
    return list(db.scalars(stmt).all())


def eligible_programs(db: Session, case_ids: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {c: [] for c in case_ids}
    if not case_ids:
        return out
    for i in range(0, len(case_ids), 500):
        chunk = list(case_ids[i:i + 500])
        rows = db.exec(select(CaseProgram.case_id, CaseProgram.program_id).where(  # type: ignore[call-overload]
            col(CaseProgram.case_id).in_(chunk), col(CaseProgram.status) == "eligible"))
        for case_id, program_id in rows:
            out[case_id].append(program_id)
    return out


def users_by_id(db: Session, ids: set[str | None]) -> dict[str, User]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(col(User.id).in_(wanted))).all()}


def desks_by_id(db: Session) -> dict[str, DeskRecord]:
    return {d.id: d for d in db.scalars(select(DeskRecord)).all()}


# ------------------------------------------------------------------ training labels


def label_rows(db: Session) -> Iterator[dict[str, Any]]:
    """Every recorded outcome as a training label for `python -m matching train --labels`:
    {"profile": the case's profile on the date it was screened (no company name), "program_id", "outcome"}."""
    stmt = (select(CaseOutcome, Case).join(Case, col(Case.id) == col(CaseOutcome.case_id))
            .order_by(col(CaseOutcome.at), col(CaseOutcome.id)))
    as_of_of: dict[str | None, str | None] = {}
    for outcome, case in db.exec(stmt):  # type: ignore[call-overload]
        if case.latest_screening_id not in as_of_of:
            rec = db.get(ScreeningRecord, case.latest_screening_id) if case.latest_screening_id else None
            as_of_of[case.latest_screening_id] = rec.as_of.isoformat() if rec else None
        as_of = as_of_of[case.latest_screening_id] or (case.as_of.isoformat() if case.as_of else None)
        profile = {k: v for k, v in case.profile.items() if k not in ("company_name", "as_of")}
        if as_of:
            profile["as_of"] = as_of
        yield {"profile": profile, "program_id": outcome.program_id, "outcome": outcome.outcome}

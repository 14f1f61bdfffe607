"""Console screen: the ranked list a case's screening showed, and the advisor's feedback on it (issue 17).

    GET  /console/cases/{id}/ranking      the list as shown (position, program, status), which model ranked,
                                          and the feedback recorded so far
    POST /console/cases/{id}/ranking      record a pick or skip (optional reason) or a program's stage with its
                                          date (referred → applied → adopted / not adopted)

`label_records(db)` is what `python -m app export-labels` writes: the shown lists of the screenings that have
feedback or outcomes, the decisions and the stages, in the record shapes of matching/records.py — without the
company's name, contact, free-text description or any reason typed by an advisor, and with the screening's id
replaced by a one-way pseudonym.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from app.console import cases as C
from app.console.deps import Checked, Form, LoggedIn, Staff, db_session, form_text, not_found
from app.console.layout import console_lang, console_page, redirect
from app.deps import ServicesDep, StoreDep
from app.intake.normalize import NormalizeError, parse_date
from app.services import Services
from app.store.console import Case, CaseOutcome
from app.store.db import Store
from app.store.ranking import FEEDBACK, RankingFeedback, RankingLog
from app.store.screenings import ScreeningRecord
from matching.records import LEGACY, Decision, ShownItem, ShownList, Stage, to_json

router = APIRouter(prefix="/console", include_in_schema=False)

# Never exported: who the company is, how to reach it, and free text that may name people.
PERSONAL_FIELDS = ("company_name", "description", "contact_name", "contact_email", "contact_phone")
ACTION_LABELS = {
    "pick": ("紹介する（選んだ）", "Pick (refer the client to it)"),
    "skip": ("合わない（選ばなかった）", "Skip (not suitable)"),
    "referred": ("紹介した", "Referred"),
    "applied": ("申請した", "Applied"),
    "adopted": ("採択された", "Adopted"),
    "not_adopted": ("不採択", "Not adopted"),
}
RANKER_TEXT = {"prior": ("標準の並び順", "Standard order"),
               "learned": ("相談実績から学んだモデル", "A model learned from advisors' outcomes")}
REASON_MAX = 500


def ranker_words(ranker: str | None, lang: str) -> str:
    return RANKER_TEXT.get(ranker or "prior", RANKER_TEXT["prior"])[0 if lang == "ja" else 1]


def _case(db: Session, ctx: Staff, case_id: str) -> Case:
    try:
        return C.get_case(db, ctx.desk.id, case_id)
    except C.CaseNotFound:
        raise not_found(ctx) from None


def _page(request: Request, svc: Services, store: Store, ctx: Staff, case: Case, db: Session, status: int = 200,
          errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> HTMLResponse:
    lang = console_lang(request)
    log = db.get(RankingLog, case.latest_screening_id) if case.latest_screening_id else None
    rows = db.scalars(select(RankingFeedback).where(col(RankingFeedback.case_id) == case.id)
                      .order_by(col(RankingFeedback.at))).all()
    items = [{"position": i, "program_id": it[0], "status": it[2]} for i, it in enumerate(log.items, 1)] if log else []
    return console_page(request, svc, store, "console/case_ranking.html", ctx, status=status, case=case,
                        log=log, items=items, rows=rows, actions=ACTION_LABELS, errors=errors or {},
                        form={"program_id": "", "action": "pick", "reason": "", "on": "", **(form or {})},
                        ranker=ranker_words(log.ranker if log else None, lang), section="cases")


@router.get("/cases/{case_id}/ranking")
def ranking_page(request: Request, svc: ServicesDep, store: StoreDep, case_id: str,
                 ctx: LoggedIn) -> HTMLResponse:
    with db_session(store) as db:
        case = _case(db, ctx, case_id)
        C.audit(db, ctx.actor, "view", case.id, page="ranking")
        db.commit()
        return _page(request, svc, store, ctx, case, db)


@router.post("/cases/{case_id}/ranking")
def add_feedback(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: Checked,
                 form: Form) -> Response:
    pick = 0 if console_lang(request) == "ja" else 1
    values = {k: form_text(form, k, REASON_MAX if k == "reason" else 80) for k in ("program_id", "action", "reason", "on")}
    with db_session(store) as db:
        case = _case(db, ctx, case_id)
        log = db.get(RankingLog, case.latest_screening_id) if case.latest_screening_id else None
        shown = {it[0] for it in log.items} if log else set()
        errors: dict[str, str] = {}
        if values["program_id"] not in shown:
            errors["program_id"] = ("一覧に表示された制度を選んでください", "Choose a program of the list as shown")[pick]
        if values["action"] not in FEEDBACK:
            errors["action"] = ("記録する内容を選んでください", "Choose what to record")[pick]
        if len(values["reason"]) > REASON_MAX:
            errors["reason"] = ("理由は500文字以内で入力してください", "Keep the reason within 500 characters")[pick]
        on = dt.date.today()
        if values["on"]:
            try:
                on = parse_date(values["on"])
            except NormalizeError as e:
                errors["on"] = (e.message_ja, e.message_en)[pick]
        if errors:
            return _page(request, svc, store, ctx, case, db, status=422, errors=errors, form=values)
        db.add(RankingFeedback(case_id=case.id, screening_id=case.latest_screening_id, program_id=values["program_id"],
                               action=values["action"], reason=values["reason"] or None, on_date=on,
                               user_id=ctx.user.id))
        C.audit(db, ctx.actor, "outcome", case.id, ranking_feedback=values["action"], program_id=values["program_id"],
                on=on)
        db.commit()
    return redirect(f"/console/cases/{case.id}/ranking")


# ------------------------------------------------------------------ the export (python -m app export-labels)


def pseudonym(screening_id: str) -> str:
    """A one-way id for a screening: the export links its records without naming the stored row."""
    return "s-" + hashlib.sha256(("navi-labels:" + screening_id).encode()).hexdigest()[:20]


def anonymous(profile: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in profile.items() if k not in PERSONAL_FIELDS}


def _iso(t: dt.datetime) -> str:
    return (t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t).astimezone(dt.UTC).isoformat()


def label_records(db: Session) -> Iterator[str]:
    """JSON Lines of matching/records.py: shown lists, decisions, stages (see the module's docstring)."""
    feedback = db.scalars(select(RankingFeedback).order_by(col(RankingFeedback.at), col(RankingFeedback.id))).all()
    outcomes = db.exec(select(CaseOutcome, Case).join(Case, col(Case.id) == col(CaseOutcome.case_id))  # type: ignore[call-overload]
                       .order_by(col(CaseOutcome.at), col(CaseOutcome.id))).all()
    events: list[tuple[str, Any]] = []
    for f in feedback:
        if f.screening_id:
            sid, on = f.screening_id, f.on_date.isoformat()
            rec: Any = (Decision(pseudonym(sid), f.program_id, f.action, on) if f.action in ("pick", "skip")  # type: ignore[arg-type]
                        else Stage(pseudonym(sid), f.program_id, f.action, on))  # type: ignore[arg-type]
            events.append((sid, rec))
    for o, case in outcomes:  # the console's outcomes (before the ranking page): a decision and a stage
        if case.latest_screening_id and o.outcome in LEGACY:
            action, stage = LEGACY[o.outcome]
            sid, on = case.latest_screening_id, _iso(o.at)[:10]
            events.append((sid, Decision(pseudonym(sid), o.program_id, action, on)))  # type: ignore[arg-type]
            if stage:
                events.append((sid, Stage(pseudonym(sid), o.program_id, stage, on)))  # type: ignore[arg-type]
    done: set[str] = set()
    for sid, rec in events:
        if sid not in done:
            done.add(sid)
            screening = db.get(ScreeningRecord, sid)
            log = db.get(RankingLog, sid)
            if screening is None:
                continue
            profile = anonymous(dict(screening.profile))
            profile["as_of"] = screening.as_of.isoformat()
            items = tuple(ShownItem(pid, i, float(score), status)
                          for i, (pid, score, status) in enumerate(log.items if log else (), 1))
            yield to_json(ShownList(pseudonym(sid), _iso(screening.created_at), screening.catalog_version,
                                    screening.model_version or "", log.ranker if log else "prior", profile, items))
        if sid in done and db.get(ScreeningRecord, sid) is not None:
            yield to_json(rec)

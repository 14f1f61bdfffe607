"""Console screens of one case: new, edit, the case page, 再判定, workflow status, referral, notes, outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from app.console import cases as C
from app.console import inbox
from app.console.case_list import program_options
from app.console.deps import (
    Checked,
    Form,
    LoggedIn,
    PageError,
    Staff,
    db_session,
    form_text,
    not_found,
)
from app.console.forms import case_raw, form_view, parse_case_form, raw_from_profile, read_case_form
from app.console.layout import Labels, console_lang, console_page, redirect
from app.console.prefill_fetch import record_new_case_prefill
from app.console.workflow import (
    HANDOFF_FROM,
    next_statuses,
)
from app.deps import CompaniesDep, ServicesDep, StoreDep
from app.intake.normalize import NormalizeError, parse_date
from app.services import Services
from app.store.console import (
    OUTCOMES,
    Case,
    CaseEvent,
    CaseNote,
    CaseOutcome,
    CaseRevision,
)
from app.store.db import Store
from app.web.results_view import build_view, load_result
from eligibility.facts import PREFECTURES, field_label
from eligibility.profile import ProfileError

router = APIRouter(prefix="/console", include_in_schema=False)


NOTE_MAX = 4000
OUTCOME_NOTE_MAX = 1000
# ------------------------------------------------------------------ new case and profile edit


@router.get("/cases/new")
def new_case_form(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    lang = console_lang(request)
    view = form_view(lang, case_raw({}), {}, {})
    return console_page(request, svc, store, "console/case_form.html", ctx, mode="new",
                        action="/console/cases/new", **view, section="new")


@router.post("/cases/new")
def create_case(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep, ctx: Checked,
                form: Form) -> Response:
    lang = console_lang(request)
    case_in, raw = read_case_form(form)
    parsed = parse_case_form(case_in, raw, {}, svc.screen)
    if parsed.errors:
        view = form_view(lang, case_in, raw, parsed.errors)
        return console_page(request, svc, store, "console/case_form.html", ctx, status=422, mode="new",
                            action="/console/cases/new", **view, section="new")
    with db_session(store) as db:
        case = C.create_case(db, svc, store, ctx.actor, parsed.values, parsed.profile)
        number = form_text(form, "prefill_number", 40)
        if number:  # the form was filled from gBizINFO: keep the provenance of the values left as they were
            record_new_case_prefill(request, svc, companies, db, ctx, case, number)
    return redirect(f"/console/cases/{case.id}?done=created")


def _load(db: Session, ctx: Staff, case_id: str) -> Case:
    try:
        return C.get_case(db, ctx.desk.id, case_id)
    except C.CaseNotFound:
        raise not_found(ctx) from None


@router.get("/cases/{case_id}/edit")
def edit_case_form(request: Request, svc: ServicesDep, store: StoreDep, case_id: str,
                   ctx: LoggedIn) -> HTMLResponse:
    lang = console_lang(request)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        C.audit(db, ctx.actor, "view", case.id, page="edit")
        db.commit()
    view = form_view(lang, case_raw(case.model_dump()), raw_from_profile(case.profile), {})
    return console_page(request, svc, store, "console/case_form.html", ctx, mode="edit", case=case,
                        action=f"/console/cases/{case.id}/edit", **view)


@router.post("/cases/{case_id}/edit")
def edit_case(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: Checked,
              form: Form) -> Response:
    lang = console_lang(request)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        case_in, raw = read_case_form(form)
        parsed = parse_case_form(case_in, raw, case.profile, svc.screen)
        if parsed.errors:
            view = form_view(lang, case_in, raw, parsed.errors)
            return console_page(request, svc, store, "console/case_form.html", ctx, status=422, mode="edit",
                                case=case, action=f"/console/cases/{case.id}/edit", **view)
        revision = C.update_case(db, svc, store, ctx.actor, case, parsed.values, parsed.profile)
    return redirect(f"/console/cases/{case.id}?done={'saved' if revision else 'unchanged'}")


# ------------------------------------------------------------------ the case page


def _event_view(e: CaseEvent, L: Labels) -> dict[str, Any]:
    d = e.detail or {}
    parts = []
    if e.from_status or e.to_status:
        parts.append(f"{L.status(e.from_status)} → {L.status(e.to_status)}" if e.from_status else L.status(e.to_status))
    if d.get("program_id"):
        parts.append(L.program(d["program_id"]))
    if e.kind == "refer_desk":
        parts.append(f"{L.desk(d.get('from_desk_id'))} → {L.desk(d.get('to_desk_id'))}")
    if e.kind in ("rescreen", "profile") and d.get("as_of"):
        parts.append(f"{field_label('as_of', L.lang)} {L.date(d['as_of'])}")
    return {"at": e.at, "kind": e.kind, "label": L.event(e.kind), "text": "・".join(p for p in parts if p),
            "note": d.get("note"), "changes": d.get("changes") or [], "user_id": e.user_id, "desk_id": e.desk_id}


def prefill_provenance(case: Case, events: Sequence[CaseEvent]) -> dict[str, str]:
    """field → provenance of the case's values that still hold what a gBizINFO prefill set (latest wins);
    the prefill events are written by app/console/case_prefill.py."""
    out: dict[str, str] = {}
    for e in sorted((e for e in events if e.kind == "prefill"), key=lambda e: e.at):
        for name, item in ((e.detail or {}).get("fields") or {}).items():
            if case.profile.get(name) == item.get("value"):
                out[name] = item.get("provenance") or "gBizINFO"
            else:
                out.pop(name, None)
    return out


def case_page(request: Request, svc: Services, store: Store, ctx: Staff, case: Case, db: Session,
              status: int = 200, error: str | None = None, unread: bool = False) -> HTMLResponse:
    lang = console_lang(request)
    desks = C.desks_by_id(db)
    L = Labels(lang, svc, desks)
    notes = db.scalars(select(CaseNote).where(col(CaseNote.case_id) == case.id)
                       .order_by(col(CaseNote.at).desc())).all()
    revisions = db.scalars(select(CaseRevision).where(col(CaseRevision.case_id) == case.id)
                           .order_by(col(CaseRevision.at).desc())).all()
    events = db.scalars(select(CaseEvent).where(col(CaseEvent.case_id) == case.id)
                        .order_by(col(CaseEvent.at).desc())).all()
    outcomes = db.scalars(select(CaseOutcome).where(col(CaseOutcome.case_id) == case.id)
                          .order_by(col(CaseOutcome.at).desc())).all()
    users = C.users_by_id(db, {n.user_id for n in notes} | {r.user_id for r in revisions}
                          | {e.user_id for e in events} | {o.user_id for o in outcomes} | {case.created_by})
    view: dict[str, Any] = {}
    if case.latest_screening_id:
        loaded = load_result(store, svc, case.latest_screening_id, lang)
        if loaded is not None:
            view = build_view(loaded, request, None, svc)
            view["questionnaire_url"] = f"/console/cases/{case.id}/edit"
    last_screen = next((e for e in events if e.kind in ("rescreen", "profile")), None)
    programs = [(p["program_id"], p["name"]) for p in view.get("ranked", []) + view.get("ineligible", [])] \
        or program_options(svc, lang)
    live = [(p["program_id"], p["name"]) for p in view.get("ranked", [])] or programs
    other_desks = sorted((d for d in desks.values() if d.id != ctx.desk.id),
                         key=lambda d: (d.prefecture != (case.prefecture or ctx.desk.prefecture),
                                        PREFECTURES.index(d.prefecture) if d.prefecture in PREFECTURES else 99,
                                        {"inpit_desk": 0, "yorozu": 1}.get(d.kind, 2), d.id))
    return console_page(request, svc, store, "console/case.html", ctx, status=status, desks=desks, case=case,
                        v=view, notes=notes, revisions=revisions, events=[_event_view(e, L) for e in events],
                        outcomes=outcomes, users=users,
                        last_screen=_event_view(last_screen, L) if last_screen else None,
                        next_statuses=next_statuses(case.status), can_handoff=case.status in HANDOFF_FROM,
                        programs=programs, live_programs=live, outcome_kinds=OUTCOMES,
                        other_desks=other_desks, error=error, unread=unread,
                        received=case.referred_to_desk_id == ctx.desk.id,
                        label_of=lambda n: field_label(n, lang),
                        as_of_value=case.as_of.isoformat() if case.as_of else "", section="cases",
                        prefilled=[(field_label(n, lang), p) for n, p in prefill_provenance(case, events).items()])


@router.get("/cases/{case_id}")
def show_case(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: LoggedIn) -> HTMLResponse:
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        unread = inbox.mark_read(db, case, ctx.desk.id)  # opening it is what reads it (audited below)
        C.audit(db, ctx.actor, "view", case.id, page="case", **({"marked_read": True} if unread else {}))
        db.commit()
        return case_page(request, svc, store, ctx, case, db, unread=unread)


def _refused(request: Request, ctx: Staff, case_id: str, err: C.WorkflowError, status: int = 409) -> PageError:
    return PageError(status, ("この操作はできません", "This cannot be done"), (err.ja, err.en),
                     back=f"/console/cases/{case_id}", ctx=ctx)


@router.post("/cases/{case_id}/rescreen")
def rescreen_case(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: Checked,
                  form: Form) -> Response:
    text = form_text(form, "as_of", 100)
    as_of: dt.date | None = None
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        if text:
            try:
                as_of = parse_date(text)
            except NormalizeError as e:
                raise _refused(request, ctx, case.id, C.WorkflowError(e.message_ja, e.message_en), 422) from None
            if not dt.date(2000, 1, 1) <= as_of <= dt.date(2100, 12, 31):
                raise _refused(request, ctx, case.id, C.WorkflowError(
                    "基準日は2000年から2100年の間で入力してください", "Give a reference date between 2000 and 2100"), 422)
        try:
            C.rescreen(db, svc, store, ctx.actor, case, as_of)
        except ProfileError as e:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                "この基準日では判定できません: " + "、".join(x.message_ja for x in e.errors),
                "Cannot screen on this date: " + "; ".join(x.message_en for x in e.errors)), 422) from None
    return redirect(f"/console/cases/{case_id}?done=rescreened#changes")


@router.post("/cases/{case_id}/status")
def change_status(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: Checked,
                  form: Form) -> Response:
    target = form_text(form, "to", 32)
    program_id = form_text(form, "program_id", 80) or None
    note = form_text(form, "note", OUTCOME_NOTE_MAX)[:OUTCOME_NOTE_MAX] or None
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        try:
            C.transition(db, svc, ctx.actor, case, target, program_id, note)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e) from None
    return redirect(f"/console/cases/{case_id}?done=status")


@router.post("/cases/{case_id}/refer")
def refer_case(request: Request, store: StoreDep, case_id: str, ctx: Checked,
               form: Form) -> Response:
    desk_id = form_text(form, "desk_id", 64)
    message = form_text(form, "message", NOTE_MAX)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        if len(message) > NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"伝言は{NOTE_MAX}文字以内にしてください", f"Keep the message to {NOTE_MAX} characters"), 422)
        try:
            C.handoff(db, ctx.actor, case, desk_id, message or None)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e) from None
        still_visible = C.can_see(db.get(Case, case.id) or case, ctx.desk.id)
    # A desk that passes on a case it received no longer sees it: back to the list then.
    return redirect(f"/console/cases/{case_id}?done=referred" if still_visible else "/console/cases?done=referred")


@router.post("/cases/{case_id}/notes")
def add_note(request: Request, store: StoreDep, case_id: str, ctx: Checked,
             form: Form) -> Response:
    text = form_text(form, "text", NOTE_MAX)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        if not text or len(text) > NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"メモを1〜{NOTE_MAX}文字で入力してください", f"Write a note of 1 to {NOTE_MAX} characters"), 422)
        C.add_note(db, ctx.actor, case, text)
    return redirect(f"/console/cases/{case_id}?done=note#notes")


@router.post("/cases/{case_id}/outcomes")
def add_outcome(request: Request, svc: ServicesDep, store: StoreDep, case_id: str, ctx: Checked,
                form: Form) -> Response:
    program_id = form_text(form, "program_id", 80)
    outcome = form_text(form, "outcome", 32)
    note = form_text(form, "note", OUTCOME_NOTE_MAX)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        if len(note) > OUTCOME_NOTE_MAX:
            raise _refused(request, ctx, case.id, C.WorkflowError(
                f"補足は{OUTCOME_NOTE_MAX}文字以内にしてください", f"Keep the note to {OUTCOME_NOTE_MAX} characters"), 422)
        try:
            C.add_outcome(db, svc, ctx.actor, case, program_id, outcome, note or None)
        except C.WorkflowError as e:
            raise _refused(request, ctx, case.id, e, 422) from None
    return redirect(f"/console/cases/{case_id}?done=outcome#outcomes")

"""Console screen: review of the catalog drafts of the jGrants sync (catalog editors only).

    GET  /console/catalog                         the queue of pending drafts (and the latest decisions)
    GET  /console/catalog/drafts/{id}             one draft: the call, old vs new value, the jGrants source and
                                                  when it was fetched; the form to approve (as proposed or edited)
                                                  or reject with a reason
    POST /console/catalog/drafts/{id}/approve     applies the change to the live catalog (app/live_catalog.py)
    POST /console/catalog/drafts/{id}/reject      a reason is required; the next sync does not bring the same
                                                  proposal back (app/jgrants/sync.py add_draft: by content hash)
    GET  /console/catalog/programs/{program_id}   one program of the published catalog: its rounds (area, dates,
                                                  status today, source, check date, origin) and dated values
    POST /console/users/{id}/catalog-editor       a desk administrator grants or withdraws the role

Every view and decision is in the audit log (action view / update, the draft in the detail).
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from app.console import cases as C
from app.console.catalog_drafts import KIND_LABELS, as_json, diffs, proposal, read_form
from app.console.catalog_rounds import ORIGINS, STATUSES, program_rows, round_rows, value_rows
from app.console.deps import Checked, Form, LoggedIn, PageError, Staff, db_session, form_text
from app.console.layout import console_lang, console_page, redirect
from app.deps import ServicesDep, StoreDep
from app.jgrants.models import JGrantsDraft, JGrantsRound
from app.services import Services
from app.store.catalog_review import CatalogChange, CatalogEditor
from app.store.console import User
from app.store.db import Store
from app.web.results_view import catalog_checked
from app.web.windows_view import STALE_TEXT, freshness
from programs.rounds import JST

router = APIRouter(prefix="/console", include_in_schema=False)

EDITORS_ONLY = (("このページはカタログ確認の担当者だけが見られます", "Only catalog editors can see this page"),
                ("制度カタログの下書きの確認には「カタログ確認」の権限が必要です。窓口管理者に付けてもらってください。",
                 "Reviewing catalog drafts needs the catalog editor role. Ask a desk administrator to grant it."))
NO_DRAFT = (("下書きが見つかりません", "Draft not found"),
            ("この下書きはありません。一覧から選び直してください。", "This draft does not exist. Choose it again from the list."))
DECIDED = (("この下書きは確認済みです", "This draft has been decided"),
           ("ほかの担当者がすでに承認または却下しました。一覧を読み込み直してください。",
            "Another editor approved or rejected it already. Reload the list."))
ADMIN_ONLY = (("このページは窓口管理者だけが使えます", "Only desk administrators can do this"),
              ("権限の付与は窓口管理者（desk_admin）のアカウントで行ってください。",
               "Grant roles with a desk administrator account."))
NO_PROGRAM = (("制度が見つかりません", "Program not found"),
              ("この制度は公開中のカタログにありません。一覧から選び直してください。",
               "This program is not in the published catalog. Choose it again from the list."))
NOT_YOURS = (("アカウントが見つかりません", "Account not found"),
             ("このアカウントはないか、あなたの窓口のものではありません。", "This account does not exist or belongs to another desk."))
DONE = {"approved": ("承認し、カタログに反映しました", "Approved and applied to the catalog"),
        "rejected": ("却下しました", "Rejected")}
REASON_MAX = 500


def is_editor(db: Session, user_id: str) -> bool:
    return db.get(CatalogEditor, user_id) is not None


def _require_editor(db: Session, ctx: Staff) -> None:
    if not is_editor(db, ctx.user.id):
        raise PageError(403, *EDITORS_ONLY, back="/console/cases", ctx=ctx)


def _draft(db: Session, ctx: Staff, draft_id: str) -> JGrantsDraft:
    draft = db.get(JGrantsDraft, draft_id[:36])
    if draft is None:
        raise PageError(404, *NO_DRAFT, back="/console/catalog", ctx=ctx)
    return draft


def _opens(db: Session, draft: JGrantsDraft) -> dt.date | None:
    """The first opening of the call's published rounds (a money change applies from there)."""
    t = db.scalar(select(col(JGrantsRound.opens_at)).where(col(JGrantsRound.jgrants_id) == draft.jgrants_id)
                  .order_by(col(JGrantsRound.opens_at)).limit(1))
    if t is None:
        return None
    t = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
    return t.astimezone(dt.timezone(dt.timedelta(hours=9))).date()


@router.get("/catalog")
def queue(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    lang = console_lang(request)
    with db_session(store) as db:
        _require_editor(db, ctx)
        pending = db.scalars(select(JGrantsDraft).where(col(JGrantsDraft.status) == "pending")
                             .order_by(col(JGrantsDraft.created_at), col(JGrantsDraft.id))).all()
        decided = db.scalars(select(JGrantsDraft).where(col(JGrantsDraft.status) != "pending")
                             .order_by(col(JGrantsDraft.decided_at).desc()).limit(20)).all()
        C.audit(db, ctx.actor, "view", None, catalog_queue=len(pending))
        db.commit()
    done = request.query_params.get("done")
    notice = DONE[done][0 if lang == "ja" else 1] if done in DONE else None
    programs = program_rows(svc.catalog, catalog_checked(svc), dt.datetime.now(JST).date(),
                            svc.settings.stale_after_days, lang)
    return console_page(request, svc, store, "console/catalog.html", ctx, pending=pending, decided=decided,
                        notice=notice, kinds=KIND_LABELS, programs=programs,
                        stale_text=STALE_TEXT.get(lang, STALE_TEXT["en"]), section="catalog")


@router.get("/catalog/programs/{program_id}")
def program_page(request: Request, svc: ServicesDep, store: StoreDep, program_id: str,
                 ctx: LoggedIn) -> HTMLResponse:
    lang = console_lang(request)
    catalog = svc.catalog  # the published one (this server's copy of the live catalog)
    with db_session(store) as db:
        _require_editor(db, ctx)
        program = catalog.programs.get(program_id)
        if program is None:
            raise PageError(404, *NO_PROGRAM, back="/console/catalog", ctx=ctx)
        C.audit(db, ctx.actor, "view", None, catalog_program=program.id, catalog_version=catalog.version)
        db.commit()
    now = dt.datetime.now(JST)
    rounds = round_rows(catalog, program.id, now, lang)
    checked, stale = freshness(max((r.checked_at for r in rounds), default=None), catalog_checked(svc), now.date(),
                               svc.settings.stale_after_days, lang)
    return console_page(request, svc, store, "console/catalog_program.html", ctx, program=program,
                        rounds=rounds, values=value_rows(program, lang), checked=checked,
                        stale=STALE_TEXT.get(lang, STALE_TEXT["en"]) if stale else None,
                        version=catalog.version, origins=ORIGINS, statuses=STATUSES, section="catalog")


def _draft_page(request: Request, svc: Services, store: Store, ctx: Staff, draft: JGrantsDraft,
                values: dict[str, str], errors: dict[str, str] | None = None, status: int = 200,
                reason: str = "", reason_error: str | None = None) -> HTMLResponse:
    lang = console_lang(request)
    programs = sorted(((pid, p.names.ja if lang == "ja" else p.names.en) for pid, p in svc.catalog.programs.items()),
                      key=lambda x: x[1])
    params = sorted(svc.catalog.programs[draft.program_id].benefit.parameters) \
        if draft.program_id in svc.catalog.programs else []
    return console_page(request, svc, store, "console/catalog_draft.html", ctx, status=status, draft=draft,
                        diffs=diffs(draft, lang), values=values, errors=errors or {}, programs=programs,
                        params=params, kinds=KIND_LABELS, reason=reason, reason_error=reason_error,
                        money_rows=range(len((draft.proposed or {}).get("changes") or ())), section="catalog")


@router.get("/catalog/drafts/{draft_id}")
def draft_page(request: Request, svc: ServicesDep, store: StoreDep, draft_id: str,
               ctx: LoggedIn) -> HTMLResponse:
    with db_session(store) as db:
        _require_editor(db, ctx)
        draft = _draft(db, ctx, draft_id)
        values = proposal(draft, svc.catalog, _opens(db, draft))
        C.audit(db, ctx.actor, "view", None, catalog_draft=draft.id, kind=draft.kind)
        db.commit()
    return _draft_page(request, svc, store, ctx, draft, values)


@router.post("/catalog/drafts/{draft_id}/approve")
def approve(request: Request, svc: ServicesDep, store: StoreDep, draft_id: str, ctx: Checked,
            form: Form) -> Response:
    lang = console_lang(request)
    with db_session(store) as db:
        _require_editor(db, ctx)
        draft = _draft(db, ctx, draft_id)
        if draft.status != "pending":
            raise PageError(409, *DECIDED, back="/console/catalog", ctx=ctx)
        proposed = proposal(draft, svc.catalog, _opens(db, draft))
        reviewed = read_form(form, draft, svc.catalog, lang)
        if reviewed.errors:
            return _draft_page(request, svc, store, ctx, draft, reviewed.values, reviewed.errors, status=422)
        edited = sorted(k for k, v in reviewed.values.items() if proposed.get(k, "") != v)
        note = form_text(form, "note", REASON_MAX)[:REASON_MAX] or None
        now = dt.datetime.now(dt.UTC)
        for change in as_json(reviewed.changes):
            db.add(CatalogChange(draft_id=draft.id, change=change, approved_by=ctx.user.id, approved_at=now,
                                 note=note))
        draft.status, draft.decided_at, draft.decided_by = "approved", now, ctx.user.id
        draft.decision_note = note
        db.add(draft)
        C.audit(db, ctx.actor, "update", None, catalog_draft=draft.id, decision="approved", edited=edited,
                changes=as_json(reviewed.changes), proposed=proposed if edited else None)
        db.commit()
    if svc.live is not None:  # this server at once; the others within a minute (app/live_catalog.py)
        svc.live.refresh(svc, force=True)
    return redirect("/console/catalog?done=approved")


@router.post("/catalog/drafts/{draft_id}/reject")
def reject(request: Request, svc: ServicesDep, store: StoreDep, draft_id: str, ctx: Checked,
           form: Form) -> Response:
    lang = console_lang(request)
    reason = form_text(form, "reason", REASON_MAX)
    with db_session(store) as db:
        _require_editor(db, ctx)
        draft = _draft(db, ctx, draft_id)
        if draft.status != "pending":
            raise PageError(409, *DECIDED, back="/console/catalog", ctx=ctx)
        if not reason or len(reason) > REASON_MAX:
            msg = ("却下の理由を500文字以内で入力してください", "Give the reason for rejecting (at most 500 characters)")
            values = proposal(draft, svc.catalog, _opens(db, draft))
            return _draft_page(request, svc, store, ctx, draft, values, status=422,
                               reason=reason[:REASON_MAX], reason_error=msg[0 if lang == "ja" else 1])
        draft.status, draft.decided_at, draft.decided_by = "rejected", dt.datetime.now(dt.UTC), ctx.user.id
        draft.decision_note = reason
        db.add(draft)
        C.audit(db, ctx.actor, "update", None, catalog_draft=draft.id, decision="rejected", reason=reason)
        db.commit()
    return redirect("/console/catalog?done=rejected")


@router.post("/users/{user_id}/catalog-editor")
def grant(request: Request, store: StoreDep, user_id: str, ctx: Checked, form: Form) -> Response:
    if not ctx.is_admin:
        raise PageError(403, *ADMIN_ONLY, back="/console/cases", ctx=ctx)
    on = form.get("grant") == "yes"
    with db_session(store) as db:
        user = db.get(User, user_id[:36])
        if user is None or user.desk_id != ctx.desk.id:
            raise PageError(404, *NOT_YOURS, back="/console/users", ctx=ctx)
        row = db.get(CatalogEditor, user.id)
        if on and row is None:
            db.add(CatalogEditor(user_id=user.id, granted_by=ctx.user.id))
        elif not on and row is not None:
            db.delete(row)
        else:
            return redirect("/console/users")
        C.audit(db, ctx.actor, "update", None, account=user.email,
                change="catalog_editor_granted" if on else "catalog_editor_withdrawn")
        db.commit()
    return redirect("/console/users")


def editor_ids(db: Session, user_ids: list[str]) -> set[str]:
    """Which of these accounts hold the catalog editor role (the accounts page shows it)."""
    if not user_ids:
        return set()
    return set(db.scalars(select(col(CatalogEditor.user_id)).where(col(CatalogEditor.user_id).in_(user_ids))).all())

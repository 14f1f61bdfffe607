"""Console screen: a case's 法人番号 → what gBizINFO would change (field, current, proposed), then accept (issue 13).

    POST /console/cases/new/prefill           the new-case form, filled from gBizINFO (editable; nothing is saved)
    POST /console/cases/{id}/prefill          the number → the preview of `changes()` (nothing is saved)
    POST /console/cases/{id}/prefill/accept   the ticked fields → the case's profile, a revision, a new screening

Both are CSRF-checked. The accepted values' provenance is kept on the case as a `prefill` case event (shown
on the case page while the value is unchanged) and in the audit log (an `update` event with the fields, the
number and the source; never the token). Suggestions (employees, registered rights, awards) start unticked:
gBizINFO's employee number is not 常時使用する従業員.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.companies.client import GbizError
from app.companies.prefill import Change, changes, profile_values, questionnaire_answers
from app.companies.wiring import Companies
from app.console import cases as C
from app.console.case_pages import _load, case_page
from app.console.deps import Checked, Form, PageError, Staff, db_session, form_text
from app.console.forms import case_raw, form_view, raw_from_profile
from app.console.layout import console_lang, console_page, redirect
from app.console.prefill_fetch import NOT_FOUND
from app.console.prefill_fetch import fetch_prefill as _fetch
from app.deps import CompaniesDep, ServicesDep, StoreDep
from app.intake.normalize import NormalizeError, parse_corporate_number
from app.services import Services
from app.store.console import Case, CaseEvent
from app.store.db import Store
from eligibility.facts import field_label
from eligibility.profile import ProfileError

router = APIRouter(prefix="/console", include_in_schema=False)


def _problem(request: Request, svc: Services, store: Store, ctx: Staff, case: Case, message: tuple[str, str],
             status: int) -> Response:
    lang = console_lang(request)
    with db_session(store) as db:
        return case_page(request, svc, store, ctx, case, db, status=status,
                         error=message[0] if lang == "ja" else message[1])


def _prefill_or_problem(request: Request, svc: Services, store: Store, companies: Companies, ctx: Staff,
                        case: Case, form_value: str) -> tuple[str, dict[str, Any]] | Response:
    lang = console_lang(request)
    try:
        number = parse_corporate_number(form_value)
    except NormalizeError as e:
        return _problem(request, svc, store, ctx, case, (e.message_ja, e.message_en), 422)
    try:
        prefill = _fetch(svc, companies, number, lang)
    except GbizError as e:
        return _problem(request, svc, store, ctx, case, (e.message("ja"), e.message("en")), 503)
    if prefill is None:
        return _problem(request, svc, store, ctx, case, NOT_FOUND, 404)
    return number, prefill


def _row(c: Change, lang: str) -> dict[str, Any]:
    return {"field": c.field, "label": field_label(c.field, lang), "action": c.action, "current": c.current,
            "proposed": c.proposed, "provenance": c.provenance, "confirm": c.confirm, "note": c.note,
            "checked": c.action != "same" and not c.confirm}


def _new_form(request: Request, svc: Services, store: Store, ctx: Staff, status: int, number_text: str,
              error: str | None = None, case_in: dict[str, str] | None = None,
              raw: dict[str, Any] | None = None, filled: list[dict[str, Any]] | None = None,
              source: str = "") -> Response:
    lang = console_lang(request)
    view = form_view(lang, case_in or case_raw({}), raw or {}, {})
    return console_page(request, svc, store, "console/case_form.html", ctx, status=status, mode="new",
                        action="/console/cases/new", **view, section="new", prefill_number=number_text,
                        prefill_error=error, prefill_filled=filled or [], prefill_source=source)


@router.post("/cases/new/prefill")
def new_case_prefill(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep,
                     ctx: Checked, form: Form) -> Response:
    """The new-case form with what gBizINFO knows of the 法人番号 filled in; every value stays editable, and
    the employee number (not 常時使用する従業員) is marked to confirm. Errors next to the number field."""
    lang = console_lang(request)
    text = form_text(form, "corporate_number", 40)
    try:
        number = parse_corporate_number(text)
    except NormalizeError as e:
        return _new_form(request, svc, store, ctx, 422, text, e.message_ja if lang == "ja" else e.message_en)
    try:
        prefill = _fetch(svc, companies, number, lang)
    except GbizError as e:
        return _new_form(request, svc, store, ctx, 503, text, e.message(lang))
    if prefill is None:
        return _new_form(request, svc, store, ctx, 404, text, NOT_FOUND[0] if lang == "ja" else NOT_FOUND[1])
    values = profile_values(prefill, accept_suggestions=True)
    raw = raw_from_profile(values)
    case_in = case_raw({"company_name": prefill.get("name") or ""})
    filled = [{"label": field_label(a.field, lang), "confirm": a.confirm, "note": a.note}
              for a in questionnaire_answers(prefill).values() if a.field in values]
    source = (prefill.get("source") or {}).get("provenance") or "gBizINFO"
    with db_session(store) as db:
        C.audit(db, ctx.actor, "view", None, page="new_case_prefill", corporate_number=number, source=source,
                fields=sorted(values))
        db.commit()
    return _new_form(request, svc, store, ctx, 200, number, None, case_in, raw, filled, source)


@router.post("/cases/{case_id}/prefill")
def preview(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep, case_id: str,
            ctx: Checked, form: Form) -> Response:
    lang = console_lang(request)
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
    got = _prefill_or_problem(request, svc, store, companies, ctx, case, form_text(form, "corporate_number",
                                                                                   40))
    if isinstance(got, Response):
        return got
    number, prefill = got
    rows = [_row(c, lang) for c in changes(case.profile, prefill)]
    return console_page(request, svc, store, "console/case_prefill.html", ctx, case=case, number=number,
                        rows=rows, source=prefill.get("source") or {}, name=prefill.get("name"),
                        section="cases")


@router.post("/cases/{case_id}/prefill/accept")
def accept(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep, case_id: str,
           ctx: Checked, form: Form) -> Response:
    with db_session(store) as db:
        case = _load(db, ctx, case_id)
        got = _prefill_or_problem(request, svc, store, companies, ctx, case, form_text(form,
                                                                                       "corporate_number", 40))
        if isinstance(got, Response):
            return got
        number, prefill = got
        chosen = set(form.getlist("field"))
        accepted = [c for c in changes(case.profile, prefill) if c.field in chosen and c.action != "same"]
        if not accepted:
            return redirect(f"/console/cases/{case.id}?done=unchanged")
        profile = {**case.profile, **{c.field: c.proposed for c in accepted}}
        source = prefill.get("source") or {}
        fields = {c.field: {"value": c.proposed, "provenance": c.provenance, "confirmed": c.confirm}
                  for c in accepted}
        try:  # update_case screens in its own transaction first (SQLite: one writer), then commits
            C.update_case(db, svc, store, ctx.actor, case, C._case_values(case), profile)
        except ProfileError as e:
            db.rollback()
            message = ("gBizINFOの値では判定できません: " + "、".join(x.message_ja for x in e.errors),
                       "The values from gBizINFO cannot be screened: " + "; ".join(x.message_en for x in e.errors))
            raise PageError(422, ("取り込めませんでした", "Not accepted"), message,
                            back=f"/console/cases/{case.id}", ctx=ctx) from None
        db.add(CaseEvent(case_id=case.id, user_id=ctx.user.id, desk_id=ctx.desk.id, kind="prefill",
                         detail=C._plain({"corporate_number": number, "source": source, "fields": fields})))
        C.audit(db, ctx.actor, "update", case.id, prefill="gBizINFO", corporate_number=number,
                source=source.get("provenance"), fields=sorted(fields))
        db.commit()
    return redirect(f"/console/cases/{case_id}?done=saved")


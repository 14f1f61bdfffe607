"""The results pages of a stored screening: the full page, the one-page A4 summary, its PDF, and referrals.

    GET  /results/{id}               the ranked programs, amounts, next steps, full rule traces, desks
    GET  /results/{id}/print         one A4 page (print CSS) for the applicant or the chamber's files
    GET  /results/{id}/summary.pdf   the same page rendered by WeasyPrint (Noto Sans CJK JP embedded)
    POST /results/{id}/refer         send the screening to a 相談窓口 (a `referral` row), then 303 to (429 past
                                     NAVI_REFERRAL_LIMIT_PER_HOUR referrals from one address in an hour)
    GET  /results/{id}/referrals/{referral_id}   the confirmation (the desk's name and contact)

The id is the screening's uuid4: the shareable link, which opens the results only. The private edit link
(the questionnaire draft's token) is never in this address: app/web/edit_link.py. The page's language is
the one rule of app/web/language.py; in any language the result is rendered from the stored facts with the
catalog version it was made with (app/web/stored.py), never screened again with the current catalog.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import ServicesDep, StoreDep, api_lang
from app.desks import get_desk
from app.intake.contact import REFER_FIELDS, validate_referral
from app.services import Services
from app.store.db import Store
from app.store.drafts import load_draft
from app.store.referral_limits import claim_referral_slot, release_referral_slot
from app.store.referrals import AlreadyReferred, get_referral, save_referral
from app.web.edit_link import edit_token, remember_edit
from app.web.i18n import environment
from app.web.pdf import pdf_filename, print_css, render_fitting_pdf
from app.web.render import render_page
from app.web.results_view import Loaded, build_view, load_result, print_view

router = APIRouter(tags=["results"])

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")

# The error answers of these pages, for the OpenAPI document: a page in the asked language (not JSON).
_PAGE = {"text/html": {"schema": {"type": "string", "description": "エラーの説明を載せた HTML ページ"}}}
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "審査結果がない（または相談窓口の案件のもので、ここでは見られない）", "content": _PAGE},
    422: {"description": "アドレスに使えない文字（制御文字）がある", "content": _PAGE},
}
REFER_ERRORS: dict[int | str, dict[str, Any]] = {
    **PAGE_ERRORS,
    409: {"description": "この審査結果はすでにこの窓口へ送られていて、窓口の対応を待っている", "content": _PAGE},
    413: {"description": "フォームの本文が大きすぎる（NAVI_MAX_FORM_BYTES）", "content": _PAGE},
    422: {"description": "入力の誤り（項目の横にメッセージ）", "content": _PAGE},
    429: {"description": "この端末からの送信が多すぎる（NAVI_REFERRAL_LIMIT_PER_HOUR）。Retry-After 付き",
          "content": _PAGE},
}


# ------------------------------------------------------------------ rendering


async def load_screening(svc: Services, store: Store, screening_id: str, lang: str) -> Loaded | None:
    loaded = await run_in_threadpool(
        load_result, store, svc, screening_id, lang,
    )
    # A screening of a console case (case_id set) is read only in the console, audited (issue 16, finding 9).
    return None if loaded is None or loaded.record.case_id is not None else loaded


def _token(request: Request, store: Store) -> str | None:
    """The private edit link's token, if this browser holds it for this page and its draft still exists."""
    token = edit_token(request)
    return token if token and load_draft(store.engine, token) is not None else None


def not_found(lang: str) -> HTMLResponse:
    return render_page(lang, "results_not_found.html", status=404)


# ------------------------------------------------------------------ routes


@router.get("/results/{screening_id}", response_class=HTMLResponse, summary="審査結果のページ（非公開リンク）",
            responses=PAGE_ERRORS)
async def results_page(request: Request, svc: ServicesDep, store: StoreDep, screening_id: str) -> Response:
    lang = api_lang(request)
    if "q" in request.query_params:  # an old address with the edit token: the token goes to a cookie
        return await run_in_threadpool(_clean_address, request, store, screening_id)
    loaded = await load_screening(svc, store, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = build_view(loaded, request, await run_in_threadpool(_token, request, store), svc)
    return render_page(lang, "results.html", **view, form={}, errors={})


@router.get("/results/{screening_id}/print", response_class=HTMLResponse, summary="印刷用の1ページ要約（A4）",
            responses=PAGE_ERRORS)
async def results_print(request: Request, svc: ServicesDep, store: StoreDep, screening_id: str) -> HTMLResponse:
    lang = api_lang(request)
    loaded = await load_screening(svc, store, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = print_view(build_view(loaded, request, None, svc), lang)
    return render_page(lang, "print_summary.html", **view, pdf=False)


@router.get("/results/{screening_id}/summary.pdf", summary="1ページ要約の PDF（A4・日本語フォント埋め込み）",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **PAGE_ERRORS})
async def results_pdf(request: Request, svc: ServicesDep, store: StoreDep, screening_id: str) -> Response:
    lang = api_lang(request)
    loaded = await load_screening(svc, store, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = build_view(loaded, request, None, svc)
    template = environment(lang).get_template("print_summary.html")

    def html_for(level: int) -> str:
        return template.render(**print_view(view, lang, level), pdf=True, print_css=print_css())

    pdf = await run_in_threadpool(render_fitting_pdf, html_for)
    ascii_name, utf8_name = pdf_filename(view)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}",
        "Cache-Control": "private, no-store",
    })




@router.post("/results/{screening_id}/refer", response_class=HTMLResponse, summary="審査結果を相談窓口に送る",
             status_code=303, responses=REFER_ERRORS)
async def refer(request: Request, svc: ServicesDep, store: StoreDep, screening_id: str) -> Response:
    lang = api_lang(request)
    loaded = await load_screening(svc, store, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    raw = await request.form()
    form = {k: v for k in REFER_FIELDS if isinstance(v := raw.get(k), str)}
    values, errors = validate_referral(form, lang)
    token = await run_in_threadpool(_token, request, store)
    if errors:
        view = build_view(loaded, request, token, svc)
        return render_page(lang, "results.html", status=422, **view, form=form, errors=errors)
    # Per-address rate limit, counted in the database so that every app server shares it (issue 16, finding 4).
    limit = svc.settings.referral_limit_per_hour
    address = request.client.host if request.client else "unknown"
    slot = await run_in_threadpool(claim_referral_slot, store.engine, address, limit, dt.timedelta(hours=1))
    if slot is None:
        view = build_view(loaded, request, token, svc)
        message = (f"この端末からの送信が多すぎます（1時間に{limit}件まで）。しばらく待ってから、もう一度送ってください"
                   if lang == "ja" else f"Too many referrals from this device (at most {limit} an hour); wait a while"
                   " and send it again")
        return render_page(lang, "results.html", status=429, headers={"Retry-After": "3600"}, **view, form=form,
                           errors={"desk_id": message})
    try:
        referral = await run_in_threadpool(save_referral, store.engine, loaded.record.id, values)
    except AlreadyReferred:  # one pending referral per screening and desk: a message, not a second case
        await run_in_threadpool(release_referral_slot, store.engine, slot)
        view = build_view(loaded, request, token, svc)
        message = ("この審査結果はすでにこの窓口へ送っています。窓口からの連絡をお待ちください" if lang == "ja" else
                   "You have already sent this result to this desk; the desk will contact you")
        return render_page(lang, "results.html", status=409, **view, form=form, errors={"desk_id": message})
    qs = f"?lang={lang}"
    # Post/Redirect/Get: reloading the confirmation does not send the case twice.
    return RedirectResponse(f"/results/{loaded.record.id}/referrals/{referral.id}{qs}", status_code=303)



@router.get("/results/{screening_id}/referrals/{referral_id}", response_class=HTMLResponse,
            summary="相談窓口に送った後の確認ページ", responses=PAGE_ERRORS)
async def referred(request: Request, store: StoreDep, screening_id: str, referral_id: str) -> HTMLResponse:
    lang = api_lang(request)
    referral = await run_in_threadpool(get_referral, store.engine, screening_id, referral_id)
    desk = get_desk(referral.desk_id) if referral is not None else None
    if referral is None or desk is None:
        return not_found(lang)
    return render_page(lang, "results_referred.html", id=screening_id, referral=referral, desk=desk,
                       has_contact=bool(referral.contact_email or referral.contact_phone), qs=f"?lang={lang}")


def _clean_address(request: Request, store: Store, screening_id: str) -> Response:
    """`/results/{id}?q=token` (the address before issue 14): the token becomes this browser's edit link
    (when it is the draft of this screening) and the address loses it, so what is shared opens the results only."""
    keep = [(k, v) for k, v in request.query_params.multi_items() if k != "q"]
    response = RedirectResponse(f"/results/{quote(screening_id)}" + (f"?{urlencode(keep)}" if keep else ""),
                                status_code=303)
    token = request.query_params.get("q") or ""
    draft = load_draft(store.engine, token) if TOKEN_RE.match(token) else None
    if draft is not None and draft.screening_id == screening_id:
        remember_edit(response, request, screening_id, token)
    return response

"""Feeds a person or a desk subscribes to without giving an address (issue 12 item 6).

    GET /results/{id}/deadlines.ics          the closing dates of the screening's eligible / needs_info programs
    GET /feeds/rounds.atom?prefecture=愛知県   the catalog's rounds for a prefecture and 全国, newest first
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import ServicesDep, StoreDep, api_lang
from app.pages.results import PAGE_ERRORS, load_screening, not_found
from app.web.feeds import deadlines_ics, rounds_atom
from programs.rounds import PREFECTURES, normalise_place

router = APIRouter(tags=["feeds"])


@router.get("/results/{screening_id}/deadlines.ics", summary="申請締切のカレンダー（iCalendar）",
            response_class=Response, responses={200: {"content": {"text/calendar": {}}}, **PAGE_ERRORS})
async def deadlines(request: Request, svc: ServicesDep, store: StoreDep, screening_id: str) -> Response:
    lang = api_lang(request)
    loaded = await load_screening(svc, store, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    body = deadlines_ics(loaded.record.id, loaded.result, lang, dt.datetime.now(dt.UTC))
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="deadlines.ics"', "Cache-Control": "private, max-age=300"})


@router.get("/feeds/rounds.atom", summary="都道府県ごとの公募回（Atom）",
            response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
async def rounds_feed(request: Request, svc: ServicesDep, prefecture: str = "") -> Response:
    lang = api_lang(request)
    pref = normalise_place(prefecture)
    if pref not in PREFECTURES:
        msg = ("都道府県名を「愛知県」のように指定してください（prefecture=…）" if lang == "ja" else
               "Give a prefecture such as 愛知県 (prefecture=…)")
        return Response(msg, status_code=400, media_type="text/plain; charset=utf-8")
    if svc.live is not None:  # a sync since the last check shows up in the feed too
        svc.live.refresh(svc)
    body = rounds_atom(svc.catalog, pref, lang, str(request.url), dt.datetime.now(dt.UTC))
    return Response(body, media_type="application/atom+xml; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=600"})

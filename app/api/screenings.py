"""Stored screenings: `GET /api/v1/screenings/{id}` (the API's screening routes store them through `StoreDep`).

The row holds facts; the result is rendered on read with the screening's own catalog version in the asked
language (app/web/stored.py). The id is an unguessable uuid4; access control comes with the advisor console.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from app.api.screen import BadRequest, not_found_responses
from app.deps import ApiLang, ServicesDep, StoreDep
from app.store.screenings import ScreeningPublic
from app.web.stored import render_stored
from eligibility.profile import make_error

router = APIRouter(prefix="/api/v1")


class ScreeningShown(ScreeningPublic):
    notice: str | None = Field(default=None, description="catalog_missing（版がない）/ outcome_changed（再構成"
                                                         "した判定が保存時と異なる）/ rescreened / null")
    message: str | None = Field(default=None, description="notice の説明（日本語。Accept-Language: en で英語）")


@router.get(
    "/screenings/{screening_id}",
    summary="保存された審査結果（保存時の制度カタログの版で表示）",
    description="審査のたびに保存される記録（送信されたプロフィール、判定の事実、カタログ・モデルの版、基準日、日時）と、"
                "保存時の制度カタログの版で組み立て直した結果（`result`、日本語または英語）を返します。版が保存されて"
                "いない、または判定が保存時と異なるときは `notice` と `message` で知らせます。"
                "`screening_id` は `POST /api/v1/screen` の応答に含まれます。",
    response_model=ScreeningShown,
    responses=not_found_responses("その ID の審査記録はありません"),
)
async def get_screening(screening_id: str, store: StoreDep, svc: ServicesDep, lang: ApiLang) -> JSONResponse:
    record = await run_in_threadpool(store.get_screening, screening_id)
    # A screening made in the console belongs to a case: readable only there, where every view is audited
    # (issue 16, finding 9); here it does not exist.
    if record is None or record.case_id is not None:
        raise BadRequest(404, [make_error("screening_id", "not_found")])
    shown = await run_in_threadpool(render_stored, store, svc, record, lang)
    body = ScreeningShown(**{**record.model_dump(), "result": shown.result},
                          notice=shown.notice, message=shown.message)
    return JSONResponse(body.model_dump(mode="json"))

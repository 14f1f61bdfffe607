"""Stored screenings: `GET /api/v1/screenings/{id}` (the API's screening routes store them through `StoreDep`).

The id is an unguessable uuid4; access control comes with the advisor console.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.api.screen import BadRequest, not_found_responses
from app.deps import StoreDep
from app.store.screenings import ScreeningPublic
from eligibility.profile import make_error

router = APIRouter(prefix="/api/v1")

@router.get(
    "/screenings/{screening_id}",
    summary="保存された審査結果（表示した内容そのまま）",
    description="審査のたびに保存される記録（送信されたプロフィール、表示した結果、カタログ・モデルの版、"
                "基準日、日時）を返します。`screening_id` は `POST /api/v1/screen` の応答に含まれます。",
    response_model=ScreeningPublic,
    responses=not_found_responses("その ID の審査記録はありません"),
)
def get_screening(screening_id: str, store: StoreDep) -> JSONResponse:
    record = store.get_screening(screening_id)
    # A screening made in the console belongs to a case: readable only there, where every view is audited
    # (issue 16, finding 9); here it does not exist.
    if record is None or record.case_id is not None:
        raise BadRequest(404, [make_error("screening_id", "not_found")])
    return JSONResponse(record.model_dump(mode="json"))

"""Stored screenings: `GET /api/v1/screenings/{id}`, and the saver that `app.api` calls after each screening.

The id is an unguessable uuid4; access control comes with the advisor console.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.screen import BadRequest, lang_of, not_found_responses
from app.store.db import JSONText, Store
from app.store.screenings import ScreeningPublic
from eligibility.engine import Screening
from eligibility.profile import make_error

router = APIRouter(prefix="/api/v1")

# (lang, source) of the API request being served, set by `remember_request` (a dependency of the
# screening routes), so that the saver records the language shown and "api" / "batch".
_request: ContextVar[tuple[str, str] | None] = ContextVar("navi_screening_request", default=None)


async def remember_request(request: Request) -> None:
    """Router dependency (async: runs in the endpoint's own context, so the value is seen by the saver)."""
    source = "batch" if request.url.path.rstrip("/").endswith("/batch") else "api"
    _request.set((lang_of(request), source))


SaveScreening = Callable[..., str]
SaveScreeningAsync = Callable[..., Awaitable[str]]


def _context(source: str | None, lang: str | None) -> tuple[str, str]:
    ctx = _request.get()
    return source or (ctx[1] if ctx else "api"), lang or (ctx[0] if ctx else "ja")


def screening_saver(store: Store) -> SaveScreening:
    """`app.state.save_screening(data, screening, body)`: stores the screening and returns its id.

    Callers outside the JSON API (web forms, command line) pass `source=` and `lang=` themselves.
    """

    def save(data: Any, screening: Screening, body: dict[str, Any] | JSONText, *, source: str | None = None,
             lang: str | None = None, case_id: str | None = None) -> str:
        src, lng = _context(source, lang)
        return store.save_screening(data, screening, body, source=src, lang=lng, case_id=case_id)

    return save


def screening_saver_async(store: Store) -> SaveScreeningAsync:
    """`await app.state.save_screening_async(...)`: the same through the store's group-commit writer."""

    async def save(data: Any, screening: Screening, body: dict[str, Any] | JSONText, *,
                   source: str | None = None, lang: str | None = None, case_id: str | None = None) -> str:
        src, lng = _context(source, lang)
        return await store.save_screening_async(data, screening, body, source=src, lang=lng, case_id=case_id)

    return save


@router.get(
    "/screenings/{screening_id}",
    summary="保存された審査結果（表示した内容そのまま）",
    description="審査のたびに保存される記録（送信されたプロフィール、表示した結果、カタログ・モデルの版、"
                "基準日、日時）を返します。`screening_id` は `POST /api/v1/screen` の応答に含まれます。",
    response_model=ScreeningPublic,
    responses=not_found_responses("その ID の審査記録はありません"),
)
def get_screening(request: Request, screening_id: str) -> JSONResponse:
    store: Store = request.app.state.store
    record = store.get_screening(screening_id)
    if record is None:
        raise BadRequest(404, [make_error("screening_id", "not_found")])
    return JSONResponse(record.model_dump(mode="json"))

"""JSON API v1 (shared/contract): screening, batch screening, the program catalog."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import unicodedata
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from app.api.lean import slim_answer
from app.api.slim import INCLUDES
from app.deps import ApiLang, SearchDep, ServicesDep, StoreDep
from app.errors import BadRequest, error_body
from app.services import Services
from app.store.db import encode_json
from eligibility.engine import program_texts
from eligibility.profile import Profile, ProfileError, make_error

router = APIRouter(prefix="/api/v1")

PROFILE_EXAMPLE: dict[str, Any] = {
    "as_of": "2025-09-01",
    "applicant_type": "corporation",
    "established_on": "1978-05-01",
    "employees": 25,
    "capital_yen": 10000000,
    "industry": "manufacturing",
    "large_company_shareholding": {"largest": 0, "combined": 0},
    "large_company_officer_ratio": 0,
    "wholly_owned_by_large_parent": False,
    "avg_taxable_income_yen": 18000000,
    "prefecture": "大阪府",
    "phase": "expansion",
    "domestic_applications": ["patent", "design"],
    "patent_exam_status": "started",
    "foreign_filings": [
        {"right": "patent", "cost_yen": 3400000, "already_filed": False},
        {"right": "design", "cost_yen": 800000, "already_filed": False},
    ],
    "interests": ["overseas"],
    "description": "東大阪市の金属加工の町工場。特許と意匠を中国・米国へ出願したい。",
}


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """`node` with every `{"$ref": "#/$defs/X"}` replaced by X's schema (the profile's models do not nest
    recursively)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline_refs({**defs[ref.removeprefix("#/$defs/")], **rest}, defs)
        return {k: _inline_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _profile_schema() -> dict[str, Any]:
    """The profile's JSON schema, self-contained: its nested models (Shareholding, ForeignFiling, …) are inlined,
    since they are not among the OpenAPI document's components (a `$ref` to them would dangle)."""
    schema = Profile.model_json_schema()
    defs = schema.pop("$defs", {})
    inlined: dict[str, Any] = _inline_refs(schema, defs)
    return inlined


def _openapi_body(schema: dict[str, Any], example: Any, description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema, "examples": {"町工場の海外出願": {"value": example}}}},
        }
    }


class ErrorItem(BaseModel):
    field: str = Field(description="項目（例: employees、foreign_filings[0].cost_yen）。本文全体なら空")
    label: str = Field(description="項目の日本語名")
    code: str = Field(description="誤りの種類（例: int_type、extra_forbidden）")
    message: str = Field(description="メッセージ（日本語。Accept-Language: en で英語）")


class ErrorBody(BaseModel):
    """The body of every 4xx of the API (`error_body`)."""

    message: str
    errors: list[ErrorItem]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "JSON として読めない本文（項目ごとのメッセージ付き）"},
    413: {"model": ErrorBody, "description": "本文が 1 MiB を超えています"},
    422: {"model": ErrorBody, "description": "入力項目の誤り（項目ごとの日本語メッセージ。Accept-Language: en で英語）"},
}


# A body the API reads (POST): also 415 when it is not sent as JSON (app/web/guards.py, issue 16 finding 8).
BODY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    415: {"model": ErrorBody, "description": "本文の Content-Type が application/json ではありません"
                                             "（text/plain などのフォーム送信は受け付けません）"},
}


def not_found_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """404 with the API's error body (and its 422, instead of FastAPI's `HTTPValidationError`, never sent)."""
    return {404: {"model": ErrorBody, "description": description}, 422: ERROR_RESPONSES[422]}








INCLUDE_QUERY: Any = Query(default=None, max_length=40, description=(
    "`texts`: 制度の説明・準備するもの・次の手順・窓口・出典名・すべてのルールの判定過程も含める（既定では省き、"
    "`GET /api/v1/programs/{id}` から取得できます）"))


def _includes_texts(include: str | None) -> bool:
    parts = {p.strip() for p in (include or "").split(",") if p.strip()}
    unknown = sorted(parts - INCLUDES)
    if unknown:
        raise BadRequest(422, [make_error("include", "literal_error", expected="texts")])
    return "texts" in parts


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, refusing over-size bodies, NaN/Infinity and junk nested beyond reason."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, [make_error("", "body_too_large")])
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BadRequest(413, [make_error("", "body_too_large")])
    try:
        text = bytes(body).decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadRequest(400, [make_error("", "json_invalid")]) from None
    except ValueError as e:
        code = "finite_number" if str(e) in ("NaN", "Infinity", "-Infinity") else "json_invalid"
        raise BadRequest(400 if code == "json_invalid" else 422, [make_error("", code)]) from None
    except RecursionError:
        raise BadRequest(400, [make_error("", "too_deep")]) from None


@router.post(
    "/screen",
    summary="申請者1社を審査する",
    description=(
        "申請者のプロフィール（すべて任意項目。未回答は「不明」）を受け取り、基準日 `as_of` に有効な"
        "すべての制度について、判定（eligible / needs_info / ineligible）、根拠となったルールと事実・出典、"
        "補助見込み額、不足している回答、推奨順位を返します。"
    ),
    responses=BODY_RESPONSES,
    openapi_extra=_openapi_body(_profile_schema(), PROFILE_EXAMPLE, "申請者のプロフィール（契約 v1）"),
)
async def screen(request: Request, svc: ServicesDep, store: StoreDep, lang: ApiLang,
                 include: str | None = INCLUDE_QUERY) -> Response:
    texts = _includes_texts(include)
    data = await read_json(request, svc.settings.max_body_bytes)
    try:
        screening = svc.screen(data)
    except ProfileError as e:
        raise BadRequest(422, e.errors) from None
    body = screening.as_dict(lang) if texts else slim_answer(screening, lang)
    # The stored row holds facts only (app/store/db.py); the answer is serialised once (the JSON JSONResponse
    # would send, with screening_id last), after the row went through the group-commit writer
    # (app/store/writer.py): answered once the transaction holding it has committed.
    text = encode_json(body)
    screening_id = await store.save_screening_async(data, screening, text, source="api", lang=lang)
    return Response(with_screening_id(text.raw, screening_id), media_type="application/json")


def with_screening_id(raw: bytes, screening_id: str) -> bytes:
    """A serialised JSON object with `screening_id` added as its last key.

    >>> with_screening_id(b'{"a":1}', "x")
    b'{"a":1,"screening_id":"x"}'
    """
    return b"%s,\"screening_id\":%s}" % (raw[:-1], json.dumps(screening_id).encode())


@router.post(
    "/screen/batch",
    summary="複数の申請者をまとめて審査する（最大 1,000 件）",
    description="`{\"profiles\": [...]}` を受け取り、同じ順序で `{\"results\": [...]}` を返します。"
                "誤りのある申請者は `errors` を持つ要素になり、ほかの申請者は処理されます。",
    responses=BODY_RESPONSES,
    openapi_extra=_openapi_body(
        {"type": "object", "required": ["profiles"], "additionalProperties": False,
         "properties": {"profiles": {"type": "array", "maxItems": 1000, "items": _profile_schema()}}},
        {"profiles": [PROFILE_EXAMPLE]}, "申請者プロフィールの配列",
    ),
)
async def screen_batch(request: Request, svc: ServicesDep, store: StoreDep, lang: ApiLang,
                       include: str | None = INCLUDE_QUERY) -> JSONResponse:
    texts = _includes_texts(include)
    data = await read_json(request, svc.settings.max_body_bytes)
    if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
        raise BadRequest(422, [make_error("profiles", "list_type")])
    unknown = [k for k in data if k != "profiles"]
    if unknown:  # strict like the single screening: a misspelt option must not be ignored silently
        raise BadRequest(422, [make_error(k[:80], "extra_forbidden") for k in unknown[:20]])
    profiles = data["profiles"]
    if len(profiles) > svc.settings.max_batch:
        raise BadRequest(422, [make_error("profiles", "too_long", max_length=svc.settings.max_batch)])
    results: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], Awaitable[str]]] = []
    for i, prof in enumerate(profiles):
        try:
            screening = svc.screen(prof)
        except ProfileError as e:
            results.append({"index": i, "status": 422, **error_body(e.errors, lang, 422)})
            continue
        body = screening.as_dict(lang) if texts else slim_answer(screening, lang)
        item = {"index": i, "status": 200, **body}
        # queued now, committed in groups by the writer, awaited below
        saved = store.save_screening_async(prof, screening, source="batch", lang=lang)
        pending.append((item, asyncio.ensure_future(saved)))
        results.append(item)
    ids = await asyncio.gather(*(fut for _, fut in pending))
    for (item, _), screening_id in zip(pending, ids, strict=True):
        item["screening_id"] = screening_id
    return JSONResponse({"results": results})


def _parse_as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(422, [make_error("as_of", "date_format")]) from None


def program_summary(svc: Services, pid: str, lang: str) -> dict[str, Any]:
    p = svc.catalog.programs[pid]
    ja = lang == "ja"
    return {
        "program_id": p.id,
        "name": p.names.ja if ja else p.names.en,
        "name_ja": p.names.ja,
        "name_en": p.names.en,
        "operator": p.operator.ja if ja else p.operator.en,
        "kind": p.kind,
        "phases": list(p.phases),
        "in_force": {"from": p.in_force.from_.isoformat(),
                     "until": p.in_force.until.isoformat() if p.in_force.until else None},
        "provisional": p.provisional,
        "description": p.description.ja if ja else p.description.en,
        "benefit": p.benefit.summary.ja if ja else p.benefit.summary.en,
        "budget_status": p.application.budget_status,
        "keywords": p.keywords,
    }


def simple_search(svc: Services, q: str) -> list[str]:
    """Programs whose text contains every term of q (NFKC, case-folded); used without the FTS index."""
    terms = [t for t in unicodedata.normalize("NFKC", q).lower().split() if t]
    hits = []
    for pid, p in svc.catalog.programs.items():
        text = unicodedata.normalize("NFKC", " ".join(
            [p.names.ja, p.names.en, p.description.ja, p.description.en, " ".join(p.keywords),
             p.benefit.summary.ja])).lower()
        if all(t in text for t in terms):
            hits.append(pid)
    return hits


@router.get(
    "/programs",
    summary="制度の一覧（全文検索・基準日で絞り込み）",
    description="`q` は日本語の全文検索（空白区切りの語をすべて含む制度）。`as_of` を指定するとその日に有効な制度だけを返します。",
    responses=ERROR_RESPONSES,
)
async def list_programs(
    svc: ServicesDep,
    lang: ApiLang,
    search: SearchDep,
    q: str | None = Query(default=None, max_length=200, description="検索語（例: 海外 模倣品）"),
    as_of: str | None = Query(default=None, description="基準日 YYYY-MM-DD", json_schema_extra={"format": "date"}),
) -> JSONResponse:
    when = _parse_as_of(as_of)
    ids = list(svc.catalog.programs) if not q else (search(q) if search else simple_search(svc, q))
    if when is not None:
        ids = [i for i in ids if svc.catalog.programs[i].in_force.covers(when)]
    return JSONResponse({
        "catalog_version": svc.catalog.version,
        "count": len(ids),
        "programs": [program_summary(svc, i, lang) for i in ids],
    })


@router.get(
    "/programs/{program_id}",
    summary="制度の詳細（要件・パラメータ・出典）",
    responses=not_found_responses("その ID の制度はありません"),
)
async def get_program(program_id: str, request: Request, svc: ServicesDep, lang: ApiLang) -> Response:
    prog = svc.catalog.programs.get(program_id)
    if prog is None:
        raise BadRequest(404, [make_error("program_id", "unknown_program", value=program_id[:80])])
    # The texts change only with the catalog version: one ETag per version and language.
    etag = f'"{svc.catalog.version}.{lang}"'
    headers = {"ETag": etag, "Vary": "Accept-Language", "Cache-Control": "public, max-age=300"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return JSONResponse({
        **program_summary(svc, program_id, lang),
        "catalog_version": svc.catalog.version,
        "texts": program_texts(prog, lang),
        "definition": prog.model_dump(mode="json", by_alias=True),
    }, headers=headers)

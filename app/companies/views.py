"""`GET /api/v1/companies/{corporate_number}`: gBizINFO's facts of a company, each with its source (contract v1.1).

The company lookup (`CompaniesDep`, app/companies/wiring.py) and the catalog (`ServicesDep`) are the route's
dependencies (app/deps.py); the error body and the language come from app.api.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from app.api.screen import ErrorBody
from app.companies.client import GbizError
from app.companies.mapping import to_prefill
from app.deps import CompaniesDep, ServicesDep
from app.deps import api_lang as lang_of
from app.errors import BadRequest, error_body
from app.intake.normalize import NormalizeError, parse_corporate_number
from eligibility.profile import FieldError

log = logging.getLogger("navi.gbizinfo")
router = APIRouter(prefix="/api/v1", tags=["companies"])
RETRY_AFTER_SECONDS = 60


class Fact(BaseModel):
    value: Any = Field(description="値（プロフィールの項目の型: 日付は YYYY-MM-DD、金額・人数は整数）")
    source: str = Field(description="出典（gBizINFO）")
    updated_on: str | None = Field(description="出典の更新日（YYYY-MM-DD）")
    provenance: str = Field(description="表示用の出典（例: gBizINFO（2026年7月1日更新）より）")
    suggestion: bool = Field(default=False, description="true: 確認してから使う提案値（従業員数・国内出願）")
    note: str | None = Field(default=None, description="確認のための注意")


class PrefillAward(BaseModel):
    program_id: str
    fiscal_year: int | None = Field(description="公募年度（名称の「令和8年度」、なければ交付決定日の年度）")
    amount_yen: int | None
    title: str = Field(description="gBizINFO の補助金名")
    approved_on: str | None = Field(description="交付決定日（YYYY-MM-DD）")


class CompanyPrefill(BaseModel):
    """The prefill answer (contract v1.1); a fact gBizINFO does not know is absent from `facts`."""

    corporate_number: str
    name: str | None
    source: dict[str, Any] = Field(description="name, url（gBizINFO の法人ページ）, updated_on, provenance")
    facts: dict[str, Fact] = Field(description="established_on, capital_yen, employees, prefecture, municipality, "
                                   "applicant_type, industry, domestic_applications（知っているものだけ）")
    ambiguous: dict[str, Any] = Field(description="一つに決まらない項目と候補（例: industry.candidates）")
    prior_awards: list[PrefillAward] = Field(description="当サービスの制度に当たる、gBizINFO に載っている補助金")
    prior_awards_note: str = Field(description="掲載の遅れ・漏れの注意（ないことの証明ではない）")
    other_subsidies: list[dict[str, Any]]
    rights: list[dict[str, Any]] = Field(description="gBizINFO に載っている特許・実用新案・意匠・商標")
    fetched_at: str = Field(description="gBizINFO に問い合わせた日時（キャッシュ）")


EXAMPLE = {
    "corporate_number": "9010401123456", "name": "株式会社サンプル知財ラボ",
    "source": {"name": "gBizINFO", "url": "https://info.gbiz.go.jp/hojin/ichiran?hojinBangou=9010401123456",
               "updated_on": "2026-07-01", "provenance": "gBizINFO（2026年7月1日更新）より"},
    "facts": {
        "established_on": {"value": "2019-04-01", "source": "gBizINFO", "updated_on": "2026-07-01",
                           "provenance": "gBizINFO（2026年7月1日更新）より"},
        "capital_yen": {"value": 30000000, "source": "gBizINFO", "updated_on": "2026-07-01",
                        "provenance": "gBizINFO（2026年7月1日更新）より"},
        "employees": {"value": 18, "source": "gBizINFO", "updated_on": "2026-07-01",
                      "provenance": "gBizINFO（2026年7月1日更新）より", "suggestion": True,
                      "note": "gBizINFOの従業員数は…「常時使用する従業員」…と同じとは限りません。確認してから使ってください"},
        "prefecture": {"value": "東京都", "source": "gBizINFO", "updated_on": "2026-07-01",
                       "provenance": "gBizINFO（2026年7月1日更新）より"},
        "municipality": {"value": "千代田区", "source": "gBizINFO", "updated_on": "2026-07-01",
                         "provenance": "gBizINFO（2026年7月1日更新）より"},
        "applicant_type": {"value": "corporation", "source": "gBizINFO", "updated_on": "2026-07-01",
                           "provenance": "gBizINFO（2026年7月1日更新）より"},
    },
    "ambiguous": {"industry": {"candidates": ["software", "services", "other"], "jsic": ["情報通信業"],
                               "note": "gBizINFOの業種（日本標準産業分類）からは一つに決まりません。候補から選んでください"}},
    "prior_awards": [{"program_id": "inpit_foreign_filing_subsidy", "fiscal_year": 2026, "amount_yen": 1200000,
                      "title": "令和8年度INPIT外国出願補助金", "approved_on": "2026-05-20"}],
    "prior_awards_note": "gBizINFOに載っている補助金のうち、当サービスの制度に当たるものです。…",
    "other_subsidies": [], "rights": [], "fetched_at": "2026-12-02T01:00:00+00:00",
}


def _unavailable(error: GbizError, lang: str) -> JSONResponse:
    message = error.message(lang)
    item = FieldError("corporate_number", f"gbizinfo_{error.kind}", error.message("ja"), error.message("en"))
    return JSONResponse({"message": message, "errors": [item.as_dict(lang)]}, status_code=503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"})


@router.get(
    "/companies/{corporate_number}",
    summary="法人番号から会社の情報を取得する（gBizINFO）",
    description=(
        "gBizINFO（経済産業省）が知っている会社の事実を、出典と更新日付きで返します（契約 v1.1 の自動入力）。"
        "全角数字・ハイフン入りの法人番号も受け付けます。都道府県・市区町村は本社所在地から（政令指定都市は市、"
        "東京都の特別区は区）、申請者の種類は法人種別から、業種は日本標準産業分類が当サービスの業種に一つに決まる"
        "ときだけ（決まらなければ `ambiguous.industry` に候補）。従業員数と国内出願は確認が必要な提案値です。"
        "補助金は当サービスの制度に当たるものを公募年度・金額付きで返します（gBizINFO には遅れ・漏れがあるため、"
        "ないことの証明にはなりません）。同じ会社への問い合わせは `NAVI_GBIZINFO_CACHE_TTL_HOURS` の間キャッシュします。"
    ),
    response_model=None,
    responses={
        200: {"model": CompanyPrefill, "description": "会社の事実（出典付き）",
              "content": {"application/json": {"example": EXAMPLE}}},
        404: {"model": ErrorBody, "description": "gBizINFO にこの法人番号の会社がありません"},
        422: {"model": ErrorBody, "description": "法人番号の形式・チェックデジットの誤り（日本語。Accept-Language: en で英語）"},
        503: {"model": ErrorBody, "description": "gBizINFO を使えません（APIトークン未設定・拒否、停止、応答が遅い、"
                                                 "読めない応答）。フォームは自動入力なしで使えます"},
    },
)
async def company(
    request: Request,
    svc: ServicesDep,
    companies: CompaniesDep,
    corporate_number: Annotated[str, Path(description="法人番号（13桁。全角数字・ハイフン可）",
                                          examples=["9010401123456", "９０１０－４０１１－２３４５６"])],
) -> JSONResponse:
    lang = lang_of(request)
    try:
        number = parse_corporate_number(corporate_number)
    except NormalizeError as e:
        raise BadRequest(422, [FieldError("corporate_number", e.code, e.message_ja, e.message_en)]) from None
    lookup = companies.lookup()
    if not lookup.client.configured:
        return _unavailable(GbizError("no_token"), lang)
    try:
        record, fetched_at = await run_in_threadpool(lookup.record, number)
    except GbizError as e:
        log.warning("gBizINFO prefill of %s failed: %s", number, e)
        return _unavailable(e, lang)
    if record is None:
        item = FieldError("corporate_number", "company_not_found",
                          "gBizINFOにこの法人番号の会社が見つかりません。番号を確認するか、各項目を直接入力してください",
                          "gBizINFO has no company with this corporate number; check it or enter the answers directly")
        return JSONResponse(error_body([item], lang, 404), status_code=404)
    known = set(svc.catalog.programs)
    body = to_prefill(number, record, known, lang)
    body["fetched_at"] = fetched_at.isoformat()
    return JSONResponse(body)

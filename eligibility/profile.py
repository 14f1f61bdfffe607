"""The applicant profile (contract v1) and its validation, with one Japanese/English message per field."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from eligibility.facts import ENUM_LABELS, PREFECTURES, field_label
from programs.rounds import MUNICIPALITY_RE, normalise_place

# Sanity bounds: inputs outside them are typing mistakes, not companies (reject, don't guess).
MAX_EMPLOYEES = 10_000_000
MAX_YEN = 10**15
MAX_DESCRIPTION = 4000
MAX_LIST = 100


def _iso_date(v: Any) -> Any:
    """Dates arrive as ISO strings (JSON) or date objects; a number is never a date."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v.strip())
        except ValueError:
            raise PydanticCustomError("date_format", "invalid date {value}", {"value": v}) from None
    raise PydanticCustomError("date_format", "invalid date {value}", {"value": v})


def _finite(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("number_type", "not a number", {})
    if isinstance(v, float) and not math.isfinite(v):
        raise PydanticCustomError("finite_number", "not finite", {})
    return v


Date = Annotated[dt.date, BeforeValidator(_iso_date)]
# Field before BeforeValidator: the bounds then appear as minimum/maximum in the JSON schema (the other order
# emits non-standard "ge"/"le" keywords); validation is the same (_finite still runs first).
Ratio = Annotated[float, Field(ge=0, le=1), BeforeValidator(_finite)]
Yen = Annotated[StrictInt, Field(ge=0, le=MAX_YEN)]

ApplicantType = Literal[
    "corporation", "sole_proprietor", "individual", "university", "research_institute", "vc",
    "accelerator", "ecosystem_builder", "npo", "sme_group", "chamber",
]
Industry = Literal[
    "manufacturing", "construction", "transport", "wholesale", "retail", "services", "software",
    "rubber", "hotel", "other",
]
Right = Literal["patent", "utility_model", "design", "trademark"]
FilingRight = Literal["patent", "utility_model", "design", "trademark", "squatting_trademark"]
Interest = Literal[
    "mentoring", "ip_strategy", "market_analysis", "overseas", "enforcement", "fast_examination",
    "fee_reduction", "financing", "partnership", "consultation",
]


# C0 controls except TAB, LF, CR (and DEL): PostgreSQL refuses NUL in text and no field of ours has a use for
# the others, so every text field refuses them here, in one place, with a message next to the field (issue 16).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control(v: Any) -> bool:
    t = type(v)
    if t is str:
        return CONTROL.search(v) is not None
    if v is None or t is int or t is float or t is bool:  # the usual values, without isinstance's union check
        return False
    if isinstance(v, str):
        return CONTROL.search(v) is not None
    if isinstance(v, list | tuple):
        return any(_has_control(x) for x in v)
    return False


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control(cls, v: Any) -> Any:
        if _has_control(v):
            raise PydanticCustomError("control_character", "control character", {})
        return v


class Shareholding(_Model):
    largest: Ratio | None = None
    combined: Ratio | None = None

    @model_validator(mode="after")
    def _order(self) -> Shareholding:
        if self.largest is not None and self.combined is not None and self.largest > self.combined:
            raise PydanticCustomError("largest_over_combined", "largest > combined", {})
        return self


class ForeignFiling(_Model):
    # Required (issue 16, finding 8): the right sets the per-case cap (特許 150万円, 意匠・商標 60万円 …), so a filing
    # without it cannot be estimated; 422 "入力が必要です" at foreign_filings[i].right, as the contract note says.
    right: FilingRight
    cost_yen: Yen | None = None
    already_filed: StrictBool | None = None


class Dispute(_Model):
    kind: Literal["counterfeit", "squatting", "defense"] | None = None
    cost_yen: Yen | None = None
    holds_local_right: StrictBool | None = None
    holds_jp_trademark: StrictBool | None = None


class Insurance(_Model):
    premium_yen: Yen | None = None
    renewal: StrictBool | None = None


_INSURANCE = TypeAdapter(Insurance | None)


def _insurance_plan(v: Any, _handler: Any) -> Any:
    """`false` = no insurance planned (an answer, unlike absent); else the contract's object."""
    return False if v is False else _INSURANCE.validate_python(v)


# `litigation_insurance: false` (issue 14): 「いいえ」 in the questionnaire is an answer that reaches the result.
InsurancePlan = Annotated[Insurance | Literal[False] | None, WrapValidator(_insurance_plan)]


class PriorAward(_Model):
    program_id: str = Field(min_length=1, max_length=80)
    fiscal_year: Annotated[StrictInt, Field(ge=1989, le=2100)]
    amount_yen: Yen


class Profile(_Model):
    """Every field optional: absent means unknown, never false / 0 / []."""

    as_of: Date | None = None
    applicant_type: ApplicantType | None = None
    established_on: Date | None = None
    employees: Annotated[StrictInt, Field(ge=0, le=MAX_EMPLOYEES)] | None = None
    capital_yen: Yen | None = None
    industry: Industry | None = None
    large_company_shareholding: Shareholding | None = None
    large_company_officer_ratio: Ratio | None = None
    wholly_owned_by_large_parent: StrictBool | None = None
    avg_taxable_income_yen: Annotated[StrictInt, Field(ge=-MAX_YEN, le=MAX_YEN)] | None = None
    # The 47 names as an enum in the JSON schema (OpenAPI); the validator below gives the Japanese message.
    prefecture: Annotated[str, Field(json_schema_extra={"enum": list(PREFECTURES)})] | None = None
    phase: Literal["concept", "launch", "expansion"] | None = None
    domestic_applications: Annotated[list[Right], Field(max_length=MAX_LIST)] | None = None
    patent_exam_status: Literal["none", "planned", "filed", "requested", "started"] | None = None
    design_application: Literal["none", "planned", "filed"] | None = None
    working_related: StrictBool | None = None
    foreign_filings: Annotated[list[ForeignFiling], Field(max_length=MAX_LIST)] | None = None
    overseas_disputes: Annotated[list[Dispute], Field(max_length=MAX_LIST)] | None = None
    litigation_insurance: InsurancePlan = None
    prior_awards: Annotated[list[PriorAward], Field(max_length=MAX_LIST)] | None = None
    vc_backed: StrictBool | None = None
    interests: Annotated[list[Interest], Field(max_length=MAX_LIST)] | None = None
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] | None = None
    # Additions beyond contract v1 (optional; absent keeps the contract's behaviour).
    chamber_member: StrictBool | None = None
    design_bulk_filing: StrictBool | None = None
    company_name: Annotated[str, Field(max_length=200)] | None = None
    # Contract v1.1 (DOMAIN.md 7.4): 市区町村 of the head office, decides municipal programs and windows.
    municipality: Annotated[str, Field(max_length=40)] | None = None
    # Facts of the FY2026 programs (DOMAIN.md 7.4); absent = unknown.
    foreign_patent_grant_decided: StrictBool | None = None
    foreign_procedure_pending: StrictBool | None = None
    patent_search_planned: StrictBool | None = None
    local_site_6_months: StrictBool | None = None

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        text = normalise_place(v)
        for pref in PREFECTURES:  # 「愛知県岡崎市」 is accepted as 岡崎市 (the prefecture is its own field)
            if text.startswith(pref) and len(text) > len(pref):
                text = text[len(pref):]
                break
        if not MUNICIPALITY_RE.match(text):
            raise PydanticCustomError("municipality", "not a municipality {value}", {"value": v})
        return text

    @field_validator("prefecture")
    @classmethod
    def _prefecture(cls, v: str | None) -> str | None:
        if v is not None and v not in PREFECTURES:
            raise PydanticCustomError("prefecture", "unknown prefecture {value}", {"value": v})
        return v

    @field_validator("as_of")
    @classmethod
    def _as_of(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not (dt.date(2000, 1, 1) <= v <= dt.date(2100, 12, 31)):
            raise PydanticCustomError("as_of_range", "as_of out of range", {})
        return v

    @model_validator(mode="after")
    def _dates(self) -> Profile:
        if self.established_on is not None and self.established_on > self.reference_date():
            raise PydanticCustomError(
                "established_after_as_of", "established_on after as_of",
                {"established_on": self.established_on.isoformat(), "as_of": self.reference_date().isoformat()},
            )
        return self

    def reference_date(self) -> dt.date:
        return self.as_of or today_tokyo()

    def has(self, name: str) -> bool:
        return getattr(self, name) is not None


def today_tokyo() -> dt.date:
    """Today's date in Asia/Tokyo (the contract's default as_of)."""
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).date()


# --- messages -------------------------------------------------------------------------------------

_MESSAGES: dict[str, tuple[str, str]] = {
    "extra_forbidden": ("この項目は受け付けていません（項目名を確認してください）", "Unknown field (check the field name)"),
    "missing": ("入力が必要です", "This field is required"),
    "int_type": ("整数で入力してください", "Enter a whole number"),
    "int_parsing": ("整数で入力してください", "Enter a whole number"),
    "int_from_float": ("整数で入力してください（小数は使えません）", "Enter a whole number (no decimals)"),
    "float_type": ("数値で入力してください", "Enter a number"),
    "float_parsing": ("数値で入力してください", "Enter a number"),
    "number_type": ("数値で入力してください", "Enter a number"),
    "finite_number": ("数値で入力してください（NaN や無限大は使えません）", "Enter a finite number (not NaN or infinity)"),
    "greater_than_equal": ("{ge} 以上の値を入力してください", "Enter a value of at least {ge}"),
    "less_than_equal": ("{le} 以下の値を入力してください（大きすぎます）", "Enter a value of at most {le} (too large)"),
    "bool_type": ("はい（true）かいいえ（false）で答えてください", "Answer true or false"),
    "bool_parsing": ("はい（true）かいいえ（false）で答えてください", "Answer true or false"),
    "string_type": ("文字列で入力してください", "Enter text"),
    "string_too_long": ("{max_length} 文字以内で入力してください", "Use at most {max_length} characters"),
    "string_too_short": ("入力してください", "This must not be empty"),
    "too_long": ("{max_length} 件以内にしてください", "At most {max_length} items"),
    "list_type": ("リスト（配列）で指定してください", "Give a list"),
    "model_type": ("オブジェクトで指定してください", "Give an object"),
    "model_attributes_type": ("オブジェクトで指定してください", "Give an object"),
    "dict_type": ("オブジェクトで指定してください", "Give an object"),
    "literal_error": ("次のいずれかを選んでください: {expected}", "Choose one of: {expected}"),
    "date_format": ("日付は YYYY-MM-DD の形式で、実在する日付を入力してください（例: 2021-04-01）",
                    "Enter a real date as YYYY-MM-DD (e.g. 2021-04-01)"),
    "prefecture": ("都道府県名を正しく入力してください（例: 東京都、大阪府）",
                   "Enter a Japanese prefecture name (e.g. 東京都)"),
    "municipality": ("市区町村名を正しく入力してください（例: 岡崎市、品川区、西春日井郡豊山町）",
                     "Enter a Japanese municipality (city, ward, town or village), e.g. 岡崎市"),
    "as_of_range": ("基準日は 2000年〜2100年 の日付にしてください", "The reference date must be between 2000 and 2100"),
    "established_after_as_of": (
        "設立日（{established_on}）が基準日（{as_of}）より後になっています。設立済みの日付を入力してください",
        "The founding date ({established_on}) is after the reference date ({as_of}); enter a date already past",
    ),
    "largest_over_combined": (
        "最大の1社の出資比率が大企業全体の合計より大きくなっています",
        "The largest single holding exceeds the combined holding of all large companies",
    ),
    "control_character": ("使えない文字（NUL などの制御文字）が含まれています。入力し直してください",
                          "The text contains a character that cannot be used (a control character such as NUL); "
                          "type it again"),
    "unknown_program": ("この制度IDはカタログにありません: {value}", "No such program id in the catalog: {value}"),
    "json_invalid": ("JSON の形式が正しくありません", "The body is not valid JSON"),
    "body_type": ("申請者情報は JSON オブジェクトで送ってください", "Send the profile as a JSON object"),
    "body_too_large": ("送信データが大きすぎます（上限 1 MiB）", "The body is too large (limit 1 MiB)"),
    "too_deep": ("JSON の入れ子が深すぎます", "The JSON is nested too deeply"),
    "not_found": ("ページが見つかりません", "Not found"),
    "method_not_allowed": ("この操作はできません", "Method not allowed"),
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: where, a code, and the message in each language."""

    field: str
    code: str
    message_ja: str
    message_en: str

    def message(self, lang: str = "ja") -> str:
        return self.message_ja if lang == "ja" else self.message_en

    def as_dict(self, lang: str = "ja") -> dict[str, str]:
        return {
            "field": self.field,
            "label": field_label(self.field.split("[")[0], lang) if self.field else "",
            "code": self.code,
            "message": self.message(lang),
        }


class ProfileError(ValueError):
    """The profile cannot be screened; `errors` says why, per field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message_en}" for e in errors))


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "constrained-")) and part not in ("list", "date"):
            out += ("." if out else "") + str(part)
    return out


def _fmt(template: str, ctx: dict[str, Any]) -> str:
    safe = {k: (f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v) for k, v in ctx.items()}
    try:
        return template.format(**safe)
    except (KeyError, IndexError, ValueError):
        return template


def make_error(field: str, code: str, **ctx: Any) -> FieldError:
    ja, en = _MESSAGES.get(code, ("入力内容を確認してください", "Check this value"))
    return FieldError(field, code, _fmt(ja, ctx), _fmt(en, ctx))


def errors_from_validation(err: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[tuple[str, str]] = set()
    for item in err.errors(include_url=False):
        field = _loc(item["loc"])
        code = item["type"]
        ctx = dict(item.get("ctx") or {})
        if code == "literal_error" and field:
            enum = field.split(".")[-1].split("[")[0]
            options = ENUM_LABELS.get(enum) or ENUM_LABELS.get("right" if enum == "right" else enum, {})
            if options:
                ctx["expected"] = ", ".join(options)
        if code in ("union_tag_invalid", "none_required"):
            continue
        key = (field, code)
        if key in seen:
            continue
        seen.add(key)
        out.append(make_error(field, code, **ctx))
    return out


def parse_profile(data: Any) -> Profile:
    """Validate a profile dict (e.g. parsed JSON); raise ProfileError with per-field messages.

    >>> parse_profile({"employees": 3}).employees
    3
    >>> try:
    ...     parse_profile({"as_of": "2025-10-01", "established_on": "2026-04-01"})
    ... except ProfileError as e:
    ...     print(e.errors[0].code)
    established_after_as_of
    """
    if not isinstance(data, dict):
        raise ProfileError([make_error("", "body_type")])
    try:
        return Profile.model_validate(data)
    except ValidationError as e:
        errors = errors_from_validation(e)
        if any(fe.code == "established_after_as_of" for fe in errors):
            errors = [
                FieldError("established_on", fe.code, fe.message_ja, fe.message_en)
                if fe.code == "established_after_as_of" else fe
                for fe in errors
            ]
        else:  # the model's own cross-field check did not run (another field failed): run it here
            errors += cross_field_errors(data, {fe.field for fe in errors})
        raise ProfileError(errors) from None


_DATE = TypeAdapter(Date)


def _date_or_none(v: Any) -> dt.date | None:
    try:
        return _DATE.validate_python(v)
    except ValidationError:
        return None


def cross_field_errors(data: dict[str, Any], failed: Collection[str] = ()) -> list[FieldError]:
    """The profile's cross-field checks on raw data whose other fields may be wrong (issue 14, item 7: a 422
    names every problem at once). Fields that failed on their own (`failed`) are not checked again."""
    out: list[FieldError] = []
    if "established_on" in failed or data.get("established_on") is None:
        return out
    founded = _date_or_none(data.get("established_on"))
    if founded is None:
        return out
    as_of = None
    if data.get("as_of") is not None:
        as_of = _date_or_none(data["as_of"]) if "as_of" not in failed else None
        if as_of is None:  # a wrong as_of is reported by itself; nothing to compare with
            return out
    ref = as_of or today_tokyo()
    if founded > ref:
        out.append(make_error("established_on", "established_after_as_of",
                              established_on=founded.isoformat(), as_of=ref.isoformat()))
    return out

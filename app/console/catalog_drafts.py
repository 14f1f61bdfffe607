"""A jGrants draft as a reviewable change: its diff (catalog value → jGrants value) and the form that edits it.

`proposal(draft, catalog, opens)` gives the form's default values; `read_form(form, draft, catalog)` turns the
reviewer's (possibly edited) form into programs/changes.py changes, or errors per field (Japanese / English).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.intake.normalize import NormalizeError, parse_date, parse_yen
from app.jgrants.models import JGrantsDraft
from app.jgrants.parse import JST, parse_rates
from programs.changes import ParameterChange, RoundChange, apply_changes
from programs.loader import Catalog, CatalogError
from programs.rounds import Round, split_area

KIND_LABELS = {
    "money": ("金額・補助率の変更", "A change of money or rate"),
    "dates": ("受付期間を読めない公募回", "A round whose window could not be read"),
    "unplaced": ("制度を判別できない公募", "A call the sync could not place"),
    "new_program": ("カタログにない制度", "A program the catalog does not have"),
}


@dataclass
class Diff:
    field: str
    old: str
    new: str


@dataclass
class Reviewed:
    changes: list[ParameterChange | RoundChange] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def money_parameter(catalog: Catalog, program_id: str | None, jgrants_field: str) -> str:
    """The catalog parameter a jGrants money field most likely stands for (the reviewer may choose another)."""
    program = catalog.programs.get(program_id or "")
    names = list(program.benefit.parameters) if program else []
    if jgrants_field == "subsidy_rate":
        return "rate" if "rate" in names or not names else next((n for n in names if n.startswith("rate")), "rate")
    scalar = [n for n in names if n.endswith("cap") and program is not None
              and not isinstance(program.benefit.parameters[n].values[max(program.benefit.parameters[n].values)].value,
                                 dict)]
    return "company_cap" if "company_cap" in scalar or not scalar else scalar[0]


def _rate_text(value: Any) -> str:
    rates, ok = parse_rates(value)
    if ok and len(rates) == 1:
        (r,) = rates
        return f"{r.numerator}/{r.denominator}"
    return str(value or "")


def diffs(draft: JGrantsDraft, lang: str) -> list[Diff]:
    """Old (catalog) vs new (jGrants) per field, as text."""
    p = draft.proposed or {}
    sep = "、" if lang == "ja" else ", "
    none = "（なし）" if lang == "ja" else "(none)"
    if draft.kind == "money":
        return [Diff(c.get("field", ""), sep.join(map(str, c.get("catalog") or [])) or none, str(c.get("jgrants")))
                for c in p.get("changes") or ()]
    call = p.get("call") or {}
    return [Diff(name, none, str(call.get(name) or none)) for name in ("opens_at", "closes_at", "areas")]


def proposal(draft: JGrantsDraft, catalog: Catalog, opens: dt.date | None) -> dict[str, str]:
    """The form's default values for the draft."""
    p = draft.proposed or {}
    start = opens or draft.created_at.astimezone(JST).date()
    if draft.kind == "money":
        out: dict[str, str] = {}
        for i, c in enumerate(p.get("changes") or ()):
            f = c.get("field", "")
            value = c.get("jgrants")
            out |= {f"param_{i}": money_parameter(catalog, draft.program_id, f), f"key_{i}": "",
                    f"value_{i}": _rate_text(value) if f == "subsidy_rate" else str(value),
                    f"from_{i}": start.isoformat()}
        return out
    call = p.get("call") or {}
    rounds = p.get("rounds") or []
    first = rounds[0] if rounds else {}
    areas = call.get("areas") or []
    return {
        "program_id": draft.program_id or "", "area": draft.area or (areas[0] if len(areas) == 1 else "全国"),
        "fiscal_year": str((first.get("fiscal_year")) or _fiscal_year(start)),
        "name": (first.get("name") or {}).get("ja") or call.get("title") or draft.title,
        "opens": (call.get("opens_at") or "")[:10], "closes": (call.get("closes_at") or "")[:10],
    }


def _fiscal_year(d: dt.date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _text(form: FormData, name: str, limit: int = 200) -> str:
    v = form.get(name)
    return v.strip()[:limit] if isinstance(v, str) else ""


def _pick(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


def _money(form: FormData, draft: JGrantsDraft, lang: str, out: Reviewed) -> None:
    source = {"title": f"Jグランツ「{draft.title}」"[:300], "href": draft.source_href}
    for i, _c in enumerate((draft.proposed or {}).get("changes") or ()):
        param, key = _text(form, f"param_{i}", 64), _text(form, f"key_{i}", 64)
        value_text, from_text = _text(form, f"value_{i}", 64), _text(form, f"from_{i}", 32)
        out.values |= {f"param_{i}": param, f"key_{i}": key, f"value_{i}": value_text, f"from_{i}": from_text}
        value: Any
        if param.startswith("rate"):
            rates, ok = parse_rates(value_text)
            if not ok or len(rates) != 1:
                out.errors[f"value_{i}"] = _pick(lang, "補助率を 1/2 や 50% のように入力してください",
                                                 "Enter the rate as 1/2 or 50%")
                continue
            (r,) = rates
            value = f"{r.numerator}/{r.denominator}"
        else:
            try:
                value = parse_yen(value_text)
            except NormalizeError as e:
                out.errors[f"value_{i}"] = _pick(lang, e.message_ja, e.message_en)
                continue
        try:
            start = parse_date(from_text)
        except NormalizeError as e:
            out.errors[f"from_{i}"] = _pick(lang, e.message_ja, e.message_en)
            continue
        try:
            out.changes.append(ParameterChange.model_validate(
                {"program_id": draft.program_id or "", "parameter": param, "key": key or None,
                 "effective_from": start, "value": value, "source": source}))
        except ValidationError:
            out.errors[f"param_{i}"] = _pick(lang, "出典のアドレスが正しくありません", "The source address is not valid")


def _round(form: FormData, draft: JGrantsDraft, lang: str, out: Reviewed) -> None:
    v = {name: _text(form, name) for name in ("program_id", "area", "fiscal_year", "name", "opens", "closes")}
    out.values |= v
    dates: dict[str, dt.date] = {}
    for name in ("opens", "closes"):
        try:
            dates[name] = parse_date(v[name])
        except NormalizeError as e:
            out.errors[name] = _pick(lang, e.message_ja, e.message_en)
    if "opens" in dates and "closes" in dates and dates["closes"] < dates["opens"]:
        out.errors["closes"] = _pick(lang, "受付終了日は開始日より後にしてください", "The closing day must follow the opening day")
    try:
        split_area(v["area"])
    except ValueError:
        out.errors["area"] = _pick(lang, "地域は「全国」、都道府県（愛知県）、市区町村（愛知県岡崎市）のどれかです",
                                   "The area is 全国, a prefecture (愛知県) or a municipality (愛知県岡崎市)")
    if not (v["fiscal_year"].isdigit() and 2000 <= int(v["fiscal_year"]) <= 2100):
        out.errors["fiscal_year"] = _pick(lang, "公募年度を西暦4桁で入力してください（例: 2026）",
                                          "Enter the fiscal year as four digits (e.g. 2026)")
    if not v["name"]:
        out.errors["name"] = _pick(lang, "公募回の名前を入力してください", "Give the round's name")
    if out.errors:
        return
    try:
        rnd = Round.model_validate({
            "fiscal_year": int(v["fiscal_year"]), "area": v["area"],
            "name": {"ja": v["name"], "en": v["name"]}, "operator": {"ja": v["area"], "en": v["area"]},
            "opens_at": dates["opens"].isoformat(), "closes_at": dates["closes"].isoformat(),
            "source": {"title": f"出典: Jグランツ「{draft.title}」"[:300], "href": draft.source_href},
            "checked_at": draft.created_at.astimezone(JST).date(),
            "jgrants_id": draft.jgrants_id if 15 <= len(draft.jgrants_id) <= 18 else None})
    except ValidationError as e:
        out.errors["name"] = _pick(lang, "公募回として読めません: ", "Not a valid round: ") + str(e.errors()[0]["msg"])
        return
    out.changes.append(RoundChange(program_id=v["program_id"], round=rnd))


def read_form(form: FormData, draft: JGrantsDraft, catalog: Catalog, lang: str) -> Reviewed:
    """The reviewer's change(s), checked against the live catalog (errors per field otherwise)."""
    out = Reviewed()
    if draft.kind == "money":
        _money(form, draft, lang, out)
    else:
        _round(form, draft, lang, out)
        if not out.errors and out.values["program_id"] not in catalog.programs:
            out.errors["program_id"] = _pick(
                lang, "カタログにない制度です。先に制度のファイルを追加するか、制度を選び直してください",
                "The catalog has no such program: add its file first, or choose another program")
    if not out.errors:
        try:
            apply_changes(catalog, out.changes)
        except (CatalogError, ValueError) as e:
            first = "param_0" if draft.kind == "money" else "program_id"
            out.errors[first] = _pick(lang, "カタログに適用できません: ", "Cannot be applied to the catalog: ") + str(e)[:300]
    return out


def as_json(changes: list[ParameterChange | RoundChange]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in changes]

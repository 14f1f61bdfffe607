"""gBizINFO's record of a company → the prefill of contract v1.1: facts with their source, awards, rights.

Pure: no I/O. `record` is what the client stored: {"hojin": <hojin-infos[0] of /v2/hojin/{n}>, "subsidy":
[<items of /subsidy>], "patent": [<items of /patent>]}. A fact gBizINFO does not know is absent (never
"Null"), and nothing absent is read as "no" (no awards listed ≠ no awards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from app.companies.awards import call_year, program_for
from app.companies.classify import applicant_type, industry
from app.companies.cleaning import as_date, as_int, clean
from app.intake.address import split_address

SOURCE = "gBizINFO"
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
RIGHTS = {"特許": "patent", "実用新案": "utility_model", "意匠": "design", "商標": "trademark"}

NOTES: dict[str, tuple[str, str]] = {
    "employees": (
        "gBizINFOの従業員数は、補助金の要件でいう「常時使用する従業員」（パート・役員等の扱いが異なります）と"
        "同じとは限りません。確認してから使ってください",
        "gBizINFO's employee number is not necessarily the 'regular employees' (常時使用する従業員) that the "
        "programs count (part-timers and officers are treated differently): confirm it before use",
    ),
    "domestic_applications": (
        "gBizINFOに載っている登録済みの権利です。これから外国出願・補助金の対象にする国内出願とは限りません",
        "Rights registered according to gBizINFO; not necessarily the Japanese application a planned "
        "foreign filing or subsidy would rest on",
    ),
    "prior_awards": (
        "gBizINFOに載っている補助金のうち、当サービスの制度に当たるものです。gBizINFOの掲載には遅れや漏れが"
        "あるため、ここにない補助金を受けていないとは限りません。今年度の交付は必ず確認してください",
        "Subsidies listed by gBizINFO that are programs of this service. gBizINFO lags and is incomplete: a "
        "subsidy missing here may still have been granted; check this fiscal year's awards",
    ),
    "industry": (
        "gBizINFOの業種（日本標準産業分類）からは一つに決まりません。候補から選んでください",
        "gBizINFO's industry (JSIC) does not decide one of ours: choose among the candidates",
    ),
}


def provenance(updated_on: dt.date | None, lang: str = "ja") -> str:
    """「gBizINFO（2026年7月1日更新）より」, or the English line.

    >>> provenance(dt.date(2026, 7, 1)), provenance(dt.date(2026, 7, 1), "en"), provenance(None)
    ('gBizINFO（2026年7月1日更新）より', 'From gBizINFO (updated 1 July 2026)', 'gBizINFOより')
    """
    if lang == "en":
        when = f" (updated {updated_on.day} {MONTHS_EN[updated_on.month - 1]} {updated_on.year})" if updated_on else ""
        return f"From {SOURCE}{when}"
    when = f"（{updated_on.year}年{updated_on.month}月{updated_on.day}日更新）" if updated_on else ""
    return f"{SOURCE}{when}より"


def note(key: str, lang: str) -> str:
    ja, en = NOTES[key]
    return en if lang == "en" else ja


def company_page(corporate_number: str) -> str:
    """The public gBizINFO page of a company (what a person can open to check a value)."""
    return f"https://info.gbiz.go.jp/hojin/ichiran?hojinBangou={corporate_number}"


def _fact(value: Any, updated_on: dt.date | None, lang: str, **extra: Any) -> dict[str, Any]:
    return {"value": value, "source": SOURCE, "updated_on": updated_on.isoformat() if updated_on else None,
            "provenance": provenance(updated_on, lang), **extra}


def _awards(items: list[dict[str, Any]], known: Collection[str] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ours, others = [], []
    for raw in items:
        item = clean(raw) if isinstance(raw, dict) else {}
        title = item.get("title")
        if not isinstance(title, str):
            continue
        approved = as_date(item.get("date_of_approval"))
        amount = as_int(item.get("amount"))
        program = program_for(title, item.get("government_departments"))
        if program is not None and (known is None or program in known):
            ours.append({"program_id": program, "fiscal_year": call_year(title, approved), "amount_yen": amount,
                         "title": title, "approved_on": approved.isoformat() if approved else None})
        else:
            others.append({"title": title, "approved_on": approved.isoformat() if approved else None,
                           "amount_yen": amount, "government_departments": item.get("government_departments")})
    ours.sort(key=lambda a: (a["approved_on"] or "", a["program_id"]), reverse=True)
    return ours, others


def _rights(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for raw in items:
        item = clean(raw) if isinstance(raw, dict) else {}
        kind = item.get("patent_type")
        right = next((v for k, v in RIGHTS.items() if isinstance(kind, str) and k in kind), None)
        if right is None:
            continue
        filed = as_date(item.get("application_date"))
        out.append({"right": right, "title": item.get("title"), "registration_number": item.get("registration_number"),
                    "application_date": filed.isoformat() if filed else None, "url": item.get("url")})
    return out


def to_prefill(corporate_number: str, record: dict[str, Any], known_programs: Collection[str] | None = None,
               lang: str = "ja") -> dict[str, Any]:
    """The prefill answer for one company (contract v1.1), notes and provenance in `lang`.

    `known_programs`: the catalog's ids; an award of a program not in it is listed with the other subsidies.
    """
    hojin = clean(record.get("hojin") or {})
    updated = as_date(hojin.get("update_date"))
    facts: dict[str, Any] = {}
    if (established := as_date(hojin.get("date_of_establishment"))) is not None:
        facts["established_on"] = _fact(established.isoformat(), updated, lang)
    if (capital := as_int(hojin.get("capital_stock"))) is not None:
        facts["capital_yen"] = _fact(capital, updated, lang)
    if (employees := as_int(hojin.get("employee_number"))) is not None:
        facts["employees"] = _fact(employees, updated, lang, suggestion=True, note=note("employees", lang))
    address = split_address(hojin.get("location"))
    if address.prefecture:
        facts["prefecture"] = _fact(address.prefecture, updated, lang)
    if address.municipality:
        facts["municipality"] = _fact(address.municipality, updated, lang,
                                      **({"ward": address.ward} if address.ward else {}))
    name = hojin.get("name")
    if (kind := applicant_type(hojin.get("kind"), name)) is not None:
        facts["applicant_type"] = _fact(kind, updated, lang)
    jsic = [t for t in hojin.get("industry") or [] if isinstance(t, str)]
    chosen, candidates = industry(jsic)
    ambiguous: dict[str, Any] = {}
    if chosen is not None:
        facts["industry"] = _fact(chosen, updated, lang, jsic=jsic)
    elif candidates:
        ambiguous["industry"] = {"candidates": candidates, "jsic": jsic, "note": note("industry", lang)}
    rights = _rights(record.get("patent") or [])
    if rights:
        kinds = [r for r in RIGHTS.values() if any(x["right"] == r for x in rights)]
        facts["domestic_applications"] = _fact(kinds, updated, lang, suggestion=True,
                                               note=note("domestic_applications", lang))
    awards, others = _awards(record.get("subsidy") or [], known_programs)
    out: dict[str, Any] = {
        "corporate_number": corporate_number,
        "name": name,
        "source": {"name": SOURCE, "url": company_page(corporate_number),
                   "updated_on": updated.isoformat() if updated else None, "provenance": provenance(updated, lang)},
        "facts": facts,
        "ambiguous": ambiguous,
        "prior_awards": awards,
        "prior_awards_note": note("prior_awards", lang),
        "other_subsidies": others,
        "rights": rights,
    }
    if (closed := as_date(hojin.get("close_date"))) is not None:
        out["closed_on"] = closed.isoformat()
    return out

"""The results view model: a stored screening loaded in a language, its key facts, programs in rank order, the print variant."""


from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request

from app.desks import all_desks, desks_for
from app.services import Services
from app.store.db import Store
from app.store.screenings import ScreeningPublic
from app.web.formats import JST, fmt_date, fmt_datetime
from app.web.questionnaire_view import question_href
from app.web.results_summary import glossary, grouped, provisional_labels, todo, todo_view
from app.web.stored import render_stored
from app.web.windows_view import STALE_TEXT, freshness, window_text
from eligibility.facts import enum_label, field_label, prefecture_label
from eligibility.money import yen

PRINT_TOP = 5  # programs on the one-page summary
PRINT_STEPS = 5  # next steps on the one-page summary
# ------------------------------------------------------------------ loading


@dataclass
class Loaded:
    record: ScreeningPublic
    result: dict[str, Any]
    lang: str
    rescreened: bool
    rescreen_failed: bool
    notice: str | None = None  # app/web/stored.py: "catalog_missing", "outcome_changed", "rescreened"
    message: str | None = None  # what the page says about it, in `lang`


def load_result(store: Store, svc: Services, screening_id: str, lang: str) -> Loaded | None:
    """The stored screening rendered on read in `lang` with its own catalog version (app/web/stored.py)."""
    record = store.get_screening(screening_id)
    if record is None:
        return None
    shown = render_stored(store, svc, record, lang)
    return Loaded(record, shown.result or {}, lang, False, False, shown.notice, shown.message)


def _yes_no(v: bool, lang: str) -> str:
    return ("はい" if v else "いいえ") if lang == "ja" else ("Yes" if v else "No")


def _labels(enum: str, values: list[str], lang: str) -> str:
    if not values:
        return "なし" if lang == "ja" else "None"
    return ("、" if lang == "ja" else ", ").join(enum_label(enum, v, lang) for v in values)


def key_facts(profile: dict[str, Any], result: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The applicant's answered facts, as (label, value) in the questionnaire's order."""
    ja = lang == "ja"
    out: list[tuple[str, str]] = []

    def add(name: str, value: str) -> None:
        out.append((field_label(name, lang), value))

    p = profile
    if p.get("company_name"):
        add("company_name", str(p["company_name"]))
    if p.get("applicant_type"):
        add("applicant_type", enum_label("applicant_type", p["applicant_type"], lang))
    if p.get("prefecture"):
        add("prefecture", prefecture_label(str(p["prefecture"]), lang))
    if p.get("industry"):
        add("industry", enum_label("industry", p["industry"], lang))
    if p.get("established_on"):
        add("established_on", fmt_date(str(p["established_on"]), lang))
    if p.get("employees") is not None:
        add("employees", f"{p['employees']:,}人" if ja else f"{p['employees']:,}")
    if p.get("capital_yen") is not None:
        add("capital_yen", yen(int(p["capital_yen"]), lang))
    phase = result.get("phase") or {}
    if phase.get("value"):
        value = enum_label("phase", phase["value"], lang)
        if phase.get("inferred"):
            basis = phase.get("basis") or ""
            value += f"（推定: {basis}）" if ja else f" (inferred: {basis})"
        add("phase", value)
    if p.get("domestic_applications") is not None:
        add("domestic_applications", _labels("right", list(p["domestic_applications"]), lang))
    if p.get("patent_exam_status"):
        add("patent_exam_status", enum_label("patent_exam_status", p["patent_exam_status"], lang))
    if p.get("design_application"):
        add("design_application", enum_label("design_application", p["design_application"], lang))
    if p.get("foreign_filings") is not None:
        items = [f for f in p["foreign_filings"] if isinstance(f, dict) and not f.get("already_filed")]
        parts = []
        for f in items:
            s = enum_label("right", f.get("right") or "", lang) if f.get("right") else ("種類未回答" if ja else "right?")
            if f.get("cost_yen") is not None:
                s += f" {yen(int(f['cost_yen']), lang)}"
            parts.append(s)
        add("foreign_filings", ("、" if ja else ", ").join(parts) if parts else ("なし" if ja else "None"))
    if p.get("overseas_disputes") is not None:
        kinds = [str(d["kind"]) for d in p["overseas_disputes"] if isinstance(d, dict) and d.get("kind")]
        add("overseas_disputes", _labels("dispute_kind", kinds, lang))
    if p.get("litigation_insurance"):
        ins = p["litigation_insurance"]
        value = yen(int(ins["premium_yen"]), lang) if ins.get("premium_yen") is not None else ""
        if ins.get("renewal"):
            value += "（更新）" if ja else " (renewal)"
        add("litigation_insurance", value or _yes_no(True, lang))
    elif p.get("litigation_insurance") is False:  # 「いいえ」: no insurance planned
        add("litigation_insurance", _yes_no(False, lang))
    if p.get("vc_backed") is not None:
        add("vc_backed", _yes_no(bool(p["vc_backed"]), lang))
    if p.get("interests"):
        add("interests", _labels("interests", list(p["interests"]), lang))
    if p.get("description"):
        add("description", str(p["description"]))
    return out


def _windows(app: dict[str, Any], lang: str) -> list[str]:
    out = []
    for w in app.get("windows") or ():
        span = " – ".join(fmt_date(x, lang) for x in (w.get("opens"), w.get("closes")) if x)
        out.append(f"{w.get('label') or ''} {span}".strip())
    return out


def _deciding(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The top-level criteria that made a program ineligible."""
    return [t for t in r.get("reasons") or () if t.get("outcome") == "unmet"]


@dataclass(frozen=True)
class Freshness:
    """What the window and freshness lines need: the screening's 基準日, today, the threshold, the catalog's date."""

    as_of: dt.date
    today: dt.date
    stale_after_days: int = 60
    catalog_date: dt.date | None = None


def catalog_checked(svc: Services) -> dt.date | None:
    """The catalog's date: the newest `checked` of its sources (programs/sources.yaml)."""
    srcs = svc.catalog.sources
    return max((s.checked for s in srcs.sources.values() if s.checked), default=None) if srcs else None


def program_view(r: dict[str, Any], lang: str, fresh: Freshness | None = None) -> dict[str, Any]:
    est = r.get("estimate") or None
    app = r.get("application") or {}
    fresh = fresh or Freshness(dt.date.today(), dt.date.today())
    win = window_text(r.get("window"), lang, fresh.as_of)
    checked, stale = freshness(win.checked_at if win else None, fresh.catalog_date, fresh.today,
                               fresh.stale_after_days, lang)
    return {
        "win": win,
        "checked": checked,
        "stale": STALE_TEXT[lang if lang in STALE_TEXT else "en"] if stale else None,
        **r,
        "amount": yen(int(est["amount_yen"]), lang) if est and est.get("amount_yen") is not None else None,
        "formula": (est.get("formula") if lang == "ja" else est.get("formula_en") or est.get("formula")) if est else None,
        # Applicants read the estimate in words and numbers; the compact formula is for advisors (the console).
        "explanation": (est.get("explanation") if lang == "ja" else est.get("explanation_en")) if est else None,
        "window_texts": _windows(app, lang),
        "questions": [field_label(m, lang) for m in r.get("missing_facts") or ()],
        "deciding": _deciding(r),
        "provisional_labels": provisional_labels(r),
    }


def _rank_key(r: dict[str, Any]) -> tuple[int, int, str]:
    rank = r.get("rank")
    return (1 if rank is None else 0, rank or 0, str(r.get("name") or ""))


def build_view(loaded: Loaded, request: Request, q: str | None, svc: Services) -> dict[str, Any]:
    """The results page's view; `svc` is the route's (`ServicesDep`) or the batch worker's, `request` gives the
    links' base address."""
    lang = loaded.lang
    rec, result = loaded.record, loaded.result
    fresh = Freshness(dt.date.fromisoformat(str(result.get("as_of") or rec.as_of)), dt.datetime.now(JST).date(),
                      svc.settings.stale_after_days, catalog_checked(svc))
    programs = sorted((program_view(r, lang, fresh) for r in result.get("results") or ()), key=_rank_key)
    by_id = {p["program_id"]: p for p in programs}
    ranked = [p for p in programs if p["status"] != "ineligible"]
    prefecture = rec.profile.get("prefecture") if isinstance(rec.profile.get("prefecture"), str) else None
    local = desks_for(prefecture)
    counts = {s: sum(1 for p in programs if p["status"] == s) for s in ("eligible", "needs_info", "ineligible")}
    base = str(request.base_url).rstrip("/")
    return {
        "id": rec.id,
        "lang": lang,
        "record": rec,
        "result": result,
        "created": fmt_datetime(rec.created_at, lang),
        "as_of": fmt_date(result.get("as_of") or rec.as_of, lang),
        "catalog_version": result.get("catalog_version") or rec.catalog_version,
        "stored_catalog_version": rec.catalog_version,
        "rescreened": loaded.rescreened,
        "rescreen_failed": loaded.rescreen_failed,
        "notice": loaded.message,
        "notice_kind": loaded.notice,  # the applicant's page words it without the catalog hash or program ids
        "facts": key_facts(rec.profile, result, lang),
        "company": rec.profile.get("company_name"),
        "prefecture": prefecture_label(prefecture, lang) or None,  # shown; the desks are found by the Japanese name
        "ranked": ranked,
        "ineligible": [p for p in programs if p["status"] == "ineligible"],
        "groups": grouped(ranked, svc.catalog),
        "todo": [todo_view(p, local, lang) for p in todo(ranked, svc.catalog)],
        "glossary": glossary(lang),
        "counts": counts,
        "total": total_view(result, by_id, lang),
        "local_desks": local,
        "other_desks": [d for d in all_desks() if d not in local],
        "q": q,
        "questionnaire_url": f"/q/{quote(q)}?lang={lang}" if q else f"/?lang={lang}",
        "question_href": (lambda facts: question_href(q, facts, lang)) if q else (lambda facts: None),
        "results_url": f"{base}/results/{rec.id}",  # the shareable link: the results only
        "edit_url": f"{base}/q/{quote(q)}" if q else None,  # the private link that changes the answers
        "qs": f"?lang={lang}",
        "label_of": lambda name: field_label(name, lang),
    }


def total_view(result: dict[str, Any], by_id: dict[str, dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """The total a company could receive, alternatives counted once (DOMAIN.md 7.3): the stored
    `total_estimate` when the result has it, else the same rule over the stored results."""
    total = result.get("total_estimate")
    if not isinstance(total, dict):
        priced = sorted((p for p in by_id.values() if p["status"] == "eligible" and (p.get("estimate") or {}).get("amount_yen") is not None),
                        key=lambda p: (-int(p["estimate"]["amount_yen"]), p["program_id"]))
        counted: list[str] = []
        skipped: list[dict[str, str]] = []
        for p in priced:
            rival = next((c for c in counted if c in (p.get("alternatives") or ())), None)
            if rival is None:
                counted.append(p["program_id"])
            else:
                skipped.append({"program_id": p["program_id"], "instead_of": rival})
        total = {"amount_yen": sum(int(by_id[c]["estimate"]["amount_yen"]) for c in counted),
                 "counted": counted, "not_counted": skipped}
    if not total.get("counted"):
        return None
    name = lambda pid: str((by_id.get(pid) or {}).get("name") or pid)  # noqa: E731
    pairs = [(name(s["program_id"]), name(s["instead_of"])) for s in total.get("not_counted") or ()]
    return {"amount": yen(int(total["amount_yen"]), lang), "alternatives": pairs}


def print_view(view: dict[str, Any], lang: str, level: int = 0) -> dict[str, Any]:
    """The one-page summary: top programs with 1–2 reasons, a few next steps, the main desks.

    `level` > 0 makes it more compact (fewer programs, one reason each, a shorter description): the PDF
    route uses it when a long profile would not fit on one page.
    """
    top = [dict(p) for p in view["ranked"][: PRINT_TOP - level]]
    steps: list[tuple[int | None, str]] = []
    seen: set[str] = set()
    for p in top[:3]:
        for s in (p.get("next_steps") or ())[:2]:
            if s not in seen and len(steps) < PRINT_STEPS - level:
                seen.add(s)
                steps.append((p["rank"], s))
    for p in top:
        reasons = list(p.get("recommendation") or ())
        if not reasons:
            reasons = [t["label"] for t in p.get("reasons") or () if t.get("outcome") == "met"]
        p["print_reasons"] = reasons[:1]  # one reason a program on paper (the page has them all): one A4 page
    # On paper, the source of each top program's first rule (three at most): its title and the address, which
    # paper cannot link; the full page has all of them.
    sources: dict[str, str] = {}
    for p in top:
        first = next((t for t in p.get("reasons") or () if t.get("source_url")), None)
        if first:
            sources.setdefault(first["source_url"], first["source"])
    desks = [d for d in view["local_desks"] if d.kind in ("inpit_desk", "yorozu")]
    company, description = field_label("company_name", lang), field_label("description", lang)
    cut = 110 if level == 0 else 60  # the free text is cut on paper (the full page has all of it)
    facts = [(k, v if k != description or len(v) <= cut else v[: cut - 1] + "…") for k, v in view["facts"]
             if not (k == company and view.get("company"))]  # the company's name is in the heading
    rows = fact_rows(facts)
    return {**view, "top": top, "steps": steps, "print_desks": desks, "fact_rows": rows, "level": level,
            "print_sources": list(sources.items())[: 3 - min(level, 1)]}


def fact_rows(facts: list[tuple[str, str]], wide: int = 26) -> list[list[tuple[str, str]]]:
    """Facts two to a row for the printed table; a long value (the description) gets a row of its own.

    >>> fact_rows([("a", "1"), ("b", "2"), ("c", "x" * 30), ("d", "4")])
    [[('a', '1'), ('b', '2')], [('d', '4')], [('c', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')]]
    """
    short = [(k, v) for k, v in facts if len(v) <= wide]
    rows = [short[i:i + 2] for i in range(0, len(short), 2)]
    return rows + [[(k, v)] for k, v in facts if len(v) > wide]

"""The results pages of a stored screening: the full page, the one-page A4 summary, its PDF, and referrals.

    GET  /results/{id}               the ranked programs, amounts, next steps, full rule traces, desks
    GET  /results/{id}/print         one A4 page (print CSS) for the applicant or the chamber's files
    GET  /results/{id}/summary.pdf   the same page rendered by WeasyPrint (Noto Sans CJK JP embedded)
    POST /results/{id}/refer         send the screening to a 相談窓口 (a `referral` row), then 303 to
    GET  /results/{id}/referrals/{referral_id}   the confirmation (the desk's name and contact)

The id is the screening's uuid4: the private link. The page shows the stored result exactly when it is
asked for in the stored language; in another language the stored profile is screened again on the same
as_of with the current services (the page says so).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.api.screen import lang_of
from app.desks import all_desks, desks_for, get_desk
from app.services import Services
from app.store.db import Store
from app.store.referrals import EMAIL_MAX, MESSAGE_MAX, NAME_MAX, PHONE_MAX, Referral
from app.store.screenings import ScreeningPublic
from app.web.i18n import environment, gettext_for
from eligibility.facts import enum_label, field_label
from eligibility.money import yen
from eligibility.profile import ProfileError

router = APIRouter(tags=["results"])

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
JST = dt.timezone(dt.timedelta(hours=9), "JST")
PRINT_TOP = 5  # programs on the one-page summary
PRINT_STEPS = 5  # next steps on the one-page summary
PRINT_LEVELS = 3  # how compact the PDF may get to stay on one page (0 = as the print page)
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
EMAIL_RE = re.compile(r"^[^@\s\"<>()\[\],;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ー－"})
REFER_FIELDS = ("desk_id", "contact_name", "contact_email", "contact_phone", "message")


# ------------------------------------------------------------------ loading


@dataclass
class Loaded:
    record: ScreeningPublic
    result: dict[str, Any]
    lang: str
    rescreened: bool
    rescreen_failed: bool


def _load_sync(store: Store, svc: Services, screening_id: str, lang: str) -> Loaded | None:
    record = store.get_screening(screening_id)
    if record is None:
        return None
    if lang == record.lang:
        return Loaded(record, record.result, lang, False, False)
    profile = dict(record.profile)
    profile["as_of"] = record.as_of.isoformat()
    try:
        result = svc.screen(profile).as_dict(lang)
    except ProfileError:  # the catalog changed under the stored profile: show what was stored
        return Loaded(record, record.result, lang, False, True)
    return Loaded(record, result, lang, True, False)


async def _load(request: Request, screening_id: str, lang: str) -> Loaded | None:
    return await run_in_threadpool(
        _load_sync, request.app.state.store, request.app.state.services, screening_id, lang,
    )


# ------------------------------------------------------------------ formatting


def fmt_date(value: dt.date | str | None, lang: str) -> str:
    """A date for people.

    >>> fmt_date("2025-09-01", "ja"), fmt_date(dt.date(2025, 9, 1), "en")
    ('2025年9月1日', '1 September 2025')
    """
    if value is None:
        return ""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日" if lang == "ja" else f"{d.day} {d:%B} {d.year}"


def fmt_datetime(value: dt.datetime, lang: str) -> str:
    """A UTC time in Japan time.

    >>> fmt_datetime(dt.datetime(2025, 9, 1, 5, 3, tzinfo=dt.UTC), "ja")
    '2025年9月1日 14:03'
    """
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(JST)
    return f"{fmt_date(local.date(), lang)} {local:%H:%M}" + ("" if lang == "ja" else " JST")


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
        add("prefecture", str(p["prefecture"]))
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


def program_view(r: dict[str, Any], lang: str) -> dict[str, Any]:
    est = r.get("estimate") or None
    app = r.get("application") or {}
    return {
        **r,
        "amount": yen(int(est["amount_yen"]), lang) if est and est.get("amount_yen") is not None else None,
        "formula": (est.get("formula") if lang == "ja" else est.get("formula_en") or est.get("formula")) if est else None,
        "window_texts": _windows(app, lang),
        "questions": [field_label(m, lang) for m in r.get("missing_facts") or ()],
        "deciding": _deciding(r),
    }


def _rank_key(r: dict[str, Any]) -> tuple[int, int, str]:
    rank = r.get("rank")
    return (1 if rank is None else 0, rank or 0, str(r.get("name") or ""))


def build_view(loaded: Loaded, request: Request, q: str | None) -> dict[str, Any]:
    lang = loaded.lang
    rec, result = loaded.record, loaded.result
    programs = sorted((program_view(r, lang) for r in result.get("results") or ()), key=_rank_key)
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
        "facts": key_facts(rec.profile, result, lang),
        "company": rec.profile.get("company_name"),
        "prefecture": prefecture,
        "ranked": ranked,
        "ineligible": [p for p in programs if p["status"] == "ineligible"],
        "counts": counts,
        "local_desks": local,
        "other_desks": [d for d in all_desks() if d not in local],
        "q": q,
        "questionnaire_url": f"/q/{quote(q)}?lang={lang}" if q else f"/?lang={lang}",
        "results_url": f"{base}/results/{rec.id}",
        "qs": f"?lang={lang}" + (f"&q={quote(q)}" if q else ""),
        "label_of": lambda name: field_label(name, lang),
    }


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
        p["print_reasons"] = reasons[: 2 if level == 0 else 1]
    desks = [d for d in view["local_desks"] if d.kind in ("inpit_desk", "yorozu")]
    company, description = field_label("company_name", lang), field_label("description", lang)
    cut = 110 if level == 0 else 60  # the free text is cut on paper (the full page has all of it)
    facts = [(k, v if k != description or len(v) <= cut else v[: cut - 1] + "…") for k, v in view["facts"]
             if not (k == company and view.get("company"))]  # the company's name is in the heading
    rows = fact_rows(facts)
    return {**view, "top": top, "steps": steps, "print_desks": desks, "fact_rows": rows, "level": level}


def fact_rows(facts: list[tuple[str, str]], wide: int = 26) -> list[list[tuple[str, str]]]:
    """Facts two to a row for the printed table; a long value (the description) gets a row of its own.

    >>> fact_rows([("a", "1"), ("b", "2"), ("c", "x" * 30), ("d", "4")])
    [[('a', '1'), ('b', '2')], [('d', '4')], [('c', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')]]
    """
    short = [(k, v) for k, v in facts if len(v) <= wide]
    rows = [short[i:i + 2] for i in range(0, len(short), 2)]
    return rows + [[(k, v)] for k, v in facts if len(v) > wide]


# ------------------------------------------------------------------ rendering


def render(lang: str, template: str, /, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = environment(lang).get_template(template).render(**ctx)
    return HTMLResponse(html, status_code=status)


def _token(request: Request) -> str | None:
    q = request.query_params.get("q")
    return q if q and TOKEN_RE.match(q) else None


def not_found(lang: str) -> HTMLResponse:
    return render(lang, "results_not_found.html", status=404)


@lru_cache(maxsize=1)
def print_css() -> str:
    """The summary's style sheet: linked by the print page, inlined into the PDF (WeasyPrint fetches nothing)."""
    return (STATIC_DIR / "print.css").read_text(encoding="utf-8")


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"fetching {url[:80]!r} is not allowed")


def _url_fetcher() -> Any:
    """The summary needs no outside resource: refuse every fetch but data: URLs (no SSRF, no local files)."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint ≥ 67: a fetcher object
    except ImportError:  # pragma: no cover - older WeasyPrint takes a plain function
        return _refuse_fetch
    return URLFetcher(allowed_protocols=("data",))


def render_pdf(html: str) -> bytes:
    """HTML → PDF with WeasyPrint (CPU-bound: call it in a thread). Fonts come from fontconfig."""
    return render_fitting_pdf(lambda _level: html, levels=1)


def render_fitting_pdf(html_for: Callable[[int], str], levels: int = PRINT_LEVELS) -> bytes:
    """The first of `html_for(0)`, `html_for(1)`, … that fits on one page, as PDF (the last one if none does)."""
    from weasyprint import HTML  # imported lazily: loading it takes about a second

    fetcher = _url_fetcher()
    for level in range(levels):
        doc = HTML(string=html_for(level), base_url=str(STATIC_DIR), url_fetcher=fetcher).render()
        if len(doc.pages) <= 1 or level == levels - 1:
            pdf: bytes = doc.write_pdf()
            return pdf
    raise AssertionError("unreachable")  # pragma: no cover


def pdf_filename(view: dict[str, Any]) -> tuple[str, str]:
    """(ASCII filename, UTF-8 filename) for Content-Disposition."""
    as_of = view["result"].get("as_of") or view["record"].as_of.isoformat()
    short = view["id"][:8]
    return f"chizai-navi-summary-{as_of}-{short}.pdf", f"知財支援ナビ_診断結果_{as_of}_{short}.pdf"


# ------------------------------------------------------------------ routes


@router.get("/results/{screening_id}", response_class=HTMLResponse, summary="審査結果のページ（非公開リンク）")
async def results_page(request: Request, screening_id: str) -> HTMLResponse:
    lang = lang_of(request)
    loaded = await _load(request, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = build_view(loaded, request, _token(request))
    return render(lang, "results.html", **view, form={}, errors={})


@router.get("/results/{screening_id}/print", response_class=HTMLResponse, summary="印刷用の1ページ要約（A4）")
async def results_print(request: Request, screening_id: str) -> HTMLResponse:
    lang = lang_of(request)
    loaded = await _load(request, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = print_view(build_view(loaded, request, _token(request)), lang)
    return render(lang, "print_summary.html", **view, pdf=False)


@router.get("/results/{screening_id}/summary.pdf", summary="1ページ要約の PDF（A4・日本語フォント埋め込み）",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def results_pdf(request: Request, screening_id: str) -> Response:
    lang = lang_of(request)
    loaded = await _load(request, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    view = build_view(loaded, request, None)
    template = environment(lang).get_template("print_summary.html")

    def html_for(level: int) -> str:
        return template.render(**print_view(view, lang, level), pdf=True, print_css=print_css())

    pdf = await run_in_threadpool(render_fitting_pdf, html_for)
    ascii_name, utf8_name = pdf_filename(view)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}",
        "Cache-Control": "private, no-store",
    })


# ------------------------------------------------------------------ referrals


def _clean(value: Any) -> str:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else ""


def validate_referral(form: dict[str, str], lang: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """Checked values and per-field error messages (empty when the form is valid)."""
    _ = gettext_for(lang).gettext
    errors: dict[str, str] = {}
    desk_id = (form.get("desk_id") or "").strip()
    if not desk_id or get_desk(desk_id) is None:
        errors["desk_id"] = _("送り先の相談窓口を一覧から選んでください")
    name = _clean(form.get("contact_name"))
    if len(name) > NAME_MAX:
        errors["contact_name"] = _("お名前は %(n)d 文字以内で入力してください") % {"n": NAME_MAX}
    email = _clean(form.get("contact_email"))
    if len(email) > EMAIL_MAX:
        errors["contact_email"] = _("メールアドレスは %(n)d 文字以内で入力してください") % {"n": EMAIL_MAX}
    elif email and not EMAIL_RE.match(email):
        errors["contact_email"] = _("メールアドレスの形式が正しくありません（例: info@example.co.jp）")
    phone = _clean(form.get("contact_phone")).translate(DASHES)
    digits = sum(c.isdigit() for c in phone)
    if len(phone) > PHONE_MAX:
        errors["contact_phone"] = _("電話番号は %(n)d 文字以内で入力してください") % {"n": PHONE_MAX}
    elif phone and (not re.fullmatch(r"[0-9+()\- ]+", phone) or not 6 <= digits <= 15):
        errors["contact_phone"] = _("電話番号は数字とハイフンで入力してください（例: 03-1234-5678）")
    raw_message = form.get("message") or ""
    message = raw_message.strip().replace("\r\n", "\n")
    if len(message) > MESSAGE_MAX:
        errors["message"] = _("メッセージは %(n)d 文字以内で入力してください") % {"n": MESSAGE_MAX}
    values: dict[str, str | None] = {
        "desk_id": desk_id, "contact_name": name or None, "contact_email": email or None,
        "contact_phone": phone or None, "message": message or None,
    }
    return values, errors


def save_referral(engine: Engine, screening_id: str, values: dict[str, str | None]) -> Referral:
    referral = Referral(screening_id=screening_id, **values)  # type: ignore[arg-type]
    with Session(engine) as session:
        session.add(referral)
        session.commit()
        session.refresh(referral)
        session.expunge(referral)
    return referral


@router.post("/results/{screening_id}/refer", response_class=HTMLResponse, summary="審査結果を相談窓口に送る",
             status_code=303)
async def refer(request: Request, screening_id: str) -> Response:
    lang = lang_of(request)
    loaded = await _load(request, screening_id, lang)
    if loaded is None:
        return not_found(lang)
    raw = await request.form()
    form = {k: v for k in REFER_FIELDS if isinstance(v := raw.get(k), str)}
    values, errors = validate_referral(form, lang)
    token = _token(request) or (_clean(raw.get("q")) if TOKEN_RE.match(_clean(raw.get("q"))) else None)
    if errors:
        view = build_view(loaded, request, token)
        return render(lang, "results.html", status=422, **view, form=form, errors=errors)
    store: Store = request.app.state.store
    referral = await run_in_threadpool(save_referral, store.engine, loaded.record.id, values)
    qs = f"?lang={lang}" + (f"&q={quote(token)}" if token else "")
    # Post/Redirect/Get: reloading the confirmation does not send the case twice.
    return RedirectResponse(f"/results/{loaded.record.id}/referrals/{referral.id}{qs}", status_code=303)


def get_referral(engine: Engine, screening_id: str, referral_id: str) -> Referral | None:
    with Session(engine) as session:
        row = session.get(Referral, referral_id)
        if row is None or row.screening_id != screening_id:
            return None
        session.expunge(row)
        return row


@router.get("/results/{screening_id}/referrals/{referral_id}", response_class=HTMLResponse,
            summary="相談窓口に送った後の確認ページ")
async def referred(request: Request, screening_id: str, referral_id: str) -> HTMLResponse:
    lang = lang_of(request)
    store: Store = request.app.state.store
    referral = await run_in_threadpool(get_referral, store.engine, screening_id, referral_id)
    desk = get_desk(referral.desk_id) if referral is not None else None
    if referral is None or desk is None:
        return not_found(lang)
    token = _token(request)
    return render(lang, "results_referred.html", id=screening_id, referral=referral, desk=desk,
                  has_contact=bool(referral.contact_email or referral.contact_phone),
                  qs=f"?lang={lang}" + (f"&q={quote(token)}" if token else ""))

"""The case form of the console: the case's own fields plus every question of the web questionnaire.

The profile questions, their inputs and their normalisation (全角, 和暦, 万・億, percentages, …) are the
questionnaire's (`app.intake`: `GROUPS`, `parse_question`, and `View` of `app.web`),
so a fact typed at the desk is read exactly as when the applicant types it. A few facts the questionnaire
does not ask (the phase, chamber membership, 複数意匠一括出願) are added for the advisor. Profile fields the
form does not show (prior awards, filings already made) are kept as they are.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from app.intake.answers import (
    ENGINE_MESSAGES,
    Raw,
    _Absent,
    engine_error_input,
    input_names,
    parse_question,
    read_raw,
)
from app.intake.contact import DASHES, EMAIL_RE
from app.intake.normalize import NormalizeError, parse_date
from app.intake.parsers import Msg
from app.intake.questions import DISPUTE_ROWS, FILING_ROWS, GROUPS, N_, Group, Question
from app.store.referrals import EMAIL_MAX, NAME_MAX, PHONE_MAX
from app.web.questionnaire_view import View
from eligibility.profile import ProfileError

COMPANY_MAX = 200

ADVISOR_GROUP = Group("advisor", N_("相談員が確認する項目"), (
    Question("phase", "radio", N_("事業の段階"),
             N_("空欄なら回答から推定します。"), enum="phase"),
    Question("chamber_member", "radio", N_("商工会議所・商工会・中小企業団体中央会の会員ですか"),
             N_("海外知財訴訟保険の掛金補助の条件です。")),
    Question("design_bulk_filing", "radio", N_("意匠を複数まとめて1件で出願しますか（複数意匠一括出願）")),
))

FORM_GROUPS: tuple[Group, ...] = (*GROUPS, ADVISOR_GROUP)
QUESTIONS: list[Question] = [q for g in FORM_GROUPS for q in g.questions]
PROFILE_FACTS = [q.fact for q in QUESTIONS]

CASE_FIELDS = ("company_name", "contact_name", "contact_email", "contact_phone", "as_of")
PREFIX = "case_"

M_COMPANY: Msg = ("会社名・屋号を入力してください", "Enter the company or trade name")
M_COMPANY_LONG: Msg = (f"{COMPANY_MAX}文字以内で入力してください", f"Use at most {COMPANY_MAX} characters")
M_NAME_LONG: Msg = (f"{NAME_MAX}文字以内で入力してください", f"Use at most {NAME_MAX} characters")
M_EMAIL: Msg = ("メールアドレスの形式が正しくありません（例: info@example.co.jp）",
                "The e-mail address is not valid (e.g. info@example.co.jp)")
M_PHONE: Msg = ("電話番号は数字とハイフンで入力してください（例: 03-1234-5678）",
                "Enter the phone number with digits and hyphens (e.g. 03-1234-5678)")


def _pct(ratio: float) -> str:
    """A ratio as the percentage typed in the form; with "%" where a bare number would read as a fraction
    (app/intake/parsers.py: 0.5 is 50 %, so 0.5 % is written 0.5%).

    >>> _pct(0.3), _pct(0.125), _pct(0), _pct(0.005)
    ('30', '12.5', '0', '0.5%')
    """
    text = f"{ratio * 100:.4f}".rstrip("0").rstrip(".")
    return text + "%" if "." in text and ratio <= 0.01 else text


def _yen(v: int) -> str:
    return f"-{abs(v):,}" if v < 0 else f"{v:,}"


def _yn(v: Any) -> str:
    return "yes" if v is True else "no" if v is False else ""


def raw_from_profile(profile: dict[str, Any]) -> Raw:
    """The form's inputs for a stored profile (what the advisor sees when editing).

    >>> raw = raw_from_profile({"employees": 20, "capital_yen": 10_000_000, "vc_backed": False,
    ...                         "domestic_applications": [], "large_company_shareholding": {"largest": 0.3}})
    >>> raw["employees"], raw["capital_yen"], raw["vc_backed"], raw["domestic_applications"]
    ('20', '10,000,000', 'no', ['none'])
    >>> raw["large_company_shareholding.largest"]
    '30'
    """
    raw: Raw = {}
    for q in QUESTIONS:
        f = q.fact
        v = profile.get(f)
        if v is None:
            continue
        if q.kind == "text":
            if q.parse == "percent":
                raw[f] = _pct(float(v))
            elif q.parse in ("int", "yen", "signed_yen"):
                raw[f] = _yen(int(v))
            else:
                raw[f] = str(v)
        elif q.kind in ("radio", "select"):
            raw[f] = _yn(v) if q.enum is None and f != "prefecture" else str(v)
        elif q.kind == "checks":
            raw[f] = list(v) if v else [x for x, _ in q.extra if x == "none"]
        elif q.kind == "textarea":
            raw[f] = str(v)
        elif q.kind == "share" and isinstance(v, dict):
            for key in ("largest", "combined"):
                if v.get(key) is not None:
                    raw[f"{f}.{key}"] = _pct(float(v[key]))
        elif q.kind == "filings":
            rows = [r for r in v if isinstance(r, dict) and not r.get("already_filed")][:FILING_ROWS]
            raw[f"{f}.has"] = "yes" if rows else "no"
            for i, r in enumerate(rows):
                if r.get("right"):
                    raw[f"{f}.{i}.right"] = r["right"]
                if r.get("cost_yen") is not None:
                    raw[f"{f}.{i}.cost_yen"] = _yen(int(r["cost_yen"]))
        elif q.kind == "disputes":
            rows = [r for r in v if isinstance(r, dict)][:DISPUTE_ROWS]
            raw[f"{f}.has"] = "yes" if rows else "no"
            for i, r in enumerate(rows):
                raw[f"{f}.{i}.kind"] = r.get("kind") or "unknown"
                if r.get("cost_yen") is not None:
                    raw[f"{f}.{i}.cost_yen"] = _yen(int(r["cost_yen"]))
                for key in ("holds_local_right", "holds_jp_trademark"):
                    if r.get(key) is not None:
                        raw[f"{f}.{i}.{key}"] = _yn(r[key])
        elif q.kind == "insurance" and v is False:  # none planned (「いいえ」)
            raw[f"{f}.has"] = "no"
        elif q.kind == "insurance" and isinstance(v, dict):
            raw[f"{f}.has"] = "yes"
            if v.get("premium_yen") is not None:
                raw[f"{f}.premium_yen"] = _yen(int(v["premium_yen"]))
            if v.get("renewal") is not None:
                raw[f"{f}.renewal"] = "renewal" if v["renewal"] else "new"
    return raw


def case_raw(values: dict[str, Any]) -> dict[str, str]:
    """The case fields' inputs from stored values (`as_of` a date or None)."""
    out = {k: str(values.get(k) or "") for k in CASE_FIELDS}
    if isinstance(values.get("as_of"), dt.date):
        out["as_of"] = values["as_of"].isoformat()
    return out


def read_case_form(form: FormData) -> tuple[dict[str, str], Raw]:
    """(case inputs, profile inputs) of a posted form."""
    case: dict[str, str] = {}
    for k in CASE_FIELDS:
        v = form.get(PREFIX + k)
        case[k] = v[:1000] if isinstance(v, str) else ""
    return case, read_raw(form, QUESTIONS)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


@dataclass
class CaseForm:
    values: dict[str, Any]  # company_name, contact_*, as_of (date | None)
    profile: dict[str, Any]
    errors: dict[str, Msg] = field(default_factory=dict)


def parse_case_form(case_in: dict[str, str], raw: Raw, old_profile: dict[str, Any], screen: Any) -> CaseForm:
    """Normalise and check the form; `screen(profile)` is `Services.screen` (its ProfileError is mapped to
    the inputs). The profile keeps the fields the form does not show."""
    errors: dict[str, Msg] = {}
    name = _nfkc(case_in.get("company_name", ""))
    if not name:
        errors[PREFIX + "company_name"] = M_COMPANY
    elif len(name) > COMPANY_MAX:
        errors[PREFIX + "company_name"] = M_COMPANY_LONG
    contact_name = _nfkc(case_in.get("contact_name", ""))
    if len(contact_name) > NAME_MAX:
        errors[PREFIX + "contact_name"] = M_NAME_LONG
    email = _nfkc(case_in.get("contact_email", ""))
    if email and (len(email) > EMAIL_MAX or not EMAIL_RE.match(email)):
        errors[PREFIX + "contact_email"] = M_EMAIL
    phone = _nfkc(case_in.get("contact_phone", "")).translate(DASHES)
    digits = sum(c.isdigit() for c in phone)
    if phone and (len(phone) > PHONE_MAX or not all(c.isdigit() or c in "+()- " for c in phone)
                  or not 6 <= digits <= 15):
        errors[PREFIX + "contact_phone"] = M_PHONE
    as_of: dt.date | None = None
    if _nfkc(case_in.get("as_of", "")):
        try:
            as_of = parse_date(case_in["as_of"])
        except NormalizeError as e:
            errors[PREFIX + "as_of"] = (e.message_ja, e.message_en)

    profile = {k: v for k, v in old_profile.items() if k != "as_of"}
    for q in QUESTIONS:
        parsed = parse_question(q, raw)
        if parsed.errors:
            errors.update(parsed.errors)
            continue
        if isinstance(parsed.value, _Absent):
            profile.pop(q.fact, None)
        else:
            profile[q.fact] = parsed.value
    kept = [r for r in old_profile.get("foreign_filings") or () if isinstance(r, dict) and r.get("already_filed")]
    if kept:  # filings already made are not on the form: keep them
        new = profile.get("foreign_filings")
        profile["foreign_filings"] = kept + (new if isinstance(new, list) else [])
    if name:
        profile["company_name"] = name[:COMPANY_MAX]

    failed = {q.fact for q in QUESTIONS if any(n in errors for n, _ in input_names(q))}
    try:
        check = {k: v for k, v in profile.items() if k not in failed}
        if as_of is not None:
            check["as_of"] = as_of.isoformat()
        screen(check)
    except ProfileError as e:
        for err in e.errors:
            if err.field == "as_of":
                target = PREFIX + "as_of"
            elif err.field == "company_name":
                target = PREFIX + "company_name"
            else:
                target = engine_error_input(err, QUESTIONS) or f"_{err.field}"
            errors.setdefault(target, ENGINE_MESSAGES.get(err.code, (err.message_ja, err.message_en)))
    values = {"company_name": name, "contact_name": contact_name or None, "contact_email": email or None,
              "contact_phone": phone or None, "as_of": as_of}
    return CaseForm(values, profile, errors)


def changed_fields(before: dict[str, Any], after: dict[str, Any], keys: Iterable[str] | None = None) -> list[str]:
    """Keys whose values differ (in the questions' order, then the others sorted).

    >>> changed_fields({"employees": 5, "industry": "retail"}, {"employees": 6, "industry": "retail", "vc_backed": True})
    ['employees', 'vc_backed']
    """
    names = set(before) | set(after) if keys is None else set(keys)
    diff = {k for k in names if before.get(k) != after.get(k)}
    order = {f: i for i, f in enumerate(PROFILE_FACTS)}
    return sorted(diff, key=lambda k: (order.get(k, len(order)), k))


# ------------------------------------------------------------------ the form's view


class CaseFormView(View):
    """The questionnaire's field builder, plus the case's own fields."""

    def case_fields(self, case_in: dict[str, str]) -> list[dict[str, Any]]:
        tr = self.tr
        saved = self.raw
        self.raw = {PREFIX + k: v for k, v in case_in.items()}
        try:
            return [
                self.text(PREFIX + "company_name", tr("会社名・屋号（必須）"), short=False),
                self.text(PREFIX + "contact_name", tr("担当者のお名前"), short=False),
                self.text(PREFIX + "contact_email", tr("メールアドレス"), mode="email", short=False),
                self.text(PREFIX + "contact_phone", tr("電話番号"), tr("例: 03-1234-5678"), mode="tel"),
                self.text(PREFIX + "as_of", tr("基準日"),
                          tr("空欄なら今日の日付で判定します。例: 2025-10-01、令和7年10月1日")),
            ]
        finally:
            self.raw = saved

    def groups(self) -> list[dict[str, Any]]:
        return [{"title": self.tr(g.title), "step": g.step, "fields": [self.question(q) for q in g.questions]}
                for g in FORM_GROUPS]


def form_view(lang: str, case_in: dict[str, str], raw: Raw, errors: dict[str, Msg]) -> dict[str, Any]:
    view = CaseFormView(lang, raw, errors)
    case_fields = view.case_fields(case_in)
    groups = view.groups()
    for name, (ja, en) in errors.items():  # an engine error without an input of its own
        if name.startswith("_"):
            view.summary.append({"href": "#main", "label": "", "message": ja if lang == "ja" else en})
    return {"case_fields": case_fields, "groups": groups, "summary": view.summary}

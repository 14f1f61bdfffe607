"""The console's page frame: labels in the page's language, flash messages, `console_page` (one template render with the user's context), redirects."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.console.deps import Staff
from app.console.workflow import (
    ACTION_LABELS,
    ACTION_NAMES,
    DESK_KIND_LABELS,
    EVENT_LABELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    label,
)
from app.intake.columns import column_for
from app.services import Services
from app.store.batch_jobs import BATCH_ROLES
from app.store.catalog_review import is_catalog_editor
from app.store.console import (
    DeskRecord,
    User,
)
from app.store.db import Store
from app.web.formats import fmt_date, fmt_datetime
from app.web.language import page_lang
from app.web.render import render_page
from eligibility.facts import enum_label, field_label, prefecture_label
from eligibility.money import yen

FLASH: dict[str, tuple[str, str]] = {
    "logout": ("ログアウトしました", "You are logged out"),
    "password": ("パスワードを変更しました。ほかの端末のログインは終了しました", "Password changed; other sessions were ended"),
    "created": ("案件を作成し、判定しました", "Case created and screened"),
    "saved": ("プロフィールを保存し、判定し直しました", "Profile saved and screened again"),
    "unchanged": ("変更はありませんでした", "Nothing was changed"),
    "rescreened": ("再判定しました", "Screened again"),
    "status": ("状態を変更しました", "Status changed"),
    "referred": ("他の窓口に紹介しました", "Referred to the other desk"),
    "note": ("メモを追加しました", "Note added"),
    "outcome": ("結果を記録しました", "Outcome recorded"),
    "enabled": ("アカウントを有効にしました", "The account is enabled"),
    "disabled": ("アカウントを無効にし、ログインを終了させました", "The account is disabled and logged out"),
}
RESULT_STATUS: dict[str, tuple[str, str]] = {
    "eligible": ("対象", "Eligible"), "needs_info": ("要確認", "Check needed"), "ineligible": ("対象外", "Not eligible"),
}

# ------------------------------------------------------------------ rendering


class Labels:
    """Helpers the templates use for labels, names, dates and amounts in the page's language."""

    def __init__(self, lang: str, svc: Services, desks: dict[str, DeskRecord] | None = None):
        self.lang = lang
        self.svc = svc
        self._desks = desks

    def status(self, s: str | None) -> str:
        return label(STATUS_LABELS, s, self.lang)

    def action_button(self, s: str) -> str:
        return label(ACTION_LABELS, s, self.lang)

    def outcome(self, o: str | None) -> str:
        return label(OUTCOME_LABELS, o, self.lang)

    def role(self, r: str | None) -> str:
        return label(ROLE_LABELS, r, self.lang)

    def pref(self, p: str | None) -> str:
        return prefecture_label(p, self.lang)

    def heading(self, heading: str | None) -> str:
        """A member list's column heading as written (Japanese), with the field's English name on English pages."""
        column = column_for(heading) if heading else None
        if not heading or self.lang == "ja" or column is None:
            return heading or ""
        english = field_label(column.field, "en")
        return heading if english == heading else f"{heading} ({english})"

    def desk_kind(self, k: str | None) -> str:
        return label(DESK_KIND_LABELS, k, self.lang)

    def audit_action(self, a: str | None) -> str:
        return label(ACTION_NAMES, a, self.lang)

    def event(self, k: str | None) -> str:
        return label(EVENT_LABELS, k, self.lang)

    def result_status(self, s: str | None) -> str:
        return label(RESULT_STATUS, s, self.lang) if s else ("（対象期間外）" if self.lang == "ja" else "(not in force)")

    def program(self, pid: str | None) -> str:
        p = self.svc.catalog.programs.get(pid or "")
        if p is None:
            return pid or ""
        return p.names.ja if self.lang == "ja" else p.names.en

    def desk(self, desk_id: str | None) -> str:
        if not desk_id:
            return ""
        d = (self._desks or {}).get(desk_id)
        if d is None:
            return desk_id
        return d.name if self.lang == "ja" or not d.name_en else d.name_en

    def field(self, name: str) -> str:
        if name.startswith("case."):
            return {"company_name": field_label("company_name", self.lang),
                    "contact_name": "担当者" if self.lang == "ja" else "Contact person",
                    "contact_email": "メールアドレス" if self.lang == "ja" else "E-mail",
                    "contact_phone": "電話番号" if self.lang == "ja" else "Phone",
                    "as_of": field_label("as_of", self.lang)}.get(name[5:], name)
        return field_label(name, self.lang)

    def value(self, name: str, v: Any) -> str:
        """A profile value for people (revisions' before / after)."""
        ja = self.lang == "ja"
        if v is None:
            return "（未回答）" if ja else "(not answered)"
        if isinstance(v, bool):
            return ("はい" if v else "いいえ") if ja else ("Yes" if v else "No")
        enum = {"applicant_type": "applicant_type", "industry": "industry", "phase": "phase",
                "patent_exam_status": "patent_exam_status", "design_application": "design_application",
                "domestic_applications": "right", "interests": "interests"}.get(name)
        if enum and isinstance(v, str):
            return enum_label(enum, v, self.lang)
        if enum and isinstance(v, list):
            return ("、" if ja else ", ").join(enum_label(enum, str(x), self.lang) for x in v) or ("なし" if ja else "None")
        if isinstance(v, int) and name.endswith("_yen"):
            return yen(v, self.lang)
        if isinstance(v, str | int | float):
            return str(v)
        return json.dumps(v, ensure_ascii=False, sort_keys=True)

    def when(self, value: dt.datetime | None) -> str:
        return fmt_datetime(value, self.lang) if value else ""

    def date(self, value: dt.date | str | None) -> str:
        return fmt_date(value, self.lang) if value else ""

    def yen(self, n: int | None) -> str:
        return yen(n, self.lang) if n is not None else "—"

    def user(self, users: dict[str, User], uid: str | None) -> str:
        if uid is None:
            return "相談者" if self.lang == "ja" else "Applicant"
        u = users.get(uid)
        return u.display_name if u else uid[:8]


def console_lang(request: Request) -> str:
    """The console follows the one rule of every page (?lang= > cookie > Accept-Language > Japanese)."""
    return page_lang(request)


def console_page(request: Request, svc: Services, store: Store, template: str, ctx: Staff | None = None,
                 status: int = 200, desks: dict[str, DeskRecord] | None = None, **kw: Any) -> HTMLResponse:
    """One console page: the template with the user's context (menu, CSRF token), labels and flash message;
    `svc` and `store` are the route's (`ServicesDep`, `StoreDep`)."""
    lang = console_lang(request)
    done = request.query_params.get("done")
    flash = label(FLASH, done, lang) if done in FLASH else None
    return render_page(
        lang, template, status=status,
        me=ctx.user if ctx else None, my_desk=ctx.desk if ctx else None, csrf=ctx.login.csrf_token if ctx else "",
        is_admin=bool(ctx and ctx.is_admin), can_batch=bool(ctx and ctx.user.role in BATCH_ROLES),
        is_catalog_editor=ctx is not None and is_catalog_editor(store.engine, ctx.user.id),
        L=Labels(lang, svc, desks), flash=flash,
        path=request.url.path, **kw)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: Any) -> str:
    """Only a path of the console (no open redirect).

    >>> safe_next("/console/cases/1"), safe_next("//evil.example/"), safe_next("https://x/console/")
    ('/console/cases/1', '/console/cases', '/console/cases')
    """
    if isinstance(value, str) and value.startswith("/console/") and "//" not in value and "\\" not in value \
            and len(value) < 300 and not value.startswith("/console/login"):
        return value
    return "/console/cases"

"""The questionnaire page's fields: labels, values, errors and their aria links (the view model of a page)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from app.intake.adaptive import step_of
from app.intake.answers import Raw, enum_values, question_values, unknown_name
from app.intake.parsers import Msg
from app.intake.questions import DISPUTE_ROWS, FILING_ROWS, YES_NO, Question
from app.services import Services
from app.web.i18n import translations
from eligibility.facts import PREFECTURES, enum_label, prefecture_label
from eligibility.profile import MAX_DESCRIPTION


def _id(name: str) -> str:
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def anchor(fact: str) -> str:
    """The id of a question's block on its step (the target of the results' 「回答する」 links)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", fact)


def question_href(token: str, facts: Iterable[str], lang: str) -> str | None:
    """The address of the first of `facts` the questionnaire asks: its step, anchored at its question
    (`/q/{token}/{step}?lang=ja#f-<fact>`); None when none of them has a question."""
    for fact in facts:
        step = step_of(fact)
        if step is not None:
            return f"/q/{quote(token)}/{step}?lang={lang}#{anchor(fact.split('[')[0].split('.')[0])}"
    return None


FILING_PROGRAM = "foreign_filing_subsidy"  # its benefit summary states the per-case rule (programs/catalog/)


def filing_rule(svc: Services, lang: str) -> str | None:
    """The per-case rule of the overseas filing subsidy in the catalog's own words (no number in code)."""
    program = svc.catalog.programs.get(FILING_PROGRAM)
    if program is None:
        return None
    return program.benefit.summary.ja if lang == "ja" else program.benefit.summary.en


class View:
    """Builds the fields of a page, translated, with values, errors and their aria links."""

    def __init__(self, lang: str, raw: Raw, errors: dict[str, Msg], filing_rule: str | None = None):
        self.lang = lang
        self.filing_rule = filing_rule
        self.raw = raw
        self.errors = errors
        self.tr = translations(lang).gettext
        self.summary: list[dict[str, str]] = []  # (href, label, message) in page order

    def msg(self, name: str) -> str | None:
        m = self.errors.get(name)
        return None if m is None else (m[0] if self.lang == "ja" else m[1])

    def _note(self, name: str, label: str, target: str) -> str | None:
        message = self.msg(name)
        if message is not None:
            self.summary.append({"href": "#" + target, "label": label, "message": message})
        return message

    def options(self, q: Question) -> list[tuple[str, str]]:
        if q.fact == "prefecture":
            return [(p, prefecture_label(p, self.lang)) for p in PREFECTURES]
        if q.enum is not None:
            return [(v, enum_label(q.enum, v, self.lang)) for v in question_values(q)]
        return self.yes_no()

    def yes_no(self) -> list[tuple[str, str]]:
        return [(v, self.tr(label)) for v, label in YES_NO]

    def text(self, name: str, label: str, hint: str | None = None, unknown: str | None = None,
             mode: str | None = None, short: bool = True) -> dict[str, Any]:
        fid = _id(name)
        return {"type": "text", "name": name, "id": fid, "label": label, "hint": hint,
                "value": self.raw.get(name, "") if isinstance(self.raw.get(name, ""), str) else "",
                "error": self._note(name, label, fid), "inputmode": mode, "short": short,
                "unknown": None if unknown is None else self.unknown_box(unknown)}

    def unknown_box(self, name: str) -> dict[str, Any]:
        return {"type": "unknown", "name": name, "id": _id(name), "label": self.tr("わからない"),
                "checked": bool(self.raw.get(name))}

    def radio(self, name: str, legend: str, options: list[tuple[str, str]], hint: str | None = None,
              unknown: bool = True, stack: bool = False) -> dict[str, Any]:
        chosen = self.raw.get(name, "")
        opts = [*options, ("unknown", self.tr("わからない"))] if unknown else list(options)
        items = [{"value": v, "label": lab, "id": f"{_id(name)}-{i}", "checked": chosen == v}
                 for i, (v, lab) in enumerate(opts)]
        first = f"{_id(name)}-0"
        return {"type": "radio", "name": name, "id": first, "legend": legend, "hint": hint,
                "options": items, "error": self._note(name, legend, first), "stack": stack}

    def select(self, name: str, label: str, options: list[tuple[str, str]], hint: str | None = None,
               unknown: bool = True) -> dict[str, Any]:
        chosen = self.raw.get(name, "")
        opts = [("", self.tr("選んでください")), *options] + ([("unknown", self.tr("わからない"))] if unknown else [])
        fid = _id(name)
        return {"type": "select", "name": name, "id": fid, "label": label, "hint": hint,
                "options": [{"value": v, "label": lab, "selected": chosen == v} for v, lab in opts],
                "error": self._note(name, label, fid)}

    def checks(self, q: Question, legend: str, hint: str | None) -> dict[str, Any]:
        picked = self.raw.get(q.fact) or []
        opts = self.options(q) + [(v, self.tr(lab)) for v, lab in q.extra]
        items = [{"value": v, "label": lab, "id": f"{_id(q.fact)}-{i}", "checked": v in picked}
                 for i, (v, lab) in enumerate(opts)]
        first = f"{_id(q.fact)}-0"
        return {"type": "checks", "name": q.fact, "id": first, "legend": legend, "hint": hint,
                "options": items, "error": self._note(q.fact, legend, first),
                "unknown": self.unknown_box(unknown_name(q.fact)) if q.unknown else None}

    def group(self, legend: str, hint: str | None, children: list[dict[str, Any]], row: bool = False,
              reveal: bool = False) -> dict[str, Any]:
        """A fieldset. `reveal`: the first child is a はい／いいえ question and the rest its details, shown once
        「はい」 is chosen (CSS only, templates/_q_fields.html; without :has() support everything shows)."""
        return {"type": "group", "legend": legend, "hint": hint, "children": children, "row": row, "reveal": reveal}

    def question(self, q: Question) -> dict[str, Any]:
        tr = self.tr
        f = q.fact
        label = tr(q.label)
        hint = tr(q.hint) if q.hint else None
        if q.kind == "text":
            mode = "numeric" if q.parse in ("int",) else None
            field = self.text(f, label, hint, unknown_name(f), mode)
            field["reason"] = tr(q.reason) if q.reason else None
            return field
        if q.kind == "radio":
            return self.radio(f, label, self.options(q), hint, stack=q.enum is not None)
        if q.kind == "select":
            return self.select(f, label, self.options(q), hint)
        if q.kind == "checks":
            return self.checks(q, label, hint)
        if q.kind == "textarea":
            fid = _id(f)
            return {"type": "textarea", "name": f, "id": fid, "label": label, "hint": hint,
                    "value": self.raw.get(f, "") or "", "error": self._note(f, label, fid),
                    "maxlength": MAX_DESCRIPTION}
        if q.kind == "share":
            return self.group(label, hint, [
                self.text(f"{f}.largest", tr("最も多く出資している大企業1社の割合（％）"), tr("例: 30（30%、3割、0.3 も同じ）")),
                self.text(f"{f}.combined", tr("大企業すべての合計の割合（％）"), tr("例: 45（45%、0.45 も同じ）")),
                self.unknown_box(unknown_name(f)),
            ])
        if q.kind == "filings":
            rights = [(v, enum_label("right", v, self.lang)) for v in enum_values("right")]
            # The per-case rule beside the estimate (issue 14): in full at the first case, in short at the others.
            short = tr("例: 600万円。") + tr("1件の補助の上限は、出願する国の数によらず同じです。")
            full = short + (" " + tr("補助のしくみ: %(rule)s") % {"rule": self.filing_rule} if self.filing_rule else "")
            rows = [self.group(tr("%(n)s件目（1つの発明・意匠・商標）") % {"n": i + 1}, None, [
                self.select(f"{f}.{i}.right", tr("権利の種類"), rights, unknown=False),
                self.text(f"{f}.{i}.countries", tr("出願する国・地域の数"), tr("例: アメリカとヨーロッパなら 2"), mode="numeric"),
                self.text(f"{f}.{i}.cost_yen", tr("費用の見込み（すべての国の合計）"), full if i == 0 else short),
            ], row=True) for i in range(FILING_ROWS)]
            return self.group(label, hint, [
                self.radio(f"{f}.has", tr("これから外国に出願する予定がありますか"), self.yes_no(),
                           tr("「はい」の場合は、1つの発明・意匠・商標ごとに1行ずつ入力してください（最大%(n)s件）。"
                              "同じ発明を複数の国に出すときも1行です。") % {"n": FILING_ROWS}),
                *rows,
            ], reveal=True)
        if q.kind == "disputes":
            kinds = [(v, enum_label("dispute_kind", v, self.lang)) for v in enum_values("dispute_kind")]
            yes_no = self.yes_no()
            rows = [self.group(tr("%(n)s件目") % {"n": i + 1}, None, [
                self.select(f"{f}.{i}.kind", tr("トラブルの種類"), kinds),
                self.text(f"{f}.{i}.cost_yen", tr("対策費用の見込み"), tr("例: 200万円")),
                self.radio(f"{f}.{i}.holds_local_right", tr("その国で権利（またはライセンス）を持っていますか"), yes_no),
                self.radio(f"{f}.{i}.holds_jp_trademark", tr("日本で同じ・似た商標を出願または登録していますか"), yes_no),
            ], row=True) for i in range(DISPUTE_ROWS)]
            return self.group(label, hint, [
                self.radio(f"{f}.has", tr("海外で知財のトラブルがありますか"), self.yes_no(),
                           tr("「はい」の場合は、下に1件ずつ入力してください（最大%(n)s件）") % {"n": DISPUTE_ROWS}),
                *rows,
            ], reveal=True)
        if q.kind == "insurance":
            return self.group(label, hint, [
                self.radio(f"{f}.has", tr("海外知財訴訟保険に加入（更新）する予定がありますか"), self.yes_no(),
                           tr("「はい」の場合は、わかる範囲で掛金と新規・更新を入力してください")),
                self.text(f"{f}.premium_yen", tr("年間の掛金の見込み"), tr("例: 40万円")),
                self.radio(f"{f}.renewal", tr("新規加入ですか、更新ですか"),
                           [("new", tr("新規加入")), ("renewal", tr("更新"))]),
            ], reveal=True)
        raise ValueError(q.kind)

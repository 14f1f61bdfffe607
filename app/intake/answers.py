"""Reading a page's answers: raw input per question, parsed into profile values with messages per input."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from app.intake.normalize import NormalizeError, to_halfwidth
from app.intake.parsers import PARSERS, Msg
from app.intake.questions import DISPUTE_ROWS, FILING_ROWS, RAW_MAX, Question
from eligibility.facts import ENUM_LABELS, PREFECTURES
from eligibility.profile import MAX_DESCRIPTION, FieldError

Raw = dict[str, Any]  # input name -> str, or list[str] for checkboxes


class _Absent:
    """A fact left unknown: blank or 「わからない」 (「いいえ」 is an answer: false, [] or "none" in the profile)."""

    def __init__(self, how: str):
        self.how = how

    def __repr__(self) -> str:
        return f"<{self.how}>"


BLANK, UNKNOWN = _Absent("blank"), _Absent("unknown")

M_CHOOSE: Msg = ("選択肢から選んでください", "Choose one of the options")
M_BOTH_UNKNOWN: Msg = ("入力を消すか、「わからない」のチェックを外してください",
                       "Clear the answer or untick 'I don't know'")
M_NONE_AND_RIGHTS: Msg = ("「まだ国内で出願していない」と権利は同時に選べません",
                          "'Not yet filed in Japan' cannot be combined with a right")
M_ROW_NEEDED: Msg = ("「はい」の場合は、下に1件以上入力してください", "If yes, fill in at least one case below")
M_RIGHT_NEEDED: Msg = ("権利の種類を選んでください", "Choose the kind of right")
M_COUNTRIES: Msg = ("国・地域の数は1以上で入力してください", "Enter at least one country or region")
M_DESC_LONG: Msg = (f"{MAX_DESCRIPTION:,}字以内で入力してください（いま{{n}}字です）",
                    f"Use at most {MAX_DESCRIPTION:,} characters (now {{n}})")
M_LARGEST: Msg = ("最も多く出資している1社の割合が、大企業すべての合計より大きくなっています",
                  "The largest single holding exceeds the combined holding of all large companies")


# The engine's messages speak of the API's fields ("基準日"); a few are said more plainly on the form.
ENGINE_MESSAGES: dict[str, Msg] = {
    "established_after_as_of": ("未来の日付になっています。すでに設立（開業）した日を入力してください",
                                "This date is in the future; enter the date the company was founded (or the business started)"),
    "largest_over_combined": M_LARGEST,
}






FILING_KEYS = ("right", "countries", "cost_yen")  # countries: the questionnaire's, not the profile's (one case, any number)


def enum_values(enum: str) -> list[str]:
    return list(ENUM_LABELS[enum])


def question_values(q: Question) -> list[str]:
    """The enum values a question offers, in the enum's order."""
    values = enum_values(q.enum or "")
    return [v for v in values if v in q.only] if q.only else values


def unknown_name(fact: str) -> str:
    return f"{fact}__unknown"


def input_names(q: Question) -> list[tuple[str, bool]]:
    """Every input of a question as (name, is a list of checkbox values)."""
    f = q.fact
    if q.kind in ("radio", "select", "textarea"):
        return [(f, False)]
    if q.kind == "text":
        return [(f, False), (unknown_name(f), False)]
    if q.kind == "checks":
        return [(f, True)] + ([(unknown_name(f), False)] if q.unknown else [])
    if q.kind == "share":
        return [(f"{f}.largest", False), (f"{f}.combined", False), (unknown_name(f), False)]
    if q.kind == "filings":
        rows = [(f"{f}.{i}.{k}", False) for i in range(FILING_ROWS) for k in FILING_KEYS]
        return [(f"{f}.has", False), *rows]
    if q.kind == "disputes":
        keys = ("kind", "cost_yen", "holds_local_right", "holds_jp_trademark")
        return [(f"{f}.has", False), *[(f"{f}.{i}.{k}", False) for i in range(DISPUTE_ROWS) for k in keys]]
    if q.kind == "insurance":
        return [(f"{f}.has", False), (f"{f}.premium_yen", False), (f"{f}.renewal", False)]
    raise ValueError(q.kind)


def read_raw(form: FormData, questions: Iterable[Question]) -> Raw:
    """What was typed for these questions (strings, cut to a sane length), nothing else of the form."""
    raw: Raw = {}
    for q in questions:
        for name, is_list in input_names(q):
            if is_list:
                raw[name] = [str(v)[:100] for v in form.getlist(name) if isinstance(v, str)][:20]
            else:
                v = form.get(name)
                raw[name] = v[:RAW_MAX] if isinstance(v, str) else ""
    return raw


@dataclass
class Parsed:
    value: Any  # a profile value, or an _Absent
    errors: dict[str, Msg] = field(default_factory=dict)


def _text(raw: Raw, name: str) -> str:
    v = raw.get(name, "")
    return v if isinstance(v, str) else ""


def _blank(text: str) -> bool:
    return not to_halfwidth(text).strip()


def _one(raw: Raw, name: str, parse: str, errors: dict[str, Msg]) -> Any:
    text = _text(raw, name)
    if _blank(text):
        return None
    try:
        return PARSERS[parse](text)
    except NormalizeError as e:
        errors[name] = (e.message_ja, e.message_en)
        return None


def _choice(raw: Raw, name: str, allowed: Iterable[str], errors: dict[str, Msg]) -> str | None:
    """'' → None; a value outside the options → an error (a tampered or stale form)."""
    v = _text(raw, name)
    if v == "":
        return None
    if v not in allowed:
        errors[name] = M_CHOOSE
        return None
    return v


def _yes_no(raw: Raw, name: str, errors: dict[str, Msg]) -> bool | None | _Absent:
    v = _choice(raw, name, ("yes", "no", "unknown"), errors)
    return {"yes": True, "no": False, "unknown": UNKNOWN, None: None}[v]


def parse_question(q: Question, raw: Raw) -> Parsed:
    f = q.fact
    errors: dict[str, Msg] = {}
    unknown = _text(raw, unknown_name(f)) != ""

    if q.kind == "text":
        value = _one(raw, f, q.parse or "", errors)
        if unknown and not _blank(_text(raw, f)):
            errors[f] = M_BOTH_UNKNOWN
        if errors:
            return Parsed(BLANK, errors)
        return Parsed(UNKNOWN if unknown else BLANK if value is None else value)

    if q.kind in ("radio", "select"):
        if q.enum is None and f != "prefecture":  # yes / no
            yn = _yes_no(raw, f, errors)
            return Parsed(BLANK if yn is None else yn, errors)
        allowed = PREFECTURES if f == "prefecture" else question_values(q)
        v = _choice(raw, f, [*allowed, "unknown"], errors)
        return Parsed(BLANK if v is None else UNKNOWN if v == "unknown" else v, errors)

    if q.kind == "checks":
        picked = raw.get(f) or []
        allowed = question_values(q) + [v for v, _ in q.extra]
        if any(v not in allowed for v in picked):
            errors[f] = M_CHOOSE
        elif "none" in picked and len(picked) > 1:
            errors[f] = M_NONE_AND_RIGHTS
        elif unknown and picked:
            errors[f] = M_BOTH_UNKNOWN
        if errors:
            return Parsed(BLANK, errors)
        if unknown:
            return Parsed(UNKNOWN)
        if picked == ["none"]:
            return Parsed([])
        # In the order of the options, once each.
        return Parsed([v for v in question_values(q) if v in picked] if picked else BLANK)

    if q.kind == "textarea":
        text = _text(raw, f).strip()
        if len(text) > MAX_DESCRIPTION:
            errors[f] = (M_DESC_LONG[0].format(n=f"{len(text):,}"), M_DESC_LONG[1].format(n=f"{len(text):,}"))
            return Parsed(BLANK, errors)
        return Parsed(text or BLANK)

    if q.kind == "share":
        largest = _one(raw, f"{f}.largest", "percent", errors)
        combined = _one(raw, f"{f}.combined", "percent", errors)
        typed = not (_blank(_text(raw, f"{f}.largest")) and _blank(_text(raw, f"{f}.combined")))
        if unknown and typed:
            errors[f"{f}.largest"] = M_BOTH_UNKNOWN
        if largest is not None and combined is not None and largest > combined:
            errors[f"{f}.largest"] = M_LARGEST
        if errors:
            return Parsed(BLANK, errors)
        if unknown:
            return Parsed(UNKNOWN)
        share = {k: v for k, v in (("largest", largest), ("combined", combined)) if v is not None}
        return Parsed(share or BLANK)

    if q.kind == "filings":
        has = _yes_no(raw, f"{f}.has", errors)
        rights = enum_values("right")
        rows: list[dict[str, Any]] = []
        for i in range(FILING_ROWS):
            right = _choice(raw, f"{f}.{i}.right", rights, errors)
            cost = _one(raw, f"{f}.{i}.cost_yen", "yen", errors)
            countries = _one(raw, f"{f}.{i}.countries", "int", errors)
            if countries == 0:
                errors[f"{f}.{i}.countries"] = M_COUNTRIES
            if right is None and all(_blank(_text(raw, f"{f}.{i}.{k}")) for k in ("cost_yen", "countries")):
                continue
            if right is None:
                errors.setdefault(f"{f}.{i}.right", M_RIGHT_NEEDED)
            row: dict[str, Any] = {"right": right, "already_filed": False}
            if cost is not None:
                row["cost_yen"] = cost
            rows.append(row)
        return _listed(f, has, rows, errors)

    if q.kind == "disputes":
        has = _yes_no(raw, f"{f}.has", errors)
        kinds = enum_values("dispute_kind")
        rows = []
        for i in range(DISPUTE_ROWS):
            p = f"{f}.{i}"
            kind = _choice(raw, f"{p}.kind", [*kinds, "unknown"], errors)
            cost = _one(raw, f"{p}.cost_yen", "yen", errors)
            local = _yes_no(raw, f"{p}.holds_local_right", errors)
            jp = _yes_no(raw, f"{p}.holds_jp_trademark", errors)
            if kind is None and _blank(_text(raw, f"{p}.cost_yen")) and local is None and jp is None:
                continue
            row = {"kind": None if kind == "unknown" else kind}
            if cost is not None:
                row["cost_yen"] = cost
            for key, yn in (("holds_local_right", local), ("holds_jp_trademark", jp)):
                if isinstance(yn, bool):
                    row[key] = yn
            rows.append(row)
        return _listed(f, has, rows, errors)

    if q.kind == "insurance":
        has = _yes_no(raw, f"{f}.has", errors)
        premium = _one(raw, f"{f}.premium_yen", "yen", errors)
        renewal = _choice(raw, f"{f}.renewal", ("new", "renewal", "unknown"), errors)
        typed = premium is not None or renewal in ("new", "renewal")
        if errors:
            return Parsed(BLANK, errors)
        if has is False:
            return Parsed(False)  # no insurance planned: an answer (the program is then not for this applicant)
        if has is UNKNOWN:
            return Parsed(UNKNOWN)
        if has is None and not typed:
            return Parsed(BLANK)
        ins: dict[str, Any] = {}
        if premium is not None:
            ins["premium_yen"] = premium
        if renewal in ("new", "renewal"):
            ins["renewal"] = renewal == "renewal"
        return Parsed(ins)

    raise ValueError(q.kind)


def _listed(f: str, has: Any, rows: list[dict[str, Any]], errors: dict[str, Msg]) -> Parsed:
    if has is True and not rows and not errors:
        errors[f"{f}.has"] = M_ROW_NEEDED
    if errors:
        return Parsed(BLANK, errors)
    if has is False:
        return Parsed([])  # rows typed under 「いいえ」 are kept in the answers but not used
    if has is UNKNOWN:
        return Parsed(UNKNOWN)
    return Parsed(rows if rows else BLANK)


def engine_error_input(err: FieldError, questions: list[Question]) -> str | None:
    """The input of this page an engine error belongs to ('foreign_filings[0].cost_yen' → 'foreign_filings.0.cost_yen')."""
    path = re.sub(r"\[(\d+)\]", r".\1", err.field)
    fact = path.split(".")[0]
    for q in questions:
        if q.fact != fact:
            continue
        names = [n for n, _ in input_names(q) if not n.endswith("__unknown")]
        if path in names:
            return path
        inner = [n for n in names if n.startswith(path + ".")]
        return inner[0] if inner else names[0]
    return None

"""The web questionnaire: a landing page with consent, then short adaptive steps that ask only what matters.

    GET  /                 what the service does, how personal information is handled, consent, 「はじめる」
    POST /q                with consent: a new draft (`questionnaire_draft`) and 303 to its private link
    GET  /q/{token}        resume at the saved page, answers filled in (`?lang=en` switches the language)
    POST /q/{token}        action=next / back / finish: validate, normalise, merge, pick the next page

Pages are server-rendered and work without JavaScript. After every answer the profile is screened, and
the facts that can still change a result are the `missing_facts` of the `needs_info` results and of the
`eligible` results whose estimate is missing. The next page asks only the questions for those facts that
were not asked yet (in the order of `GROUPS`); 関心 and 事業内容 are asked once at the end. 「わからない」
keeps a fact unknown (absent from the profile) and it is not asked again. 「戻る」 and 「次へ」 move
through the pages like a browser's history (`history` / `forward` in the draft); a page shown again keeps
only the questions that still matter.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from app.intake.normalize import NormalizeError, parse_date, parse_int, parse_yen, to_halfwidth
from app.services import Services
from app.store.drafts import DRAFT_RETENTION_DAYS, QuestionnaireDraft
from app.web.i18n import environment, translations
from app.web.language import SUPPORTED
from eligibility.engine import Screening
from eligibility.facts import ENUM_LABELS, PREFECTURES, enum_label
from eligibility.profile import MAX_DESCRIPTION, FieldError, ProfileError

router = APIRouter(tags=["questionnaire"])

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LANG_COOKIE = "lang"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
RAW_MAX = MAX_DESCRIPTION + 1000  # longer input is cut before it is kept in the draft
FILING_ROWS = 3
DISPUTE_ROWS = 2


def N_(text: str) -> str:
    """Marks a Japanese msgid for extraction; translated when the page is rendered."""
    return text


# ------------------------------------------------------------------ the questions


@dataclass(frozen=True)
class Question:
    fact: str
    kind: str  # radio, select, text, checks, share, filings, disputes, insurance, textarea
    label: str  # Japanese msgid
    hint: str | None = None
    enum: str | None = None  # ENUM_LABELS key for the options
    parse: str | None = None  # text inputs: date, int, yen, signed_yen, percent
    unknown: bool = True  # offers 「わからない」
    extra: tuple[tuple[str, str], ...] = ()  # extra options (value, Japanese msgid), e.g. "none"


@dataclass(frozen=True)
class Group:
    step: str
    title: str  # Japanese msgid
    questions: tuple[Question, ...]


YES_NO = (("yes", N_("はい")), ("no", N_("いいえ")))

GROUPS: tuple[Group, ...] = (
    Group("basics", N_("基本情報"), (
        Question("applicant_type", "radio", N_("申請者の種類"),
                 N_("会社なら「会社・法人」、個人で事業をしているなら「個人事業主」を選んでください。"),
                 enum="applicant_type"),
        Question("established_on", "text", N_("設立日（個人事業主は事業開始日）"),
                 N_("例: 令和3年4月1日、R3.4.1、2021-04-01（全角でも入力できます）"), parse="date"),
        Question("prefecture", "select", N_("本社（主な事業所）の都道府県")),
        Question("employees", "text", N_("常時使用する従業員の数"),
                 N_("例: 20（役員は含めません。全角の数字でも入力できます）"), parse="int"),
        Question("capital_yen", "text", N_("資本金（出資の総額）"),
                 N_("例: 1,000万円、3億円、10000000"), parse="yen"),
        Question("industry", "select", N_("主たる業種"), enum="industry"),
    )),
    Group("ownership", N_("出資・役員"), (
        Question("large_company_shareholding", "share", N_("大企業による出資の割合"),
                 N_("大企業（資本金3億円を超える会社など、中小企業でない会社）が持つ株式・出資の割合をパーセントで入力してください。"
                    "大企業の出資がなければ 0 です。")),
        Question("large_company_officer_ratio", "text", N_("役員のうち、大企業の役員・従業員を兼ねる人の割合（％）"),
                 N_("例: 25。該当する人がいなければ 0"), parse="percent"),
        Question("wholly_owned_by_large_parent", "radio", N_("資本金5億円以上の会社に、直接または間接に100％出資されていますか")),
        Question("avg_taxable_income_yen", "text", N_("直近3年の課税所得の年平均額"),
                 N_("例: 1,800万円。赤字のときは ▲500万円 のように入力してください"), parse="signed_yen"),
    )),
    Group("ip", N_("知財の状況"), (
        Question("domestic_applications", "checks", N_("国内ですでに出願した権利（あてはまるものをすべて）"), enum="right",
                 extra=(("none", N_("まだ国内で出願していない")),)),
        Question("patent_exam_status", "radio", N_("特許出願と審査請求の状況"), enum="patent_exam_status"),
        Question("design_application", "radio", N_("意匠出願の状況"), enum="design_application"),
        Question("working_related", "radio", N_("その出願は、すでに使っている（または近く使う）製品・サービスに関するものですか"),
                 N_("実施関連出願かどうかで、早期審査の対象が変わります。")),
    )),
    Group("overseas", N_("海外の予定"), (
        Question("foreign_filings", "filings", N_("外国出願の予定"),
                 N_("1つの発明・意匠・商標ごとに1件です（出願する国の数は問いません）。費用は翻訳・現地代理人を含む見込み額です。")),
        Question("overseas_disputes", "disputes", N_("海外での知財トラブル"),
                 N_("模倣品、現地での商標の冒認出願（先取り）、外国企業からの警告・訴訟などです。")),
        Question("litigation_insurance", "insurance", N_("海外知財訴訟保険")),
    )),
    Group("vc", N_("VCからの出資"), (
        Question("vc_backed", "radio", N_("ベンチャーキャピタル（VC）から出資を受けていますか")),
    )),
    Group("final", N_("関心と事業内容"), (
        Question("interests", "checks", N_("関心のある支援（いくつでも）"), enum="interests", unknown=False),
        Question("description", "textarea", N_("事業の内容と知財の困りごと（任意）"),
                 N_("4,000字まで。個人名・連絡先や、公開前の発明の詳しい内容は書かないでください。"), unknown=False),
    )),
)

GROUP_BY_STEP = {g.step: g for g in GROUPS}
QUESTION = {q.fact: q for g in GROUPS for q in g.questions}
GROUP_OF = {q.fact: g.step for g in GROUPS for q in g.questions}
FACT_ORDER = [q.fact for g in GROUPS for q in g.questions]
FINAL = "final"
FINAL_FACTS = [q.fact for q in GROUP_BY_STEP[FINAL].questions]
FIRST = GROUPS[0]


# ------------------------------------------------------------------ reading the answers

Msg = tuple[str, str]  # (Japanese, English)
Raw = dict[str, Any]  # input name -> str, or list[str] for checkboxes


class _Absent:
    """A fact left unknown: blank, 「わからない」, or 「いいえ」 where the profile has no 'no'."""

    def __init__(self, how: str):
        self.how = how

    def __repr__(self) -> str:
        return f"<{self.how}>"


BLANK, UNKNOWN, NONE_PLANNED = _Absent("blank"), _Absent("unknown"), _Absent("none")

M_CHOOSE: Msg = ("選択肢から選んでください", "Choose one of the options")
M_BOTH_UNKNOWN: Msg = ("入力を消すか、「わからない」のチェックを外してください",
                       "Clear the answer or untick 'I don't know'")
M_NONE_AND_RIGHTS: Msg = ("「まだ国内で出願していない」と権利は同時に選べません",
                          "'Not yet filed in Japan' cannot be combined with a right")
M_ROW_NEEDED: Msg = ("「はい」の場合は、下に1件以上入力してください", "If yes, fill in at least one case below")
M_RIGHT_NEEDED: Msg = ("権利の種類を選んでください", "Choose the kind of right")
M_DESC_LONG: Msg = (f"{MAX_DESCRIPTION:,}字以内で入力してください（いま{{n}}字です）",
                    f"Use at most {MAX_DESCRIPTION:,} characters (now {{n}})")
M_PERCENT: Msg = ("0〜100の数で入力してください（例: 30、30%、12.5）", "Enter a number from 0 to 100 (e.g. 30, 30%, 12.5)")
M_PERCENT_RANGE: Msg = ("100以下の数で入力してください（割合はパーセントで入力します）",
                        "Enter at most 100 (the share is a percentage)")
M_LARGEST: Msg = ("最も多く出資している1社の割合が、大企業すべての合計より大きくなっています",
                  "The largest single holding exceeds the combined holding of all large companies")


# The engine's messages speak of the API's fields ("基準日"); a few are said more plainly on the form.
ENGINE_MESSAGES: dict[str, Msg] = {
    "established_after_as_of": ("未来の日付になっています。すでに設立（開業）した日を入力してください",
                                "This date is in the future; enter the date the company was founded (or the business started)"),
    "largest_over_combined": M_LARGEST,
}


def parse_percent(text: str) -> float:
    """A share typed as a percentage (30, 30%, ３０％, 12.5) as a ratio 0–1.

    >>> parse_percent("３０％"), parse_percent("12.5"), parse_percent("0")
    (0.3, 0.125, 0.0)
    """
    t = re.sub(r"\s+", "", to_halfwidth(text))
    t = re.sub(r"(%|パーセント)$", "", t)
    if not t:
        raise NormalizeError("empty", "入力してください", "This field is empty")
    if not re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{1,4})?", t):
        raise NormalizeError("percent", *M_PERCENT)
    value = Fraction(t)
    if value > 100:
        raise NormalizeError("percent_range", *M_PERCENT_RANGE)
    return float(value / 100)


_NEGATIVE_PREFIX = re.compile(r"^(?:-|▲|△|マイナス)")


def parse_signed_yen(text: str) -> int:
    """An amount that may be negative (a loss): ▲500万円, -5,000,000, マイナス300万.

    >>> parse_signed_yen("▲500万円"), parse_signed_yen("1,800万円")
    (-5000000, 18000000)
    """
    t = to_halfwidth(text)
    m = _NEGATIVE_PREFIX.match(t)
    return -parse_yen(t[m.end():]) if m else parse_yen(t)


PARSERS: dict[str, Callable[[str], Any]] = {
    "date": lambda s: parse_date(s).isoformat(),
    "int": parse_int,
    "yen": parse_yen,
    "signed_yen": parse_signed_yen,
    "percent": parse_percent,
}


def enum_values(enum: str) -> list[str]:
    return list(ENUM_LABELS[enum])


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
        rows = [(f"{f}.{i}.{k}", False) for i in range(FILING_ROWS) for k in ("right", "cost_yen")]
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
        allowed = PREFECTURES if f == "prefecture" else enum_values(q.enum or "")
        v = _choice(raw, f, [*allowed, "unknown"], errors)
        return Parsed(BLANK if v is None else UNKNOWN if v == "unknown" else v, errors)

    if q.kind == "checks":
        picked = raw.get(f) or []
        allowed = enum_values(q.enum or "") + [v for v, _ in q.extra]
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
        return Parsed([v for v in enum_values(q.enum or "") if v in picked] if picked else BLANK)

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
            if right is None and _blank(_text(raw, f"{f}.{i}.cost_yen")):
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
            return Parsed(NONE_PLANNED)  # the profile has no "no": the fact stays absent, and is not asked again
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


# ------------------------------------------------------------------ adaptivity


def open_facts(screening: Screening) -> set[str]:
    """Facts that can still change a result: missing facts of needs_info results, and of eligible
    results whose estimate is missing."""
    out: set[str] = set()
    for r in screening.results:
        if r.status == "needs_info" or (r.status == "eligible" and r.estimate is None):
            out.update(r.missing_facts)
    return out


class Screener:
    """Screens profiles for one request, remembering the results (a profile is screened a few times)."""

    def __init__(self, svc: Services):
        self.svc = svc
        self._cache: dict[str, set[str]] = {}

    def open(self, profile: dict[str, Any]) -> set[str]:
        key = repr(sorted(profile.items()))
        if key not in self._cache:
            try:
                self._cache[key] = open_facts(self.svc.screen(profile))
            except ProfileError:  # cannot happen for a stored profile; ask everything rather than fail
                self._cache[key] = set(FACT_ORDER)
        return self._cache[key]

    def still_matters(self, profile: dict[str, Any], fact: str) -> bool:
        """Could the answer to `fact` change a result (whether or not it is answered now)?"""
        without = {k: v for k, v in profile.items() if k != fact}
        return fact in self.open(without)


def pending(screener: Screener, profile: dict[str, Any], asked: Iterable[str]) -> list[str]:
    """Open facts with a question (before the final page) that were not asked yet, in the questions' order."""
    opened = screener.open(profile)
    done = set(asked)
    return [f for f in FACT_ORDER if f in opened and f not in done and GROUP_OF[f] != FINAL]


def first_page() -> dict[str, Any]:
    return {"step": FIRST.step, "facts": [q.fact for q in FIRST.questions]}


def final_page() -> dict[str, Any]:
    return {"step": FINAL, "facts": list(FINAL_FACTS)}


def next_page(screener: Screener, profile: dict[str, Any], progress: dict[str, Any]) -> dict[str, Any]:
    """The page after the current one: a page left with 「戻る」 (kept to what still matters), else the
    first group with questions not asked yet, else the final page."""
    asked = progress["asked"]
    todo = pending(screener, profile, asked)
    forward: list[dict[str, Any]] = progress["forward"]
    while forward:
        entry = forward.pop()
        if entry["step"] == FINAL:
            return final_page()
        group = GROUP_BY_STEP[entry["step"]]
        facts = [q.fact for q in group.questions
                 if (q.fact in entry["facts"] and screener.still_matters(profile, q.fact)) or q.fact in todo]
        if facts:
            return {"step": group.step, "facts": facts}
    if todo:
        step = GROUP_OF[todo[0]]
        return {"step": step, "facts": [f for f in todo if GROUP_OF[f] == step]}
    return final_page()


def remaining(screener: Screener, profile: dict[str, Any], progress: dict[str, Any], page: dict[str, Any]) -> tuple[int, int]:
    """(questions answered, questions left including this page): an estimate, as answers change what matters."""
    here = set(page["facts"])
    ahead = {f for e in progress["forward"] for f in e["facts"]}
    left_before_final = (set(pending(screener, profile, progress["asked"])) | here | ahead) - set(FINAL_FACTS)
    left = len(left_before_final) + len(FINAL_FACTS)
    done = len(set(progress["asked"]) - here - ahead - set(FINAL_FACTS))
    return done, left


# ------------------------------------------------------------------ drafts


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def new_progress() -> dict[str, Any]:
    return {"history": [first_page()], "forward": [], "asked": [], "unknown": []}


def _expired_before() -> dt.datetime:
    return utcnow() - dt.timedelta(days=DRAFT_RETENTION_DAYS)


def create_draft(engine: Engine, lang: str) -> str:
    """A new draft after consent (and the drafts past their retention period are deleted)."""
    now = utcnow()
    token = secrets.token_urlsafe(24)
    draft = QuestionnaireDraft(token=token, created_at=now, updated_at=now, consent_at=now,
                               lang=lang, answers={}, profile={}, progress=new_progress(), step=FIRST.step)
    with Session(engine) as session:
        session.exec(delete(QuestionnaireDraft).where(QuestionnaireDraft.updated_at < _expired_before()))  # type: ignore[call-overload,arg-type]
        session.add(draft)
        session.commit()
    return token


def load_draft(engine: Engine, token: str) -> QuestionnaireDraft | None:
    if not TOKEN_RE.match(token):
        return None
    with Session(engine, expire_on_commit=False) as session:
        draft = session.get(QuestionnaireDraft, token)
        if draft is None:
            return None
        if _aware(draft.updated_at) < _expired_before():
            session.delete(draft)
            session.commit()
            return None
        session.expunge(draft)
        return draft


def save_draft(engine: Engine, draft: QuestionnaireDraft) -> None:
    draft.updated_at = utcnow()
    with Session(engine) as session:
        session.merge(draft)
        session.commit()


def count_drafts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(QuestionnaireDraft)) or 0)


# ------------------------------------------------------------------ the page's view


def _id(name: str) -> str:
    return "q-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


class View:
    """Builds the fields of a page, translated, with values, errors and their aria links."""

    def __init__(self, lang: str, raw: Raw, errors: dict[str, Msg]):
        self.lang = lang
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
            return [(p, p) for p in PREFECTURES]
        if q.enum is not None:
            return [(v, enum_label(q.enum, v, self.lang)) for v in enum_values(q.enum)]
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
            return self.text(f, label, hint, unknown_name(f), mode)
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
                self.text(f"{f}.largest", tr("最も多く出資している大企業1社の割合（％）"), tr("例: 30")),
                self.text(f"{f}.combined", tr("大企業すべての合計の割合（％）"), tr("例: 45")),
                self.unknown_box(unknown_name(f)),
            ])
        if q.kind == "filings":
            rights = [(v, enum_label("right", v, self.lang)) for v in enum_values("right")]
            rows = [self.group(tr("%(n)s件目") % {"n": i + 1}, None, [
                self.select(f"{f}.{i}.right", tr("権利の種類"), rights, unknown=False),
                self.text(f"{f}.{i}.cost_yen", tr("費用の見込み"), tr("例: 300万円")),
            ], row=True) for i in range(FILING_ROWS)]
            return self.group(label, hint, [
                self.radio(f"{f}.has", tr("これから外国に出願する予定がありますか"), self.yes_no(),
                           tr("「はい」の場合は、下に1件ずつ入力してください（最大%(n)s件）") % {"n": FILING_ROWS}),
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


# ------------------------------------------------------------------ rendering and helpers


def render(lang: str, template: str, /, status: int = 200, private: bool = False, **ctx: Any) -> HTMLResponse:
    html = environment(lang).get_template(template).render(**ctx)
    response = HTMLResponse(html, status_code=status)
    response.headers["Referrer-Policy"] = "no-referrer"  # the private link must not leak to other sites
    if private:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _chosen_lang(request: Request) -> str | None:
    v = request.query_params.get("lang")
    return v if v in SUPPORTED else None


def page_lang(request: Request, draft_lang: str | None = None) -> str:
    """Japanese first: ?lang= if given, else the draft's language, else the `lang` cookie, else Japanese."""
    cookie = request.cookies.get(LANG_COOKIE)
    for v in (_chosen_lang(request), draft_lang, cookie if cookie in SUPPORTED else None):
        if v:
            return v
    return "ja"


def remember_lang(response: Response, request: Request, lang: str) -> None:
    if request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_MAX_AGE, samesite="lax", path="/")


def not_found(lang: str) -> HTMLResponse:
    return render(lang, "questionnaire_not_found.html", status=404, private=True)


def _services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.store.engine
    return engine


# ------------------------------------------------------------------ routes


def landing(request: Request, lang: str, status: int = 200, error: bool = False) -> HTMLResponse:
    response = render(lang, "index.html", status=status, consent_error=error,
                      draft_days=DRAFT_RETENTION_DAYS,
                      record_years=max(1, request.app.state.services.settings.screening_retention_days // 365))
    if _chosen_lang(request):
        remember_lang(response, request, lang)
    return response


@router.get("/", response_class=HTMLResponse, summary="はじめに（個人情報の取り扱いと同意）", include_in_schema=False)
async def index(request: Request) -> HTMLResponse:
    return landing(request, page_lang(request))


@router.get("/q", include_in_schema=False)
async def q_get(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/?lang={page_lang(request)}", status_code=303)


@router.post("/q", summary="同意して質問をはじめる", include_in_schema=False)
async def start(request: Request) -> Response:
    form = await request.form()
    chosen = form.get("lang")
    lang = chosen if isinstance(chosen, str) and chosen in SUPPORTED else page_lang(request)
    if form.get("consent") != "yes":
        return landing(request, lang, status=422, error=True)  # nothing is stored without consent
    token = await run_in_threadpool(create_draft, _engine(request), lang)
    # Keep the landing page's promise: old screenings never sent to a desk are deleted.
    await run_in_threadpool(request.app.state.store.purge_expired,
                            request.app.state.services.settings.screening_retention_days)
    response = RedirectResponse(f"/q/{token}", status_code=303)
    remember_lang(response, request, lang)
    return response


def _current(draft: QuestionnaireDraft) -> dict[str, Any]:
    history = (draft.progress or {}).get("history") or [first_page()]
    page: dict[str, Any] = history[-1]
    if page.get("step") not in GROUP_BY_STEP:  # a page of an older version of the questions
        return first_page()
    return page


def _progress(draft: QuestionnaireDraft) -> dict[str, Any]:
    p = draft.progress or {}
    return {"history": list(p.get("history") or [first_page()]), "forward": list(p.get("forward") or []),
            "asked": list(p.get("asked") or []), "unknown": list(p.get("unknown") or [])}


def show_page(request: Request, draft: QuestionnaireDraft, *, raw: Raw | None = None,
              errors: dict[str, Msg] | None = None, status: int = 200) -> HTMLResponse:
    lang = draft.lang if draft.lang in SUPPORTED else "ja"
    page = _current(draft)
    group = GROUP_BY_STEP[page["step"]]
    questions = [q for q in group.questions if q.fact in page["facts"]]
    view = View(lang, raw if raw is not None else draft.answers, errors or {})
    fields = [view.question(q) for q in questions]
    for name, (ja, en) in (errors or {}).items():  # an error on an input not on this page
        if not any(item["href"] == "#" + _id(name) for item in view.summary) and not any(
                name == n for q in questions for n, _ in input_names(q)):
            view.summary.append({"href": "#main", "label": "", "message": ja if lang == "ja" else en})
    screener = Screener(_services(request))
    done, left = remaining(screener, draft.profile, _progress(draft), page)
    link = str(request.url_for("questionnaire_page", token=draft.token))
    results_url = None
    if draft.screening_id:
        results_url = f"/results/{draft.screening_id}?q={quote(draft.token)}&lang={lang}"
    return render(
        lang, "questionnaire.html", status=status, private=True,
        title=view.tr(group.title), step=group.step,
        fields=fields, summary=view.summary, done=done, left=left, total=done + left,
        can_go_back=len(_progress(draft)["history"]) > 1, is_final=group.step == FINAL,
        link=link, action=f"/q/{draft.token}", results_url=results_url,
    )


@router.get("/q/{token}", name="questionnaire_page", response_class=HTMLResponse, include_in_schema=False)
async def resume(request: Request, token: str) -> HTMLResponse:
    engine = _engine(request)
    draft = await run_in_threadpool(load_draft, engine, token)
    if draft is None:
        return not_found(page_lang(request))
    chosen = _chosen_lang(request)
    if chosen and chosen != draft.lang:
        draft.lang = chosen
        await run_in_threadpool(save_draft, engine, draft)
    response = await run_in_threadpool(show_page, request, draft)
    if chosen:
        remember_lang(response, request, chosen)
    return response


def _apply(draft: QuestionnaireDraft, questions: list[Question], raw: Raw,
           svc: Services) -> tuple[dict[str, Any], dict[str, Any], dict[str, Msg]]:
    """Normalise this page's answers into a new profile, validated by the engine. Returns (profile,
    progress, errors); nothing is changed on the draft."""
    errors: dict[str, Msg] = {}
    profile = dict(draft.profile)
    progress = _progress(draft)
    unknown = set(progress["unknown"])
    for q in questions:
        parsed = parse_question(q, raw)
        errors.update(parsed.errors)
        if parsed.errors:
            continue
        if isinstance(parsed.value, _Absent):
            profile.pop(q.fact, None)
            if parsed.value is UNKNOWN:
                unknown.add(q.fact)
            else:
                unknown.discard(q.fact)
        else:
            profile[q.fact] = parsed.value
            unknown.discard(q.fact)
    # The engine's checks (e.g. a founding date in the future) run even when another answer could not be
    # read, so that every problem of the page is shown at once; unreadable answers are left out.
    failed = {q.fact for q in questions if any(n in errors for n, _ in input_names(q))}
    try:
        svc.screen({k: v for k, v in profile.items() if k not in failed})
    except ProfileError as e:
        for err in e.errors:
            name = engine_error_input(err, questions) or f"_{err.field}"
            errors.setdefault(name, ENGINE_MESSAGES.get(err.code, (err.message_ja, err.message_en)))
    asked = progress["asked"] + [q.fact for q in questions if q.fact not in progress["asked"]]
    progress["asked"] = asked
    progress["unknown"] = [f for f in FACT_ORDER if f in unknown]
    return profile, progress, errors


def _keep_answers(draft: QuestionnaireDraft, questions: list[Question], raw: Raw) -> dict[str, Any]:
    names = {n for q in questions for n, _ in input_names(q)}
    answers = {k: v for k, v in (draft.answers or {}).items() if k not in names}
    answers.update({k: v for k, v in raw.items() if v not in ("", [])})
    return answers


def finish(request: Request, draft: QuestionnaireDraft) -> RedirectResponse:
    """Screen the profile, store the screening (source "web"), and send the person to the results."""
    svc = _services(request)
    lang = draft.lang if draft.lang in SUPPORTED else "ja"
    screening = svc.screen(draft.profile)
    screening_id: str = request.app.state.save_screening(
        draft.profile, screening, screening.as_dict(lang), source="web", lang=lang)
    draft.screening_id = screening_id
    save_draft(_engine(request), draft)
    url = f"/results/{screening_id}?q={quote(draft.token)}"
    return RedirectResponse(url if lang == "ja" else f"{url}&lang={lang}", status_code=303)


def _post(request: Request, draft: QuestionnaireDraft, form: FormData) -> Response:
    engine = _engine(request)
    svc = _services(request)
    page = _current(draft)
    group = GROUP_BY_STEP[page["step"]]
    questions = [q for q in group.questions if q.fact in page["facts"]]
    raw = read_raw(form, questions)
    action = form.get("action")

    if action == "back":
        progress = _progress(draft)
        if len(progress["history"]) > 1:
            progress["forward"].append(progress["history"].pop())
        draft.answers = _keep_answers(draft, questions, raw)  # what was typed is kept, not yet checked
        draft.progress = progress
        draft.step = progress["history"][-1]["step"]
        save_draft(engine, draft)
        return RedirectResponse(f"/q/{draft.token}", status_code=303)

    profile, progress, errors = _apply(draft, questions, raw, svc)
    if errors:
        return show_page(request, draft, raw=raw, errors=errors, status=422)
    draft.answers = _keep_answers(draft, questions, raw)
    draft.profile = profile
    if action == "finish" or group.step == FINAL:
        draft.progress = progress
        return finish(request, draft)
    progress["history"].append(next_page(Screener(svc), profile, progress))
    draft.progress = progress
    draft.step = progress["history"][-1]["step"]
    save_draft(engine, draft)
    return RedirectResponse(f"/q/{draft.token}", status_code=303)


@router.post("/q/{token}", include_in_schema=False)
async def answer(request: Request, token: str) -> Response:
    engine = _engine(request)
    draft = await run_in_threadpool(load_draft, engine, token)
    if draft is None:
        return not_found(page_lang(request))
    form = await request.form()
    return await run_in_threadpool(_post, request, draft, form)

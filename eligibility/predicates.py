"""The tests a catalog criterion may call by name (`test: {predicate: …}`), each three-valued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eligibility.definitions import DEFINITIONS, Params
from eligibility.facts import enum_label, field_label, prefecture_label
from eligibility.logic import Check, Outcome
from eligibility.profile import Profile
from programs.rounds import split_area


@dataclass
class Ctx:
    """What a predicate may read: the profile, the date, the definitions' thresholds, a memo."""

    profile: Profile
    as_of: dt.date
    params: Params
    memo: dict[str, Check]

    def definition(self, name: str) -> Check:
        hit = self.memo.get(name)
        if hit is None:
            hit = DEFINITIONS[name](self.profile, self.as_of, self.params)
            self.memo[name] = hit
        return hit


PredicateFn = Callable[..., Check]


@dataclass(frozen=True)
class PredicateSpec:
    fn: PredicateFn
    params: dict[str, type | tuple[type, ...]]  # name -> accepted type(s)
    label_ja: str
    label_en: str


PREDICATES: dict[str, PredicateSpec] = {}

# Facts a predicate may name; anything else in a catalog file is a typo the loader reports.
LIST_FACTS = {"domestic_applications", "foreign_filings", "overseas_disputes", "prior_awards", "interests"}
ENUM_FACTS = {"applicant_type", "industry", "phase", "patent_exam_status", "design_application", "prefecture"}
BOOL_FACTS = {"working_related", "vc_backed", "wholly_owned_by_large_parent", "chamber_member", "design_bulk_filing",
              "foreign_patent_grant_decided", "foreign_procedure_pending", "patent_search_planned",
              "local_site_6_months"}
ANY_FACTS = LIST_FACTS | ENUM_FACTS | BOOL_FACTS | {"litigation_insurance", "established_on", "employees", "capital_yen"}


def predicate(
    pred_name: str, label_ja: str, label_en: str, /, **params: type | tuple[type, ...]
) -> Callable[[PredicateFn], PredicateFn]:
    def deco(fn: PredicateFn) -> PredicateFn:
        PREDICATES[pred_name] = PredicateSpec(fn, params, label_ja, label_en)
        return fn
    return deco


def _show(fact: str, value: Any, lang: str) -> str:
    enum = "right" if fact == "domestic_applications" else fact
    if isinstance(value, list) and value and not isinstance(value[0], str):
        return f"{len(value)}件" if lang == "ja" else f"{len(value)} item(s)"
    if isinstance(value, list):
        return "、".join(enum_label(enum, v, lang) for v in value) if value else ("なし" if lang == "ja" else "none")
    if isinstance(value, bool):
        return ("はい" if value else "いいえ") if lang == "ja" else ("yes" if value else "no")
    if isinstance(value, str):
        return enum_label(enum, value, lang)
    return str(value)


@lru_cache(maxsize=512)
def _wanted(fact: str, values: tuple[str, ...]) -> tuple[str, str]:
    """The qualifying values in words (the same for every profile, so worked out once)."""
    return "・".join(_show(fact, x, "ja") for x in values), ", ".join(_show(fact, x, "en") for x in values)


def _unknown(fact: str) -> Check:
    return Check(Outcome.UNKNOWN, f"{field_label(fact)}が未回答", f"{field_label(fact, 'en')} not given",
                 {fact: None}, [fact])


@predicate("definition", "定義", "Definition", name=str)
def p_definition(ctx: Ctx, name: str) -> Check:
    return ctx.definition(name)


@predicate("always", "誰でも", "Anyone")
def p_always(ctx: Ctx) -> Check:
    return Check(Outcome.MET, "条件なし", "no condition")


@predicate("fact_in", "回答が対象の値", "Answer is one of the values", fact=str, values=list)
def p_fact_in(ctx: Ctx, fact: str, values: list[str]) -> Check:
    v = getattr(ctx.profile, fact)
    if v is None:
        return _unknown(fact)
    ok = v in values
    want_ja, want_en = _wanted(fact, tuple(values))
    return Check(
        Outcome.MET if ok else Outcome.UNMET,
        f"{field_label(fact)}: {_show(fact, v, 'ja')}（対象: {want_ja}）",
        f"{field_label(fact, 'en')}: {_show(fact, v, 'en')} (qualifying: {want_en})",
        {fact: v},
    )


@predicate("fact_true", "はい", "Yes", fact=str)
def p_fact_true(ctx: Ctx, fact: str) -> Check:
    v = getattr(ctx.profile, fact)
    if v is None:
        return _unknown(fact)
    return Check(Outcome.MET if v else Outcome.UNMET, f"{field_label(fact)}: {_show(fact, v, 'ja')}",
                 f"{field_label(fact, 'en')}: {_show(fact, v, 'en')}", {fact: v})


@predicate("fact_contains", "回答に含まれる", "Answer includes the value", fact=str, value=str)
def p_fact_contains(ctx: Ctx, fact: str, value: str) -> Check:
    v = getattr(ctx.profile, fact)
    if v is None:
        return _unknown(fact)
    ok = value in v
    return Check(Outcome.MET if ok else Outcome.UNMET,
                 f"{field_label(fact)}: {_show(fact, v, 'ja')}（{_show(fact, value, 'ja')}{'を含みます' if ok else 'は含まれていません'}）",
                 f"{field_label(fact, 'en')}: {_show(fact, v, 'en')} ({'includes' if ok else 'lacks'} {_show(fact, value, 'en')})",
                 {fact: list(v)})


@predicate("fact_nonempty", "1件以上ある", "At least one", fact=str)
def p_fact_nonempty(ctx: Ctx, fact: str) -> Check:
    v = getattr(ctx.profile, fact)
    if v is None:
        return _unknown(fact)
    shown = [x.model_dump() if hasattr(x, "model_dump") else x for x in v]
    return Check(Outcome.MET if v else Outcome.UNMET, f"{field_label(fact)}: {_show(fact, list(v), 'ja')}",
                 f"{field_label(fact, 'en')}: {_show(fact, list(v), 'en')}", {fact: shown})


@predicate("fact_present", "回答あり", "Answered", fact=str)
def p_fact_present(ctx: Ctx, fact: str) -> Check:
    v = getattr(ctx.profile, fact)
    if v is None:
        return _unknown(fact)
    if v is False:  # a plan answered 「いいえ」 (litigation_insurance: false)
        return Check(Outcome.UNMET, f"{field_label(fact)}: なし", f"{field_label(fact, 'en')}: none", {fact: False})
    shown = v.model_dump() if hasattr(v, "model_dump") else v
    return Check(Outcome.MET, f"{field_label(fact)}: 回答あり", f"{field_label(fact, 'en')}: given", {fact: shown})


@predicate("fact_assumed", "回答どおり（未回答は前提を明示して満たすとみなす）", "As answered (absent: assumed, and said so)",
           fact=str, expect=bool)
def p_fact_assumed(ctx: Ctx, fact: str, expect: bool) -> Check:
    # Only for what the applicant itself decides when applying (join the chamber, file designs one by
    # one): absent is not a barrier, and the trace says what was assumed.
    v = getattr(ctx.profile, fact)
    if v is None:
        want_ja = "はい" if expect else "いいえ"
        return Check(Outcome.MET, f"{field_label(fact)}: 未回答（申請時に「{want_ja}」とできる前提）",
                     f"{field_label(fact, 'en')}: not given (assumed {'yes' if expect else 'no'} when applying)",
                     {fact: None})
    return Check(Outcome.MET if v is expect else Outcome.UNMET, f"{field_label(fact)}: {_show(fact, v, 'ja')}",
                 f"{field_label(fact, 'en')}: {_show(fact, v, 'en')}", {fact: v})


@predicate("planned_foreign_filing", "未出願の外国出願の予定", "A planned foreign filing not yet made")
def p_planned_foreign_filing(ctx: Ctx) -> Check:
    items = ctx.profile.foreign_filings
    if items is None:
        return _unknown("foreign_filings")
    planned = [f for f in items if f.already_filed is False]
    undecided = [f for f in items if f.already_filed is None]
    facts = {"foreign_filings": [f.model_dump() for f in items]}
    if planned:
        return Check(Outcome.MET, f"未出願の予定 {len(planned)}件", f"{len(planned)} planned filing(s)", facts)
    if undecided:
        return Check(Outcome.UNKNOWN, "出願済みかどうか未回答の案件があります",
                     "some filings do not say whether already filed", facts, ["foreign_filings"])
    done = len(items)
    return Check(Outcome.UNMET,
                 f"予定なし（出願済み {done}件は対象外）" if done else "外国出願の予定なし",
                 f"none planned ({done} already filed)" if done else "no foreign filing planned", facts)


@predicate("dispute", "該当する海外の知財トラブル", "A qualifying dispute abroad", kind=str, requires=(str, type(None)))
def p_dispute(ctx: Ctx, kind: str, requires: str | None = None) -> Check:
    items = ctx.profile.overseas_disputes
    if items is None:
        return _unknown("overseas_disputes")
    facts = {"overseas_disputes": [d.model_dump() for d in items]}
    kind_ja, kind_en = enum_label("dispute_kind", kind), enum_label("dispute_kind", kind, "en")
    same = [d for d in items if d.kind == kind]
    unsure_kind = [d for d in items if d.kind is None]
    if requires is None:
        ok = bool(same)
        undecided = not ok and bool(unsure_kind)
    else:
        ok = any(getattr(d, requires) is True for d in same)
        undecided = not ok and (any(getattr(d, requires) is None for d in same) or bool(unsure_kind))
    if ok:
        return Check(Outcome.MET, f"{kind_ja}: {len(same)}件", f"{kind_en}: {len(same)}", facts)
    if undecided:
        need_ja = f"（{field_label('overseas_disputes')}の {requires} が未回答）" if requires else ""
        return Check(Outcome.UNKNOWN, f"{kind_ja}に当たるか未確定{need_ja}", f"whether this is {kind_en} is not known",
                     facts, ["overseas_disputes"])
    if same and requires:
        req_ja = {"holds_local_right": "現地での権利（またはライセンス）なし",
                  "holds_jp_trademark": "日本での同一・類似商標なし"}.get(requires, requires)
        return Check(Outcome.UNMET, f"{kind_ja}: {req_ja}", f"{kind_en}: {requires} is false", facts)
    return Check(Outcome.UNMET, f"{kind_ja}に当たるトラブルなし", f"no {kind_en}", facts)


@predicate("prefecture_in", "対象地域", "Target region", values=list)
def p_prefecture_in(ctx: Ctx, values: list[str]) -> Check:
    return p_fact_in(ctx, "prefecture", values)


@predicate("area_in", "対象地域（都道府県・市区町村）", "Target area (prefecture or municipality)", values=list)
def p_area_in(ctx: Ctx, values: list[str]) -> Check:
    """Areas as written in rounds: 東京都 (a prefecture) or 兵庫県神戸市 (a municipality with its prefecture)."""
    pref, muni = ctx.profile.prefecture, ctx.profile.municipality
    areas = [split_area(v) for v in values]
    facts = {"prefecture": pref, "municipality": muni}
    shown = "・".join(values)
    here = f"{pref or '都道府県不明'}{muni or ''}"
    # English: the prefecture's English name, the municipality as written (its name has no English data).
    shown_en = ", ".join(f"{prefecture_label(ap, 'en')}{' ' + am if am else ''}" for ap, am in areas)
    here_en = f"{prefecture_label(pref, 'en')}{' ' + muni if muni else ''}"
    for ap, am in areas:
        if pref == ap and (am is None or muni == am):
            return Check(Outcome.MET, f"{here}（対象: {shown}）", f"{here_en} (qualifying: {shown_en})", facts)
    if pref is None:
        # Unknown prefecture: unknown whatever the municipality (府中市 is in 東京都 and 広島県).
        return Check(Outcome.UNKNOWN, f"{field_label('prefecture')}が未回答（対象: {shown}）",
                     f"{field_label('prefecture', 'en')} not given (qualifying: {shown_en})", facts, ["prefecture"])
    if muni is None and any(ap == pref and am is not None for ap, am in areas):
        return Check(Outcome.UNKNOWN, f"{field_label('municipality')}が未回答（対象: {shown}）",
                     f"{field_label('municipality', 'en')} not given (qualifying: {shown_en})", facts, ["municipality"])
    return Check(Outcome.UNMET, f"{here}（対象: {shown}）", f"{here_en} (qualifying: {shown_en})", facts)


@predicate("on_or_after", "基準日が開始日以降", "On or after the start date", date=(dt.date, str))
def p_on_or_after(ctx: Ctx, date: dt.date | str) -> Check:
    d = date if isinstance(date, dt.date) else dt.date.fromisoformat(date)
    ok = ctx.as_of >= d
    return Check(Outcome.MET if ok else Outcome.UNMET, f"基準日 {ctx.as_of} は {d} {'以降' if ok else 'より前'}",
                 f"{ctx.as_of} is {'on or after' if ok else 'before'} {d}", {"as_of": ctx.as_of.isoformat()})


FACT_PARAMS = {"fact"}


def check_params(name: str, given: dict[str, Any], program_params: set[str]) -> list[str]:
    """Problems with a predicate call in a catalog file (empty when it is fine)."""
    spec = PREDICATES.get(name)
    if spec is None:
        return [f"predicate: unknown predicate {name!r} (known: {', '.join(sorted(PREDICATES))})"]
    problems = []
    for key, value in given.items():
        if key not in spec.params:
            problems.append(f"{key}: predicate {name!r} takes no parameter {key!r}")
            continue
        if isinstance(value, str) and value.startswith("$"):
            if value[1:] not in program_params:
                problems.append(f"{key}: {value} names no entry of the program's parameters")
            continue
        if not isinstance(value, spec.params[key]):
            problems.append(f"{key}: wrong type {type(value).__name__}")
        if key == "fact" and value not in ANY_FACTS:
            problems.append(f"fact: unknown profile field {value!r}")
        if name == "area_in" and key == "values" and isinstance(value, list):
            for v in value:
                try:
                    split_area(str(v))
                except ValueError as e:
                    problems.append(f"values: {e}")
        if name == "definition" and key == "name" and value not in DEFINITIONS:
            problems.append(f"name: unknown definition {value!r} (known: {', '.join(sorted(DEFINITIONS))})")
    for key in spec.params:
        optional = isinstance(spec.params[key], tuple) and type(None) in spec.params[key]  # type: ignore[operator]
        if key not in given and not optional:
            problems.append(f"{key}: predicate {name!r} needs parameter {key!r}")
    return problems

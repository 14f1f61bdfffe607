"""The named definitions of DOMAIN.md 3 (SME, みなし大企業, startup …) as three-valued predicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from eligibility.dates import elapsed_text, not_yet_passed
from eligibility.facts import enum_label
from eligibility.logic import Check, Outcome
from eligibility.money import yen
from eligibility.profile import Profile
from programs.schema import parse_fraction


@dataclass
class T:
    """A three-valued term: outcome, the facts it lacks, and words for the trace."""

    value: Outcome
    missing: list[str] = field(default_factory=list)
    ja: str = ""
    en: str = ""

    def __and__(self, other: T) -> T:
        if self.value is Outcome.UNMET:
            return T(Outcome.UNMET)
        if other.value is Outcome.UNMET:
            return T(Outcome.UNMET)
        if self.value is Outcome.MET and other.value is Outcome.MET:
            return T(Outcome.MET)
        return T(Outcome.UNKNOWN, _union(self.missing if self.value is Outcome.UNKNOWN else [],
                                         other.missing if other.value is Outcome.UNKNOWN else []))

    def __or__(self, other: T) -> T:
        if Outcome.MET in (self.value, other.value):
            return T(Outcome.MET)
        if self.value is Outcome.UNMET and other.value is Outcome.UNMET:
            return T(Outcome.UNMET)
        return T(Outcome.UNKNOWN, _union(self.missing if self.value is Outcome.UNKNOWN else [],
                                         other.missing if other.value is Outcome.UNKNOWN else []))

    def __invert__(self) -> T:
        return T(self.value.negate(), list(self.missing) if self.value is Outcome.UNKNOWN else [])


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]


MET = T(Outcome.MET)
UNMET = T(Outcome.UNMET)


def unknown(*facts: str) -> T:
    return T(Outcome.UNKNOWN, list(facts))


def leq_over(value: int | None, fact: str, limits: list[int], industry_known: bool) -> T:
    """value ≤ limit, where the limit depends on an industry that may be unknown.

    With the industry unknown the test is decided only when every industry's limit agrees.
    """
    if value is None:
        return unknown(fact) if industry_known else unknown(fact, "industry")
    if all(value <= lim for lim in limits):
        return MET
    if all(value > lim for lim in limits):
        return UNMET
    return unknown("industry")


@dataclass(frozen=True)
class Params:
    """The definitions' thresholds in force on one date (programs/definitions.yaml)."""

    sme_types: frozenset[str]
    thresholds: dict[str, dict[str, int]]
    commerce: frozenset[str]
    startup_years: int
    startup_emp: dict[str, int]
    startup_capital: int
    large_capital_over: int
    control_largest: Fraction
    control_combined: Fraction
    officer_ratio: Fraction
    income_over: int
    fy_start_month: int
    concept_years: int
    references: dict[str, str]

    @classmethod
    def from_values(cls, v: dict[str, Any], refs: dict[str, str]) -> Params:
        return cls(
            sme_types=frozenset(v["sme_applicant_types"]),
            thresholds=v["sme_thresholds"],
            commerce=frozenset(v["commerce_services_industries"]),
            startup_years=int(v["startup_years"]),
            startup_emp=v["startup_max_employees"],
            startup_capital=int(v["startup_max_capital"]),
            large_capital_over=int(v["large_company_capital_over"]),
            control_largest=parse_fraction(v["control_largest"]),
            control_combined=parse_fraction(v["control_combined"]),
            officer_ratio=parse_fraction(v["deemed_large_officer_ratio"]),
            income_over=int(v["deemed_large_income_over"]),
            fy_start_month=int(v["fiscal_year_start_month"]),
            concept_years=int(v["phase_concept_max_years"]),
            references=refs,
        )


REQUIRED_PARAMETERS = (
    "sme_applicant_types", "sme_thresholds", "commerce_services_industries", "startup_years",
    "startup_max_employees", "startup_max_capital", "large_company_capital_over", "control_largest",
    "control_combined", "deemed_large_officer_ratio", "deemed_large_income_over", "fiscal_year_start_month",
    "phase_concept_max_years",
)


def _industries(p: Profile, prm: Params) -> list[str]:
    return [p.industry] if p.industry else sorted(prm.thresholds)


def _type_is(p: Profile, *types: str) -> T:
    if p.applicant_type is None:
        return unknown("applicant_type")
    return MET if p.applicant_type in types else UNMET


def _ratio_ge(v: float | None, limit: Fraction) -> bool | None:
    # Shares arrive as floats (0.6667 for 2/3); compare with a tolerance finer than any share
    # anyone types, instead of building a Fraction per call (9.5% of screening time).
    return None if v is None else v >= _as_float(limit) - 1e-9


@lru_cache(maxsize=64)
def _as_float(f: Fraction) -> float:
    return f.numerator / f.denominator


def _pct(v: float) -> str:
    return f"{v * 100:.0f}%" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v * 100:.1f}%"


# --- the definitions --------------------------------------------------------------------------------


def within_years(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """Founded less than `startup_years` years ago (民法 第140条: as_of ≤ founding + 10 years)."""
    if p.established_on is None:
        return Check(Outcome.UNKNOWN, "設立日・事業開始日が未回答", "founding date not given", missing=["established_on"])
    ok = not_yet_passed(p.established_on, as_of, prm.startup_years)
    word_ja = "経過していない" if ok else "経過している"
    word_en = "not yet passed" if ok else "passed"
    return Check(
        Outcome.MET if ok else Outcome.UNMET,
        f"{elapsed_text(p.established_on, as_of)}（{prm.startup_years}年を{word_ja}）",
        f"{elapsed_text(p.established_on, as_of, 'en')} ({prm.startup_years} years {word_en})",
        {"established_on": p.established_on.isoformat(), "as_of": as_of.isoformat()},
    )


def controlled(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """One large company holds ≥ 1/2, or large companies together ≥ 2/3 (shareholding only)."""
    t = _controlled_t(p, prm)
    sh = p.large_company_shareholding
    facts = {"large_company_shareholding": sh.model_dump() if sh else None}
    if t.value is Outcome.UNKNOWN:
        return Check(t.value, "大企業による出資比率が未回答", "large-company shareholding not given", facts, t.missing)
    if sh is None or p.applicant_type not in (None, "corporation"):
        return Check(Outcome.UNMET, "法人（株式会社等）でないため支配の対象外", "not a company with shares", facts)
    largest = "不明" if sh.largest is None else _pct(sh.largest)
    combined = "不明" if sh.combined is None else _pct(sh.combined)
    ja = (f"最大の大企業の出資 {largest}（基準 {_frac_pct(prm.control_largest)} 以上）、"
          f"大企業の合計 {combined}（基準 {_frac_pct(prm.control_combined)} 以上）")
    en = (f"largest large-company holding {largest} (limit {_frac_pct(prm.control_largest)}), "
          f"combined {combined} (limit {_frac_pct(prm.control_combined)})")
    return Check(t.value, ja, en, facts)


def _frac_pct(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}"


def _controlled_t(p: Profile, prm: Params) -> T:
    # Only a corporation has shares to hold; with the type unknown, Kleene AND keeps this sound.
    return _type_is(p, "corporation") & _shares_control(p, prm)


def _shares_control(p: Profile, prm: Params) -> T:
    sh = p.large_company_shareholding
    if sh is None or (sh.largest is None and sh.combined is None):
        return unknown("large_company_shareholding")
    largest = _ratio_ge(sh.largest, prm.control_largest)
    combined = _ratio_ge(sh.combined, prm.control_combined)
    if largest or combined:
        return MET
    if largest is False and combined is False:
        return UNMET
    # largest ≤ combined, so a combined share under the single-holder limit decides both.
    if sh.combined is not None and sh.combined < _as_float(prm.control_largest) - 1e-9:
        return UNMET
    return unknown("large_company_shareholding")


def sme(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """中小企業者: capital or employees at or under the industry's limit (sole proprietor: employees)."""
    inds = _industries(p, prm)
    known = p.industry is not None
    cap_ok = leq_over(p.capital_yen, "capital_yen", [prm.thresholds[i]["capital"] for i in inds], known)
    emp_ok = leq_over(p.employees, "employees", [prm.thresholds[i]["employees"] for i in inds], known)
    is_corp = _type_is(p, "corporation")
    is_sole = _type_is(p, "sole_proprietor")
    t = (is_corp & (cap_ok | emp_ok)) | (is_sole & emp_ok)
    facts = _facts(p, "applicant_type", "industry", "capital_yen", "employees")
    if p.applicant_type is not None and p.applicant_type not in prm.sme_types:
        typ = enum_label("applicant_type", p.applicant_type)
        return Check(Outcome.UNMET, f"{typ}は中小企業者に当たりません（会社・個人事業主のみ）",
                     f"a {enum_label('applicant_type', p.applicant_type, 'en')} is not an SME", facts)
    ja, en = _limits_text(p, prm, "capital", "employees")
    return Check(t.value, ja, en, facts, t.missing)


def small_enterprise(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """小規模企業者: employees at or under the small-enterprise limit of the industry."""
    inds = _industries(p, prm)
    emp_ok = leq_over(p.employees, "employees", [prm.thresholds[i]["small_employees"] for i in inds],
                      p.industry is not None)
    t = _type_is(p, "corporation", "sole_proprietor") & emp_ok
    facts = _facts(p, "applicant_type", "industry", "employees")
    ja, en = _limits_text(p, prm, None, "small_employees")
    return Check(t.value, ja, en, facts, t.missing)


def deemed_large(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """みなし大企業 (ア)-(オ); (ア)-(エ) concern shares and officers, so only a corporation has them."""
    sh = p.large_company_shareholding
    # DOMAIN.md 7.6: (ア) is decided when all large companies together hold < 1/2, even with `largest`
    # unknown (the largest holder cannot hold more than all of them together).
    if sh is not None and sh.largest is None and sh.combined is not None and not _ratio_ge(sh.combined, prm.control_largest):
        a = UNMET
    else:
        a = T(Outcome.UNKNOWN, ["large_company_shareholding"]) if sh is None or sh.largest is None else (
            MET if _ratio_ge(sh.largest, prm.control_largest) else UNMET)
    i = T(Outcome.UNKNOWN, ["large_company_shareholding"]) if sh is None or sh.combined is None else (
        MET if _ratio_ge(sh.combined, prm.control_combined) else UNMET)
    u = T(Outcome.UNKNOWN, ["large_company_officer_ratio"]) if p.large_company_officer_ratio is None else (
        MET if _ratio_ge(p.large_company_officer_ratio, prm.officer_ratio) else UNMET)
    e = T(Outcome.UNKNOWN, ["wholly_owned_by_large_parent"]) if p.wholly_owned_by_large_parent is None else (
        MET if p.wholly_owned_by_large_parent else UNMET)
    o = T(Outcome.UNKNOWN, ["avg_taxable_income_yen"]) if p.avg_taxable_income_yen is None else (
        MET if p.avg_taxable_income_yen > prm.income_over else UNMET)
    corp_clauses = a | i | u | e
    t = (_type_is(p, "corporation") & corp_clauses) | (_type_is(p, "corporation", "sole_proprietor") & o)
    facts = _facts(p, "applicant_type", "large_company_shareholding", "large_company_officer_ratio",
                   "wholly_owned_by_large_parent", "avg_taxable_income_yen")
    names = [("(ア)", a), ("(イ)", i), ("(ウ)", u), ("(エ)", e), ("(オ)", o)]
    hit = [n for n, x in names if x.value is Outcome.MET]
    unk = [n for n, x in names if x.value is Outcome.UNKNOWN]
    if t.value is Outcome.MET:
        ja, en = f"該当する条項: {' '.join(hit)}", f"clauses met: {' '.join(hit)}"
    elif t.value is Outcome.UNMET:
        ja = "(ア)〜(オ) のいずれにも該当しない" if p.applicant_type == "corporation" else "法人でないため株式・役員の条項は該当しない"
        en = "none of clauses (a)-(e) holds" if p.applicant_type == "corporation" else "not a corporation"
    else:
        ja, en = f"未確認の条項: {' '.join(unk)}", f"clauses not yet known: {' '.join(unk)}"
    return Check(t.value, ja, en, facts, t.missing)


def _startup_parts(p: Profile, as_of: dt.date, prm: Params) -> tuple[T, T, T, T]:
    w = within_years(p, as_of, prm)
    within = T(w.outcome, w.missing)
    not_ctrl = ~_controlled_t(p, prm)
    is_sole = _type_is(p, "sole_proprietor")
    is_corp = _type_is(p, "corporation")
    return within, not_ctrl, is_sole, is_corp


def startup_jpo(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """JPO startup: (i) sole proprietor < 10 y; (ii) ≤ 20 (5) employees; (iii) capital ≤ ¥300M; not controlled."""
    within, not_ctrl, is_sole, is_corp = _startup_parts(p, as_of, prm)
    inds = _industries(p, prm)
    emp_limits = [prm.startup_emp["commerce_services" if i in prm.commerce else "general"] for i in inds]
    emp_ok = leq_over(p.employees, "employees", emp_limits, p.industry is not None)
    cap_ok = leq_over(p.capital_yen, "capital_yen", [prm.startup_capital], True)
    c1 = is_sole & within
    c2 = is_corp & emp_ok & within & not_ctrl
    c3 = is_corp & cap_ok & within & not_ctrl
    t = c1 | c2 | c3
    sym = {Outcome.MET: "✓", Outcome.UNMET: "✗", Outcome.UNKNOWN: "?"}
    emp_lim = emp_limits[0] if len(set(emp_limits)) == 1 else f"{min(emp_limits)}〜{max(emp_limits)}"
    ja = (f"(i) 個人事業主{sym[c1.value]} (ii) 従業員{_n(p.employees)}人 ≤ {emp_lim}人{sym[c2.value]} "
          f"(iii) 資本金{_y(p.capital_yen)} ≤ {yen(prm.startup_capital)}{sym[c3.value]}; "
          f"10年以内{sym[within.value]}; 大企業の支配なし{sym[not_ctrl.value]}")
    en = (f"(i) sole proprietor {sym[c1.value]} (ii) employees {_n(p.employees)} ≤ {emp_lim} {sym[c2.value]} "
          f"(iii) capital {_y(p.capital_yen, 'en')} ≤ {yen(prm.startup_capital, 'en')} {sym[c3.value]}; "
          f"under 10 years {sym[within.value]}; not controlled {sym[not_ctrl.value]}")
    facts = _facts(p, "applicant_type", "established_on", "employees", "capital_yen", "industry",
                   "large_company_shareholding")
    return Check(t.value, ja, en, facts, t.missing)


def chusho_startup(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """中小スタートアップ (特許法施行令 第10条): sole proprietor < 10 y, or corporation < 10 y, capital ≤ ¥300M, not controlled."""
    within, not_ctrl, is_sole, is_corp = _startup_parts(p, as_of, prm)
    cap_ok = leq_over(p.capital_yen, "capital_yen", [prm.startup_capital], True)
    t = (is_sole & within) | (is_corp & within & cap_ok & not_ctrl)
    sym = {Outcome.MET: "✓", Outcome.UNMET: "✗", Outcome.UNKNOWN: "?"}
    ja = (f"10年以内{sym[within.value]}; 資本金{_y(p.capital_yen)} ≤ {yen(prm.startup_capital)}{sym[cap_ok.value]}; "
          f"大企業の支配なし{sym[not_ctrl.value]}")
    en = (f"under 10 years {sym[within.value]}; capital {_y(p.capital_yen, 'en')} ≤ "
          f"{yen(prm.startup_capital, 'en')} {sym[cap_ok.value]}; not controlled {sym[not_ctrl.value]}")
    facts = _facts(p, "applicant_type", "established_on", "capital_yen", "large_company_shareholding")
    return Check(t.value, ja, en, facts, t.missing)


def _n(v: int | None) -> str:
    return "?" if v is None else f"{v:,}"


def _y(v: int | None, lang: str = "ja") -> str:
    return "?" if v is None else yen(v, lang)


def _facts(p: Profile, *names: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in names:
        v = getattr(p, n)
        if hasattr(v, "model_dump"):
            v = v.model_dump()
        elif isinstance(v, dt.date):
            v = v.isoformat()
        out[n] = v
    return out


def _limits_text(p: Profile, prm: Params, cap_key: str | None, emp_key: str) -> tuple[str, str]:
    """e.g. '製造業・資本金1,000万円 ≤ 3億円、従業員25人 ≤ 300人'."""
    if p.industry is None:
        ind_ja, ind_en = "業種不明", "industry unknown"
        caps = sorted({prm.thresholds[i]["capital"] for i in prm.thresholds})
        emps = sorted({prm.thresholds[i][emp_key] for i in prm.thresholds})
        cap_ja = f"{yen(caps[0])}〜{yen(caps[-1])}"
        cap_en = f"{yen(caps[0], 'en')}-{yen(caps[-1], 'en')}"
        emp_s = f"{emps[0]}〜{emps[-1]}"
    else:
        th = prm.thresholds[p.industry]
        ind_ja, ind_en = enum_label("industry", p.industry), enum_label("industry", p.industry, "en")
        cap_ja, cap_en = yen(th["capital"]), yen(th["capital"], "en")
        emp_s = str(th[emp_key])
    parts_ja = [ind_ja]
    parts_en = [ind_en]
    if cap_key and p.applicant_type != "sole_proprietor":
        parts_ja.append(f"資本金{_y(p.capital_yen)} ≤ {cap_ja}")
        parts_en.append(f"capital {_y(p.capital_yen, 'en')} ≤ {cap_en}")
    parts_ja.append(f"従業員{_n(p.employees)}人 ≤ {emp_s}人")
    parts_en.append(f"employees {_n(p.employees)} ≤ {emp_s}")
    return "・".join(parts_ja[:2]) + ("、" + "、".join(parts_ja[2:]) if len(parts_ja) > 2 else ""), ", ".join(parts_en)


DEFINITIONS: dict[str, Callable[[Profile, dt.date, Params], Check]] = {
    "sme": sme,
    "small_enterprise": small_enterprise,
    "deemed_large": deemed_large,
    "startup_jpo": startup_jpo,
    "chusho_startup": chusho_startup,
    "controlled_by_large": controlled,
    "within_startup_years": within_years,
}

# The contract's `definitions` object (DOMAIN.md 3) lists these, in this order.
CONTRACT_DEFINITIONS = ("sme", "small_enterprise", "deemed_large", "startup_jpo", "chusho_startup")

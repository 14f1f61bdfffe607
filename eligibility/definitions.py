"""The named definitions of DOMAIN.md 3 (SME, みなし大企業, startup …) as three-valued predicates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from eligibility.dates import not_yet_passed
from eligibility.facts import enum_label, field_label
from eligibility.logic import Check, Outcome
from eligibility.money import yen
from eligibility.profile import Profile
from eligibility.wording import Limit, join, years_sentence
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
        return Check(Outcome.UNKNOWN, join([years_sentence(None, as_of, prm.startup_years, None, p.applicant_type)]),
                     join([years_sentence(None, as_of, prm.startup_years, None, p.applicant_type, "en")], "en"),
                     missing=["established_on"])
    ok = not_yet_passed(p.established_on, as_of, prm.startup_years)
    return Check(
        Outcome.MET if ok else Outcome.UNMET,
        join([years_sentence(p.established_on, as_of, prm.startup_years, not ok, p.applicant_type)]),
        join([years_sentence(p.established_on, as_of, prm.startup_years, not ok, p.applicant_type, "en")], "en"),
        {"established_on": p.established_on.isoformat(), "as_of": as_of.isoformat()},
    )


def controlled(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """One large company holds ≥ 1/2, or large companies together ≥ 2/3 (shareholding only)."""
    t = _controlled_t(p, prm)
    sh = p.large_company_shareholding
    facts = {"large_company_shareholding": sh.model_dump() if sh else None}
    if t.value is Outcome.UNKNOWN:
        return Check(t.value, "大企業による出資比率が未回答です。", "Large-company shareholding not given.", facts, t.missing)
    if sh is None or p.applicant_type not in (None, "corporation"):
        return Check(Outcome.UNMET, "会社（株式会社等）でないため、大企業の支配は当てはまりません。",
                     "Not a company with shares, so control by a large company does not apply.", facts)
    held_ja = "、".join(x for x in (None if sh.largest is None else f"最大の1社で{_pct(sh.largest)}",
                                     None if sh.combined is None else f"合計で{_pct(sh.combined)}") if x)
    held_en = " and ".join(x for x in (None if sh.largest is None else f"{_pct(sh.largest)} (largest single holder)",
                                      None if sh.combined is None else f"{_pct(sh.combined)} (together)") if x)
    reach_ja = "に達しています" if t.value is Outcome.MET else "に達していません"
    ja = (f"大企業の出資は{held_ja}で、支配の基準（1社で"
          f"{_frac_pct(prm.control_largest)}以上、合計で{_frac_pct(prm.control_combined)}以上）{reach_ja}")
    en = (f"large companies hold {held_en}: "
          f"{'at' if t.value is Outcome.MET else 'under'} the control thresholds "
          f"({_frac_pct(prm.control_largest)} for one, {_frac_pct(prm.control_combined)} together)")
    return Check(t.value, join([ja]), join([en], "en"), facts)


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


@dataclass
class Part:
    """One condition of a definition as it came out, in words that are true of this applicant."""

    value: Outcome
    ja: list[str]
    en: list[str]
    cited: tuple[Limit, ...] = ()


def _limit_part(*limits: Limit) -> Part:
    """Limits of which one is enough (capital OR employees): met when one holds; only the deciding ones said."""
    outcomes = [lim.outcome() for lim in limits]
    value = Outcome.MET if Outcome.MET in outcomes else Outcome.UNKNOWN if Outcome.UNKNOWN in outcomes \
        else Outcome.UNMET
    shown = [lim for lim in limits if (lim.outcome() is Outcome.MET) == (value is Outcome.MET)]
    return Part(value, [lim.sentence() for lim in shown], [lim.sentence("en") for lim in shown], tuple(shown))


def _type_part(p: Profile, allowed: tuple[str, ...], who_ja: str, who_en: str) -> Part | None:
    if p.applicant_type is None:
        return Part(Outcome.UNKNOWN, ["申請者の種類が未回答です"], ["the type of applicant is not given"])
    if p.applicant_type not in allowed:
        typ_ja, typ_en = enum_label("applicant_type", p.applicant_type), enum_label("applicant_type", p.applicant_type, "en")
        return Part(Outcome.UNMET, [f"{typ_ja}は対象外です（{who_ja}のみ）"], [f"a {typ_en.lower()} is not covered ({who_en} only)"])
    return None


def _say(value: Outcome, parts: list[Part | None]) -> tuple[str, str, tuple[Limit, ...]]:
    """The parts that decided the outcome: met → the met ones; unmet → the unmet ones; unknown → what is not met."""
    have = [x for x in parts if x is not None]
    chosen = [x for x in have if (x.value is value if value is not Outcome.UNKNOWN else x.value is not Outcome.MET)]
    chosen = chosen or have
    ja = join([s for x in chosen for s in x.ja])
    en = join([s for x in chosen for s in x.en], "en")
    return ja, en, tuple(lim for x in chosen for lim in x.cited)


def _scope(p: Profile) -> tuple[str, str]:
    if p.industry is None:
        return "", ""
    return f"{enum_label('industry', p.industry)}の", enum_label("industry", p.industry, "en").lower()


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
        return Check(Outcome.UNMET, f"{typ}は中小企業者に当たりません（会社・個人事業主のみ）。",
                     f"A {enum_label('applicant_type', p.applicant_type, 'en').lower()} is not an SME.", facts)
    scope = _scope(p)
    emp = Limit("employees", p.employees, tuple(prm.thresholds[i]["employees"] for i in inds), scope)
    cap = Limit("capital_yen", p.capital_yen, tuple(prm.thresholds[i]["capital"] for i in inds), scope)
    size = _limit_part(emp) if p.applicant_type == "sole_proprietor" else _limit_part(cap, emp)
    ja, en, cited = _say(t.value, [_type_part(p, tuple(prm.sme_types), "会社・個人事業主", "companies and sole proprietors"),
                                   size])
    return Check(t.value, ja, en, facts, t.missing, cited)


def small_enterprise(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """小規模企業者: employees at or under the small-enterprise limit of the industry."""
    inds = _industries(p, prm)
    emp_ok = leq_over(p.employees, "employees", [prm.thresholds[i]["small_employees"] for i in inds],
                      p.industry is not None)
    t = _type_is(p, "corporation", "sole_proprietor") & emp_ok
    facts = _facts(p, "applicant_type", "industry", "employees")
    emp = Limit("employees", p.employees, tuple(prm.thresholds[i]["small_employees"] for i in inds), _scope(p))
    ja, en, cited = _say(t.value, [_type_part(p, ("corporation", "sole_proprietor"), "会社・個人事業主",
                                              "companies and sole proprietors"), _limit_part(emp)])
    return Check(t.value, ja, en, facts, t.missing, cited)


def _clause(name: str, t: T, ja: str, en: str) -> tuple[str, T, str, str]:
    return name, t, ja, en


def deemed_large(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """みなし大企業 (ア)-(オ); (ア)-(エ) concern shares and officers, so only a corporation has them."""
    sh = p.large_company_shareholding
    half, two_thirds = _frac_pct(prm.control_largest), _frac_pct(prm.control_combined)
    # DOMAIN.md 7.6: (ア) is decided when all large companies together hold < 1/2, even with `largest`
    # unknown (the largest holder cannot hold more than all of them together).
    if sh is not None and sh.largest is None and sh.combined is not None and not _ratio_ge(sh.combined, prm.control_largest):
        a = _clause("(ア)", UNMET, f"(ア) 大企業の出資は合計で{_pct(sh.combined)}で、1社で{half}以上にはなりません",
                    f"(a) large companies hold {_pct(sh.combined)} together, so no single one holds {half}")
    elif sh is None or sh.largest is None:
        a = _clause("(ア)", T(Outcome.UNKNOWN, ["large_company_shareholding"]),
                    "(ア) 最も多く出資している大企業1社の出資比率が未回答です", "(a) the largest large-company holding is not given")
    else:
        ok = bool(_ratio_ge(sh.largest, prm.control_largest))
        a = _clause("(ア)", MET if ok else UNMET,
                    f"(ア) 大企業1社の出資が{_pct(sh.largest)}で、{half}{'以上です' if ok else '未満です'}",
                    f"(a) one large company holds {_pct(sh.largest)}, {'at least' if ok else 'under'} {half}")
    if sh is None or sh.combined is None:
        i = _clause("(イ)", T(Outcome.UNKNOWN, ["large_company_shareholding"]),
                    "(イ) 大企業の出資比率の合計が未回答です", "(b) the combined large-company holding is not given")
    else:
        ok = bool(_ratio_ge(sh.combined, prm.control_combined))
        i = _clause("(イ)", MET if ok else UNMET,
                    f"(イ) 大企業の出資が合計で{_pct(sh.combined)}で、{two_thirds}{'以上です' if ok else '未満です'}",
                    f"(b) large companies hold {_pct(sh.combined)} together, {'at least' if ok else 'under'} {two_thirds}")
    r = p.large_company_officer_ratio
    officer = _frac_pct(prm.officer_ratio)
    if r is None:
        u = _clause("(ウ)", T(Outcome.UNKNOWN, ["large_company_officer_ratio"]),
                    "(ウ) 大企業の役員・従業員を兼ねる役員の割合が未回答です", "(c) the share of officers from a large company is not given")
    else:
        ok = bool(_ratio_ge(r, prm.officer_ratio))
        u = _clause("(ウ)", MET if ok else UNMET,
                    f"(ウ) 大企業の役員・従業員を兼ねる役員が{_pct(r)}で、{officer}{'以上です' if ok else '未満です'}",
                    f"(c) {_pct(r)} of the officers are from a large company, {'at least' if ok else 'under'} {officer}")
    parent_ja = field_label("wholly_owned_by_large_parent").removesuffix("か")
    parent_en = field_label("wholly_owned_by_large_parent", "en").replace("≥", "of at least")
    w = p.wholly_owned_by_large_parent
    e = _clause("(エ)", T(Outcome.UNKNOWN, ["wholly_owned_by_large_parent"]) if w is None else MET if w else UNMET,
                f"(エ) {parent_ja}かどうかが未回答です" if w is None else f"(エ) {parent_ja}{'です' if w else 'ではありません'}",
                f"(d) {parent_en[:1].lower()}{parent_en[1:]}: not given" if w is None else
                f"(d) {parent_en[:1].lower()}{parent_en[1:]}: {'yes' if w else 'no'}")
    inc = p.avg_taxable_income_yen
    over = yen(prm.income_over)
    if inc is None:
        o = _clause("(オ)", T(Outcome.UNKNOWN, ["avg_taxable_income_yen"]),
                    "(オ) 直近3年の課税所得の年平均額が未回答です", "(e) the average taxable income of the last 3 years is not given")
    else:
        ok = inc > prm.income_over
        o = _clause("(オ)", MET if ok else UNMET,
                    f"(オ) 直近3年の課税所得の年平均額{yen(inc)}は{over}{'を超えています' if ok else '以下です'}",
                    f"(e) average taxable income {yen(inc, 'en')} is {'over' if ok else 'not over'} {yen(prm.income_over, 'en')}")
    corp_clauses = a[1] | i[1] | u[1] | e[1]
    t = (_type_is(p, "corporation") & corp_clauses) | (_type_is(p, "corporation", "sole_proprietor") & o[1])
    facts = _facts(p, "applicant_type", "large_company_shareholding", "large_company_officer_ratio",
                   "wholly_owned_by_large_parent", "avg_taxable_income_yen")
    # Only the clauses that can apply to this type of applicant are named (issue 14: a sole proprietor has
    # no shares or officers, so (ア)-(エ) are not "unconfirmed" for one — they do not apply).
    if p.applicant_type == "sole_proprietor":
        clauses = [o]
    elif p.applicant_type in (None, "corporation"):
        clauses = [a, i, u, e, o]
    else:
        typ_ja = enum_label("applicant_type", p.applicant_type)
        return Check(t.value, f"{typ_ja}には、みなし大企業の条項（会社・個人事業主が対象）は当てはまりません。",
                     f"The deemed-large clauses (for companies and sole proprietors) do not apply to a "
                     f"{enum_label('applicant_type', p.applicant_type, 'en').lower()}.", facts, t.missing)
    hit = [c for c in clauses if c[1].value is Outcome.MET]
    if t.value is Outcome.MET:
        shown = hit
    elif t.value is Outcome.UNMET:
        if p.applicant_type == "corporation":
            return Check(t.value, "(ア)〜(オ)のいずれにも当たりません。", "None of clauses (a)-(e) holds.", facts)
        shown = clauses
    else:
        shown = [c for c in clauses if c[1].value is Outcome.UNKNOWN]
    ja_s, en_s = [c[2] for c in shown], [c[3] for c in shown]
    if p.applicant_type == "sole_proprietor":
        ja_s.append("個人事業主に当てはまるのは(オ)だけです")
        en_s.append("only clause (e) applies to a sole proprietor")
    elif p.applicant_type is None and t.value is Outcome.UNKNOWN:
        ja_s.insert(0, "申請者の種類が未回答です")
        en_s.insert(0, "the type of applicant is not given")
    return Check(t.value, join(ja_s), join(en_s, "en"), facts, t.missing)


def _startup_parts(p: Profile, as_of: dt.date, prm: Params) -> tuple[T, T, T, T]:
    w = within_years(p, as_of, prm)
    within = T(w.outcome, w.missing)
    not_ctrl = ~_controlled_t(p, prm)
    is_sole = _type_is(p, "sole_proprietor")
    is_corp = _type_is(p, "corporation")
    return within, not_ctrl, is_sole, is_corp


def _startup_words(p: Profile, as_of: dt.date, prm: Params, t: T, within: T, not_ctrl: T,
                   size: Part) -> tuple[str, str, tuple[Limit, ...]]:
    w = within_years(p, as_of, prm)
    parts: list[Part | None] = [
        _type_part(p, ("corporation", "sole_proprietor"), "会社・個人事業主", "companies and sole proprietors"),
        Part(within.value, [w.detail_ja], [w.detail_en]),
    ]
    if p.applicant_type == "sole_proprietor":
        parts.append(Part(Outcome.MET, ["個人事業主です"], ["the applicant is a sole proprietor"]))
    elif p.applicant_type in (None, "corporation"):
        ctrl = controlled(p, as_of, prm)
        parts += [Part(not_ctrl.value, [ctrl.detail_ja], [ctrl.detail_en]), size]
    return _say(t.value, parts)


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
    if p.industry is None:
        scope = ("", "")
    elif p.industry in prm.commerce:
        scope = ("商業・サービス業の", "commerce and services")
    else:
        scope = ("商業・サービス業以外の", "non-commerce")
    size = _limit_part(Limit("employees", p.employees, tuple(emp_limits), scope),
                       Limit("capital_yen", p.capital_yen, (prm.startup_capital,)))
    ja, en, cited = _startup_words(p, as_of, prm, t, within, not_ctrl, size)
    facts = _facts(p, "applicant_type", "established_on", "employees", "capital_yen", "industry",
                   "large_company_shareholding")
    return Check(t.value, ja, en, facts, t.missing, cited)


def chusho_startup(p: Profile, as_of: dt.date, prm: Params) -> Check:
    """中小スタートアップ (特許法施行令 第10条): sole proprietor < 10 y, or corporation < 10 y, capital ≤ ¥300M, not controlled."""
    within, not_ctrl, is_sole, is_corp = _startup_parts(p, as_of, prm)
    cap_ok = leq_over(p.capital_yen, "capital_yen", [prm.startup_capital], True)
    t = (is_sole & within) | (is_corp & within & cap_ok & not_ctrl)
    size = _limit_part(Limit("capital_yen", p.capital_yen, (prm.startup_capital,)))
    ja, en, cited = _startup_words(p, as_of, prm, t, within, not_ctrl, size)
    facts = _facts(p, "applicant_type", "established_on", "capital_yen", "large_company_shareholding")
    return Check(t.value, ja, en, facts, t.missing, cited)


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

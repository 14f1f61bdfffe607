"""The named definitions of eligibility/definitions.py, outcome and missing facts only (no text), for the compiled engine.

An outcome is an int: 0 unmet, 1 unknown, 2 met, so Kleene AND is min and OR is max. A term is
`(outcome, missing)`, `missing` a tuple kept only when unknown, united in the same order as `definitions.T`.
tests/test_compiled.py holds every definition equal to the reference on generated profiles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from eligibility.dates import not_yet_passed
from eligibility.definitions import Params
from eligibility.profile import Profile

Term = tuple[int, tuple[str, ...]]
MET: Term = (2, ())
UNMET: Term = (0, ())
NO_TYPE: Term = (1, ("applicant_type",))
NO_SHARES: Term = (1, ("large_company_shareholding",))


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a + tuple(x for x in b if x not in a)


def and_(a: Term, b: Term) -> Term:
    av, bv = a[0], b[0]
    if av == 0 or bv == 0:
        return UNMET
    if av == 2 and bv == 2:
        return MET
    return 1, _union(a[1] if av == 1 else (), b[1] if bv == 1 else ())


def or_(a: Term, b: Term) -> Term:
    av, bv = a[0], b[0]
    if av == 2 or bv == 2:
        return MET
    if av == 0 and bv == 0:
        return UNMET
    return 1, _union(a[1] if av == 1 else (), b[1] if bv == 1 else ())


def not_(a: Term) -> Term:
    return (1, a[1]) if a[0] == 1 else (2 - a[0], ())


@dataclass(frozen=True)
class FastParams:
    """A date's `Params`, with every per-industry limit list and ratio worked out once."""

    sme_types: frozenset[str]
    capital: dict[str | None, list[int]]  # industry (None: every industry) -> limits
    employees: dict[str | None, list[int]]
    small_employees: dict[str | None, list[int]]
    startup_employees: dict[str | None, list[int]]
    startup_capital: list[int]
    startup_years: int
    control_largest: float
    control_combined: float
    officer_ratio: float
    income_over: int

    @classmethod
    def of(cls, prm: Params) -> FastParams:
        th = prm.thresholds

        def per(key: Callable[[str], int]) -> dict[str | None, list[int]]:
            out: dict[str | None, list[int]] = {i: [key(i)] for i in th}
            out[None] = [key(i) for i in sorted(th)]
            return out

        return cls(
            sme_types=prm.sme_types,
            capital=per(lambda i: th[i]["capital"]),
            employees=per(lambda i: th[i]["employees"]),
            small_employees=per(lambda i: th[i]["small_employees"]),
            startup_employees=per(lambda i: prm.startup_emp["commerce_services" if i in prm.commerce else "general"]),
            startup_capital=[prm.startup_capital],
            startup_years=prm.startup_years,
            control_largest=prm.control_largest.numerator / prm.control_largest.denominator,
            control_combined=prm.control_combined.numerator / prm.control_combined.denominator,
            officer_ratio=prm.officer_ratio.numerator / prm.officer_ratio.denominator,
            income_over=prm.income_over,
        )


def _limits(table: dict[str | None, list[int]], industry: str | None) -> list[int]:
    # definitions._industries: the stated industry if any (truthy), else every industry's limit.
    return table[industry] if industry else table[None]


def _leq_over(value: int | None, fact: str, limits: list[int], industry_known: bool) -> Term:
    if value is None:
        return (1, (fact,)) if industry_known else (1, (fact, "industry"))
    if all(value <= lim for lim in limits):
        return MET
    if all(value > lim for lim in limits):
        return UNMET
    return 1, ("industry",)


def _type_is(p: Profile, *types: str) -> Term:
    t = p.applicant_type
    if t is None:
        return NO_TYPE
    return MET if t in types else UNMET


def _ge(v: float | None, limit: float) -> bool | None:
    return None if v is None else v >= limit - 1e-9


def _shares_control(p: Profile, f: FastParams) -> Term:
    sh = p.large_company_shareholding
    if sh is None or (sh.largest is None and sh.combined is None):
        return NO_SHARES
    largest = _ge(sh.largest, f.control_largest)
    combined = _ge(sh.combined, f.control_combined)
    if largest or combined:
        return MET
    if largest is False and combined is False:
        return UNMET
    if sh.combined is not None and sh.combined < f.control_largest - 1e-9:
        return UNMET
    return NO_SHARES


def _controlled(p: Profile, f: FastParams) -> Term:
    return and_(_type_is(p, "corporation"), _shares_control(p, f))


def within_years(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    if p.established_on is None:
        return 1, ("established_on",)
    return MET if not_yet_passed(p.established_on, as_of, f.startup_years) else UNMET


def controlled(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    t = _controlled(p, f)
    if t[0] == 1:
        return t
    if p.large_company_shareholding is None or p.applicant_type not in (None, "corporation"):
        return UNMET
    return t


def sme(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    known = p.industry is not None
    cap_ok = _leq_over(p.capital_yen, "capital_yen", _limits(f.capital, p.industry), known)
    emp_ok = _leq_over(p.employees, "employees", _limits(f.employees, p.industry), known)
    t = or_(and_(_type_is(p, "corporation"), or_(cap_ok, emp_ok)), and_(_type_is(p, "sole_proprietor"), emp_ok))
    if p.applicant_type is not None and p.applicant_type not in f.sme_types:
        return UNMET
    return t


def small_enterprise(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    emp_ok = _leq_over(p.employees, "employees", _limits(f.small_employees, p.industry), p.industry is not None)
    return and_(_type_is(p, "corporation", "sole_proprietor"), emp_ok)


def deemed_large(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    sh = p.large_company_shareholding
    if sh is not None and sh.largest is None and sh.combined is not None and not _ge(sh.combined, f.control_largest):
        a = UNMET
    else:
        a = NO_SHARES if sh is None or sh.largest is None else (MET if _ge(sh.largest, f.control_largest) else UNMET)
    i = NO_SHARES if sh is None or sh.combined is None else (MET if _ge(sh.combined, f.control_combined) else UNMET)
    r = p.large_company_officer_ratio
    u = (1, ("large_company_officer_ratio",)) if r is None else (MET if _ge(r, f.officer_ratio) else UNMET)
    w = p.wholly_owned_by_large_parent
    e = (1, ("wholly_owned_by_large_parent",)) if w is None else (MET if w else UNMET)
    inc = p.avg_taxable_income_yen
    o = (1, ("avg_taxable_income_yen",)) if inc is None else (MET if inc > f.income_over else UNMET)
    clauses = or_(or_(or_(a, i), u), e)
    return or_(and_(_type_is(p, "corporation"), clauses), and_(_type_is(p, "corporation", "sole_proprietor"), o))


def startup_jpo(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    within = within_years(p, as_of, f)
    not_ctrl = not_(_controlled(p, f))
    is_sole, is_corp = _type_is(p, "sole_proprietor"), _type_is(p, "corporation")
    emp_ok = _leq_over(p.employees, "employees", _limits(f.startup_employees, p.industry), p.industry is not None)
    cap_ok = _leq_over(p.capital_yen, "capital_yen", f.startup_capital, True)
    c1 = and_(is_sole, within)
    c2 = and_(and_(and_(is_corp, emp_ok), within), not_ctrl)
    c3 = and_(and_(and_(is_corp, cap_ok), within), not_ctrl)
    return or_(or_(c1, c2), c3)


def chusho_startup(p: Profile, as_of: dt.date, f: FastParams) -> Term:
    within = within_years(p, as_of, f)
    not_ctrl = not_(_controlled(p, f))
    is_sole, is_corp = _type_is(p, "sole_proprietor"), _type_is(p, "corporation")
    cap_ok = _leq_over(p.capital_yen, "capital_yen", f.startup_capital, True)
    return or_(and_(is_sole, within), and_(and_(and_(is_corp, within), cap_ok), not_ctrl))


FAST_DEFINITIONS: dict[str, Callable[[Profile, dt.date, FastParams], Term]] = {
    "sme": sme,
    "small_enterprise": small_enterprise,
    "deemed_large": deemed_large,
    "startup_jpo": startup_jpo,
    "chusho_startup": chusho_startup,
    "controlled_by_large": controlled,
    "within_startup_years": within_years,
}


def all_terms(p: Profile, as_of: dt.date, f: FastParams) -> dict[str, Term]:
    """Every definition of FAST_DEFINITIONS at once, in its order, the parts they share worked out once (the
    same terms as each function alone; tests/test_compiled.py holds them equal)."""
    t = p.applicant_type
    is_corp = NO_TYPE if t is None else (MET if t == "corporation" else UNMET)
    is_sole = NO_TYPE if t is None else (MET if t == "sole_proprietor" else UNMET)
    industry = p.industry
    known = industry is not None
    within = within_years(p, as_of, f)
    ctl = and_(is_corp, _shares_control(p, f))
    if ctl[0] != 1 and (p.large_company_shareholding is None or t not in (None, "corporation")):
        controlled_t = UNMET
    else:
        controlled_t = ctl
    not_ctrl = not_(ctl)
    emp = p.employees
    # sme
    cap_ok = _leq_over(p.capital_yen, "capital_yen", _limits(f.capital, industry), known)
    emp_ok = _leq_over(emp, "employees", _limits(f.employees, industry), known)
    if t is not None and t not in f.sme_types:
        sme_t = UNMET
    else:
        sme_t = or_(and_(is_corp, or_(cap_ok, emp_ok)), and_(is_sole, emp_ok))
    # small_enterprise
    corp_or_sole = NO_TYPE if t is None else (MET if t in ("corporation", "sole_proprietor") else UNMET)
    small_t = and_(corp_or_sole, _leq_over(emp, "employees", _limits(f.small_employees, industry), known))
    # startup_jpo, chusho_startup
    sole_within = and_(is_sole, within)
    start_cap = _leq_over(p.capital_yen, "capital_yen", f.startup_capital, True)
    start_emp = _leq_over(emp, "employees", _limits(f.startup_employees, industry), known)
    jpo = or_(or_(sole_within, and_(and_(and_(is_corp, start_emp), within), not_ctrl)),
              and_(and_(and_(is_corp, start_cap), within), not_ctrl))
    chusho = or_(sole_within, and_(and_(and_(is_corp, within), start_cap), not_ctrl))
    return {"sme": sme_t, "small_enterprise": small_t, "deemed_large": deemed_large(p, as_of, f), "startup_jpo": jpo,
            "chusho_startup": chusho, "controlled_by_large": controlled_t, "within_startup_years": within}

"""Benefit estimates (DOMAIN.md 5): rates, per-case and per-company caps, prior awards, rounding."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from eligibility.facts import enum_label
from eligibility.money import floor_to, rate_text, yen
from eligibility.profile import Profile
from programs.schema import parse_fraction


@dataclass
class Estimate:
    amount_yen: int
    rate: str
    cap_yen: int | None
    prior_awards_yen: int = 0
    remaining_cap_yen: int | None = None
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    formula_ja: str = ""
    formula_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount_yen": self.amount_yen,
            "rate": self.rate,
            "cap_yen": self.cap_yen,
            "prior_awards_yen": self.prior_awards_yen,
            "remaining_cap_yen": self.remaining_cap_yen,
            "breakdown": self.breakdown,
            "formula": self.formula_ja,
            "formula_en": self.formula_en,
        }


@dataclass
class EstimateOutcome:
    estimate: Estimate | None
    missing: list[str] = field(default_factory=list)


def company_cap_for(value: Any, applicant_type: str | None) -> int | None:
    """A per-company cap: a number, null (no cap) or a mapping by applicant type with a default.

    >>> company_cap_for({"default": 3000000, "university": None}, "university") is None
    True
    >>> company_cap_for({"default": 3000000, "university": None}, "corporation")
    3000000
    >>> company_cap_for(4000000, None)
    4000000
    """
    if isinstance(value, dict):
        return value.get(applicant_type, value.get("default")) if applicant_type in value else value.get("default")
    return value


def prior_in_year(p: Profile, program_id: str, cap_year: int) -> int:
    """Awards of this program under the cap year's 公募年度 (prior_awards[].fiscal_year is the 公募年度)."""
    fy = cap_year
    return sum(a.amount_yen for a in p.prior_awards or () if a.program_id == program_id and a.fiscal_year == fy)


def _apply_company_cap(total: Fraction, cap: int | None, prior: int, unit: int) -> tuple[int, int | None]:
    remaining = None if cap is None else max(cap - prior, 0)
    capped = total if remaining is None else min(total, Fraction(remaining))
    return floor_to(capped, unit), remaining


def _cap_words(cap: int | None, prior: int, remaining: int | None, lang: str, cap_year: int) -> str:
    if cap is None:
        return ""
    fy_ja, fy_en = f"{cap_year}年度（公募年度）", f"FY{cap_year} (call year)"
    if lang == "ja":
        s = f"1企業あたり上限 {yen(cap)}"
        if prior and not remaining:  # DOMAIN.md 7.6: a used-up cap stays eligible with 0 and says why
            return s + f"（{fy_ja}の交付済み {yen(prior)} で上限に達しているため、この年度の補助は 0円）"
        return s + (f"（{fy_ja}の交付済み {yen(prior)} を差し引き残り {yen(remaining or 0)}）" if prior else "")
    s = f"company cap {yen(cap, 'en')}"
    if prior and not remaining:
        return s + f" (already reached with {yen(prior, 'en')} granted in {fy_en}: nothing more this year)"
    return s + (f" (less {yen(prior, 'en')} already granted in {fy_en}: {yen(remaining or 0, 'en')} left)" if prior else "")


def per_case_subsidy(program_id: str, p: Profile, cap_year: int, v: dict[str, Any]) -> EstimateOutcome:
    """Overseas filing: per case min(cost × rate, case cap); sum; company cap less prior awards; round down."""
    items = p.foreign_filings
    if items is None:
        return EstimateOutcome(None, ["foreign_filings"])
    rate = parse_fraction(v["rate"])
    caps: dict[str, int] = v["case_caps"]
    unit = int(v["rounding_unit"])
    planned = [f for f in items if f.already_filed is False]
    if any(f.already_filed is None or (f.already_filed is False and (f.right is None or f.cost_yen is None))
           for f in items):
        return EstimateOutcome(None, ["foreign_filings"])
    total = Fraction(0)
    rows: list[dict[str, Any]] = []
    for f in planned:
        assert f.right is not None and f.cost_yen is not None
        case_cap = caps[f.right]
        sub = min(f.cost_yen * rate, Fraction(case_cap))
        total += sub
        rows.append({"right": f.right, "cost_yen": f.cost_yen, "case_cap_yen": case_cap,
                     "subsidy_yen": int(sub), "capped": sub == case_cap})
    cap = company_cap_for(v["company_cap"], p.applicant_type)
    prior = prior_in_year(p, program_id, cap_year)
    amount, remaining = _apply_company_cap(total, cap, prior, unit)
    parts_ja = " ＋ ".join(
        f"{enum_label('right', r['right'])} min({yen(r['cost_yen'])}×{rate_text(rate)}, {yen(r['case_cap_yen'])})" for r in rows)
    parts_en = " + ".join(
        f"{r['right']} min({yen(r['cost_yen'], 'en')}×{rate_text(rate)}, {yen(r['case_cap_yen'], 'en')})" for r in rows)
    return EstimateOutcome(Estimate(
        amount, rate_text(rate), cap, prior, remaining, rows,
        f"{parts_ja or '0円'}、{_cap_words(cap, prior, remaining, 'ja', cap_year)}、{unit:,}円未満切り捨て → {yen(amount)}",
        f"{parts_en or '¥0'}, {_cap_words(cap, prior, remaining, 'en', cap_year)}, rounded down to ¥{unit:,} → {yen(amount, 'en')}",
    ))


def dispute_subsidy(program_id: str, p: Profile, cap_year: int, v: dict[str, Any]) -> EstimateOutcome:
    """Infringement countermeasures: min(cost × rate, cap) per qualifying case, summed, capped, rounded down."""
    items = p.overseas_disputes
    if items is None:
        return EstimateOutcome(None, ["overseas_disputes"])
    rate = parse_fraction(v["rate"])
    unit = int(v["rounding_unit"])
    kind = v["dispute_kind"]
    requires = v.get("dispute_requires")
    cap = company_cap_for(v["company_cap"], p.applicant_type)
    qualifying = [d for d in items if d.kind == kind and (requires is None or getattr(d, requires) is True)]
    # A case that may still qualify (kind or the required right not answered) could change the amount.
    undecided = [d for d in items if (d.kind is None or d.kind == kind) and d not in qualifying
                 and (requires is None or getattr(d, requires) is not False)]
    if undecided or any(d.cost_yen is None for d in qualifying):
        return EstimateOutcome(None, ["overseas_disputes"])
    total = Fraction(0)
    rows: list[dict[str, Any]] = []
    for d in qualifying:
        assert d.cost_yen is not None
        sub = d.cost_yen * rate if cap is None else min(d.cost_yen * rate, Fraction(cap))
        total += sub
        rows.append({"kind": kind, "cost_yen": d.cost_yen, "subsidy_yen": int(sub)})
    prior = prior_in_year(p, program_id, cap_year)
    amount, remaining = _apply_company_cap(total, cap, prior, unit)
    costs_ja = " ＋ ".join(f"{yen(r['cost_yen'])}×{rate_text(rate)}" for r in rows) or "0円"
    costs_en = " + ".join(f"{yen(r['cost_yen'], 'en')}×{rate_text(rate)}" for r in rows) or "¥0"
    return EstimateOutcome(Estimate(
        amount, rate_text(rate), cap, prior, remaining, rows,
        f"{costs_ja}、{_cap_words(cap, prior, remaining, 'ja', cap_year)}、{unit:,}円未満切り捨て → {yen(amount)}",
        f"{costs_en}, {_cap_words(cap, prior, remaining, 'en', cap_year)}, rounded down to ¥{unit:,} → {yen(amount, 'en')}",
    ))


def premium_subsidy(program_id: str, p: Profile, cap_year: int, v: dict[str, Any]) -> EstimateOutcome:
    """Litigation insurance: premium × 1/2 for a new policy, × 1/3 on renewal, rounded down."""
    ins = p.litigation_insurance
    if ins is False:  # none planned: nothing to pay part of
        return EstimateOutcome(None, [])
    if ins is None or ins.premium_yen is None or ins.renewal is None:
        return EstimateOutcome(None, ["litigation_insurance"])
    rate = parse_fraction(v["rate_renewal"] if ins.renewal else v["rate_new"])
    unit = int(v["rounding_unit"])
    amount = floor_to(ins.premium_yen * rate, unit)
    kind_ja, kind_en = ("更新", "renewal") if ins.renewal else ("新規加入", "new policy")
    return EstimateOutcome(Estimate(
        amount, rate_text(rate), None, 0, None,
        [{"premium_yen": ins.premium_yen, "renewal": ins.renewal, "subsidy_yen": amount}],
        f"掛金 {yen(ins.premium_yen)}×{rate_text(rate)}（{kind_ja}）、{unit:,}円未満切り捨て → {yen(amount)}",
        f"premium {yen(ins.premium_yen, 'en')}×{rate_text(rate)} ({kind_en}), rounded down to ¥{unit:,} → {yen(amount, 'en')}",
    ))


METHODS = {
    "per_case_subsidy": per_case_subsidy,
    "dispute_subsidy": dispute_subsidy,
    "premium_subsidy": premium_subsidy,
}

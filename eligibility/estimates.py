"""Benefit estimates (DOMAIN.md 5): rates, per-case and per-company caps, prior awards, rounding."""

from __future__ import annotations

from collections.abc import Callable
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
    # (formula_ja, formula_en, explanation_ja, explanation_en), or what makes them: written when first read, since
    # a member list's ranking needs the amount only (a third of a batch row's screening went into these texts).
    texts: tuple[str, str, str, str] | Callable[[], tuple[str, str, str, str]] = field(
        default=("", "", "", ""), compare=False, repr=False)

    def _texts(self) -> tuple[str, str, str, str]:
        if callable(self.texts):
            self.texts = self.texts()
        return self.texts

    @property
    def formula_ja(self) -> str:
        """Compact, for advisors: min(340万円×1/2, 150万円) …"""
        return self._texts()[0]

    @property
    def formula_en(self) -> str:
        return self._texts()[1]

    @property
    def explanation_ja(self) -> str:
        """The same in words and numbers, for applicants (issue 14, item 2)."""
        return self._texts()[2]

    @property
    def explanation_en(self) -> str:
        return self._texts()[3]

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
            "explanation": self.explanation_ja,
            "explanation_en": self.explanation_en,
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


@dataclass(frozen=True)
class Case:
    """One case of an estimate as the explanation says it: what, its cost, the rate, the per-case cap."""

    what_ja: str
    what_en: str
    cost: int
    rate: Fraction
    cap: int | None  # the per-case cap, None when there is none


def _case_words(c: Case, lang: str) -> str:
    """「特許1件：費用340万円の1/2は170万円ですが、1件の上限150万円まで」 or 「…の1/2で40万円」."""
    full = c.cost * c.rate
    shown = yen(int(full), lang)
    r = rate_text(c.rate)
    if lang == "ja":
        head = f"{c.what_ja}：費用{yen(c.cost)}の{r}"
        if c.cap is not None and full > c.cap:
            return f"{head}は{shown}ですが、1件の上限{yen(c.cap)}まで"
        return f"{head}で{shown}"
    head = f"{c.what_en}: {r} of the cost of {yen(c.cost, 'en')}"
    if c.cap is not None and full > c.cap:
        return f"{head} is {shown}, but at most {yen(c.cap, 'en')} per case"
    return f"{head} is {shown}"


def explain(cases: list[Case], total: Fraction, cap: int | None, prior: int, remaining: int | None,
            amount: int, unit: int, cap_year: int, lang: str) -> str:
    """An estimate in words and numbers for applicants; every number is the one the estimate used."""
    ja = lang == "ja"
    out = [_case_words(c, lang) for c in cases] or (["対象になる費用の回答はまだありません"] if ja else ["no costs given yet"])
    if len(cases) > 1:
        out.append(f"合計{yen(int(total))}" if ja else f"together {yen(int(total), 'en')}")
    if cap is not None:
        fy_ja, fy_en = f"{cap_year}年度（公募年度）", f"FY{cap_year} (call year)"
        if prior and not remaining:
            out.append(f"1社あたりの上限{yen(cap)}は、{fy_ja}にすでに交付された{yen(prior)}で使い切っているため、この年度の補助は0円"
                       if ja else f"the company cap of {yen(cap, 'en')} is used up by {yen(prior, 'en')} already "
                       f"granted in {fy_en}, so nothing more this year")
        elif prior:
            left = remaining or 0
            out.append(f"1社あたりの上限{yen(cap)}から{fy_ja}にすでに交付された{yen(prior)}を引くと残り{yen(left)}"
                       + ("で、その額まで" if total > left else "") if ja else
                       f"the company cap of {yen(cap, 'en')} less {yen(prior, 'en')} already granted in {fy_en} "
                       f"leaves {yen(left, 'en')}" + (", the most you can receive" if total > left else ""))
        elif total > cap:
            out.append(f"1社あたりの上限{yen(cap)}まで" if ja else f"at most {yen(cap, 'en')} per company")
    capped = min(total, Fraction(remaining)) if remaining is not None else total
    if capped != amount:
        out.append(f"{unit:,}円未満は切り捨て" if ja else f"rounded down to ¥{unit:,}")
    out.append(f"補助見込みは{yen(amount)}です" if ja else f"estimated subsidy: {yen(amount, 'en')}")
    return "。".join(out) + "。" if ja else (lambda t: t[:1].upper() + t[1:])("; ".join(out)) + "."


def capped_texts(head_ja: str, head_en: str, cases: list[Case], total: Fraction, cap: int | None, prior: int,
                 remaining: int | None, amount: int, unit: int, cap_year: int) -> tuple[str, str, str, str]:
    """A per-case subsidy's formula (ja, en) after its cases' terms, then its explanation (ja, en)."""
    return (
        f"{head_ja}、{_cap_words(cap, prior, remaining, 'ja', cap_year)}、{unit:,}円未満切り捨て → {yen(amount)}",
        f"{head_en}, {_cap_words(cap, prior, remaining, 'en', cap_year)}, rounded down to ¥{unit:,} → "
        f"{yen(amount, 'en')}",
        explain(cases, total, cap, prior, remaining, amount, unit, cap_year, "ja"),
        explain(cases, total, cap, prior, remaining, amount, unit, cap_year, "en"),
    )


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

    def texts() -> tuple[str, str, str, str]:
        parts_ja = " ＋ ".join(
            f"{enum_label('right', r['right'])} min({yen(r['cost_yen'])}×{rate_text(rate)}, {yen(r['case_cap_yen'])})"
            for r in rows)
        parts_en = " + ".join(
            f"{r['right']} min({yen(r['cost_yen'], 'en')}×{rate_text(rate)}, {yen(r['case_cap_yen'], 'en')})" for r in rows)
        cases = [Case(f"{enum_label('right', r['right'])}1件", f"{enum_label('right', r['right'], 'en')}, one case",
                      r["cost_yen"], rate, r["case_cap_yen"]) for r in rows]
        return capped_texts(parts_ja or "0円", parts_en or "¥0", cases, total, cap, prior, remaining, amount, unit,
                            cap_year)

    return EstimateOutcome(Estimate(amount, rate_text(rate), cap, prior, remaining, rows, texts))


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

    def texts() -> tuple[str, str, str, str]:
        costs_ja = " ＋ ".join(f"{yen(r['cost_yen'])}×{rate_text(rate)}" for r in rows) or "0円"
        costs_en = " + ".join(f"{yen(r['cost_yen'], 'en')}×{rate_text(rate)}" for r in rows) or "¥0"
        kind_ja, kind_en = enum_label("dispute_kind", kind), enum_label("dispute_kind", kind, "en")
        cases = [Case(f"{kind_ja}1件", f"{kind_en}, one case", r["cost_yen"], rate, cap) for r in rows]
        return capped_texts(costs_ja, costs_en, cases, total, cap, prior, remaining, amount, unit, cap_year)

    return EstimateOutcome(Estimate(amount, rate_text(rate), cap, prior, remaining, rows, texts))


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
    premium = ins.premium_yen
    kind_ja, kind_en = ("更新", "renewal") if ins.renewal else ("新規加入", "new policy")

    def texts() -> tuple[str, str, str, str]:
        return (
            f"掛金 {yen(premium)}×{rate_text(rate)}（{kind_ja}）、{unit:,}円未満切り捨て → {yen(amount)}",
            f"premium {yen(premium, 'en')}×{rate_text(rate)} ({kind_en}), rounded down to ¥{unit:,} → {yen(amount, 'en')}",
            explain([Case(f"保険の{kind_ja}", f"the {kind_en}", premium, rate, None)],
                    premium * rate, None, 0, None, amount, unit, 0, "ja").replace("費用", "掛金"),
            explain([Case(f"保険の{kind_ja}", f"the {kind_en}", premium, rate, None)],
                    premium * rate, None, 0, None, amount, unit, 0, "en").replace("the cost", "the premium"),
        )

    return EstimateOutcome(Estimate(
        amount, rate_text(rate), None, 0, None,
        [{"premium_yen": premium, "renewal": ins.renewal, "subsidy_yen": amount}], texts))


METHODS = {
    "per_case_subsidy": per_case_subsidy,
    "dispute_subsidy": dispute_subsidy,
    "premium_subsidy": premium_subsidy,
}

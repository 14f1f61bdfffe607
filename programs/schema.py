"""The catalog's schema: what a program YAML file and the definitions file must contain."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Phase = Literal["concept", "launch", "expansion"]
Kind = Literal[
    "subsidy",
    "expert_support",
    "accelerated_examination",
    "fee_reduction",
    "consultation",
    "information",
    "financing",
    "contract_templates",
]
BudgetStatus = Literal["open", "closes_when_budget_exhausted", "closed", "not_applicable", "unknown"]
EstimateMethod = Literal["none", "per_case_subsidy", "dispute_subsidy", "premium_subsidy"]

# Parameters each estimate method reads; the loader rejects a program that lacks one.
REQUIRED_PARAMETERS: dict[str, tuple[str, ...]] = {
    "none": (),
    "per_case_subsidy": ("rate", "case_caps", "company_cap", "rounding_unit"),
    "dispute_subsidy": ("rate", "company_cap", "rounding_unit", "dispute_kind"),
    "premium_subsidy": ("rate_new", "rate_renewal", "rounding_unit"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text shown to people, Japanese first."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)


class TextList(Strict):
    ja: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_length(self) -> TextList:
        # A comma inside a YAML flow list silently splits an item; equal lengths catch it.
        if len(self.ja) != len(self.en):
            raise ValueError(f"ja has {len(self.ja)} items but en has {len(self.en)} (a comma in a [flow, list]?)")
        return self


class Reference(Strict):
    """Where a rule or number comes from: a seed file and lines, or a public page."""

    doc: str = Field(min_length=1, description="seed file (e.g. seeds/001_16c6bf550fb2fe75.txt) or URL")
    loc: str | None = Field(default=None, description="lines (L3070-3130) or page")
    title: str | None = None

    def cite(self) -> str:
        """Short citation shown next to a rule.

        >>> Reference(doc="seeds/001_16c6bf550fb2fe75.txt", loc="L3070-3130").cite()
        '001:L3070-3130'
        >>> Reference(doc="https://www.jpo.go.jp/x.html", title="JPO").cite()
        'JPO (https://www.jpo.go.jp/x.html)'
        """
        m = re.match(r"^seeds/(\d{3})_[0-9a-f]+\.txt$", self.doc)
        base = m.group(1) if m else self.doc
        if self.title and not m:
            base = f"{self.title} ({self.doc})"
        return f"{base}:{self.loc}" if self.loc else base


class DatedValue(Strict):
    value: Any
    reference: Reference
    note: str | None = None


class Parameter(Strict):
    """A number or list whose value depends on the date (OpenFisca style)."""

    description: str | None = None
    values: dict[dt.date, DatedValue] = Field(min_length=1)

    def at(self, when: dt.date) -> DatedValue | None:
        """The value in force on `when` (the latest start not after it)."""
        best: dt.date | None = None
        for start in self.values:
            if start <= when and (best is None or start > best):
                best = start
        return None if best is None else self.values[best]


def parse_fraction(value: Any) -> Fraction:
    """A rate written as '1/2', 0.5 or 1.

    >>> parse_fraction("2/3")
    Fraction(2, 3)
    >>> parse_fraction(1)
    Fraction(1, 1)
    """
    if isinstance(value, bool):
        raise ValueError("a rate must be a number or a fraction such as '1/2'")
    if isinstance(value, int | float):
        return Fraction(value).limit_denominator(1000)
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", value):
        num, den = (int(x) for x in value.split("/"))
        if den == 0:
            raise ValueError("a rate's denominator must not be 0")
        return Fraction(num, den)
    raise ValueError(f"a rate must be a number or a fraction such as '1/2', not {value!r}")


class Test(Strict):
    """A call of a named predicate; its other keys are its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)
    predicate: str


class Criterion(Strict):
    """One rule. Leaf: `test`. Group: `any` / `all` / `not`."""

    id: str
    label: Text | None = None
    source: Reference | None = None
    provisional: bool = False
    advice: Text | None = Field(default=None, description="what would make an unmet criterion met")
    test: Test | None = None
    any: list[Criterion] | None = None
    all: list[Criterion] | None = None
    not_: Criterion | None = Field(default=None, alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"criterion id must be snake_case ascii, not {v!r}")
        return v

    @model_validator(mode="after")
    def _one_body(self) -> Criterion:
        bodies = [b for b in (self.test, self.any, self.all, self.not_) if b is not None]
        if len(bodies) != 1:
            raise ValueError("a criterion needs exactly one of test, any, all, not")
        if self.any is not None and not self.any or self.all is not None and not self.all:
            raise ValueError("an any/all group needs at least one member")
        return self


class InForce(Strict):
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    reference: Reference
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _order(self) -> InForce:
        if self.until is not None and self.until < self.from_:
            raise ValueError("in_force.until is before in_force.from")
        return self

    def covers(self, when: dt.date) -> bool:
        return self.from_ <= when and (self.until is None or when <= self.until)


class Window(Strict):
    """An application window; many close early when the budget runs out."""

    label: Text
    opens: dt.date | None = None
    closes: dt.date | None = None
    reference: Reference | None = None


class Unconfirmed(Strict):
    """No call of this fiscal year (公募年度) is confirmed yet: the window stays `unknown`, never open (DOMAIN.md 7.5)."""

    fiscal_year: int = Field(ge=2000, le=2100)
    note: Text
    reference: Reference


class Application(Strict):
    windows: list[Window] = Field(default_factory=list)
    note: Text
    # not_applicable = no call for applications (portals, desks, examination requests): the window is null.
    budget_status: BudgetStatus
    budget_note: Text | None = None
    unconfirmed: Unconfirmed | None = None


class Alternative(Strict):
    """Another program that cannot fund the same case (DOMAIN.md 7.3)."""

    program: str
    note: Text
    reference: Reference


class Desk(Strict):
    """Who the applicant should talk to."""

    kind: Literal[
        "inpit_desk", "yorozu", "prefectural_support_center", "jetro", "chamber", "jpo", "inpit", "other"
    ]
    name: Text
    url: str | None = None


class Benefit(Strict):
    summary: Text
    method: EstimateMethod = "none"
    parameters: dict[str, Parameter] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params(self) -> Benefit:
        missing = [p for p in REQUIRED_PARAMETERS[self.method] if p not in self.parameters]
        if missing:
            raise ValueError(f"estimate method {self.method!r} needs parameters: {', '.join(missing)}")
        for name in ("rate", "rate_new", "rate_renewal"):
            if name in self.parameters:
                for start, dv in self.parameters[name].values.items():
                    try:
                        parse_fraction(dv.value)
                    except ValueError as e:
                        raise ValueError(f"parameters.{name}.values.{start}: {e}") from None
        for name in ("company_cap", "rounding_unit"):
            if name in self.parameters:
                for start, dv in self.parameters[name].values.items():
                    vals = list(dv.value.values()) if isinstance(dv.value, dict) else [dv.value]
                    if name == "company_cap" and isinstance(dv.value, dict) and "default" not in dv.value:
                        raise ValueError(f"parameters.{name}.values.{start}: a mapping by applicant type needs 'default'")
                    for v in vals:
                        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                            raise ValueError(
                                f"parameters.{name}.values.{start}: must be a whole number of yen ≥ 0 or null"
                            )
        return self


class Program(Strict):
    id: str
    names: Text
    operator: Text
    kind: Kind
    phases: list[Phase] = Field(min_length=1)
    in_force: InForce
    provisional: bool = False
    provisional_note: Text | None = None
    description: Text
    keywords: list[str] = Field(default_factory=list)
    interests: list[str] = Field(default_factory=list, description="contract interests this program serves")
    application: Application
    prepare: TextList
    apply_at: Text
    next_steps: TextList
    desk: Desk
    eligibility: list[Criterion] = Field(min_length=1)
    benefit: Benefit
    sources: list[Reference] = Field(min_length=1)
    parameters: dict[str, Parameter] = Field(default_factory=dict, description="values rules refer to as $name")
    alternatives: list[Alternative] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"program id must be snake_case ascii, not {v!r}")
        return v

    @model_validator(mode="after")
    def _top_criteria(self) -> Program:
        seen: set[str] = set()
        for i, c in enumerate(self.eligibility):
            if c.label is None or c.source is None:
                raise ValueError(f"eligibility[{i}] ({c.id}): a top-level criterion needs a label and a source")
            if c.id in seen:
                raise ValueError(f"eligibility[{i}]: duplicate criterion id {c.id!r}")
            seen.add(c.id)
        if self.provisional and self.provisional_note is None:
            raise ValueError("provisional_note: a provisional program must say why")
        return self


class Definition(Strict):
    label: Text
    source: Reference
    provisional: bool = False


class Definitions(Strict):
    """programs/definitions.yaml: thresholds of the named definitions (DOMAIN.md 3)."""

    version: str
    definitions: dict[str, Definition]
    parameters: dict[str, Parameter]

"""The catalog's schema: what a program YAML file and the definitions file must contain."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# A seed file, a seed line marker (001:L3086) or the spec's file name: nothing a person can open.
SEED_DOC_RE = re.compile(r"seeds/|\b\d{3}:L\d|DOMAIN\.md", re.IGNORECASE)


def _openable(*texts: str) -> None:
    for t in texts:
        m = SEED_DOC_RE.search(t)
        if m:
            near = t[max(0, m.start() - 20):m.end() + 12]
            raise ValueError(f"…{near}… cites a seed file line or DOMAIN.md ({m.group(0)!r}), which no applicant "
                             "can open; name the document in words (its source goes in a reference)")

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
# Where the results page lists a program (issue 14): apply = 申請して受ける支援 (subsidies, examination, fee
# reduction), consult = 相談・専門家の支援, info = 情報・ひな形 (portals, model contracts, help that needs no application).
Group = Literal["apply", "consult", "info"]
GROUPS: tuple[str, ...] = ("apply", "consult", "info")
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

    @model_validator(mode="after")
    def _shown(self) -> Text:
        _openable(self.ja, self.en)
        return self


class TextList(Strict):
    ja: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _same_length(self) -> TextList:
        # A comma inside a YAML flow list silently splits an item; equal lengths catch it.
        if len(self.ja) != len(self.en):
            raise ValueError(f"ja has {len(self.ja)} items but en has {len(self.en)} (a comma in a [flow, list]?)")
        _openable(*self.ja, *self.en)
        return self


HREF_RE = re.compile(r"^https://[^\s/]+\.[^\s/]+(/\S*)?$")
JAPANESE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")  # kana, kanji, full-width forms


class Source(Strict):
    """A document the catalog cites (programs/sources.yaml): a title and a public address."""

    title: Text
    href: str = Field(description="public https address a person can open")
    publisher: Text
    published: dt.date | str | None = None
    checked: dt.date | None = None
    seed: str | None = Field(default=None, description="seed file it was distilled from (maintainers only)")
    note: str | None = None

    @field_validator("href")
    @classmethod
    def _https(cls, v: str) -> str:
        if not HREF_RE.match(v):
            raise ValueError(f"href must be a public https:// address, not {v!r}")
        return v


class Sources(Strict):
    """programs/sources.yaml: every cited document by id."""

    version: int
    sources: dict[str, Source] = Field(min_length=1)

    @field_validator("sources")
    @classmethod
    def _ids(cls, v: dict[str, Source]) -> dict[str, Source]:
        bad = [k for k in v if not ID_RE.match(k)]
        if bad:
            raise ValueError(f"source ids must be snake_case ascii, not {', '.join(map(repr, bad))}")
        return v


@dataclass(frozen=True, slots=True)
class Citation:
    """What a page shows for a reference: the title (+ page or section) as a link to `href`."""

    title_ja: str
    title_en: str
    href: str

    def text(self, lang: str = "ja") -> str:
        return self.title_ja if lang == "ja" else self.title_en


class Reference(Strict):
    """Where a rule or number comes from: a source id of programs/sources.yaml (or an inline public page)
    and the page or section.

    Validate with `context={"sources": Sources}` (the loader does) to check ids against another sources
    file; without it the default programs/sources.yaml is used.
    """

    source: str | None = Field(default=None, description="id in programs/sources.yaml")
    loc: str | None = Field(default=None, description="page or section shown after the title, e.g. 'p.45 海外出願支援'")
    doc: str | None = Field(default=None, description="inline public https page (needs title) when no id fits")
    title: str | None = None
    seed_loc: str | None = Field(default=None, description="seed file lines for maintainers; never shown")
    note: str | None = Field(default=None, description="a maintainer's remark; never shown")
    _citation: Citation | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _resolve(self, info: ValidationInfo) -> Reference:
        for name in ("source", "doc", "loc", "title"):
            value = getattr(self, name)
            if isinstance(value, str) and SEED_DOC_RE.search(value):
                raise ValueError(f"{name}: {value!r} is a seed file or DOMAIN.md, which no applicant can open; "
                                 "name a source id of programs/sources.yaml (keep the seed lines in seed_loc)")
        if (self.source is None) == (self.doc is None):
            raise ValueError("a reference needs exactly one of source (an id of programs/sources.yaml) or doc "
                             "(a public https address with a title)")
        if self.doc is not None:
            if not HREF_RE.match(self.doc):
                raise ValueError(f"doc must be a public https:// address, not {self.doc!r}")
            if not self.title:
                raise ValueError("an inline doc needs a title")
            # An inline page has only its Japanese title: English pages show it with a label saying so.
            ja, en = self.title, (f"{self.title} (in Japanese)" if JAPANESE_RE.search(self.title) else self.title)
            href = self.doc
        else:
            ctx = info.context if isinstance(info.context, dict) else {}
            registry = ctx.get("sources") or default_sources()
            src = registry.sources.get(self.source or "")
            if src is None:
                raise ValueError(f"source: unknown source id {self.source!r} (not in programs/sources.yaml)")
            ja, en, href = src.title.ja, src.title.en, src.href
        if self.loc:
            ja, en = f"{ja}（{self.loc}）", f"{en} ({self.loc})"
        self._citation = Citation(ja, en, href)
        return self

    def cite(self) -> Citation:
        """Title (+ page or section) and public address shown next to a rule.

        >>> c = Reference(source="law_sme_basic", loc="第2条").cite()
        >>> c.text("ja"), c.href
        ('中小企業基本法（第2条）', 'https://laws.e-gov.go.jp/law/338AC0000000154')
        >>> Reference(doc="https://www.jpo.go.jp/x.html", title="JPO").cite().text("en")
        'JPO'
        >>> Reference(doc="https://www.city.komaki.aichi.jp/", title="小牧市").cite().text("en")
        '小牧市 (in Japanese)'
        """
        assert self._citation is not None  # set by the validator
        return self._citation


_DEFAULT_SOURCES: list[Sources] = []


def default_sources() -> Sources:
    """programs/sources.yaml, read once."""
    if not _DEFAULT_SOURCES:
        import yaml  # noqa: PLC0415 - only when no loader passed its own sources

        path = Path(__file__).resolve().parent / "sources.yaml"
        _DEFAULT_SOURCES.append(Sources.model_validate(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return _DEFAULT_SOURCES[0]


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
    # Required in the catalog folder (load_catalog); None only in catalog versions stored before it existed.
    group: Group | None = Field(default=None, description="the results page's section: apply, consult or info")
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

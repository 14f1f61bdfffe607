"""The rules engine: evaluates every program in force on as_of against a profile, with a full trace."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from eligibility.dates import fiscal_year
from eligibility.definitions import CONTRACT_DEFINITIONS, REQUIRED_PARAMETERS, Params
from eligibility.estimates import METHODS, Estimate
from eligibility.facts import field_label
from eligibility.logic import Check, Outcome, all_of, any_of
from eligibility.phase import PhaseInfo, infer_phase
from eligibility.predicates import PREDICATES, Ctx, check_params
from eligibility.profile import FieldError, Profile, ProfileError, make_error, parse_profile, today_tokyo
from eligibility.windows import Window, moment, window_for
from programs.loader import Catalog, CatalogError
from programs.schema import Citation, Criterion, Parameter, Program

STATUS = {Outcome.MET: "eligible", Outcome.UNMET: "ineligible", Outcome.UNKNOWN: "needs_info"}


@dataclass
class Trace:
    """One criterion as evaluated: what it is, how it came out, on which facts, from which source."""

    criterion: str
    label_ja: str
    label_en: str
    outcome: Outcome
    detail_ja: str
    detail_en: str
    facts: dict[str, Any]
    missing: list[str]
    source: Citation | None
    provisional: bool = False
    advice_ja: str | None = None
    advice_en: str | None = None
    children: list[Trace] = field(default_factory=list)

    def as_dict(self, lang: str = "ja") -> dict[str, Any]:
        ja = lang == "ja"
        d: dict[str, Any] = {
            "criterion": self.criterion,
            "label": self.label_ja if ja else self.label_en,
            "outcome": self.outcome.value,
            "detail": self.detail_ja if ja else self.detail_en,
            "facts": self.facts,
            "missing_facts": self.missing,
            "source": self.source.text(lang) if self.source else None,
            "source_url": self.source.href if self.source else None,
            "provisional": self.provisional,
        }
        if self.outcome is Outcome.UNMET and self.advice_ja:
            d["advice"] = self.advice_ja if ja else self.advice_en
        if self.children:
            d["children"] = [c.as_dict(lang) for c in self.children]
        return d


@dataclass
class ProgramResult:
    program: Program
    status: str
    reasons: list[Trace]
    missing_facts: list[str]
    estimate: Estimate | None
    rank: int | None = None
    score: float = 0.0
    signals: list[dict[str, Any]] = field(default_factory=list)
    recommendation_ja: list[str] = field(default_factory=list)
    recommendation_en: list[str] = field(default_factory=list)
    window: Window | None = None  # None: no call for applications (eligibility/windows.py)
    alternatives: tuple[str, ...] = ()  # programs that cannot fund the same case (DOMAIN.md 7.3)

    @property
    def program_id(self) -> str:
        return self.program.id

    def advice(self, lang: str = "ja") -> list[str]:
        """What the applicant could do to meet unmet criteria."""
        out: list[str] = []
        stack = list(self.reasons)
        while stack:
            t = stack.pop(0)
            if t.outcome is Outcome.UNMET and t.advice_ja:
                out.append(t.advice_ja if lang == "ja" else t.advice_en or "")
            stack.extend(t.children)
        return out

    def as_dict(self, lang: str = "ja") -> dict[str, Any]:
        head, tail = _program_parts(self.program, lang)
        ja = lang == "ja"
        return {
            **head,
            "status": self.status,
            "rank": self.rank,
            "score": round(self.score, 4),
            "estimate": self.estimate.as_dict() if self.estimate else None,
            "benefit": tail["benefit"],
            "reasons": [t.as_dict(lang) for t in self.reasons],
            "missing_facts": self.missing_facts,
            "advice": self.advice(lang),
            "recommendation": self.recommendation_ja if ja else self.recommendation_en,
            "signals": self.signals,
            "provisional": self.program.provisional or any(t.provisional for t in self.reasons),
            "window": self.window.as_dict(lang) if self.window else None,
            "alternatives": list(self.alternatives),
            "alternatives_note": tail["alternatives_note"],
            **tail["rest"],
        }


# (id(program), lang) -> (program, (head, tail)): the parts of a result that depend only on the program and
# the language, built once (about a third of a screening's ~100 KB; bench/README.md). The nested values are
# shared between results: readers must not change them. Bounded, because tests build many catalogs.
_PARTS: dict[tuple[int, str], tuple[Program, tuple[dict[str, Any], dict[str, Any]]]] = {}


def _program_parts(p: Program, lang: str) -> tuple[dict[str, Any], dict[str, Any]]:
    hit = _PARTS.get((id(p), lang))
    if hit is not None and hit[0] is p:
        return hit[1]
    ja = lang == "ja"
    pick = (lambda t: t.ja) if ja else (lambda t: t.en)
    head = {
        "program_id": p.id,
        "name": pick(p.names),
        "name_ja": p.names.ja,
        "name_en": p.names.en,
        "operator": pick(p.operator),
        "kind": p.kind,
        "phases": list(p.phases),
    }
    rest = {
        "provisional_note": pick(p.provisional_note) if p.provisional_note else None,
        "description": pick(p.description),
        "next_steps": p.next_steps.ja if ja else p.next_steps.en,
        "prepare": p.prepare.ja if ja else p.prepare.en,
        "apply_at": pick(p.apply_at),
        "application": {
            "note": pick(p.application.note),
            "budget_status": p.application.budget_status,
            "budget_note": pick(p.application.budget_note) if p.application.budget_note else None,
            "windows": [
                {"label": pick(w.label), "opens": w.opens.isoformat() if w.opens else None,
                 "closes": w.closes.isoformat() if w.closes else None}
                for w in p.application.windows
            ],
        },
        "desk": {"kind": p.desk.kind, "name": pick(p.desk.name), "url": p.desk.url},
        "sources": [{"title": c.text(lang), "url": c.href} for c in (s.cite() for s in p.sources)],
    }
    alt_note = [pick(a.note) for a in p.alternatives]
    parts = (head, {"benefit": pick(p.benefit.summary), "rest": rest,
                    "alternatives_note": ("".join(alt_note) if ja else " ".join(alt_note)) or None})
    if len(_PARTS) > 2048:
        _PARTS.clear()
    _PARTS[(id(p), lang)] = (p, parts)
    return parts


def program_texts(p: Program, lang: str) -> dict[str, Any]:
    """The fields of a result that depend only on the program and the language (GET /api/v1/programs/{id})."""
    head, tail = _program_parts(p, lang)
    return {**head, "benefit": tail["benefit"], "alternatives_note": tail["alternatives_note"], **tail["rest"]}


@dataclass
class Screening:
    as_of: dt.date
    profile: Profile
    phase: PhaseInfo
    definitions: dict[str, Check]
    results: list[ProgramResult]
    catalog_version: str
    definition_sources: dict[str, Citation]
    definition_labels: dict[str, tuple[str, str]]
    model_version: str | None = None
    at: dt.datetime | None = None  # the moment the windows were read at (a stored screening is rebuilt at it)

    def result(self, program_id: str) -> ProgramResult | None:
        return next((r for r in self.results if r.program_id == program_id), None)

    def total_estimate(self) -> dict[str, Any]:
        """Sum of the eligible programs' estimates, never adding two alternatives (DOMAIN.md 7.3).

        Reading: the profile does not say which case goes to which program, so within a set of alternatives
        only the larger estimate counts (ties: the first program id); the others are listed as `not_counted`.
        """
        priced = {r.program_id: r for r in self.results if r.status == "eligible" and r.estimate is not None}
        best = sorted(priced.values(), key=lambda r: (-(r.estimate.amount_yen if r.estimate else 0), r.program_id))
        counted: list[str] = []
        skipped: list[dict[str, str]] = []
        for r in best:
            rival = next((c for c in counted if c in r.alternatives), None)
            if rival is None:
                counted.append(r.program_id)
            else:
                skipped.append({"program_id": r.program_id, "instead_of": rival})
        amount = sum(e.amount_yen for c in counted if (e := priced[c].estimate) is not None)
        return {"amount_yen": amount, "counted": sorted(counted), "not_counted": skipped}

    def as_dict(self, lang: str = "ja") -> dict[str, Any]:
        ja = lang == "ja"
        return {
            "as_of": self.as_of.isoformat(),
            "catalog_version": self.catalog_version,
            "model_version": self.model_version,
            "phase": self.phase.as_dict() if ja else {**self.phase.as_dict(), "basis": self.phase.basis_en},
            "definitions": {k: self.definitions[k].outcome.value for k in CONTRACT_DEFINITIONS},
            "definition_details": {
                k: {
                    "label": self.definition_labels[k][0 if ja else 1],
                    "outcome": c.outcome.value,
                    "detail": c.detail_ja if ja else c.detail_en,
                    "facts": c.facts,
                    "missing_facts": c.missing,
                    "source": self.definition_sources[k].text(lang) if k in self.definition_sources else None,
                    "source_url": self.definition_sources[k].href if k in self.definition_sources else None,
                }
                for k, c in self.definitions.items()
            },
            "results": [r.as_dict(lang) for r in self.results],
        }


def _value_at(param: Parameter, when: dt.date) -> Any:
    dv = param.at(when)
    if dv is None:  # before the first value: the earliest one (documented in programs/definitions.yaml)
        dv = param.values[min(param.values)]
    return dv.value


class Engine:
    """Compiled catalog: checks every rule's predicates once, then screens profiles."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        problems: list[str] = []
        defs = catalog.definitions
        for name in REQUIRED_PARAMETERS:
            if name not in defs.parameters:
                problems.append(f"programs/definitions.yaml: parameters.{name}: missing")
        for prog in catalog.programs.values():
            fname = catalog.files.get(prog.id, prog.id)
            known = set(prog.parameters)
            for i, crit in enumerate(prog.eligibility):
                problems += [f"{fname}: {p}" for p in self._check_criterion(crit, f"eligibility[{i}]", known)]
            for pname, param in [*((f"parameters.{k}", v) for k, v in prog.parameters.items()),
                                 *((f"benefit.parameters.{k}", v) for k, v in prog.benefit.parameters.items())]:
                if min(param.values) > prog.in_force.from_:
                    problems.append(f"{fname}: {pname}: no value in force on in_force.from "
                                    f"({prog.in_force.from_}); the earliest is {min(param.values)}")
            if prog.benefit.method == "per_case_subsidy":
                for start, dv in prog.benefit.parameters["case_caps"].values.items():
                    need = {"patent", "utility_model", "design", "trademark", "squatting_trademark"}
                    if not isinstance(dv.value, dict) or not need <= set(dv.value):
                        problems.append(f"{fname}: benefit.parameters.case_caps.values.{start}: needs a cap for each "
                                        f"of {', '.join(sorted(need))}")
        if problems:
            raise CatalogError(problems)
        self.definition_sources = {k: d.source.cite() for k, d in defs.definitions.items()}
        self.definition_labels = {k: (d.label.ja, d.label.en) for k, d in defs.definitions.items()}
        self.compiled = {p.id: tuple(self._compile(c) for c in p.eligibility) for p in catalog.programs.values()}

    def _check_criterion(self, c: Criterion, where: str, known: set[str]) -> list[str]:
        if c.test is not None:
            given = dict(c.test.model_extra or {})
            return [f"{where}.test.{p}" for p in check_params(c.test.predicate, given, known)]
        out: list[str] = []
        for key, kids in (("any", c.any), ("all", c.all)):
            for i, kid in enumerate(kids or ()):
                out += self._check_criterion(kid, f"{where}.{key}[{i}]", known)
        if c.not_ is not None:
            out += self._check_criterion(c.not_, f"{where}.not", known)
        return out

    @lru_cache(maxsize=4096)  # noqa: B019 - one engine per catalog, lives as long as the process
    def params_at(self, when: dt.date) -> Params:
        defs = self.catalog.definitions
        values = {k: _value_at(p, when) for k, p in defs.parameters.items()}
        refs = {k: (p.at(when) or p.values[min(p.values)]).reference.cite().text() for k, p in defs.parameters.items()}
        return Params.from_values(values, refs)

    @lru_cache(maxsize=4096)  # noqa: B019
    def programs_at(self, when: dt.date) -> tuple[tuple[Program, dict[str, Any], dict[str, Any]], ...]:
        """Programs in force on a date, each with its rule and benefit parameters resolved for that date."""
        out = []
        for prog in self.catalog.in_force(when):
            rule_params = {k: _value_at(p, when) for k, p in prog.parameters.items()}
            benefit_params = {k: _value_at(p, when) for k, p in prog.benefit.parameters.items()}
            out.append((prog, rule_params, benefit_params))
        return tuple(out)

    def validate(self, data: Any) -> Profile:
        """Parse a profile and check what needs the catalog (prior awards name real programs)."""
        try:
            profile = data if isinstance(data, Profile) else parse_profile(data)
        except ProfileError as e:  # every problem at once (issue 14, item 7): the catalog's check too
            failed = {fe.field for fe in e.errors}
            raise ProfileError(e.errors + [fe for fe in self._unknown_programs(data) if fe.field not in failed]) \
                from None
        errors = self._unknown_programs({"prior_awards": [a.model_dump() for a in profile.prior_awards or ()]})
        if errors:
            raise ProfileError(errors)
        return profile

    def _unknown_programs(self, data: Any) -> list[FieldError]:
        awards = data.get("prior_awards") if isinstance(data, dict) else None
        if not isinstance(awards, list):
            return []
        return [make_error(f"prior_awards[{i}].program_id", "unknown_program", value=a["program_id"])
                for i, a in enumerate(awards)
                if isinstance(a, dict) and isinstance(a.get("program_id"), str) and a["program_id"]
                and a["program_id"] not in self.catalog.programs]

    def screen(self, data: Any, now: dt.datetime | None = None) -> Screening:
        """Screen a profile; windows are read at `now` (aware), else at the current time when as_of is
        today in Tokyo, else at 00:00 JST of as_of (a date alone: the state at the start of that day)."""
        profile = self.validate(data)
        as_of = profile.reference_date()
        if now is None and as_of == today_tokyo():
            now = dt.datetime.now(dt.UTC)
        at = moment(as_of, now)
        prm = self.params_at(as_of)
        ctx = Ctx(profile, as_of, prm, {})
        defs = {name: ctx.definition(name) for name in self.definition_labels}
        results = [self._evaluate(prog, rp, bp, ctx, at) for prog, rp, bp in self.programs_at(as_of)]
        return Screening(
            as_of=as_of,
            profile=profile,
            phase=infer_phase(profile, as_of, prm.concept_years),
            definitions=defs,
            results=results,
            catalog_version=self.catalog.version,
            definition_sources=self.definition_sources,
            definition_labels=self.definition_labels,
            at=at,
        )

    def window(self, prog: Program, profile: Profile, at: dt.datetime) -> Window | None:
        cat = self.catalog
        return window_for(prog, cat.rounds_for(prog.id), at, profile.prefecture, profile.municipality,
                          cat.operator_for(prog.id, profile.prefecture))

    def _evaluate(self, prog: Program, rule_params: dict[str, Any], benefit_params: dict[str, Any], ctx: Ctx,
                  at: dt.datetime) -> ProgramResult:
        win = self.window(prog, ctx.profile, at)
        # DOMAIN.md 7.2: the cap year is the 公募年度 of the round open or next, else the fiscal year of as_of.
        cap_year = win.fiscal_year if win is not None and win.fiscal_year is not None else \
            fiscal_year(ctx.as_of, ctx.params.fy_start_month)
        traces = [_run(node, rule_params, ctx) for node in self.compiled[prog.id]]
        outcome = all_of(t.outcome for t in traces)
        missing: list[str] = []
        if outcome is Outcome.UNKNOWN:
            for t in traces:
                if t.outcome is Outcome.UNKNOWN:
                    missing += [m for m in t.missing if m not in missing]
        estimate = None
        method = METHODS.get(prog.benefit.method)
        if method is not None and outcome is Outcome.MET:
            res = method(prog.id, ctx.profile, cap_year, benefit_params)
            estimate = res.estimate
            missing += [m for m in res.missing if m not in missing]
        return ProgramResult(prog, STATUS[outcome], traces, missing, estimate, window=win,
                             alternatives=self.catalog.alternatives_of(prog.id))

    def _compile(self, c: Criterion) -> Node:
        """A criterion with everything that does not depend on the profile worked out once."""
        source = c.source.cite() if c.source else None
        label = (c.label.ja, c.label.en) if c.label else (c.id, c.id)
        fn = None
        args: dict[str, Any] = {}
        children: tuple[Node, ...] = ()
        if c.test is not None:
            args = dict(c.test.model_extra or {})
            fn = PREDICATES[c.test.predicate].fn
            if c.test.predicate == "definition":
                source = source or self.definition_sources.get(args["name"])
            if c.label is None:
                if c.test.predicate == "definition":
                    label = self.definition_labels.get(args["name"], (args["name"], args["name"]))
                elif "fact" in args:
                    label = (field_label(args["fact"]), field_label(args["fact"], "en"))
                else:
                    spec = PREDICATES[c.test.predicate]
                    label = (spec.label_ja, spec.label_en)
            kind = "test"
        elif c.not_ is not None:
            children = (self._compile(c.not_),)
            kind = "not"
        else:
            children = tuple(self._compile(k) for k in (c.any or c.all or []))
            kind = "any" if c.any is not None else "all"
        return Node(c.id, kind, label, source, c.provisional,
                    (c.advice.ja, c.advice.en) if c.advice else (None, None), fn, args,
                    tuple(k for k, v in args.items() if isinstance(v, str) and v.startswith("$")), children)


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled criterion."""

    id: str
    kind: str  # test / any / all / not
    label: tuple[str, str]
    source: Citation | None
    provisional: bool
    advice: tuple[str | None, str | None]
    fn: Any
    args: dict[str, Any]
    refs: tuple[str, ...]  # argument names whose value is a $program_parameter
    children: tuple[Node, ...]


def _run(node: Node, rule_params: dict[str, Any], ctx: Ctx) -> Trace:
    if node.kind == "test":
        args = node.args
        if node.refs:
            args = {**args, **{k: rule_params[args[k][1:]] for k in node.refs}}
        check = node.fn(ctx, **args)
        return _make(node, check.outcome, check.detail_ja, check.detail_en, check.facts, check.missing,
                     node.source, [])
    if node.kind == "not":
        kid = _run(node.children[0], rule_params, ctx)
        outcome = kid.outcome.negate()
        ja, en = not_detail(kid.label_ja, kid.label_en, outcome, kid.detail_ja, kid.detail_en)
        return _make(node, outcome, ja, en, kid.facts, kid.missing, node.source or kid.source, [kid])
    kids = [_run(k, rule_params, ctx) for k in node.children]
    outcome = (any_of if node.kind == "any" else all_of)(k.outcome for k in kids)
    missing: list[str] = []
    if outcome is Outcome.UNKNOWN:
        for k in kids:
            if k.outcome is Outcome.UNKNOWN:
                missing += [m for m in k.missing if m not in missing]
    facts: dict[str, Any] = {}
    for k in kids:
        facts.update(k.facts)
    ja, en = join_detail([(k.label_ja, k.label_en, k.outcome) for k in kids], outcome)
    return _make(node, outcome, ja, en, facts, missing, node.source, kids)


def not_detail(label_ja: str, label_en: str, outcome: Outcome, kid_ja: str, kid_en: str) -> tuple[str, str]:
    """A negation's detail (ja, en): its criterion's label, the negation's answer (いいえ for met) and the
    criterion's own detail in brackets."""
    ja = f"{label_ja}: {'いいえ' if outcome is Outcome.MET else 'はい' if outcome is Outcome.UNMET else '不明'}"
    en = f"{label_en}: {'no' if outcome is Outcome.MET else 'yes' if outcome is Outcome.UNMET else 'unknown'}"
    ja += f"（{kid_ja}）" if kid_ja else ""
    en += f" ({kid_en})" if kid_en else ""
    return ja, en


def join_detail(kids: list[tuple[str, str, Outcome]], outcome: Outcome) -> tuple[str, str]:
    """An any/all criterion's detail (ja, en) from its criteria's (label_ja, label_en, outcome): the decisive
    ones (the outcome of the whole, else all) as 「label: 該当」."""
    decisive = [k for k in kids if k[2] is outcome] or kids
    ja = "／".join(f"{k[0]}: {_word(k[2], 'ja')}" for k in decisive)
    en = "; ".join(f"{k[1]}: {_word(k[2], 'en')}" for k in decisive)
    return ja, en


def provisional_detail(ja: str, en: str) -> tuple[str, str]:
    """A provisional criterion's detail: marked as such in both languages."""
    return f"【暫定ルール】{ja}", f"[provisional rule] {en}"


def _make(node: Node, outcome: Outcome, ja: str, en: str, facts: dict[str, Any], missing: list[str],
          source: Citation | None, children: list[Trace]) -> Trace:
    if node.provisional:
        ja, en = provisional_detail(ja, en)
    return Trace(node.id, node.label[0], node.label[1], outcome, ja, en, facts,
                 list(missing) if outcome is Outcome.UNKNOWN else [], source, node.provisional,
                 node.advice[0], node.advice[1], children)


_WORDS = {
    "ja": {Outcome.MET: "該当", Outcome.UNMET: "非該当", Outcome.UNKNOWN: "不明"},
    "en": {Outcome.MET: "met", Outcome.UNMET: "unmet", Outcome.UNKNOWN: "unknown"},
}


def _word(o: Outcome, lang: str) -> str:
    return _WORDS[lang][o]

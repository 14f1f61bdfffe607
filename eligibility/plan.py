"""A program's criteria compiled to one generated Python function recording every criterion's outcome.

Each criterion gets an index (pre-order, as `eligibility/outcome.py` lists them); the function fills an
array of outcomes (0 unmet, 1 unknown, 2 met) and, for an unknown test, its missing facts. Every constant of
the catalog reaches the generated source through a namespace (`c0`, `c1` …), never as text. A predicate
without a fast form here runs the reference predicate (`slow`), so a new predicate is correct before it is fast.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eligibility.logic import Outcome
from eligibility.predicates import ANY_FACTS, PREDICATES, Ctx
from eligibility.profile import Profile
from programs.rounds import split_area
from programs.schema import Criterion

# Predicates whose met Check names the same facts for every profile (eligibility/predicates.py, definitions.py).
STATIC_FACTS = frozenset({"definition", "always", "fact_in", "fact_true", "fact_contains", "fact_nonempty",
                          "fact_present", "fact_assumed", "planned_foreign_filing", "dispute", "prefecture_in",
                          "area_in", "on_or_after"})
OUTCOMES = (Outcome.UNMET, Outcome.UNKNOWN, Outcome.MET)
_LOCAL = re.compile(r"\bo\[(\d+)\]")
FROM_OUTCOME = {Outcome.UNMET: 0, Outcome.UNKNOWN: 1, Outcome.MET: 2}
Term = tuple[int, tuple[str, ...]]


def planned_foreign_filing(p: Profile) -> Term:
    items = p.foreign_filings
    if items is None:
        return 1, ("foreign_filings",)
    if any(f.already_filed is False for f in items):
        return 2, ()
    if any(f.already_filed is None for f in items):
        return 1, ("foreign_filings",)
    return 0, ()


def dispute(p: Profile, kind: str, requires: str | None = None) -> Term:
    items = p.overseas_disputes
    if items is None:
        return 1, ("overseas_disputes",)
    same = [d for d in items if d.kind == kind]
    unsure_kind = any(d.kind is None for d in items)
    if requires is None:
        ok = bool(same)
        undecided = not ok and unsure_kind
    else:
        ok = any(getattr(d, requires) is True for d in same)
        undecided = not ok and (any(getattr(d, requires) is None for d in same) or unsure_kind)
    if ok:
        return 2, ()
    return (1, ("overseas_disputes",)) if undecided else (0, ())


def area_in(p: Profile, areas: list[tuple[str | None, str | None]]) -> Term:
    pref, muni = p.prefecture, p.municipality
    for ap, am in areas:
        if pref == ap and (am is None or muni == am):
            return 2, ()
    if pref is None:
        return 1, ("prefecture",)
    if muni is None and any(ap == pref and am is not None for ap, am in areas):
        return 1, ("municipality",)
    return 0, ()


_AREAS: dict[int, tuple[list[str], list[tuple[str | None, str | None]]]] = {}


def areas_of(values: list[str]) -> list[tuple[str | None, str | None]]:
    """The areas split, remembered for the list object (a program's parameter on a date is the same list)."""
    hit = _AREAS.get(id(values))
    if hit is not None and hit[0] is values:
        return hit[1]
    out = [split_area(v) for v in values]
    if len(_AREAS) > 4096:
        _AREAS.clear()
    _AREAS[id(values)] = (values, out)
    return out


def on_or_after(as_of: dt.date, date: dt.date | str) -> int:
    d = date if isinstance(date, dt.date) else dt.date.fromisoformat(date)
    return 2 if as_of >= d else 0


@dataclass(frozen=True)
class Plan:
    """One program's compiled criteria: the generated function and the tree's shape, by index."""

    program_id: str
    run: Callable[..., tuple[list[int], dict[int, tuple[str, ...]], int]]
    paths: tuple[str, ...]  # the criterion's path ("id/child"), as eligibility/outcome.py keys it
    kinds: tuple[str, ...]
    kids: tuple[tuple[int, ...], ...]
    tops: tuple[int, ...]
    nodes: tuple[Criterion, ...]
    source: str
    # A met test's fact names, learned from its first rendered trace (the same for every profile for the
    # predicates in STATIC_FACTS): what the ranking reads without rendering (matching/scorer.py).
    met_facts: dict[int, frozenset[str]] = field(default_factory=dict, compare=False)
    # Generated: `missing_of(o, m)` is `missing(o, m)` for an unknown program, unrolled over the tree.
    missing_of: Callable[[list[int], dict[int, tuple[str, ...]]], list[str]] | None = field(default=None,
                                                                                            compare=False)

    def learn(self, i: int, trace: Any) -> None:
        """Record the fact names of the met tests below criterion i from its rendered trace."""
        if self.kinds[i] == "test":
            test = self.nodes[i].test
            if trace.outcome is Outcome.MET and test is not None and test.predicate in STATIC_FACTS:
                self.met_facts[i] = frozenset(trace.facts)
            return
        for k, t in zip(self.kids[i], trace.children, strict=False):
            self.learn(k, t)

    def reads_beyond(self, o: list[int], i: int, known: frozenset[str] | set[str]) -> bool | None:
        """Whether a met test below criterion i read a fact outside `known`; None when a met test's facts are
        not learned yet."""
        if self.kinds[i] == "test":
            if o[i] != 2:
                return False
            names = self.met_facts.get(i)
            return None if names is None else any(n not in known for n in names)
        undecided = False
        for k in self.kids[i]:
            got = self.reads_beyond(o, k, known)
            if got:
                return True
            undecided = undecided or got is None
        return None if undecided else False

    def outcome(self, o: list[int]) -> int:
        """The program's outcome: all of its top-level criteria (MET when there is none)."""
        return min((o[i] for i in self.tops), default=2)

    def missing(self, o: list[int], m: dict[int, tuple[str, ...]], i: int | None = None) -> list[str]:
        """The missing facts of an unknown criterion (or of the program), united as the reference engine does."""
        if i is not None and self.kinds[i] == "test":
            return list(m.get(i, ()))
        if i is not None and self.kinds[i] == "not":
            return self.missing(o, m, self.kids[i][0])
        out: list[str] = []
        for k in self.tops if i is None else self.kids[i]:
            if o[k] == 1:
                out += [x for x in self.missing(o, m, k) if x not in out]
        return out

    def criteria(self, o: list[int]) -> dict[str, str]:
        return {path: OUTCOMES[v].value for path, v in zip(self.paths, o, strict=True)}


class _Gen:
    def __init__(self) -> None:
        self.ns: dict[str, Any] = {"_pff": planned_foreign_filing, "_dispute": dispute, "_area": area_in,
                                   "_areas": areas_of, "_after": on_or_after}
        self.lines: list[str] = []
        self.nodes: list[Criterion] = []
        self.paths: list[str] = []
        self.kinds: list[str] = []
        self.kids: list[tuple[int, ...]] = []

    def const(self, value: Any) -> str:
        name = f"c{len(self.ns)}"
        self.ns[name] = value
        return name

    def arg(self, value: Any) -> str:
        """An expression for a predicate's argument: a constant, or the program's parameter on the date."""
        if isinstance(value, str) and value.startswith("$"):
            return f"rp[{self.const(value[1:])}]"
        return self.const(value)

    def node(self, c: Criterion, prefix: str) -> int:
        i = len(self.nodes)
        self.nodes.append(c)
        self.paths.append(prefix + c.id)
        self.kinds.append("")
        self.kids.append(())
        if c.test is not None:
            self.kinds[i] = "test"
            self.test(i, c.test.predicate, dict(c.test.model_extra or {}))
            return i
        if c.not_ is not None:
            kid = self.node(c.not_, prefix + c.id + "/")
            self.kinds[i], self.kids[i] = "not", (kid,)
            self.lines.append(f"o[{i}] = 2 - o[{kid}]")
            return i
        kids = tuple(self.node(k, prefix + c.id + "/") for k in (c.any or c.all or []))
        kind = "any" if c.any is not None else "all"
        self.kinds[i], self.kids[i] = kind, kids
        if not kids:
            self.lines.append(f"o[{i}] = {0 if kind == 'any' else 2}")
        elif len(kids) == 1:
            self.lines.append(f"o[{i}] = o[{kids[0]}]")
        elif len(kids) == 2:  # max/min of two, without the call
            a, b = kids
            self.lines.append(f"o[{i}] = o[{a}] if o[{a}] {'>=' if kind == 'any' else '<='} o[{b}] else o[{b}]")
        else:
            self.lines.append(f"o[{i}] = {'max' if kind == 'any' else 'min'}({', '.join(f'o[{k}]' for k in kids)})")
        return i

    def term(self, i: int, expr: str) -> None:
        self.lines += [f"t = {expr}", f"o[{i}] = t[0]", f"if o[{i}] == 1:", f"    m[{i}] = t[1]"]

    def fact(self, i: int, fact: Any, then: list[str]) -> bool:
        """`v = p.<fact>`, unknown when absent, else `then`; False when the fact is not a plain profile field."""
        if not (isinstance(fact, str) and fact in ANY_FACTS and fact.isidentifier()):
            return False
        self.lines += [f"v = p.{fact}", "if v is None:", f"    o[{i}] = 1", f"    m[{i}] = {self.const((fact,))}",
                       "else:", *(f"    {line}" for line in then)]
        return True

    def test(self, i: int, name: str, args: dict[str, Any]) -> None:
        fact = args.get("fact")
        if name == "always":
            self.lines.append(f"o[{i}] = 2")
            return
        if name == "definition" and set(args) == {"name"}:
            self.term(i, f"d[{self.arg(args['name'])}]")
            return
        if name in ("fact_in", "prefecture_in") and set(args) <= {"fact", "values"}:
            fact = "prefecture" if name == "prefecture_in" else fact
            if self.fact(i, fact, [f"o[{i}] = 2 if v in {self.arg(args.get('values'))} else 0"]):
                return
        if name == "fact_true" and set(args) == {"fact"} and self.fact(i, fact, [f"o[{i}] = 2 if v else 0"]):
            return
        if name == "fact_contains" and set(args) == {"fact", "value"} and self.fact(
                i, fact, [f"o[{i}] = 2 if {self.arg(args['value'])} in v else 0"]):
            return
        if name == "fact_nonempty" and set(args) == {"fact"} and self.fact(i, fact, [f"o[{i}] = 2 if v else 0"]):
            return
        # A plan answered 「いいえ」 (litigation_insurance: false) is unmet, as p_fact_present says.
        if name == "fact_present" and set(args) == {"fact"} and self.fact(i, fact, [f"o[{i}] = 0 if v is False else 2"]):
            return
        if name == "fact_assumed" and set(args) == {"fact", "expect"} and isinstance(fact, str) \
                and fact in ANY_FACTS and fact.isidentifier():
            self.lines += [f"v = p.{fact}", f"o[{i}] = 2 if v is None or v is {self.arg(args['expect'])} else 0"]
            return
        if name == "planned_foreign_filing" and not args:
            self.term(i, "_pff(p)")
            return
        if name == "dispute" and set(args) <= {"kind", "requires"}:
            self.term(i, f"_dispute(p, {self.arg(args.get('kind'))}, {self.arg(args.get('requires'))})")
            return
        if name == "area_in" and set(args) == {"values"}:
            values = args["values"]
            areas = self.arg(values) if isinstance(values, str) else self.const(areas_of(values))
            self.term(i, f"_area(p, {'_areas(' + areas + ')' if isinstance(values, str) else areas})")
            return
        if name == "on_or_after" and set(args) == {"date"}:
            self.lines.append(f"o[{i}] = _after(as_of, {self.arg(args['date'])})")
            return
        # Anything else: the reference predicate, outcome and missing facts taken from its Check.
        self.term(i, f"slow({self.const(PREDICATES[name].fn)}, {self.const(args)}, rp)")


def compile_plan(program_id: str, criteria: list[Criterion]) -> Plan:
    """Generate and compile the function `run(p, d, rp, as_of, slow) -> (outcomes, missing, outcome)` of one program:
    `p` the profile, `d` the definitions' terms, `rp` the program's parameters on the date, `slow(fn, args, rp)`
    the reference predicate as a term."""
    g = _Gen()
    tops = tuple(g.node(c, "") for c in criteria)
    top = f"min({', '.join(f'o{t}' for t in tops)})" if len(tops) > 1 else f"o{tops[0]}" if tops else "2"
    # Each outcome a local variable (o3) while the function runs, the array built at the end: faster than
    # storing into the list criterion by criterion.
    lines = [_LOCAL.sub(r"o\1", line) for line in g.lines]
    body = ["m = {}", *lines, f"o = [{', '.join(f'o{i}' for i in range(len(g.nodes)))}]", f"return o, m, {top}"]
    source = "def run(p, d, rp, as_of, slow):\n" + "".join(f"    {line}\n" for line in body)
    code = compile(source, f"<plan {program_id}>", "exec")
    exec(code, g.ns)  # noqa: S102 - our own generated source; every catalog value is a namespace constant
    miss = missing_source(tuple(g.kinds), tuple(g.kids), tops)
    exec(compile(miss, f"<plan {program_id} missing>", "exec"), g.ns)  # noqa: S102 - generated from the shape
    return Plan(program_id, g.ns["run"], tuple(g.paths), tuple(g.kinds), tuple(g.kids), tops, tuple(g.nodes),
                source, missing_of=g.ns["missing_of"])


def missing_source(kinds: tuple[str, ...], kids: tuple[tuple[int, ...], ...], tops: tuple[int, ...]) -> str:
    """`Plan.missing` unrolled: the missing facts of every unknown test reached through unknown criteria, in
    order, each once (uniting level by level keeps the first occurrences, as one pass over all of them does)."""
    lines: list[str] = []

    def visit(i: int, pad: str) -> None:
        if kinds[i] == "test":
            lines.append(f"{pad}r += m[{i}]")
        elif kinds[i] == "not":
            visit(kids[i][0], pad)  # a negation is unknown exactly when its criterion is
        else:
            for k in kids[i]:
                lines.append(f"{pad}if o[{k}] == 1:")
                visit(k, pad + "    ")

    for t in tops:
        lines.append(f"if o[{t}] == 1:")
        visit(t, "    ")
    # An any/all without criteria is never unknown: its `if` has no body, given `pass`.
    body: list[str] = []
    for n, line in enumerate(lines):
        body.append(line)
        nxt = lines[n + 1] if n + 1 < len(lines) else ""
        if line.endswith(":") and len(nxt) - len(nxt.lstrip()) <= len(line) - len(line.lstrip()):
            body.append(line[:len(line) - len(line.lstrip())] + "    pass")
    return ("def missing_of(o, m):\n    r = []\n" + "".join(f"    {line}\n" for line in body)
            + "    return list(dict.fromkeys(r)) if len(r) > 1 else r\n")


def slow_term(ctx_of: Callable[[], Ctx]) -> Callable[[Callable[..., Any], dict[str, Any], dict[str, Any]], Term]:
    """The `slow` callback: runs a reference predicate on a lazily built context."""
    def slow(fn: Callable[..., Any], args: dict[str, Any], rp: dict[str, Any]) -> Term:
        given = {k: rp[v[1:]] if isinstance(v, str) and v.startswith("$") else v for k, v in args.items()}
        check = fn(ctx_of(), **given)
        return FROM_OUTCOME[check.outcome], tuple(check.missing)
    return slow


_CONST = re.compile(r"\bc(\d+)\b")
_OUT = re.compile(r"\bo(\d+)\b")


def compile_table(plans: Sequence[Plan]) -> Callable[..., tuple[list[tuple[list[int], dict[int, tuple[str, ...]], int]],
                                                                 list[list[str]]]]:
    """One generated function for many plans (a date's table): `run_all(p, d, rps, as_of, slow) -> (runs,
    missing)`, `runs` what each plan's `run` returns (with `rps` their parameters, in order) and `missing` the
    facts an unknown program misses (`missing_of`), else an empty list. The plans' own sources, one after
    the other, their constants and outcomes renamed per plan: a call, a tuple and a list step less per program."""
    ns: dict[str, Any] = {}
    out = ["def run_all(p, d, rps, as_of, slow):", "    runs = []", "    missing = []"]
    for k, plan in enumerate(plans):
        if plan.missing_of is None or not plan.source.startswith("def run(p, d, rp, as_of, slow):\n"):
            raise ValueError(f"{plan.program_id}: not a plan of compile_plan")
        for name, value in plan.run.__globals__.items():
            if _CONST.fullmatch(name):
                ns[f"{name}_{k}"] = value
            elif name.startswith("_") and not name.startswith("__"):
                ns[name] = value
        ns[f"missing_of_{k}"] = plan.missing_of
        out.append(f"    rp = rps[{k}]")
        for line in plan.source.splitlines()[1:]:
            line = _OUT.sub(rf"o{k}_\1", _CONST.sub(rf"c\1_{k}", line))
            if line.startswith("    return o, m, "):
                out += [f"    x = {line[len('    return o, m, '):]}", "    runs.append((o, m, x))",
                        f"    missing.append(missing_of_{k}(o, m) if x == 1 else [])"]
            else:
                out.append(line)
    out.append("    return runs, missing")
    exec(compile("\n".join(out) + "\n", "<plans>", "exec"), ns)  # noqa: S102 - the plans' generated sources
    return ns["run_all"]  # type: ignore[no-any-return]

"""Many profiles of one reference date screened over whole columns: `screen_table` (issue 15, item 4)."""

# `screen_table(engine, profiles, now)` returns what `ScreenTable.from_screenings([engine.screen(p, now) …])`
# returns, evaluated with numpy: the fields the plans, definitions and phase read are extracted into columns in
# one pass (eligibility/columnar_defs.py), each distinct test is evaluated once over all rows, and each plan's tree
# is combined with np.minimum / np.maximum / 2 - x in its node order. Missing facts are interned tuples, each
# distinct pair united once, in the reference's order. A predicate or definition without a column form runs the
# reference per row (correct first, fast second); estimates run per met row, the phase once per distinct input,
# windows once per area and program. tests/test_columnar_screen.py holds the table equal to the one made one
# screening at a time.

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeGuard

import numpy as np

from eligibility.columnar_defs import (
    COLUMN_DEFINITIONS,
    DEFINITION_FIELDS,
    VT,
    Columns,
    Facts,
    codes_of,
    extract,
    threshold,
)
from eligibility.compiled import CompiledEngine
from eligibility.dates import fiscal_year
from eligibility.definitions import DEFINITIONS, Params
from eligibility.fastdefs import FAST_DEFINITIONS, Term
from eligibility.phase import infer_phase
from eligibility.plan import FROM_OUTCOME, Plan, area_in, areas_of, on_or_after, slow_term
from eligibility.predicates import ANY_FACTS, PREDICATES, Ctx
from eligibility.profile import Profile, today_tokyo
from eligibility.screen_table import ScreenTable
from eligibility.windows import Window, moment
from programs.schema import Criterion


def _plain(fact: Any) -> TypeGuard[str]:
    """A fact the generated plan reads as `p.<fact>` (eligibility/plan.py `_Gen.fact`)."""
    return isinstance(fact, str) and fact in ANY_FACTS and fact.isidentifier()


class _Eval:
    """One table's evaluation: the columns, the definitions' terms and every distinct test, each computed once."""

    def __init__(self, engine: CompiledEngine, profiles: Sequence[Profile], as_of: dt.date,
                 values: dict[str, Sequence[Any]] | None = None) -> None:
        self.engine, self.profiles, self.as_of, self.n = engine, profiles, as_of, len(profiles)
        self.prm: Params = engine.params_at(as_of)
        self.fast = engine.fast_params(as_of)
        self.facts = Facts()
        self.cols = Columns(profiles, as_of, self.facts, values)
        self.tests: dict[Any, VT] = {}
        self.defs: dict[str, VT] = {}
        self._ctx: dict[int, Ctx] = {}
        places = list(zip(self.cols.values("prefecture"), self.cols.values("municipality"), strict=True))
        self.place, self.places = codes_of(places)
        # codes are given in order of first appearance: the first row of each area, for its window and area tests
        self.first = np.unique(self.place, return_index=True)[1].tolist()

    # --- per row, with the reference ---

    def ctx(self, i: int) -> Ctx:
        hit = self._ctx.get(i)
        if hit is None:  # one context per row, its definitions memo shared, as one screening's (compiled.Lazy)
            hit = self._ctx[i] = Ctx(self.profiles[i], self.as_of, self.prm, {})
        return hit

    def rows(self, term: Callable[[int], Term]) -> VT:
        """A term computed row by row."""
        o = np.empty(self.n, dtype=np.int8)
        c = np.zeros(self.n, dtype=np.int32)
        code = self.facts.code
        for i in range(self.n):
            v, missing = term(i)
            o[i] = v
            if v == 1:
                c[i] = code(tuple(missing))
        return VT(o, c)

    def slow(self, fn: Callable[..., Any], args: dict[str, Any], rp: dict[str, Any]) -> VT:
        return self.rows(lambda i: slow_term(lambda: self.ctx(i))(fn, args, rp))

    # --- definitions ---

    def definition(self, name: str) -> VT:
        hit = self.defs.get(name)
        if hit is None:
            col = COLUMN_DEFINITIONS.get(name)
            fast = FAST_DEFINITIONS.get(name)
            if col is not None:
                hit = col(self.cols, self.fast)
            elif fast is not None:  # as CompiledEngine.terms: the fast definition, else the reference one
                hit = self.rows(lambda i: fast(self.profiles[i], self.as_of, self.fast))
            else:
                ref = DEFINITIONS[name]

                def one(i: int) -> Term:
                    c = ref(self.profiles[i], self.as_of, self.prm)
                    return FROM_OUTCOME[c.outcome], tuple(c.missing)
                hit = self.rows(one)
            self.defs[name] = hit
        return hit

    # --- tests (eligibility/plan.py `_Gen.test`, the same conditions for the same fast forms) ---

    def fact(self, fact: str, fn: Callable[[Any], int]) -> VT:
        """A test on one fact: unknown when absent, else `fn(value)`, worked out once per distinct value."""
        return self.cols.term(self.cols.map(fact, lambda v: 1 if v is None else fn(v)), (fact,))

    def const(self, o: int) -> VT:
        return VT(np.full(self.n, o, dtype=np.int8), np.zeros(self.n, dtype=np.int32))

    def test(self, c: Criterion, rp: dict[str, Any]) -> VT:
        assert c.test is not None
        name, args = c.test.predicate, dict(c.test.model_extra or {})

        def arg(v: Any) -> Any:  # `_Gen.arg`: "$name" is the program's parameter on the date
            return rp[v[1:]] if isinstance(v, str) and v.startswith("$") else v
        key = (name, repr(sorted((k, arg(v)) for k, v in args.items())))
        hit = self.tests.get(key)
        if hit is None:
            hit = self.tests[key] = self._test(name, args, arg, rp)
        return hit

    def _test(self, name: str, args: dict[str, Any], arg: Callable[[Any], Any], rp: dict[str, Any]) -> VT:
        fact = args.get("fact")
        if name == "always":
            return self.const(2)
        if name == "definition" and set(args) == {"name"}:
            return self.definition(arg(args["name"]))
        if name in ("fact_in", "prefecture_in") and set(args) <= {"fact", "values"}:
            fact = "prefecture" if name == "prefecture_in" else fact
            values = arg(args.get("values"))
            if _plain(fact):
                return self.fact(fact, lambda v: 2 if v in values else 0)
        if name in ("fact_true", "fact_nonempty") and set(args) == {"fact"} and _plain(fact):
            return self.fact(fact, lambda v: 2 if v else 0)
        if name == "fact_contains" and set(args) == {"fact", "value"} and _plain(fact):
            value = arg(args["value"])
            return self.fact(fact, lambda v: 2 if value in v else 0)
        # A plan answered 「いいえ」 (litigation_insurance: false) is unmet, as p_fact_present says.
        if name == "fact_present" and set(args) == {"fact"} and _plain(fact):
            return self.fact(fact, lambda v: 0 if v is False else 2)
        if name == "fact_assumed" and set(args) == {"fact", "expect"} and _plain(fact):
            expect = arg(args["expect"])
            return VT(self.cols.map(fact, lambda v: 2 if v is None or v is expect else 0),
                      np.zeros(self.n, dtype=np.int32))
        if name == "planned_foreign_filing" and not args:
            return self.planned_foreign_filing()
        if name == "dispute" and set(args) <= {"kind", "requires"}:
            return self.dispute(arg(args.get("kind")), arg(args.get("requires")))
        if name == "area_in" and set(args) == {"values"}:
            return self.area(areas_of(arg(args["values"])))
        if name == "on_or_after" and set(args) == {"date"}:
            return self.const(on_or_after(self.as_of, arg(args["date"])))
        return self.slow(PREDICATES[name].fn, args, rp)

    def planned_foreign_filing(self) -> VT:
        """eligibility/plan.py `planned_foreign_filing` over the flattened filings."""
        cols, name = self.cols, "foreign_filings"
        absent = cols.flat(name)[2]
        planned = cols.any_item(name, cols.item_map(name, "already_filed", lambda v: v is False))
        undecided = cols.any_item(name, cols.item_map(name, "already_filed", lambda v: v is None))
        o = np.where(absent, 1, np.where(planned, 2, np.where(undecided, 1, 0)))
        return cols.term(o, ("foreign_filings",))

    def dispute(self, kind: Any, requires: Any) -> VT:
        """eligibility/plan.py `dispute` over the flattened disputes."""
        cols, name = self.cols, "overseas_disputes"
        absent = cols.flat(name)[2]
        same = cols.item_map(name, "kind", lambda v: v == kind)
        unsure_kind = cols.any_item(name, cols.item_map(name, "kind", lambda v: v is None))
        if requires is None:
            ok = cols.any_item(name, same)
            undecided = ~ok & unsure_kind
        else:
            ok = cols.any_item(name, same & cols.item_map(name, requires, lambda v: v is True))
            open_ = cols.any_item(name, same & cols.item_map(name, requires, lambda v: v is None))
            undecided = ~ok & (open_ | unsure_kind)
        o = np.where(absent, 1, np.where(ok, 2, np.where(undecided, 1, 0)))
        return cols.term(o, ("overseas_disputes",))

    def area(self, areas: list[tuple[str | None, str | None]]) -> VT:
        """eligibility/plan.py `area_in`, once per distinct (prefecture, municipality)."""
        terms = [area_in(self.profiles[i], areas) for i in self.first]
        o = np.array([t[0] for t in terms], dtype=np.int8)[self.place]
        c = np.array([self.facts.code(tuple(t[1])) if t[0] == 1 else 0 for t in terms], dtype=np.int32)[self.place]
        return VT(o, c)

    def phases(self) -> list[str | None]:
        """`infer_phase(…).value` per row, called once per distinct combination of what it reads
        (eligibility/phase.py): the stated phase, a planned foreign filing, a dispute, an insurance answer, the
        applicant type, founded within the concept years (or not given), and an interest in going abroad."""
        cols, years = self.cols, self.prm.concept_years
        stated, stateds = cols.cat("phase")
        kind, kinds = cols.cat("applicant_type")
        filings, founded = "foreign_filings", cols.ordinals("established_on")
        parts = [
            (stated, len(stateds)),
            (cols.any_item(filings, cols.item_map(filings, "already_filed", lambda v: v is False)), 2),
            (cols.map("overseas_disputes", bool, bool), 2),
            (cols.map("litigation_insurance", lambda v: v is not None, bool), 2),
            (kind, len(kinds)),
            (np.where(np.isnan(founded), 0, np.where(founded >= threshold(self.as_of, years), 1, 2)), 3),
            (cols.map("interests", lambda v: v is not None and "overseas" in v, bool), 2),
        ]
        key = np.zeros(self.n, dtype=np.int64)
        for part, size in parts:
            key = key * size + part
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        values = np.empty(len(first), dtype=object)
        values[:] = [infer_phase(self.profiles[i], self.as_of, years).value for i in first.tolist()]
        out: list[str | None] = values[inverse.reshape(-1)].tolist()
        return out

    # --- a plan's tree ---

    def unite(self, o: np.ndarray, kids: Sequence[int], cs: list[np.ndarray]) -> np.ndarray:
        """The missing facts where `o` is unknown: the union of the unknown kids' in kid order (`Plan.missing`);
        a kid's codes are 0 where it is not unknown, so every kid can be united."""
        out = np.zeros(self.n, dtype=np.int32)
        rows = np.flatnonzero(o == 1)
        if len(rows):
            acc = np.zeros(len(rows), dtype=np.int32)
            for k in kids:
                ck = cs[k][rows]
                if ck.any():
                    acc = self.facts.union(acc, ck)
            out[rows] = acc
        return out

    def walk(self, plan: Plan, rp: dict[str, Any]) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
        """Every criterion's outcomes and missing-fact codes (plan order), the program's outcome and its codes."""
        size = len(plan.nodes)
        os: list[np.ndarray] = [np.empty(0, dtype=np.int8)] * size
        cs: list[np.ndarray] = [np.empty(0, dtype=np.int32)] * size
        for i in reversed(range(size)):  # pre-order: every kid's index is above its parent's
            kind, kids = plan.kinds[i], plan.kids[i]
            if kind == "test":
                os[i], cs[i] = self.test(plan.nodes[i], rp)
            elif kind == "not":
                os[i], cs[i] = (2 - os[kids[0]]).astype(np.int8), cs[kids[0]]
            elif not kids:
                os[i], cs[i] = self.const(0 if kind == "any" else 2)
            elif len(kids) == 1:
                os[i], cs[i] = os[kids[0]], cs[kids[0]]
            else:
                combine = np.maximum if kind == "any" else np.minimum
                o = os[kids[0]]
                for k in kids[1:]:
                    o = combine(o, os[k])
                os[i], cs[i] = o, self.unite(o, kids, cs)
        if plan.tops:
            top = os[plan.tops[0]]
            for k in plan.tops[1:]:
                top = np.minimum(top, os[k])
        else:
            top = np.full(self.n, 2, dtype=np.int8)
        return os, cs, top, self.unite(top, plan.tops, cs)


def _fields(plans: Iterable[Plan]) -> tuple[str, ...]:
    """The profile fields read for a table: the date and prior awards (the checks below), the windows' areas, what
    the phase reads (eligibility/phase.py) and what the column forms of the plans' tests read."""
    out = dict.fromkeys(("as_of", "prior_awards", "prefecture", "municipality", "phase", "foreign_filings",
                         "overseas_disputes", "litigation_insurance", "applicant_type", "established_on", "interests"))
    for plan in plans:
        for c, kind in zip(plan.nodes, plan.kinds, strict=True):
            if kind != "test" or c.test is None:
                continue
            name, fact = c.test.predicate, (c.test.model_extra or {}).get("fact")
            if _plain(fact):
                out[fact] = None
            if name == "definition":
                out.update(dict.fromkeys(DEFINITION_FIELDS))
    return tuple(out)


def _validated(engine: CompiledEngine, profiles: Sequence[Any]) -> tuple[list[Profile], dict[str, Sequence[Any]]]:
    """The profiles as `engine.validate` leaves them (one naming an unknown program in its prior awards is refused
    the same way), and their fields read for the table."""
    ps = [p if type(p) is Profile else engine.validate(p) for p in profiles]
    values = extract(ps, _fields(engine.plans.values()))
    known = engine.catalog.programs
    for p, awards in zip(ps, values["prior_awards"], strict=True):
        if awards and any(a.program_id not in known for a in awards):
            engine.validate(p)
    return ps, values


def screen_table(engine: CompiledEngine, profiles: Sequence[Profile], now: dt.datetime | None = None) -> ScreenTable:
    """`ScreenTable.from_screenings([engine.screen(p, now) for p in profiles])`, over whole columns; all profiles
    must share one reference date (ValueError otherwise, as for an empty list)."""
    if not profiles:
        raise ValueError("no profile")
    ps, values = _validated(engine, profiles)
    dates = set(values["as_of"])
    today = today_tokyo() if None in dates else None
    dates = {today if d is None else d for d in dates}
    if len(dates) != 1:
        raise ValueError(f"one reference date per table, not {sorted(str(d) for d in dates)}")
    as_of = dates.pop()
    assert as_of is not None
    if now is None and as_of == today_tokyo():
        now = dt.datetime.now(dt.UTC)
    at = moment(as_of, now)
    ts = at.timestamp()
    ev = _Eval(engine, ps, as_of, values)
    n = len(ps)
    fy = fiscal_year(as_of, ev.prm.fy_start_month)
    table = engine.table(as_of)
    status = np.zeros((n, len(table)), dtype=np.int8)
    amount = np.full((n, len(table)), np.nan)
    has_estimate = np.zeros((n, len(table)), dtype=bool)
    outcomes: list[np.ndarray] = []
    missing: list[list[tuple[str, ...]]] = []
    windows: list[list[Window | None]] = []
    place = ev.place.tolist()
    for j, (prog, plan, rp, bp, method, _alternatives) in enumerate(table):
        os, _, top, codes = ev.walk(plan, rp)
        status[:, j] = top
        outcomes.append(np.stack(os, axis=1) if os else np.zeros((n, 0), dtype=np.int8))
        missing.append(ev.facts.objects()[codes].tolist())
        wins: list[Window | None] = [engine.cached_window(prog, ps[i], at, ts) for i in ev.first]
        shared = np.empty(len(wins), dtype=object)
        shared[:] = wins
        windows.append(shared[ev.place].tolist())
        if method is None:
            continue
        for r in np.flatnonzero(top == 2).tolist():  # as CompiledEngine.screen, per met row
            win = wins[place[r]]
            cap_year = win.fiscal_year if win is not None and win.fiscal_year is not None else fy
            res = method(prog.id, ps[r], cap_year, bp)
            missing[j][r] = tuple(res.missing)
            if res.estimate is not None:
                has_estimate[r, j] = True
                if res.estimate.amount_yen is not None:
                    amount[r, j] = res.estimate.amount_yen
    phase = ev.phases()
    return ScreenTable(as_of, tuple(prog.id for prog, *_ in table), ps, status, tuple(outcomes), tuple(missing),
                       amount, has_estimate, tuple(windows), phase)

"""The compiled engine: the reference engine's answers from generated plans, texts rendered only when read.

`CompiledEngine.screen` returns the same `Screening` as `Engine.screen` (statuses, missing facts, estimates,
windows, phase), with every criterion's outcome recorded in an array per program; the per-program result
objects are built when `results` is first read (then kept). The traces (labels,
details, sources) and the definitions' details are built by the reference code (`engine._run`, the
definitions) the first time a reader asks for them, so a change to their texts carries over.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from eligibility.dates import fiscal_year
from eligibility.definitions import DEFINITIONS
from eligibility.engine import (
    STATUS,
    Engine,
    Node,
    ProgramResult,
    Screening,
    Trace,
    _run,
    join_detail,
    not_detail,
    provisional_detail,
)
from eligibility.estimates import METHODS, Estimate
from eligibility.fastdefs import FAST_DEFINITIONS, FastParams, Term, all_terms
from eligibility.logic import Check, Outcome
from eligibility.phase import infer_phase
from eligibility.plan import FROM_OUTCOME, OUTCOMES, Plan, compile_plan, compile_table, slow_term
from eligibility.predicates import Ctx
from eligibility.profile import Profile, today_tokyo
from eligibility.windows import JST, Window, _shift, moment
from programs.loader import Catalog
from programs.schema import Program

_STATUS = tuple(STATUS[o] for o in OUTCOMES)
_VALUES = tuple(o.value for o in OUTCOMES)  # as `Plan.criteria` spells them, without the enum's property
_KNOWN_FIELDS = [f.name for f in dataclasses.fields(ProgramResult)] == [
    "program", "status", "reasons", "missing_facts", "estimate", "rank", "score", "signals", "recommendation_ja",
    "recommendation_en", "window", "alternatives"]
_KNOWN_SCREENING = [f.name for f in dataclasses.fields(Screening)] == [
    "as_of", "profile", "phase", "definitions", "results", "catalog_version", "definition_sources",
    "definition_labels", "model_version", "at"]


class Lazy:
    """What rendering a screening's texts needs, shared by its results: the context with its definitions memo."""

    __slots__ = ("_ctx", "as_of", "engine", "prm", "profile")

    def __init__(self, engine: CompiledEngine, profile: Profile, as_of: dt.date) -> None:
        self.engine, self.profile, self.as_of = engine, profile, as_of
        self.prm = engine.params_at(as_of)
        self._ctx: Ctx | None = None

    def ctx(self) -> Ctx:
        if self._ctx is None:
            self._ctx = Ctx(self.profile, self.as_of, self.prm, {})
        return self._ctx


_new = object.__new__


class CompiledResult(ProgramResult):
    """A program's result whose `reasons` (the traces) are built on first read; `outcomes` holds every
    criterion's outcome (0 unmet, 1 unknown, 2 met) in the plan's order."""

    _reasons: list[Trace] | None = None

    def __init__(self, program: Program, status: str, missing: list[str], estimate: Estimate | None,
                 window: Window | None, alternatives: tuple[str, ...], plan: Plan, outcomes: list[int],
                 missing_by: dict[int, tuple[str, ...]], rule_params: dict[str, Any], lazy: Lazy) -> None:
        if not _KNOWN_FIELDS:  # ProgramResult has gained a field: its own __init__ (slower, always right)
            super().__init__(program, status, None, missing, estimate, window=window,  # type: ignore[arg-type]
                             alternatives=alternatives)
        else:  # the dataclass's __init__, written out (a fifth of a screening's time went there)
            self.__dict__.update(
                program=program, status=status, _reasons=None, missing_facts=missing, estimate=estimate, rank=None,
                score=0.0, signals=[], window=window,
                alternatives=alternatives)
        self.plan, self.outcomes, self.missing_by = plan, outcomes, missing_by
        self.rule_params, self.lazy = rule_params, lazy

    @classmethod
    def build(cls, program: Program, status: str, missing: list[str], estimate: Estimate | None,
              window: Window | None, alternatives: tuple[str, ...], plan: Plan, outcomes: list[int],
              missing_by: dict[int, tuple[str, ...]], rule_params: dict[str, Any], lazy: Lazy) -> CompiledResult:
        """As the constructor, its attributes set in one dict (the constructor's call and keywords cost more);
        `_reasons`, `rank` and `score` start as the class's defaults (None, None, 0.0) until set, which keeps the
        dict small enough to be built without growing (a fifth of the time)."""
        if not _KNOWN_FIELDS:
            return cls(program, status, missing, estimate, window, alternatives, plan, outcomes, missing_by,
                       rule_params, lazy)
        r = _new(cls)
        r.__dict__ = {
            "program": program, "status": status, "missing_facts": missing, "estimate": estimate, "signals": [],
            "window": window, "alternatives": alternatives,
            "plan": plan, "outcomes": outcomes, "missing_by": missing_by, "rule_params": rule_params, "lazy": lazy}
        return r

    @property  # type: ignore[override]
    def reasons(self) -> list[Trace]:
        if self._reasons is None:
            self._reasons = [self.top_trace(k) for k in range(len(self.plan.tops))]
        return self._reasons

    @reasons.setter
    def reasons(self, value: list[Trace] | None) -> None:
        self._reasons = value

    # The recommendation sentences (matching/reasons.py): (ja, en), or what makes them on first read (the
    # API's default answer and the stored row do not read them; the pages and `?include=texts` do).
    @property  # type: ignore[override]
    def recommendation_ja(self) -> list[str]:
        return self._recommendation()[0]

    @recommendation_ja.setter
    def recommendation_ja(self, value: list[str]) -> None:
        self.__dict__["_rec"] = (value, self._recommendation()[1])

    @property  # type: ignore[override]
    def recommendation_en(self) -> list[str]:
        return self._recommendation()[1]

    @recommendation_en.setter
    def recommendation_en(self, value: list[str]) -> None:
        self.__dict__["_rec"] = (self._recommendation()[0], value)

    def defer_recommendation(self, make: Callable[[], tuple[list[str], list[str]]]) -> None:
        """Set the recommendation sentences (ja, en) to what `make()` returns, called when first read."""
        self.__dict__["_rec"] = make

    def _recommendation(self) -> tuple[list[str], list[str]]:
        rec = self.__dict__.get("_rec")
        if rec is None:
            rec = self.__dict__["_rec"] = ([], [])
        elif callable(rec):
            rec = self.__dict__["_rec"] = rec()
        return rec  # type: ignore[no-any-return]

    def top_trace(self, k: int) -> Trace:
        """The k-th top-level criterion's trace, rendered alone (a reader that needs only some of them)."""
        if self._reasons is not None:
            return self._reasons[k]
        done = self.__dict__.setdefault("_tops", {})
        hit = done.get(k)
        if hit is None:
            node = self.lazy.engine.compiled[self.program.id][k]
            hit = done[k] = _run(node, self.rule_params, self.lazy.ctx())
        return hit

    def label_only(self, k: int) -> Trace:
        """The k-th top-level criterion as a trace with its label and outcome only (for a reader that needs no
        more, the ranking's reasons); the rendered one when it already is."""
        done = self.__dict__.get("_tops") or {}
        if self._reasons is not None or k in done:
            return self.top_trace(k)
        node = self.lazy.engine.compiled[self.program.id][k]
        return Trace(node.id, node.label[0], node.label[1], OUTCOMES[self.outcomes[self.plan.tops[k]]], "", "", {}, [],
                     node.source, node.provisional)

    def top_line(self, k: int, lang: str = "ja") -> dict[str, Any]:
        """The k-th top-level criterion's `criterion`, `outcome`, `detail`, `source` and `source_url`, as its
        trace's `as_dict(lang)` has them, without rendering its subtree: an any/all criterion's detail from
        its criteria's labels and recorded outcomes, a test's from one predicate call, a negation's from its
        criterion's (tests/api/test_lean.py holds them equal to the rendered ones)."""
        done = self.__dict__.get("_tops")
        if self._reasons is not None or (done and k in done):
            t = self.top_trace(k)
            outcome, ja, en, src = t.outcome, t.detail_ja, t.detail_en, t.source
            node_id = t.criterion
        else:
            node = self.lazy.engine.compiled[self.program.id][k]
            outcome, ja, en, src = self._line(node, self.plan.tops[k])
            node_id = node.id
        return {"criterion": node_id, "outcome": outcome.value, "detail": ja if lang == "ja" else en,
                "source": src.text(lang) if src else None, "source_url": src.href if src else None}

    def _line(self, node: Node, i: int) -> tuple[Outcome, str, str, Any]:
        """Criterion i's (outcome, detail_ja, detail_en, source) as `engine._run` renders them (`node` its
        compiled criterion, i its index in the plan)."""
        if node.kind == "test":
            args = node.args
            if node.refs:
                args = {**args, **{a: self.rule_params[args[a][1:]] for a in node.refs}}
            check = node.fn(self.lazy.ctx(), **args)
            outcome, ja, en, src = check.outcome, check.detail_ja, check.detail_en, node.source
        elif node.kind == "not":
            kid = node.children[0]
            ko, kja, ken, ksrc = self._line(kid, self.plan.kids[i][0])
            outcome = ko.negate()
            ja, en = not_detail(kid.label[0], kid.label[1], outcome, kja, ken)
            src = node.source or ksrc
        else:
            o = self.outcomes
            outcome = OUTCOMES[o[i]]
            ja, en = join_detail([(kid.label[0], kid.label[1], OUTCOMES[o[j]])
                                  for kid, j in zip(node.children, self.plan.kids[i], strict=True)], outcome)
            src = node.source
        if node.provisional:
            ja, en = provisional_detail(ja, en)
        return outcome, ja, en, src

    def top_outcomes(self) -> list[int]:
        """Each top-level criterion's outcome (0 unmet, 1 unknown, 2 met), without rendering."""
        return [self.outcomes[i] for i in self.plan.tops]

    @property
    def provisional_rule(self) -> bool:
        """A top-level criterion is provisional (as `any(t.provisional for t in reasons)`, without rendering)."""
        return any(node.provisional for node in self.lazy.engine.compiled[self.program.id])

    def __eq__(self, other: object) -> bool:
        # The dataclass's __eq__ compares `reasons`, which would render them; list.index / remove (the scorer)
        # compare results of different programs, which differ without that.
        if self is other:
            return True
        if isinstance(other, ProgramResult) and other.program_id != self.program_id:
            return False
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def criteria(self) -> dict[str, str]:
        """Every criterion's outcome by path (as `eligibility/outcome.py` stores them), without rendering."""
        return dict(zip(self.plan.paths, map(_VALUES.__getitem__, self.outcomes), strict=True))


# What a screening keeps per program until its results are read: the date's table, the plans' runs
# (outcomes, missing facts by criterion, outcome), the programs' missing facts, estimates and windows.
Rows = tuple[tuple[tuple[Any, ...], ...], list[tuple[list[int], dict[int, tuple[str, ...]], int]], list[list[str]],
             list[Estimate | None], tuple[Window | None, ...]]


class CompiledScreening(Screening):
    """A screening whose results (`CompiledResult`) and definitions' details are built on first read; `terms` holds
    the definitions' outcomes, `statuses` the programs' statuses. The results are built once and kept: readers
    may reorder the list or change a result (the ranking does both)."""

    _definitions: dict[str, Check] | None
    _results: list[ProgramResult] | None

    def __init__(self, terms: dict[str, Term], lazy: Lazy, rows: Rows | None = None, **kw: Any) -> None:
        self._rows = rows
        kw.setdefault("results", None)
        super().__init__(definitions=None, **kw)  # type: ignore[arg-type]
        self.terms, self.lazy = terms, lazy

    @property  # type: ignore[override]
    def definitions(self) -> dict[str, Check]:
        if self._definitions is None:
            ctx = self.lazy.ctx()
            self._definitions = {name: ctx.definition(name) for name in self.definition_labels}
        return self._definitions

    @definitions.setter
    def definitions(self, value: dict[str, Check] | None) -> None:
        self._definitions = value

    @property  # type: ignore[override]
    def results(self) -> list[ProgramResult]:
        got = self._results
        if got is None:
            got = self._build()
            if self._results is None:  # else another thread built them meanwhile: theirs are kept
                self._results = got
            got = self._results
        return got

    @results.setter
    def results(self, value: list[ProgramResult] | None) -> None:
        self._results = value

    def _build(self) -> list[ProgramResult]:
        rows = self._rows
        if rows is None:
            return []
        table, runs, missing, estimates, windows = rows
        lazy = self.lazy
        if not _KNOWN_FIELDS:
            return [CompiledResult(prog, _STATUS[run[2]], miss, est, win, alt, plan, run[0], run[1], rp, lazy)
                    for (prog, plan, rp, _, _, alt), run, miss, est, win
                    in zip(table, runs, missing, estimates, windows, strict=True)]
        out: list[ProgramResult] = []
        for (prog, plan, rp, _, _, alt), run, miss, est, win in zip(table, runs, missing, estimates, windows,
                                                                   strict=True):
            r = _new(CompiledResult)  # as CompiledResult.build, written out (a call less per program)
            r.__dict__ = {
                "program": prog, "status": _STATUS[run[2]], "missing_facts": miss, "estimate": est, "signals": [],
                "window": win, "alternatives": alt, "plan": plan,
                "outcomes": run[0], "missing_by": run[1], "rule_params": rp, "lazy": lazy}
            out.append(r)
        return out

    @property
    def statuses(self) -> list[str]:
        """The programs' statuses in the results' order (read without building the results while unread)."""
        if self._results is not None or self._rows is None:  # built: the results as they are now (reordered…)
            return [r.status for r in self.results]
        return [_STATUS[run[2]] for run in self._rows[1]]

    def definition_outcomes(self) -> dict[str, str]:
        return {k: OUTCOMES[t[0]].value for k, t in self.terms.items()}


class CompiledEngine(Engine):
    """The reference engine's catalog checks, then one generated plan per program (eligibility/plan.py)."""

    def __init__(self, catalog: Catalog):
        super().__init__(catalog)
        self.plans = {p.id: compile_plan(p.id, list(p.eligibility)) for p in catalog.programs.values()}
        self.alternatives = {pid: catalog.alternatives_of(pid) for pid in catalog.programs}
        self._all_fast = list(self.definition_labels) == list(FAST_DEFINITIONS)  # terms: all_terms does them all
        self._windows: dict[tuple[str, str | None, str | None],
                            tuple[float, float, float, float, Window | None]] = {}  # see cached_window
        self._table_windows: dict[tuple[dt.date, str | None, str | None],
                                  tuple[float, float, float, float, tuple[Window | None, ...]]] = {}  # see windows

    def validate(self, data: Any) -> Profile:
        """As `Engine.validate`; a parsed profile whose prior awards all name programs of the catalog (no error to
        report) is taken as it is, without dumping the awards to check them."""
        if type(data) is Profile:
            programs = self.catalog.programs
            if all(a.program_id in programs for a in data.prior_awards or ()):
                return data
        return super().validate(data)

    @lru_cache(maxsize=4096)  # noqa: B019 - one engine per catalog, lives as long as the process
    def fast_params(self, when: dt.date) -> FastParams:
        return FastParams.of(self.params_at(when))

    @lru_cache(maxsize=4096)  # noqa: B019
    def table(self, when: dt.date) -> tuple[tuple[Program, Plan, dict[str, Any], dict[str, Any], Any,
                                                 tuple[str, ...]], ...]:
        """Per program in force on a date: its plan, parameters, estimate method and alternatives."""
        return tuple((prog, self.plans[prog.id], rp, bp, METHODS.get(prog.benefit.method), self.alternatives[prog.id])
                     for prog, rp, bp in self.programs_at(when))

    def terms(self, profile: Profile, as_of: dt.date) -> dict[str, Term]:
        """Every definition's outcome and missing facts (the reference definition where there is no fast one)."""
        f = self.fast_params(as_of)
        if self._all_fast:
            return all_terms(profile, as_of, f)
        out: dict[str, Term] = {}
        for name in self.definition_labels:
            fast = FAST_DEFINITIONS.get(name)
            if fast is not None:
                out[name] = fast(profile, as_of, f)
            else:
                c = DEFINITIONS[name](profile, as_of, self.params_at(as_of))
                out[name] = FROM_OUTCOME[c.outcome], tuple(c.missing)
        return out

    @lru_cache(maxsize=1024)  # noqa: B019
    def boundaries(self, program_id: str) -> tuple[dt.datetime, ...]:
        """Every moment at which a program's window can change, apart from midnight JST: its rounds' openings
        and ends, and the same a year and two years on (the predictions of eligibility/windows.py)."""
        out: set[dt.datetime] = set()
        for r in self.catalog.rounds_for(program_id):
            out.update((r.opens_at, r.ends_at))
            for years in (1, 2):
                out.update(_shift(r, years))
        return tuple(sorted(out))

    def cached_window(self, prog: Program, profile: Profile, at: dt.datetime, ts: float | None = None) -> Window | None:
        """`window`, reused while no round boundary is crossed and the date (JST) is the same: a window depends on
        the moment only through comparisons with those boundaries and through the date. `ts`: `at.timestamp()`."""
        t = at.timestamp() if ts is None else ts
        key = (prog.id, profile.prefecture, profile.municipality)
        hit = self._windows.get(key)
        if hit is not None and hit[0] < t < hit[1] and hit[2] <= t < hit[3]:
            return hit[4]
        win, span = self._window_span(prog, profile, at)
        if span is not None:
            if len(self._windows) > 16384:
                self._windows.clear()
            self._windows[key] = (*span, win)
        return win

    def _window_span(self, prog: Program, profile: Profile, at: dt.datetime) -> tuple[
            Window | None, tuple[float, float, float, float] | None]:
        """A program's window at `at` and while it holds: (after, before) the round boundaries around `at` and
        (from, to) its day in JST, as timestamps; None when `at` is on a boundary (not reused)."""
        win = self.window(prog, profile, at)
        b = self.boundaries(prog.id)
        i = bisect.bisect_left(b, at)
        if i < len(b) and b[i] == at:
            return win, None
        day = dt.datetime.combine(at.astimezone(JST).date(), dt.time(0, 0), JST).timestamp()
        return win, (b[i - 1].timestamp() if i else float("-inf"), b[i].timestamp() if i < len(b) else float("inf"),
                     day, day + 86400.0)

    def windows(self, as_of: dt.date, profile: Profile, at: dt.datetime, ts: float) -> tuple[Window | None, ...]:
        """The window of every program of `table(as_of)` at `at` (`ts` its timestamp), as `cached_window` gives
        them, kept for the area while no program's round boundary is crossed and the date is the same."""
        key = (as_of, profile.prefecture, profile.municipality)
        hit = self._table_windows.get(key)
        if hit is not None and hit[0] < ts < hit[1] and hit[2] <= ts < hit[3]:
            return hit[4]
        lo, hi, reuse, out = float("-inf"), float("inf"), True, []
        for prog, *_ in self.table(as_of):
            win, span = self._window_span(prog, profile, at)
            out.append(win)
            if span is None:
                reuse = False
            else:
                lo, hi = max(lo, span[0]), min(hi, span[1])
                day = span[2]
        wins = tuple(out)
        if reuse and out:
            if len(self._table_windows) > 4096:
                self._table_windows.clear()
            self._table_windows[key] = (lo, hi, day, day + 86400.0, wins)
        return wins

    @lru_cache(maxsize=4096)  # noqa: B019
    def priced(self, when: dt.date) -> tuple[tuple[int, Callable[..., Any], str, dict[str, Any]], ...]:
        """The programs of `table(when)` with an estimate method: (index, method, program id, benefit parameters)."""
        return tuple((k, method, prog.id, bp) for k, (prog, _, _, bp, method, _) in enumerate(self.table(when))
                     if method is not None)

    @lru_cache(maxsize=4096)  # noqa: B019
    def runs(self, when: dt.date) -> tuple[Callable[..., Any], tuple[dict[str, Any], ...]]:
        """`table(when)`'s plans as one generated function (`compile_table`), with their parameters on the date;
        the tables of different dates with the same programs share the function."""
        table = self.table(when)
        return self._run_all(tuple(plan.program_id for _, plan, _, _, _, _ in table)), tuple(rp for _, _, rp, _, _, _
                                                                                          in table)

    @lru_cache(maxsize=64)  # noqa: B019
    def _run_all(self, program_ids: tuple[str, ...]) -> Callable[..., Any]:
        return compile_table([self.plans[pid] for pid in program_ids])

    def screen(self, data: Any, now: dt.datetime | None = None) -> Screening:
        """As `Engine.screen`, from the compiled plans; the results are built, their texts rendered, when first read."""
        profile = self.validate(data)
        as_of = profile.reference_date()
        if now is None and as_of == today_tokyo():
            now = dt.datetime.now(dt.UTC)
        at = moment(as_of, now)
        ts = at.timestamp()
        prm = self.params_at(as_of)
        lazy = Lazy(self, profile, as_of)
        terms = self.terms(profile, as_of)
        slow: Callable[..., Term] = slow_term(lazy.ctx)
        table = self.table(as_of)
        run_all, rps = self.runs(as_of)
        runs, missing = run_all(profile, terms, rps, as_of, slow)
        windows = self.windows(as_of, profile, at, ts)
        estimates: list[Estimate | None] = [None] * len(table)
        fy = None
        for k, method, pid, bp in self.priced(as_of):
            if runs[k][2] != 2:
                continue
            win = windows[k]
            if win is not None and win.fiscal_year is not None:
                cap_year = win.fiscal_year
            else:
                cap_year = fy = fiscal_year(as_of, prm.fy_start_month) if fy is None else fy
            res = method(pid, profile, cap_year, bp)
            estimates[k] = res.estimate
            if res.missing:
                miss = missing[k]
                miss += [x for x in res.missing if x not in miss]
        phase = infer_phase(profile, as_of, prm.concept_years)
        rows = (table, runs, missing, estimates, windows)
        if not _KNOWN_SCREENING:
            return CompiledScreening(
                terms, lazy, rows, as_of=as_of, profile=profile, phase=phase, catalog_version=self.catalog.version,
                definition_sources=self.definition_sources, definition_labels=self.definition_labels, at=at)
        s = _new(CompiledScreening)  # its __init__ written out, as CompiledResult.build
        s.__dict__ = {
            "as_of": as_of, "profile": profile, "phase": phase, "_definitions": None, "_results": None,
            "catalog_version": self.catalog.version, "definition_sources": self.definition_sources,
            "definition_labels": self.definition_labels, "model_version": None, "at": at, "_rows": rows,
            "terms": terms, "lazy": lazy}
        return s

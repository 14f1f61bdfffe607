"""The prior's ranking of a whole ScreenTable over columns: each row's ranks and scores as `Scorer.rank` gives."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

from eligibility.compiled import CompiledEngine
from eligibility.engine import _run
from eligibility.plan import STATIC_FACTS, Plan
from eligibility.predicates import Ctx
from eligibility.profile import Profile
from eligibility.screen_table import ScreenTable
from matching.scorer import (
    FIT_SIGNALS,
    IDENTITY_FACTS,
    LOCATION_FACTS,
    Scorer,
    _needs_something,
    open_to_anyone,
)
from matching.signals import alternatives_of, has_no_ip, needs_in_text, needs_stated, window_status

__all__ = ["rank_table"]

# Status keys as codes: the index into `_STATUS_KEYS` (Scorer.status_key, Scorer.score's open_to_anyone).
_STATUS_KEYS = ("ineligible", "needs_info", "needs_info_need", "eligible", "open_to_anyone", "needs_info_area")
_TIE = 1e-12  # scores closer than this whose fit sums differ: recomputed with math.exp (np.exp may differ by an ulp)


def _codes(values: Iterable[Hashable]) -> tuple[np.ndarray, list[Any]]:
    """Each value's index among the distinct values (first seen first), and those values."""
    seen: dict[Any, int] = {}
    codes = [seen.setdefault(v, len(seen)) for v in values]
    return np.asarray(codes, dtype=np.intp), list(seen)


def _per(keys: list[Any], fn: Callable[[Any], list[Any]], dtype: Any) -> np.ndarray:
    """(distinct keys, P): `fn(key)` for each key, a row over the programs."""
    return np.asarray([fn(k) for k in keys], dtype=dtype).reshape(len(keys), -1)


class _Needs:
    """Concrete needs (scorer.concrete_needs) of one program's column: from the outcomes, rendering only where
    a met test's facts depend on the profile."""

    def __init__(self, engine: CompiledEngine, table: ScreenTable, rule_params: dict[str, dict[str, Any]]) -> None:
        self.engine, self.table, self.rule_params = engine, table, rule_params
        self.prm = engine.params_at(table.as_of)
        self.ctxs: dict[int, Ctx] = {}

    def ctx(self, row: int) -> Ctx:
        hit = self.ctxs.get(row)
        if hit is None:
            hit = self.ctxs[row] = Ctx(self.table.profiles[row], self.table.as_of, self.prm, {})
        return hit

    def trace(self, pid: str, k: int, row: int) -> Any:
        return _run(self.engine.compiled[pid][k], self.rule_params[pid], self.ctx(row))

    def column(self, j: int, plan: Plan, rows: np.ndarray) -> np.ndarray:
        """(N,) bool: a met top-level criterion read a fact beyond IDENTITY_FACTS, for `rows` (False elsewhere)."""
        met_all = self.table.outcomes[j][rows] == 2  # (rows, criteria)
        pid = self.table.program_ids[j]
        out = np.zeros(len(rows), dtype=bool)
        for k, top in enumerate(plan.tops):
            met = met_all[:, top]
            if not met.any():
                continue
            tests = _tests_below(plan, top)
            hits = met_all[:, tests] & met[:, None]
            beyond = np.zeros(len(rows), dtype=bool)
            dynamic = np.zeros(len(rows), dtype=bool)  # a met test whose facts are not known without rendering
            for t in np.flatnonzero(hits.any(axis=0)).tolist():
                hit = hits[:, t]
                names = self._learned(plan, pid, k, top, tests[t], int(rows[np.argmax(hit)]))
                if names is None:
                    dynamic |= hit
                elif any(n not in IDENTITY_FACTS for n in names):
                    beyond |= hit
            for r in np.flatnonzero(dynamic & ~beyond).tolist():
                beyond[r] = _needs_something(self.trace(pid, k, int(rows[r])))
            out |= beyond
        full = np.zeros(len(self.table), dtype=bool)
        full[rows] = out
        return full

    def _learned(self, plan: Plan, pid: str, k: int, top: int, i: int, row: int) -> frozenset[str] | None:
        """A met test's fact names, the same for every profile (learned from one rendered trace, as
        `Plan.learn`); None for a predicate whose facts depend on the profile."""
        test = plan.nodes[i].test
        if test is None or test.predicate not in STATIC_FACTS:
            return None
        names = plan.met_facts.get(i)
        if names is None:
            plan.learn(top, self.trace(pid, k, row))
            names = plan.met_facts.get(i)
        return names


def _tests_below(plan: Plan, i: int) -> list[int]:
    if plan.kinds[i] == "test":
        return [i]
    return [t for k in plan.kids[i] for t in _tests_below(plan, k)]


def _window_status(table: ScreenTable, j: int) -> tuple[np.ndarray, list[str | None]]:
    """Per row the code of the program's window status (matching.signals.window_status) and the statuses;
    the windows are shared objects, each read once."""
    col = table.windows[j]
    ids = np.fromiter(map(id, col), dtype=np.int64, count=len(col))
    uniq, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    status = [window_status(_Win(col[int(i)])) for i in first]
    codes, keys = _codes(status)
    return codes[inverse.reshape(-1)], keys


def _stated(scorer: Scorer, profiles: list[Profile]) -> tuple[np.ndarray, list[set[str]]]:
    """Per row the code of the programs whose need the structured answers state (needs_stated), computed once per
    distinct reading of what DescriptionNeed.stated_by reads: the disputes' kinds, whether an insurance is
    planned, whether a foreign filing is still to be made."""
    rep: dict[tuple[Any, ...], int] = {}
    codes = np.empty(len(profiles), dtype=np.intp)
    for i, p in enumerate(profiles):
        key = (frozenset(d.kind for d in p.overseas_disputes) if p.overseas_disputes else None,
               bool(p.litigation_insurance),
               any(not f.already_filed for f in p.foreign_filings) if p.foreign_filings else False)
        codes[i] = rep.setdefault(key, i)
    firsts, codes = np.unique(codes, return_inverse=True)
    return codes.reshape(-1), [needs_stated(scorer.needs, profiles[int(i)]) for i in firsts]


def rank_table(scorer: Scorer, engine: CompiledEngine, table: ScreenTable) -> tuple[np.ndarray, np.ndarray] | None:
    """(rank, score), both (N, P) in the table's program order: the `rank` (0 for an ineligible result) and the
    final `score` that `scorer.rank` gives each result of each row's screening, computed over whole columns.

    None when that cannot be exact in columns: a learned correction is loaded (`scorer.model`), the scorer is a
    subclass (its rules may differ), or the engine's programs on the date are not the table's. The caller then
    ranks row by row. Plans learn met tests' facts (`Plan.learn`) as the per-row ranking does."""
    if scorer.model is not None or type(scorer) is not Scorer:
        return None
    rows_of_date = engine.table(table.as_of)
    ids = table.program_ids
    if tuple(t[0].id for t in rows_of_date) != ids:
        return None
    n, np_ = len(table), len(ids)
    rank = np.zeros((n, np_), dtype=np.int16)
    score = np.zeros((n, np_), dtype=np.float64)
    if n == 0 or np_ == 0:
        return rank, score
    w = scorer.weights
    progs = [t[0] for t in rows_of_date]
    plans = [t[1] for t in rows_of_date]
    alts = [set(alternatives_of(_Alt(p.id, t[5]), w.alternatives)) for p, t in zip(progs, rows_of_date, strict=True)]
    profiles: list[Profile] = list(table.profiles)
    status = table.status
    live = status != 0

    # Per row: who the applicant is, its interests, its description, its stated needs, no IP yet.
    atype, atypes = _codes(p.applicant_type for p in profiles)
    inter, interests = _codes(frozenset(p.interests) if p.interests else frozenset() for p in profiles)
    desc, descs = _codes(p.description for p in profiles)
    stated_code, stated_sets = _stated(scorer, profiles)
    no_ip_row = np.fromiter((has_no_ip(p) for p in profiles), dtype=bool, count=n)
    phase_code, phases = _codes(table.phase)

    kind = [p.kind for p in progs]
    stated = _per(stated_sets, lambda s: [pid in s for pid in ids], bool)[stated_code]
    described = np.zeros((len(descs), np_), dtype=bool)
    sims = np.zeros((len(descs), np_))
    in_scorer = np.array([pid in scorer.index for pid in ids])
    at = np.array([scorer.index.get(pid, 0) for pid in ids])
    for d, text in enumerate(descs):
        found = needs_in_text(scorer.needs, text)
        described[d] = [pid in found for pid in ids]
        sim = scorer.similarity_vector(text)
        if sim is not None:
            sims[d] = np.where(in_scorer, sim[at], 0.0)
    described, sims = described[desc], sims[desc]

    # needs_info: only who the applicant is unknown (missing ⊆ IDENTITY_FACTS) or the need itself.
    identity = np.zeros((n, np_), dtype=bool)
    area = np.zeros((n, np_), dtype=bool)  # the municipality or prefecture unknown (status_key needs_info_area)
    subset: dict[tuple[str, ...], bool] = {}
    where: dict[tuple[str, ...], bool] = {}
    for j in range(np_):
        rows = np.flatnonzero(status[:, j] == 1)
        if not len(rows):
            continue
        got = list(map(table.missing[j].__getitem__, rows.tolist()))
        for m in dict.fromkeys(got):
            if m not in subset:
                subset[m] = set(m) <= IDENTITY_FACTS
                where[m] = bool(LOCATION_FACTS.intersection(m))
        identity[rows, j] = np.fromiter(map(subset.__getitem__, got), dtype=bool, count=len(got))
        area[rows, j] = np.fromiter(map(where.__getitem__, got), dtype=bool, count=len(got))
    need_key = (status == 1) & ~identity  # status_key(r) == "needs_info_need" (nothing stated)

    # Concrete needs, only where they decide the need signal.
    needs = np.zeros((n, np_), dtype=bool)
    finder = _Needs(engine, table, {p.id: t[2] for p, t in zip(progs, rows_of_date, strict=True)})
    for j in range(np_):
        rows = np.flatnonzero(live[:, j] & ~need_key[:, j] & ~stated[:, j])
        if len(rows):
            needs[:, j] = finder.column(j, plans[j], rows)

    strength = np.array([float(w.need_strength.get(k, 1.0)) for k in kind])
    need = ((needs & ~need_key) | stated) * strength
    desc_need = (described & (need == 0)).astype(np.float64)
    audience = _per(atypes, lambda a: [bool(a) and a in w.audience.get(pid, ()) for pid in ids], np.float64)[atype]
    no_ip = np.where(no_ip_row[:, None], np.array([float(w.no_ip.get(pid, 0.0)) for pid in ids])[None, :], 0.0)
    served = [set(p.interests) for p in progs]
    interest = _per(interests, lambda t: [len(t & x) / len(t) if t else 0.0 for x in served], np.float64)[inter]
    amount = np.where(np.isnan(table.amount) | ~live, 0.0, table.amount)
    top_money = np.where(amount != 0, amount, -np.inf).max(axis=1, keepdims=True)
    top_money[np.isinf(top_money)] = 0.0
    money = np.divide(amount, top_money, out=np.zeros_like(amount), where=(amount != 0) & (top_money != 0))
    phase = _per(phases, lambda v: [(1.0 / len(p.phases)) ** w.phase_specificity if v in p.phases else 0.0
                                    for p in progs], np.float64)[phase_code]
    evidence = (need != 0) | (desc_need != 0) | (audience != 0) | (no_ip != 0) | (interest != 0) | (amount != 0)
    share = np.where(evidence, 1.0, w.context_without_evidence)
    feats = {"need": need, "description_need": desc_need, "audience": audience, "no_ip": no_ip,
             "general": np.broadcast_to(np.array([float(w.general.get(pid, 0.0)) for pid in ids]), (n, np_)),
             "interest": interest, "money": money, "phase": phase * share, "text": sims * share}

    # Scorer.score: the status key, who acts, the window, the fit, the kind's bias.
    stated_key = stated | (described & (desc_need > 0))
    key = np.where(status == 2, 3, np.where(status == 1, np.where(area, 5, np.where(identity | stated_key, 1, 2)), 0))
    anyone = np.array([open_to_anyone(p) for p in progs])
    stated_need = stated | (need != 0) | (desc_need != 0)
    key = np.where((key == 3) & anyone[None, :] & ~stated_need, 4, key)
    base = np.array([float(w.status.get(k, 0.0)) for k in _STATUS_KEYS])[key]
    who = [profiles[int(np.flatnonzero(atype == a)[0])] for a in range(len(atypes))]  # one profile per type
    classes = [[w.action.class_of(p, prof) for p in progs] for prof in who]
    act_f = np.array([[w.action.factor(c) for c in row] for row in classes])[atype]
    lifted = np.array([[c in w.action.lifted for c in row] for row in classes])[atype]
    cls_code, names = _codes(c for row in classes for c in row)
    hits = np.array([[bool(w.action.lifting_interests.get(c, frozenset()) & t) for c in names] for t in interests],
                    dtype=bool).reshape(len(interests), -1)
    by_interest = hits[inter[:, None], cls_code.reshape(len(atypes), np_)[atype]]  # the class's interest is stated
    said = (need != 0) | (desc_need != 0) | (audience != 0)
    act_f = np.where(lifted & (said | by_interest), 1.0, act_f)
    win_code = np.zeros((n, np_), dtype=np.intp)
    win_keys: list[list[str | None]] = []
    win_f = np.ones((n, np_))
    for j in range(np_):
        codes, keys = _window_status(table, j)
        win_code[:, j] = codes
        win_keys.append(keys)
        win_f[:, j] = np.array([float(w.window.get(s, 1.0)) if s else 1.0 for s in keys])[codes]
    total = np.zeros((n, np_))
    for k in FIT_SIGNALS:  # in Scorer.score's order: the same float sum
        total = total + float(w.fit[k]) * feats[k]
    fit = 1.0 - np.exp(-total / w.fit_norm)
    bias = np.array([float(w.kind_bias.get(k, 0.0)) for k in kind])
    factor = base * act_f * win_f
    raw = factor * (w.floor + (1 - w.floor) * fit) + bias
    s = np.clip(raw, 0.0, 1.0)
    s[~live] = 0.0
    exact = (raw < -_TIE) | (raw > 1.0 + _TIE) | (total == 0)  # the same whatever an ulp of exp

    # The columns by catalog index, then table order: a stable sort of -score within a row then ties as
    # `sorted(key=(-score, index))` does.
    perm = np.lexsort((np.arange(np_), np.array([scorer.index.get(pid, 0) for pid in ids])))

    def order() -> np.ndarray:
        return perm[np.argsort(np.where(live, -s, np.inf)[:, perm], axis=1, kind="stable")]

    srt = order()
    # np.exp may differ from math.exp by an ulp: where two scores (nearly) tie on different fit sums, the row is
    # scored again with math.exp, as Scorer.score does.
    flat = (srt + np.arange(0, n * np_, np_)[:, None]).ravel()
    ss, ts = s.ravel()[flat].reshape(n, np_), total.ravel()[flat].reshape(n, np_)
    lv, cl = live.ravel()[flat].reshape(n, np_), exact.ravel()[flat].reshape(n, np_)
    close = (np.abs(np.diff(ss, axis=1)) <= _TIE) & (np.diff(ts, axis=1) != 0) & lv[:, 1:] & ~(cl[:, 1:] & cl[:, :-1])
    redo = np.flatnonzero(close.any(axis=1))
    for i in redo.tolist():
        for j in np.flatnonzero(live[i]).tolist():
            f = 1.0 - math.exp(-float(total[i, j]) / w.fit_norm)
            s[i, j] = max(0.0, min(1.0, float(factor[i, j]) * (w.floor + (1 - w.floor) * f) + float(bias[j])))
    if len(redo):
        srt = order()

    # The alternatives' demotion (Scorer._demote_alternatives), per row where two are in the top three.
    alt = np.array([[ids[b] in alts[a] for b in range(np_)] for a in range(np_)], dtype=bool)
    top = srt[:, :3]
    top_live = np.take_along_axis(live, top, 1)
    clash = np.zeros(n, dtype=bool)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        if top.shape[1] > b:
            clash |= alt[top[:, a], top[:, b]] & top_live[:, a] & top_live[:, b]
    count = live.sum(axis=1)
    ordered: dict[int, list[int]] = {}
    alt_rows = alt.tolist()
    for i in np.flatnonzero(clash).tolist():
        out = srt[i, :count[i]].tolist()
        row_s = s[i].tolist()
        # The row's cells as Python lists: reading numpy scalars one at a time costs more than the comparisons.
        wins = [keys[c] for keys, c in zip(win_keys, win_code[i].tolist(), strict=True)]
        am, st = table.amount[i].tolist(), status[i].tolist()

        def listed_first(a: int, b: int, wins: list[str | None] = wins, am: list[float] = am,
                         st: list[int] = st) -> bool:
            return _listed_first(w.alternatives, ids, a, b, wins[a], wins[b], am, st)
        _demote(out, row_s, alt_rows, listed_first)
        s[i] = row_s
        ordered[i] = out
    pos = np.empty_like(srt)
    np.put_along_axis(pos, srt, np.arange(1, np_ + 1)[None, :].repeat(n, 0), 1)
    for i, out in ordered.items():
        pos[i, out] = np.arange(1, len(out) + 1)
    rank[:] = np.where(live, pos, 0)
    score[:] = np.where(live, s, 0.0)
    return rank, score


def _demote(out: list[int], s: list[float], alt: list[list[bool]], listed_first: Callable[[int, int], bool]) -> None:
    """Scorer._demote_alternatives on one row's program columns `out` (sorted), scores `s` updated in place."""
    for _ in range(len(out)):
        top = out[:3]
        clash = next((b for i, a in enumerate(top) for b in top[i + 1:] if alt[a][b]), None)
        if clash is None:
            break
        first = next(a for a in top if alt[a][clash])
        if listed_first(clash, first):
            i, j = out.index(first), out.index(clash)
            out[i], out[j] = clash, first
            s[clash] = max(s[clash], s[first])
            first, clash = clash, first
        out.remove(clash)
        s[clash] = min(s[clash], s[out[3]] if len(out) > 3 else s[out[-1]])
        out.insert(3, clash)


def _listed_first(groups: list[list[str]], ids: tuple[str, ...], a: int, b: int, win_a: str | None,
                  win_b: str | None, amounts: list[float], status: list[int]) -> bool:
    """Scorer._listed_first for columns a, b of one row (its amounts, NaN where none, and statuses)."""
    def amount(j: int) -> float | None:
        v = amounts[j]
        return None if math.isnan(v) else v
    if win_a != win_b or amount(a) != amount(b) or status[a] != status[b]:
        return False
    pa, pb = ids[a], ids[b]
    group = next((g for g in groups if pa in g and pb in g), None)
    return group is not None and group.index(pa) < group.index(pb)


class _Alt:
    """What alternatives_of reads of a result: its program id and the catalog's alternatives."""

    def __init__(self, program_id: str, alternatives: tuple[str, ...]) -> None:
        self.program_id, self.alternatives = program_id, alternatives


class _Win:
    """What window_status reads of a result: its window."""

    def __init__(self, window: Any) -> None:
        self.window = window

"""Profile fields as numpy columns, missing-fact tuples as interned codes, and eligibility/fastdefs.py over columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple

import numpy as np

from eligibility.dates import not_yet_passed
from eligibility.fastdefs import FastParams, _limits
from eligibility.profile import Profile

NAN = float("nan")


class Facts:
    """Missing-fact tuples as codes (0 is `()`), and their unions as the reference unites them
    (`a + [x for x in b if x not in a]`, eligibility/plan.py `Plan.missing`, fastdefs `_union`): each distinct
    pair of codes is united once, a column of pairs by one np.unique. (A dense table of pairs grew to 10**8
    entries: random profiles make thousands of distinct tuples.)"""

    _STRIDE = 1 << 32

    def __init__(self) -> None:
        self.tuples: list[tuple[str, ...]] = [()]
        self.index: dict[tuple[str, ...], int] = {(): 0}
        self.pairs: dict[int, int] = {}

    def code(self, t: tuple[str, ...]) -> int:
        c = self.index.get(t)
        if c is None:
            c = self.index[t] = len(self.tuples)
            self.tuples.append(t)
        return c

    def union(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.where(b == 0, a, b).astype(np.int32)  # the union with () is the other one
        both = np.flatnonzero((a != 0) & (b != 0))
        if len(both):
            keys, inverse = np.unique(a[both].astype(np.int64) * self._STRIDE + b[both], return_inverse=True)
            united = np.empty(len(keys), dtype=np.int32)
            for k, key in enumerate(keys.tolist()):
                u = self.pairs.get(key)
                if u is None:
                    ta, tb = self.tuples[key // self._STRIDE], self.tuples[key % self._STRIDE]
                    u = self.pairs[key] = self.code(ta + tuple(f for f in tb if f not in ta))
                united[k] = u
            out[both] = united[inverse.reshape(-1)]
        return out

    def objects(self) -> np.ndarray:
        """The tuples as an object array, to turn a code column into a list of tuples with one index."""
        out = np.empty(len(self.tuples), dtype=object)
        for i, t in enumerate(self.tuples):
            out[i] = t
        return out


class VT(NamedTuple):
    """A term over rows: outcomes (int8: 0 unmet, 1 unknown, 2 met) and missing-fact codes (0 where not unknown)."""

    o: np.ndarray
    c: np.ndarray


SCALARS = frozenset({str, bool, int, float, type(None)})
# The fields the definitions below read (extracted with the plans' facts in one pass, see Columns).
DEFINITION_FIELDS = ("applicant_type", "industry", "employees", "capital_yen", "large_company_shareholding",
                     "large_company_officer_ratio", "wholly_owned_by_large_parent", "avg_taxable_income_yen",
                     "established_on")


def extract(profiles: Sequence[Profile], fields: Sequence[str]) -> dict[str, Sequence[Any]]:
    """Fields of every profile in one pass: a pass per field costs several times more (each reads every profile
    object from memory again)."""
    if len(fields) < 2:
        return {f: list(map(attrgetter(f), profiles)) for f in fields}
    # A validated Profile (pydantic v2) keeps its fields in __dict__: reading them there is a third cheaper than
    # attribute access, and the same values.
    own = set(map(type, profiles)) == {Profile} and set(fields) <= set(Profile.model_fields)
    rows = map(itemgetter(*fields), map(vars, profiles)) if own else map(attrgetter(*fields), profiles)
    return dict(zip(fields, zip(*rows, strict=True), strict=True))


class Columns:
    """The profiles' fields as columns: `values` extracted beforehand (see `extract`), any other on first use. Scalar
    columns get categorical codes (a test is then worked out once per distinct value), numbers float64 with NaN,
    list fields their items flattened."""

    def __init__(self, profiles: Sequence[Profile], as_of: dt.date, facts: Facts,
                 values: dict[str, Sequence[Any]] | None = None) -> None:
        self.profiles, self.as_of, self.facts, self.n = profiles, as_of, facts, len(profiles)
        self._values: dict[str, Sequence[Any]] = dict(values or {})
        self._types: dict[str, set[type]] = {}
        self._cat: dict[str, tuple[np.ndarray, list[Any]]] = {}
        self._num: dict[str, np.ndarray] = {}
        self._flat: dict[str, tuple[np.ndarray, list[Any], np.ndarray]] = {}
        self._memo: dict[Any, Any] = {}

    def values(self, name: str) -> Sequence[Any]:
        hit = self._values.get(name)
        if hit is None:
            hit = self._values[name] = list(map(attrgetter(name), self.profiles))
        return hit

    def cat(self, name: str) -> tuple[np.ndarray, list[Any]]:
        """Codes per row and the value each code stands for (the first row's value of that code)."""
        hit = self._cat.get(name)
        if hit is None:
            hit = self._cat[name] = codes_of(self.values(name), self.types(name))
        return hit

    def types(self, name: str) -> set[type]:
        hit = self._types.get(name)
        if hit is None:
            hit = self._types[name] = set(map(type, self.values(name)))
        return hit

    def ordinals(self, name: str) -> np.ndarray:
        """A date field as day numbers (float64, NaN when absent)."""
        return self.memo(("ordinals", name), lambda: np.array(
            [None if d is None else d.toordinal() for d in self.values(name)], dtype=np.float64))

    def map(self, name: str, fn: Callable[[Any], Any], dtype: Any = np.int8) -> np.ndarray:
        """`fn` of each row's value: once per distinct value of a scalar column, else per row (hashing a list or
        a model costs more than the test)."""
        if self.types(name) <= SCALARS:
            codes, reps = self.cat(name)
            return np.array([fn(v) for v in reps], dtype=dtype)[codes]
        return np.array([fn(v) for v in self.values(name)], dtype=dtype)

    def num(self, name: str) -> np.ndarray:
        """A number field as float64, NaN when absent (exact: every int field is bounded by 10**15 < 2**53)."""
        hit = self._num.get(name)
        if hit is None:
            hit = self._num[name] = np.array(self.values(name), dtype=np.float64)
        return hit

    def flat(self, name: str) -> tuple[np.ndarray, list[Any], np.ndarray]:
        """A list field's items, flattened: each item's row, the items, and which rows have no list (None)."""
        hit = self._flat.get(name)
        if hit is None:
            rows: list[int] = []
            items: list[Any] = []
            vals = self.values(name)
            for i, v in enumerate(vals):
                if v:
                    rows += [i] * len(v)
                    items += v
            hit = self._flat[name] = (np.array(rows, dtype=np.intp), items,
                                      np.array([v is None for v in vals], dtype=bool))
        return hit

    def item_map(self, name: str, attr: str, fn: Callable[[Any], bool]) -> np.ndarray:
        """`fn` of an attribute of every item of a list field (flattened), once per distinct value."""
        codes, reps = self.memo(("items", name, attr), lambda: codes_of(list(map(attrgetter(attr), self.flat(name)[1]))))
        return np.array([fn(v) for v in reps], dtype=bool)[codes]

    def any_item(self, name: str, hit: np.ndarray) -> np.ndarray:
        """Per row: some item of the list field is marked in `hit` (per flattened item)."""
        out = np.zeros(self.n, dtype=bool)
        out[self.flat(name)[0][hit]] = True
        return out

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = make()
        return hit

    def unknown(self, unknown: np.ndarray, missing: tuple[str, ...]) -> np.ndarray:
        """Codes: `missing` where `unknown`, else 0."""
        return np.where(unknown, np.int32(self.facts.code(missing)), np.int32(0))

    def term(self, o: np.ndarray, missing: tuple[str, ...]) -> VT:
        """A term unknown for one reason wherever it is unknown."""
        return VT(o.astype(np.int8, copy=False), self.unknown(o == 1, missing))


def codes_of(vals: Sequence[Any], types: set[type] | None = None) -> tuple[np.ndarray, list[Any]]:
    """Categorical codes of arbitrary values: hashable ones by value (tagged by type when numbers of different
    types meet: True == 1 == 1.0 would share a key), lists by their items; anything else one code per row."""
    index: dict[Any, int] = {}
    types = set(map(type, vals)) if types is None else types
    try:
        if list in types:
            keys: Sequence[Any] = [(list, tuple(v)) if type(v) is list else (type(v), v) for v in vals]
        elif len(types & {bool, int, float}) <= 1:
            keys = vals
        else:
            keys = [(type(v), v) for v in vals]
        out = [index.setdefault(k, len(index)) for k in keys]
    except TypeError:  # an unhashable value: every row its own code
        return np.arange(len(vals), dtype=np.int32), list(vals)
    reps: list[Any] = [None] * len(index)
    for v, c in zip(vals, out, strict=True):
        if reps[c] is None:
            reps[c] = v
    return np.array(out, dtype=np.int32), reps


# --- the definitions over columns (eligibility/fastdefs.py, one numpy expression per branch) -------------------

def and_(cols: Columns, a: VT, b: VT) -> VT:
    o = np.minimum(a.o, b.o)
    return VT(o, _united(cols, o, a.c, b.c))


def or_(cols: Columns, a: VT, b: VT) -> VT:
    o = np.maximum(a.o, b.o)
    return VT(o, _united(cols, o, a.c, b.c))


def not_(a: VT) -> VT:
    return VT((2 - a.o).astype(np.int8), a.c)


def _united(cols: Columns, o: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Codes are 0 where a term is not unknown, so the union of both is the union of the unknown ones.
    out = np.zeros(len(o), dtype=np.int32)
    rows = np.flatnonzero(o == 1)
    if len(rows):
        out[rows] = cols.facts.union(a[rows], b[rows])
    return out


def _const(cols: Columns, o: int) -> VT:
    return VT(np.full(cols.n, o, dtype=np.int8), np.zeros(cols.n, dtype=np.int32))


def _pick(unmet: np.ndarray, met: np.ndarray) -> np.ndarray:
    """0 where unmet, else 2 where met, else 1 (the conditions in the reference's order: unmet first)."""
    return np.where(unmet, 0, np.where(met, 2, 1)).astype(np.int8)


def type_is(cols: Columns, *types: str) -> VT:
    return cols.memo(("type", types), lambda: cols.term(
        cols.map("applicant_type", lambda t: 1 if t is None else 2 if t in types else 0), ("applicant_type",)))


def _ge(v: np.ndarray, limit: float) -> np.ndarray:
    return v >= limit - 1e-9


def _leq_over(cols: Columns, fact: str, table: dict[str | None, list[int]] | None, limits: list[int] | None) -> VT:
    v = cols.num(fact)
    if table is not None:
        known = cols.map("industry", lambda i: i is not None, bool)
        lo = cols.map("industry", lambda i: min(_limits(table, i), default=np.inf), np.float64)
        hi = cols.map("industry", lambda i: max(_limits(table, i), default=-np.inf), np.float64)
    else:
        known = np.ones(cols.n, dtype=bool)
        lo = np.full(cols.n, min(limits or (), default=np.inf), dtype=np.float64)
        hi = np.full(cols.n, max(limits or (), default=-np.inf), dtype=np.float64)
    absent = np.isnan(v)
    o = np.where(absent, 1, np.where(v <= lo, 2, np.where(v > hi, 0, 1))).astype(np.int8)
    f = cols.facts
    c = np.where(absent, np.where(known, f.code((fact,)), f.code((fact, "industry"))),
                 np.where(o == 1, f.code(("industry",)), 0)).astype(np.int32)
    return VT(o, c)


def _shares(cols: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shs = cols.values("large_company_shareholding")
        both = np.array([(NAN, NAN, 0.0) if s is None else (s.largest, s.combined, 1.0) for s in shs],
                        dtype=np.float64).reshape(-1, 3)
        return both[:, 2] == 1.0, both[:, 0], both[:, 1]
    got: tuple[np.ndarray, np.ndarray, np.ndarray] = cols.memo("shares", make)
    return got


def _shares_control(cols: Columns, f: FastParams) -> VT:
    present, lg, cb = _shares(cols)
    no = ~present | (np.isnan(lg) & np.isnan(cb))
    l_true, c_true = ~np.isnan(lg) & _ge(lg, f.control_largest), ~np.isnan(cb) & _ge(cb, f.control_combined)
    l_false, c_false = ~np.isnan(lg) & ~l_true, ~np.isnan(cb) & ~c_true
    met = ~no & (l_true | c_true)
    unmet = ~no & ~met & ((l_false & c_false) | (~np.isnan(cb) & (cb < f.control_largest - 1e-9)))
    return cols.term(_pick(unmet, met), ("large_company_shareholding",))


def _controlled(cols: Columns, f: FastParams) -> VT:
    return and_(cols, type_is(cols, "corporation"), _shares_control(cols, f))


def threshold(as_of: dt.date, years: int) -> int:
    """The first founding date (ordinal) still within `years` on as_of: not_yet_passed is monotone in the founding
    date, so the rows within are those founded on or after it."""
    d = as_of.replace(year=as_of.year - years, day=28) if (as_of.month, as_of.day) == (2, 29) else \
        as_of.replace(year=as_of.year - years)
    one = dt.timedelta(days=1)
    while not_yet_passed(d - one, as_of, years):
        d -= one
    while not not_yet_passed(d, as_of, years):
        d += one
    return d.toordinal()


def within_years(cols: Columns, f: FastParams) -> VT:
    def make() -> VT:
        founded = cols.ordinals("established_on")
        o = np.where(np.isnan(founded), 1, np.where(founded >= threshold(cols.as_of, f.startup_years), 2, 0))
        return cols.term(o, ("established_on",))
    got: VT = cols.memo("within", make)
    return got


def controlled(cols: Columns, f: FastParams) -> VT:
    t = _controlled(cols, f)
    present, _, _ = _shares(cols)
    other = cols.map("applicant_type", lambda a: a not in (None, "corporation"), bool)
    unmet = (t.o != 1) & (~present | other)
    return VT(np.where(unmet, 0, t.o).astype(np.int8), t.c)


def sme(cols: Columns, f: FastParams) -> VT:
    cap_ok = _leq_over(cols, "capital_yen", f.capital, None)
    emp_ok = _leq_over(cols, "employees", f.employees, None)
    t = or_(cols, and_(cols, type_is(cols, "corporation"), or_(cols, cap_ok, emp_ok)),
            and_(cols, type_is(cols, "sole_proprietor"), emp_ok))
    other = cols.map("applicant_type", lambda a: a is not None and a not in f.sme_types, bool)
    return VT(np.where(other, 0, t.o).astype(np.int8), np.where(other, 0, t.c).astype(np.int32))


def small_enterprise(cols: Columns, f: FastParams) -> VT:
    emp_ok = _leq_over(cols, "employees", f.small_employees, None)
    return and_(cols, type_is(cols, "corporation", "sole_proprietor"), emp_ok)


def deemed_large(cols: Columns, f: FastParams) -> VT:
    present, lg, cb = _shares(cols)
    a_unmet = present & np.isnan(lg) & ~np.isnan(cb) & ~_ge(cb, f.control_largest)
    a_unknown = ~a_unmet & (~present | np.isnan(lg))
    a = cols.term(np.where(a_unmet, 0, np.where(a_unknown, 1, np.where(_ge(lg, f.control_largest), 2, 0))),
                  ("large_company_shareholding",))
    i = cols.term(np.where(~present | np.isnan(cb), 1, np.where(_ge(cb, f.control_combined), 2, 0)),
                  ("large_company_shareholding",))
    r = cols.num("large_company_officer_ratio")
    u = cols.term(np.where(np.isnan(r), 1, np.where(_ge(r, f.officer_ratio), 2, 0)), ("large_company_officer_ratio",))
    e = cols.term(cols.map("wholly_owned_by_large_parent", lambda w: 1 if w is None else 2 if w else 0),
                  ("wholly_owned_by_large_parent",))
    inc = cols.num("avg_taxable_income_yen")
    o = cols.term(np.where(np.isnan(inc), 1, np.where(inc > f.income_over, 2, 0)), ("avg_taxable_income_yen",))
    clauses = or_(cols, or_(cols, or_(cols, a, i), u), e)
    return or_(cols, and_(cols, type_is(cols, "corporation"), clauses),
               and_(cols, type_is(cols, "corporation", "sole_proprietor"), o))


def startup_jpo(cols: Columns, f: FastParams) -> VT:
    within = within_years(cols, f)
    not_ctrl = not_(_controlled(cols, f))
    is_sole, is_corp = type_is(cols, "sole_proprietor"), type_is(cols, "corporation")
    emp_ok = _leq_over(cols, "employees", f.startup_employees, None)
    cap_ok = _leq_over(cols, "capital_yen", None, f.startup_capital)
    c1 = and_(cols, is_sole, within)
    c2 = and_(cols, and_(cols, and_(cols, is_corp, emp_ok), within), not_ctrl)
    c3 = and_(cols, and_(cols, and_(cols, is_corp, cap_ok), within), not_ctrl)
    return or_(cols, or_(cols, c1, c2), c3)


def chusho_startup(cols: Columns, f: FastParams) -> VT:
    within = within_years(cols, f)
    not_ctrl = not_(_controlled(cols, f))
    is_sole, is_corp = type_is(cols, "sole_proprietor"), type_is(cols, "corporation")
    cap_ok = _leq_over(cols, "capital_yen", None, f.startup_capital)
    return or_(cols, and_(cols, is_sole, within), and_(cols, and_(cols, and_(cols, is_corp, within), cap_ok), not_ctrl))


# Every definition of eligibility/fastdefs.py FAST_DEFINITIONS over columns; a name missing here is computed per row.
COLUMN_DEFINITIONS: dict[str, Callable[[Columns, FastParams], VT]] = {
    "sme": sme,
    "small_enterprise": small_enterprise,
    "deemed_large": deemed_large,
    "startup_jpo": startup_jpo,
    "chusho_startup": chusho_startup,
    "controlled_by_large": controlled,
    "within_startup_years": within_years,
}

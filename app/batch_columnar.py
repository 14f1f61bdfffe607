"""The member-list batch by columns: chunks of rows, each distinct cell read once, one screening table per date.

`python -m app screen` with CSV output takes this path (app/batch_run.py `run`): the records stream in chunks;
a record whose every cell is known valid goes straight to its Profile (`RecordReader`: each distinct (column,
text) parsed by its column's parser and validated as that profile field once, `known_valid`); any other record
is read as every channel reads it (app/intake/columns.py `to_profile`, then the profile's validation), so that
its errors read the same. The valid rows are then screened and ranked per chunk and reference date as columns
(eligibility/columnar.py, matching/columnar.py). The records are the same bytes `CsvFormat.ok` / `.error`
write for a row screened alone (tests/intake/test_batch_columnar.py compares whole files). A chunk the columns
cannot take (an unexpected error) is screened row by row, so one bad row still fails alone.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator
from itertools import islice, repeat
from operator import itemgetter
from typing import Annotated, Any, Protocol, TypeVar, get_args, get_origin

import numpy as np
from annotated_types import MaxLen
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from app.batch import CsvFormat, RowResult, ScreeningService, csv_cell, screen_row
from app.intake.cells import UNKNOWN
from app.intake.columns import (
    EXTRA_FIELDS,
    UNDECODABLE,
    CellCache,
    Column,
    Row,
    RowError,
    column_for,
    parse_cell,
    printable,
    profile_errors,
    row_of,
    to_profile,
)
from eligibility.columnar import screen_table
from eligibility.compiled import CompiledEngine
from eligibility.profile import Profile, ProfileError, today_tokyo
from eligibility.screen_table import ScreenTable
from matching.columnar import rank_table
from matching.scorer import Scorer

CHUNK_ROWS = 2048  # rows per chunk: big enough for the columns' fixed costs, small enough for bounded memory
_STATUS = ("ineligible", "needs_info", "eligible")
T = TypeVar("T")


class ColumnServices(ScreeningService, Protocol):
    """What the columns need of app/services.py `Services`: the compiled engine and the scorer."""

    engine: Any
    scorer: Scorer
    live: Any


def chunks(rows: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """The rows in lists of `size` (default CHUNK_ROWS), read from the iterator only as each list is asked for."""
    it, size = iter(rows), size or CHUNK_ROWS
    while chunk := list(islice(it, size)):
        yield chunk


def _name(profile: dict[str, Any]) -> str:
    raw = profile.get("company_name")
    return printable(raw.strip()) if isinstance(raw, str) else ""


def _error(row: Row, name: str, errors: list[RowError], fmt: CsvFormat) -> RowResult:
    errors = [RowError(printable(e.label), printable(e.message_ja), printable(e.message_en)) for e in errors]
    return RowResult(row.number, name, errors, fmt.error(row.number, name, errors))


class TableWriter:
    """CSV records from a ranked screening table, as `CsvFormat.ok` writes them for one screening."""

    def __init__(self, fmt: CsvFormat, program_names: dict[str, tuple[str, str]]):
        self.fmt = fmt
        self.names = program_names

    def records(self, table: ScreenTable, rank: np.ndarray, numbers: list[int], names: list[str]) -> list[list[Any]]:
        fmt, top, labels = self.fmt, self.fmt.top, self.fmt.labels
        ids = table.program_ids
        shown = [self.names[pid][0 if fmt.lang == "ja" else 1] for pid in ids]
        day = table.as_of.isoformat()
        out = []
        # Each row's programs in rank order (rank 0: ineligible, not ranked): a stable sort of the ranks.
        order = np.argsort(np.where(rank > 0, rank, np.iinfo(np.int16).max), axis=1, kind="stable")
        status, amount, has = table.status.tolist(), table.amount.tolist(), table.has_estimate.tolist()
        ranked_count = (rank > 0).sum(axis=1).tolist()
        orders = order.tolist()
        for i, (number, name) in enumerate(zip(numbers, names, strict=True)):
            js = orders[i][: ranked_count[i]]
            st, am, hs = status[i], amount[i], has[i]
            cells: list[Any] = [number, csv_cell(name), "ok", "", day]
            for j in js[:top]:
                a = am[j]
                cells += [shown[j], labels[_STATUS[st[j]]], ("" if math.isnan(a) else int(a)) if hs[j] else ""]
            cells += ["", "", ""] * (top - min(top, len(js)))
            cells.append(";".join([ids[j] for j in js if st[j] == 2]))
            out.append(cells)
        return out


# ------------------------------------------------------------------ validation by fields

# A field's value validated once per distinct value: (field, key of the value) → the validated value, or _BAD.
FieldCache = dict[tuple[str, Any], Any]
_FIELD_CACHE: FieldCache = {}
_BAD, _MISS = object(), object()
_PLAIN = frozenset({str, int, float, bool, dt.date, type(None)})
_FIELDS = Profile.model_fields
# Every field of the profile is optional with the default None (checked here: the fast path relies on it).
_DEFAULTS: dict[str, Any] = dict.fromkeys(_FIELDS)
assert all(f.default is None and f.default_factory is None for f in _FIELDS.values())
# Free-text fields whose only checks are a length and no control character (company_name, description): checked
# here per row (their values are mostly distinct; a cache of them would only grow); a doubtful text (control
# character, lone surrogate, too long) goes through pydantic as every other value.
_DOUBTFUL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _text_limits() -> dict[str, int]:
    own = {f for d in Profile.__pydantic_decorators__.field_validators.values() for f in d.info.fields} - {"*"}
    out = {}
    for name, field in _FIELDS.items():
        args = get_args(field.annotation)
        if name in own or len(args) != 2 or args[1] is not type(None) or get_origin(args[0]) is not Annotated:
            continue
        base, *meta = get_args(args[0])
        if (base is str and len(meta) == 1 and isinstance(meta[0], FieldInfo) and not meta[0].json_schema_extra
                and [type(m) for m in meta[0].metadata] == [MaxLen]):
            out[name] = meta[0].metadata[0].max_length
    return out


TEXT_LIMITS = _text_limits()
_LATEST = "2100-12-31"  # the last reference date the profile accepts: a founding date alone is checked against it
# The profile's own checks this validation by fields knows: one model-wide (the founding date's, done here on the
# values) and field checks that read no other field. A check added to the Profile turns the fast path off (every
# row validated whole, as before) until it is reviewed here; tests/intake/test_batch_columnar.py keeps it on.
_KNOWN_CHECKS = ({"_dates"}, {"_no_control", "_municipality", "_prefecture", "_as_of"})
BY_FIELDS = (set(Profile.__pydantic_decorators__.model_validators),
             set(Profile.__pydantic_decorators__.field_validators)) == _KNOWN_CHECKS


def _value_key(value: Any) -> Any:
    # The type is part of the key: True, 1 and 1.0 are equal (and hash alike) but validate differently.
    t = type(value)
    return (t, value) if t in _PLAIN else (t, repr(value))


def _one_field(name: str, value: Any) -> Any:
    """The field's value as the profile's validation leaves it, or _BAD when it is refused. A model-wide check
    (established_on ≤ reference date) is left to the caller: a founding date is validated with the last accepted
    reference date."""
    data = {name: value}
    if name == "established_on":
        data["as_of"] = _LATEST
    try:
        return getattr(Profile.model_validate(data), name)
    except ValidationError:
        return _BAD
    except Exception:  # noqa: BLE001 - a validator's bug: the whole profile's validation meets it (row by row)
        return _BAD


def known_valid(data: dict[str, Any], cache: FieldCache | None = None) -> Profile | None:
    """The Profile `engine.validate(data)` returns, built from each field validated alone (once per distinct value
    per cache), when that proves the profile valid; None when it cannot (a field refused, a founding date after
    the reference date, prior awards, an unknown key): the caller then validates the whole profile, so a bad row
    gets exactly the usual errors. The profile's only model-wide checks are the founding date's (here) and the
    prior awards' (engine; not taken here); the nested ones (largest ≤ combined shareholding) stay in their field."""
    if not BY_FIELDS:
        return None
    fields: dict[str, Any] = {}
    for name, value in data.items():
        limit = TEXT_LIMITS.get(name)
        if limit is not None and type(value) is str and len(value) <= limit and _DOUBTFUL.search(value) is None:
            fields[name] = value
            continue
        if name not in _FIELDS or name == "prior_awards":
            return None
        got = _validated(name, value, cache)
        if got is _BAD:
            return None
        fields[name] = got
    founded, as_of = fields.get("established_on"), fields.get("as_of")
    if founded is not None and founded > (as_of if as_of is not None else today_tokyo()):
        return None
    return _profile(fields)


def _validated(name: str, value: Any, cache: FieldCache | None = None) -> Any:
    """`_one_field`, once per distinct value per cache."""
    cache = _FIELD_CACHE if cache is None else cache
    key = (name, _value_key(value))
    got = cache.get(key, _MISS)
    if got is _MISS:
        got = _one_field(name, value)
        if len(cache) > 200_000:  # mostly distinct values: memory stays bounded
            cache.clear()
        cache[key] = got
    return got


def _profile(fields: dict[str, Any]) -> Profile:
    """The Profile of validated field values, as `Profile.model_validate` leaves it."""
    values = dict(_DEFAULTS)
    values.update(fields)  # the model's field order, as validation leaves __dict__
    profile = Profile.__new__(Profile)
    object.__setattr__(profile, "__dict__", values)
    object.__setattr__(profile, "__pydantic_fields_set__", set(fields))
    object.__setattr__(profile, "__pydantic_extra__", None)
    object.__setattr__(profile, "__pydantic_private__", None)
    return profile


def _by_rows(services: ScreeningService, rows: list[Row], default_as_of: str, fmt: CsvFormat) -> list[RowResult]:
    return [screen_row(services, row, default_as_of, fmt)[0] for row in rows]


def screen_chunk(services: ColumnServices, rows: list[Row], default_as_of: str, fmt: CsvFormat,
                 cache: CellCache) -> list[RowResult]:
    """One chunk's records in input order: cells parsed (cached) and validated per row, screened and ranked as
    columns per reference date; row by row when the scorer carries a learned correction (matching/columnar.py)."""
    engine = services.engine
    if not isinstance(engine, CompiledEngine) or services.scorer.model is not None:
        return _by_rows(services, rows, default_as_of, fmt)
    if services.live is not None:  # a jGrants sync since the last check rebuilds the catalog (app/live_catalog.py)
        services.live.refresh(services)
    out: list[RowResult | None] = [None] * len(rows)
    groups: dict[dt.date, list[tuple[int, Profile, str]]] = {}
    for k, row in enumerate(rows):
        _one_row(engine, k, row, default_as_of, fmt, cache, out, groups)
    return _ranked(services, engine, groups, rows.__getitem__, default_as_of, fmt, out)


def screen_records(services: ColumnServices, records: list[tuple[int, list[str]]], use: list[tuple[int, str]],
                   default_as_of: str, fmt: CsvFormat, cache: CellCache) -> list[RowResult]:
    """`screen_chunk` of the records' rows (`row_of`), the same results: a record whose every cell is known valid
    (RecordReader) becomes its profile directly; only the others are made Rows and go through `to_profile` and the
    profile's validation, so that their errors read as everywhere else."""
    engine = services.engine
    if not isinstance(engine, CompiledEngine) or services.scorer.model is not None:
        return _by_rows(services, [row_of(n, r, use) for n, r in records], default_as_of, fmt)
    if services.live is not None:
        services.live.refresh(services)
    reader = RecordReader.of(use)
    out: list[RowResult | None] = [None] * len(records)
    groups: dict[dt.date, list[tuple[int, Profile, str]]] = {}
    rows: dict[int, Row] = {}

    def row_at(k: int) -> Row:
        row = rows.get(k)
        if row is None:
            row = rows[k] = row_of(records[k][0], records[k][1], use)
        return row

    try:
        known = reader.profiles([r for _, r in records], default_as_of)
    except Exception:  # noqa: BLE001 - a bug here must not lose the chunk: every row read as before
        known = [None] * len(records)
    for k, got in enumerate(known):
        if got is None:
            _one_row(engine, k, row_at(k), default_as_of, fmt, cache, out, groups)
        else:
            groups.setdefault(got[0].reference_date(), []).append((k, got[0], got[1]))
    return _ranked(services, engine, groups, row_at, default_as_of, fmt, out, [n for n, _ in records])


def _one_row(engine: CompiledEngine, k: int, row: Row, default_as_of: str, fmt: CsvFormat, cache: CellCache,
             out: list[RowResult | None], groups: dict[dt.date, list[tuple[int, Profile, str]]]) -> None:
    """A row's profile as every channel reads it (its errors: `out[k]`), else into its reference date's group."""
    name = ""
    try:
        profile, heading_of, errors = to_profile(row, cache)
        name = _name(profile)
        profile.setdefault("as_of", default_as_of)
        try:
            fast = known_valid(profile)
            valid = engine.validate(profile) if fast is None else fast
        except ProfileError as e:
            errors = errors + profile_errors(e, heading_of)
        if errors:
            out[k] = _error(row, name, errors, fmt)
        else:
            groups.setdefault(valid.reference_date(), []).append((k, valid, name))
    except Exception as e:  # a bug must not lose the other rows (as app/batch.py screen_row)
        out[k] = _error(row, name, [RowError("", f"予期しないエラー: {type(e).__name__}",
                                              f"unexpected error: {type(e).__name__}")], fmt)


def _ranked(services: ColumnServices, engine: CompiledEngine, groups: dict[dt.date, list[tuple[int, Profile, str]]],
            row_at: Any, default_as_of: str, fmt: CsvFormat, out: list[RowResult | None],
            numbers: list[int] | None = None) -> list[RowResult]:
    """Each group screened and ranked as columns and written; a group the columns fail on row by row."""
    number = numbers.__getitem__ if numbers is not None else (lambda k: row_at(k).number)
    writer = TableWriter(fmt, {p.id: (p.names.ja, p.names.en) for p in engine.catalog.programs.values()})
    for members in groups.values():
        try:
            table = screen_table(engine, [p for _, p, _ in members])
            ranked = rank_table(services.scorer, engine, table)
            if ranked is None:
                raise LookupError("no columnar ranking")
            records = writer.records(table, ranked[0], [number(k) for k, _, _ in members],
                                     [n for _, _, n in members])
        except Exception:  # noqa: BLE001 - the columns failed on this group: row by row, each row on its own
            for k, _, _ in members:
                out[k] = screen_row(services, row_at(k), default_as_of, fmt)[0]
            continue
        for (k, _, name), record in zip(members, records, strict=True):
            out[k] = RowResult(number(k), name, [], record)
    return [r for r in out if r is not None]


# ------------------------------------------------------------------ records known valid

_SKIP = object()  # a cell that puts nothing in the profile (empty, 「わからない」, a contact)
_SLOW = object()  # a cell the reader leaves to `to_profile` (an error, a note, an address, a nested field …)


TEXT_CACHE_CHARS = 2_000_000  # the free-text cells a RecordReader keeps read (a few MB)


class RecordReader:
    """A CSV record straight to its Profile when every cell is known valid, each distinct (column, text) read once:
    parsed by its column's parser (`parse_cell`) and validated as a profile field (`known_valid`'s rule). Free-text
    columns (company_name, description) are cached apart, up to TEXT_CACHE_CHARS characters. Anything else
    (an error or a note in a cell, bytes that could not be decoded, an address, a name that would
    give the applicant's type, a founding date after the reference date) leaves the record to `to_profile`.
    A nested field's cells (the shareholdings) are validated together, once per distinct pair."""

    _READERS: dict[tuple[tuple[int, str], ...], RecordReader] = {}

    def __init__(self, use: list[tuple[int, str]]) -> None:
        cols = [(i, column_for(h)) for i, h in use]
        self.cols = [(i, c, c.field, TEXT_LIMITS.get(c.field)) for i, c in cols if c is not None]
        # A heading with undecodable bytes: every row fails in `_readable`, none is read here.
        self.off = not BY_FIELDS or len(self.cols) != len(use) or any(UNDECODABLE.search(h) for _, h in use)
        self.cache: dict[tuple[str, str], Any] = {}
        self.texts: dict[tuple[str, str], Any] = {}
        self.text_chars = 0

    @classmethod
    def of(cls, use: list[tuple[int, str]]) -> RecordReader:
        key = tuple(use)
        hit = cls._READERS.get(key)
        if hit is None:
            if len(cls._READERS) > 64:
                cls._READERS.clear()
            hit = cls._READERS[key] = cls(use)
        return hit

    def profile(self, record: list[str], default_as_of: str) -> tuple[Profile, str] | None:
        """The record's Profile and company name (as `_name` reads it), or None: then `to_profile` reads it."""
        return self.profiles([record], default_as_of)[0]

    def profiles(self, records: list[list[str]], default_as_of: str) -> list[tuple[Profile, str] | None]:
        """`profile` of each record, read a column at a time (a dictionary lookup per cell), then a row at a time."""
        if self.off:
            return [None] * len(records)
        cache, columns = self.cache, []
        whole = bool(records) and min(map(len, records)) > max((i for i, *_ in self.cols), default=-1)
        for i, col, field, limit in self.cols:
            # A short record's missing cells are empty (row_of); usually every record has every cell.
            raws = list(map(itemgetter(i), records)) if whole else [r[i] if i < len(r) else "" for r in records]
            # Free text (names, descriptions) in its own cache, bounded by its characters: mostly distinct, and long.
            store = cache if limit is None else self.texts
            got = list(map(store.get, zip(repeat(field), raws), repeat(_MISS)))
            for k in [k for k, v in enumerate(got) if v is _MISS]:
                key = (field, raws[k])
                hit = store.get(key, _MISS)
                if hit is _MISS:
                    if limit is None:
                        hit = _cell(col, raws[k])
                        if len(cache) > 200_000:
                            cache.clear()
                    else:
                        hit = _text_cell(col, raws[k], limit)
                        self.text_chars += len(raws[k])
                        if self.text_chars > TEXT_CACHE_CHARS:
                            store.clear()
                            self.text_chars = len(raws[k])
                    store[key] = hit
                got[k] = hit
            columns.append(got)
        names = [field for _, _, field, _ in self.cols]
        nested = any("." in f for f in names)
        default = _validated("as_of", default_as_of)
        out: list[tuple[Profile, str] | None] = []
        for values in zip(*columns, strict=True) if columns else ([()] * len(records)):
            if _SLOW in values:
                out.append(None)
                continue
            fields = {f: v for f, v in zip(names, values, strict=True) if v is not _SKIP}
            out.append(self._finish(fields, nested, default))
        return out

    @staticmethod
    def _finish(fields: dict[str, Any], nested: bool, default_as_of: Any) -> tuple[Profile, str] | None:
        if nested:  # large_company_shareholding.largest / .combined: validated together
            parts: dict[str, dict[str, Any]] = {}
            for f in [f for f, v in fields.items() if type(v) is _Part]:
                got = fields.pop(f)
                parts.setdefault(got.head, {})[got.sub] = got.value
            for head, value in parts.items():
                fields[head] = _validated(head, value)
                if fields[head] is _BAD:
                    return None
        if "as_of" not in fields:
            if default_as_of is _BAD:
                return None
            fields["as_of"] = default_as_of
        if "applicant_type" not in fields and "company_name" in fields:
            return None  # the name's legal form may give it (to_profile), with a note
        founded = fields.get("established_on")
        if founded is not None and founded > fields["as_of"]:
            return None
        return _profile(fields), fields.get("company_name", "")


class _Part:
    """A parsed cell of a nested field ("large_company_shareholding.largest"), validated with its siblings."""

    __slots__ = ("head", "sub", "value")

    def __init__(self, head: str, sub: str, value: Any) -> None:
        self.head, self.sub, self.value = head, sub, value


def _cell(col: Column, raw: str) -> Any:
    try:
        return _read_cell(col, raw)
    except Exception:  # noqa: BLE001 - a parser's bug: to_profile meets it again and fails the row alone
        return _SLOW


def _read_cell(col: Column, raw: str) -> Any:
    if UNDECODABLE.search(raw):
        return _SLOW
    if col.field in EXTRA_FIELDS:
        return _SKIP
    kind, value = parse_cell(col, raw, None)
    if kind == "unknown":
        return _SKIP
    if kind != "ok" or col.field == "address":
        return _SLOW
    if value is UNKNOWN:
        return _SKIP
    if "." in col.field:
        head, _, sub = col.field.partition(".")
        return _Part(head, sub, value)
    got = _validated(col.field, value)
    return _SLOW if got is _BAD else got


def _text_cell(col: Column, raw: str, limit: int) -> Any:
    if not raw:
        return _SKIP
    if UNDECODABLE.search(raw):
        return _SLOW
    try:
        kind, value = parse_cell(col, raw, None)
    except Exception:  # noqa: BLE001 - as _cell
        return _SLOW
    if kind == "unknown":
        return _SKIP
    if kind != "ok" or type(value) is not str or len(value) > limit or _DOUBTFUL.search(value):
        return _SLOW
    return value

"""The member-list batch by columns: chunks of rows, each distinct cell parsed once, one screening table per date.

`python -m app screen` with CSV output takes this path (app/batch.py `run`): the rows are read as they stream
(no list of the whole file), parsed with a cell cache (app/intake/columns.py `to_profile(row, cache)`, the same
parsers as every other channel), validated one by one (the profile's own rules, so a row's errors read as
everywhere else), then screened and ranked per chunk and reference date as columns
(eligibility/columnar.py, matching/columnar.py). The records are the same bytes `CsvFormat.ok` / `.error` write
for a row screened alone (tests/test_batch_columnar.py compares whole files). A chunk the columns cannot take
(an unexpected error) is screened row by row, so one bad row still fails alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, Protocol, TypeVar

import numpy as np

from app.batch import CsvFormat, RowResult, ScreeningService, csv_cell, screen_row
from app.intake.columns import CellCache, Row, RowError, printable, profile_errors, to_profile
from eligibility.columnar import screen_table
from eligibility.compiled import CompiledEngine
from eligibility.profile import Profile, ProfileError
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
        for i, (number, name) in enumerate(zip(numbers, names, strict=True)):
            js = order[i, : ranked_count[i]].tolist()
            cells: list[Any] = [number, csv_cell(name), "ok", "", day]
            for j in js[:top]:
                a = amount[i][j]
                cells += [shown[j], labels[_STATUS[status[i][j]]],
                          ("" if math.isnan(a) else int(a)) if has[i][j] else ""]
            cells += ["", "", ""] * (top - min(top, len(js)))
            cells.append(";".join(ids[j] for j in js if status[i][j] == 2))
            out.append(cells)
        return out


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
        name = ""
        try:
            profile, heading_of, errors = to_profile(row, cache)
            name = _name(profile)
            profile.setdefault("as_of", default_as_of)
            try:
                valid = engine.validate(profile)
            except ProfileError as e:
                errors = errors + profile_errors(e, heading_of)
            if errors:
                out[k] = _error(row, name, errors, fmt)
            else:
                groups.setdefault(valid.reference_date(), []).append((k, valid, name))
        except Exception as e:  # a bug must not lose the other rows (as app/batch.py screen_row)
            out[k] = _error(row, name, [RowError("", f"予期しないエラー: {type(e).__name__}",
                                                  f"unexpected error: {type(e).__name__}")], fmt)
    writer = TableWriter(fmt, {p.id: (p.names.ja, p.names.en) for p in services.engine.catalog.programs.values()})
    for members in groups.values():
        try:
            table = screen_table(engine, [p for _, p, _ in members])
            ranked = rank_table(services.scorer, engine, table)
            if ranked is None:
                raise LookupError("no columnar ranking")
            records = writer.records(table, ranked[0], [rows[k].number for k, _, _ in members],
                                     [n for _, _, n in members])
        except Exception:  # noqa: BLE001 - the columns failed on this group: row by row, each row on its own
            for k, _, _ in members:
                out[k] = screen_row(services, rows[k], default_as_of, fmt)[0]
            continue
        for (k, _, name), record in zip(members, records, strict=True):
            out[k] = RowResult(rows[k].number, name, [], record)
    return [r for r in out if r is not None]

"""Batch screening of a member list (CSV or JSON Lines) from the command line: `python -m app screen`.

A CSV may use the Japanese column headings a chamber of commerce would write (会社名, 従業員数, 資本金 …)
or the contract's English field names; both are accepted, in any order, and unknown columns are ignored.
Every cell is normalised with app/intake/normalize.py (全角, 和暦, 万・億, はい/いいえ); an empty cell or
「わからない」 means unknown and the field is left out. See examples/README.md for the columns.

Each bad row is reported on stderr with its row number and the reason, and the other rows are still
screened. The output has one row per input row: CSV for Excel (UTF-8 with BOM, CRLF) or JSON Lines.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from app.intake.columns import (
    CellCache,
    Row,
    RowError,
    printable,
    profile_errors,
    to_profile,
)
from eligibility.engine import ProgramResult, Screening
from eligibility.profile import ProfileError

EXIT_OK = 0
EXIT_FILE = 2  # the input cannot be read (or the output cannot be written)


STATUS_LABELS = {
    "ja": {"eligible": "対象", "needs_info": "要確認", "ineligible": "対象外"},
    "en": {"eligible": "eligible", "needs_info": "needs info", "ineligible": "not eligible"},
}


def ranked(screening: Screening) -> list[ProgramResult]:
    return sorted((r for r in screening.results if r.rank is not None), key=lambda r: r.rank or 0)


# A cell starting with one of these is run as a formula by Excel (or a pasted-into sheet): the half-width
# ones, their full-width forms (Excel for Japanese reads ＝１＋１ as =1+1), tab and CR (issue 16, finding 10).
FORMULA_START = frozenset("=+-@\t\r＝＋－＠")


def csv_cell(value: Any) -> Any:
    """A cell Excel will not run as a formula (CSV injection): every CSV export writes its cells through this.

    >>> csv_cell("=1+1"), csv_cell("＝１＋１"), csv_cell(" @SUM(A1)"), csv_cell("株式会社A"), csv_cell(None), csv_cell(3)
    ("'=1+1", "'＝１＋１", "' @SUM(A1)", '株式会社A', '', 3)
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    first = value.lstrip(" 　")[:1]
    return "'" + value if value[:1] in FORMULA_START or first in FORMULA_START else value


class CsvFormat:
    """One line per company for Excel; the records are lists of cells."""

    name = "csv"

    def __init__(self, lang: str, top: int):
        self.lang = lang
        self.top = top
        self.labels = STATUS_LABELS[lang]

    def header(self) -> list[str]:
        ja = self.lang == "ja"
        head = ["行番号", "会社名", "処理結果", "エラー内容", "基準日"] if ja else \
            ["row", "company_name", "result", "errors", "as_of"]
        for i in range(1, self.top + 1):
            head += [f"候補{i} 制度名", f"候補{i} 判定", f"候補{i} 見込み額（円）"] if ja else \
                [f"top{i}_program", f"top{i}_status", f"top{i}_estimate_yen"]
        head.append("対象の制度ID" if ja else "eligible_program_ids")
        return head

    def ok(self, number: int, name: str, screening: Screening) -> list[Any]:
        cells: list[Any] = [number, csv_cell(name), "ok", "", screening.as_of.isoformat()]
        best = ranked(screening)[: self.top]
        for r in best:
            p = r.program
            cells += [p.names.ja if self.lang == "ja" else p.names.en, self.labels[r.status],
                      r.estimate.amount_yen if r.estimate else ""]
        cells += ["", "", ""] * (self.top - len(best))
        cells.append(";".join(r.program_id for r in screening.results if r.status == "eligible"))
        return cells

    def error(self, number: int, name: str, errors: list[RowError]) -> list[Any]:
        text = " / ".join(e.text(self.lang) for e in errors)
        return [number, csv_cell(name), "error", csv_cell(text), "", *[""] * (3 * self.top), ""]


class JsonlFormat:
    """One JSON object per line: the full screening (as the API returns it) or the row's errors."""

    name = "jsonl"

    def __init__(self, lang: str):
        self.lang = lang

    def ok(self, number: int, name: str, screening: Screening) -> str:
        body = {"row": number, "company_name": name or None, "status": "ok", **screening.as_dict(self.lang)}
        return json.dumps(body, ensure_ascii=False)

    def error(self, number: int, name: str, errors: list[RowError]) -> str:
        body = {"row": number, "company_name": name or None, "status": "error",
                "errors": [{"field": e.label, "message": e.message_ja if self.lang == "ja" else e.message_en}
                           for e in errors]}
        return json.dumps(body, ensure_ascii=False)


Format = CsvFormat | JsonlFormat


FILLED_HEADING = {True: "gBizINFOで補完した項目", False: "filled_from_gbizinfo"}


def filled_text(filled: Any, lang: str) -> str:
    """The row's cells filled from gBizINFO, e.g. 「都道府県=東京都、従業員数=18（要確認）（gBizINFO（2026年7月1日更新）より）」."""
    if not filled:
        return ""
    listed = ("、" if lang == "ja" else ", ").join(f.describe(lang) for f in filled)
    source = filled[0].provenance or "gBizINFO"
    return f"{listed}（{source}）" if lang == "ja" else f"{listed} ({source})"


def with_filled(record: Any, filled: Any, lang: str) -> Any:
    """An output record with the column (CSV) or key (JSON Lines) that says which cells gBizINFO filled."""
    if isinstance(record, list):
        return [*record, csv_cell(filled_text(filled, lang))]
    body = json.loads(record)
    body[FILLED_HEADING[False]] = [{"column": f.heading, "value": f.text, "provenance": f.provenance,
                                    "to_confirm": f.confirm} for f in filled or ()]
    return json.dumps(body, ensure_ascii=False)


# ======================================================================== progress


class Progress:
    """A bar on stderr, drawn only when stderr is a terminal (at most ten times a second)."""

    def __init__(self, total: int, stream: IO[str], lang: str):
        self.total = max(total, 1)
        self.stream = stream
        self.lang = lang
        self.active = bool(getattr(stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last = 0.0

    def update(self, done: int, force: bool = False) -> None:
        if not self.active:
            return
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        frac = min(done / self.total, 1.0)
        filled = int(frac * 30)
        rate = done / max(now - self.start, 1e-9)
        unit = "件/秒" if self.lang == "ja" else "rows/s"
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done:,}/{self.total:,} {frac:4.0%} {rate:,.0f} {unit}")
        self.stream.flush()

    def message(self, text: str) -> None:
        if self.active:
            self.stream.write("\r\033[K")  # clear the bar; it is drawn again on the next update
            self.last = 0.0
        self.stream.write(text + "\n")

    def close(self, done: int) -> None:
        if self.active:
            self.update(done, force=True)
            self.stream.write("\n")
            self.stream.flush()


# ======================================================================== the run


@dataclass
class Summary:
    processed: int = 0
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0

    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def line(self, lang: str = "ja") -> str:
        if lang == "ja":
            return (f"完了: {self.processed:,}件を処理（成功 {self.ok:,}件、エラー {self.errors:,}件）"
                    f" {self.seconds:.2f}秒 {self.rate():,.0f}件/秒")
        return (f"done: {self.processed:,} rows processed ({self.ok:,} ok, {self.errors:,} errors)"
                f" in {self.seconds:.2f}s, {self.rate():,.0f} rows/s")


class ScreeningStore(Protocol):
    def save_screening(self, profile_dict: Any, screening: Screening, body: dict[str, Any],
                       source: str = ..., lang: str = ...) -> str: ...


class ScreeningService(Protocol):
    def screen(self, data: Any) -> Screening: ...


@dataclass
class RowResult:
    """One screened row, ready to write: `record` is the output line (CSV cells or a JSON string)."""

    number: int
    name: str
    errors: list[RowError]
    record: Any


def screen_row(services: ScreeningService, row: Row, default_as_of: str, fmt: Format,
               cache: CellCache | None = None) -> tuple[RowResult, dict[str, Any], Screening | None]:
    """One row's outcome. Whatever one row holds (NUL or other control characters, undecodable bytes, an
    absurd number, a bug the row triggers), only that row fails: its name and messages are made printable
    (they may quote the bad cell), so that storing or writing the row cannot fail the whole job. `cache`: the
    job's cell cache (each distinct cell text parsed once)."""
    profile: dict[str, Any] = {}
    name = ""
    screening = None
    try:
        profile, heading_of, errors = to_profile(row, cache)
        raw_name = profile.get("company_name")
        name = printable(raw_name.strip()) if isinstance(raw_name, str) else ""
        # The profile's checks run even when a cell could not be read (it is left out), so that a row's answer
        # names every problem at once (issue 14, item 7); a row with an error is not screened.
        profile.setdefault("as_of", default_as_of)
        try:
            found = services.screen(profile)
        except ProfileError as e:
            errors = errors + profile_errors(e, heading_of)
        else:
            screening = None if errors else found
    except Exception as e:  # a bug must not lose the other rows
        screening = None
        errors = [RowError("", f"予期しないエラー: {type(e).__name__}", f"unexpected error: {type(e).__name__}")]
    errors = [RowError(printable(e.label), printable(e.message_ja), printable(e.message_en)) for e in errors]
    record = fmt.error(row.number, name, errors) if screening is None else fmt.ok(row.number, name, screening)
    return RowResult(row.number, name, errors, record), profile, screening


def row_messages(outcome: RowResult, lang: str) -> list[str]:
    """A row's problems as stderr lines: 「12行目: 従業員数: …」 / "row 12: employees: …"."""
    if lang == "ja":
        return [f"{outcome.number}行目: {problem.text('ja')}" for problem in outcome.errors]
    return [f"row {outcome.number}: {problem.text('en')}" for problem in outcome.errors]


# What forked workers need; set just before the pool starts, inherited by fork (never pickled).
_JOB: tuple[ScreeningService, str, Format] | None = None
CHUNK = 64


def _work(row: Row) -> RowResult:
    assert _JOB is not None
    return screen_row(_JOB[0], row, _JOB[1], _JOB[2])[0]


def row_outcomes(services: ScreeningService, rows: list[Row], default_as_of: str, fmt: Format, jobs: int,
              store: ScreeningStore | None, lang: str) -> Iterator[RowResult]:
    """Screened rows in input order: in this process, or in `jobs` forked processes (POSIX, not with --store)."""
    global _JOB
    if jobs > 1 and store is None and len(rows) > CHUNK and "fork" in mp.get_all_start_methods():
        _JOB = (services, default_as_of, fmt)
        try:
            with mp.get_context("fork").Pool(jobs) as pool:
                yield from pool.imap(_work, rows, chunksize=CHUNK)
        finally:
            _JOB = None
        return
    for row in rows:
        outcome, profile, screening = screen_row(services, row, default_as_of, fmt)
        if store is not None and screening is not None:
            store.save_screening(profile, screening, screening.as_dict(lang), source="batch", lang=lang)
        yield outcome

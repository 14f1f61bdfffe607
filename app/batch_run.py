"""The batch run of `python -m app screen`: read the member list, screen by columns (CSV) or row by row, write, report.

CSV in and out with nothing stored or filled in goes by columns, streamed in chunks (app/batch_columnar.py);
JSON Lines, `--store` and a gBizINFO prefill go row by row (app/batch.py `screen_row`). Both write the same
records for the same rows (tests/intake/test_batch_columnar.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import multiprocessing as mp
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from threadpoolctl import threadpool_limits

from app.batch import (
    EXIT_FILE,
    EXIT_OK,
    FILLED_HEADING,
    CsvFormat,
    Format,
    JsonlFormat,
    Progress,
    ScreeningService,
    ScreeningStore,
    Summary,
    row_messages,
    row_outcomes,
    with_filled,
)
from app.batch_columnar import chunks, screen_records
from app.intake.columns import (
    JSONL_SUFFIXES,
    CellCache,
    InputError,
    Row,
    csv_records,
    decode,
    input_format,
    read_input,
)
from eligibility.profile import today_tokyo


@dataclass
class Block:
    """A chunk's rows, screened and written: the CSV text, the counts and the messages for stderr, in order."""

    text: str
    processed: int
    errors: int
    messages: list[str]


def _block(services: Any, records: list[tuple[int, list[str]]], use: list[tuple[int, str]], default_as_of: str,
           fmt: CsvFormat, cache: CellCache) -> Block:
    """One chunk of CSV records through the columns (app/batch_columnar.py), formatted where it was screened: a
    forked worker sends back one string, not a record per row."""
    outcomes = screen_records(services, records, use, default_as_of, fmt, cache)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(o.record for o in outcomes)
    messages = [m for o in outcomes for m in row_messages(o, fmt.lang)]
    return Block(buf.getvalue(), len(outcomes), sum(1 for o in outcomes if o.errors), messages)


def _columnar_blocks(services: Any, records: Iterable[tuple[int, list[str]]], use: list[tuple[int, str]],
                     default_as_of: str, fmt: CsvFormat, jobs: int) -> Iterator[Block]:
    """The chunks in input order, screened in this process or in `jobs` forked processes, with at most a few
    chunks in flight (memory stays bounded)."""
    with threadpool_limits(limits=1), _few_collections():  # numpy's BLAS threads would compete with the workers
        yield from _by_chunks(services, records, use, default_as_of, fmt, jobs)


GC_GEN0 = 50_000  # objects allocated between two young collections while the chunks run (Python's default: 700)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer cyclic garbage collections while the chunks run: what is loaded before (the catalog, the plans, the
    modules) is frozen out of the collector's scans, and the young generation is collected after 50,000 objects
    instead of 700. A chunk allocates millions of short-lived objects and frees nearly all of them by reference
    count; the collector's passes were a third of the run's time (100,000 bench rows, --jobs 1: 12,512 → 18,597
    rows/s, peak RSS 281 MiB either way). Forked workers inherit both settings; they are restored afterwards."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_GEN0, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _by_chunks(services: Any, records: Iterable[tuple[int, list[str]]], use: list[tuple[int, str]],
               default_as_of: str, fmt: CsvFormat, jobs: int) -> Iterator[Block]:
    global _CHUNK_JOB
    cache: CellCache = {}
    parts = chunks(records)
    # The first chunk here: what the columns learn once (the date's generated function, the tests' facts, the
    # windows, the cells) is then inherited by every forked worker instead of being learned again in each.
    first = next(parts, None)
    if first is None:
        return
    yield _block(services, first, use, default_as_of, fmt, cache)
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        _CHUNK_CACHE.update(cache)
        _CHUNK_JOB = (services, use, default_as_of, fmt)
        try:
            with mp.get_context("fork").Pool(jobs, initializer=_one_thread) as pool:
                pending: deque[Any] = deque()
                for chunk in parts:
                    pending.append(pool.apply_async(_work_chunk, (chunk,)))
                    if len(pending) >= 3 * jobs:
                        yield pending.popleft().get()
                while pending:
                    yield pending.popleft().get()
        finally:
            _CHUNK_JOB = None
        return
    for chunk in parts:
        yield _block(services, chunk, use, default_as_of, fmt, cache)


# What a forked chunk worker needs (inherited by fork, never pickled) and its own cell cache.
_CHUNK_JOB: tuple[Any, list[tuple[int, str]], str, CsvFormat] | None = None
_CHUNK_CACHE: CellCache = {}


def _one_thread() -> None:
    threadpool_limits(limits=1)


def _work_chunk(records: list[tuple[int, list[str]]]) -> Block:
    assert _CHUNK_JOB is not None
    services, use, default_as_of, fmt = _CHUNK_JOB
    return _block(services, records, use, default_as_of, fmt, _CHUNK_CACHE)


def run(
    services: ScreeningService,
    input_path: Path,
    output_path: Path,
    *,
    as_of: dt.date | None = None,
    lang: str = "ja",
    top: int = 3,
    in_format: str | None = None,
    out_format: str | None = None,
    encoding: str | None = None,
    jobs: int = 1,
    store: ScreeningStore | None = None,
    stderr: IO[str] | None = None,
    prefill: Callable[[list[Row], Progress, str], Any] | None = None,
    by_columns: bool = True,
) -> tuple[int, Summary]:
    """Screen every row of `input_path` into `output_path`; returns (exit code, summary). `by_columns=False`
    screens a CSV row by row (the reference the columnar path is compared with)."""
    err = stderr if stderr is not None else sys.stderr
    ja = lang == "ja"
    started = time.perf_counter()
    ofmt = out_format or ("jsonl" if output_path.suffix.lower() in JSONL_SUFFIXES else "csv")
    # CSV in and out, nothing stored or filled in: by columns, streamed in chunks (app/batch_columnar.py).
    columnar = by_columns and ofmt == "csv" and store is None and prefill is None and input_format(input_path, in_format) == "csv"
    rows: list[Row] = []  # row by row: the whole file; by columns the records stream instead
    try:
        if columnar:
            text = decode(input_path.read_bytes(), encoding)
            ignored, use, records = csv_records(text)
            total = max(text.count("\n") - 1, 1)  # for the progress bar only (a quoted cell may hold a newline)
            del text
        else:
            rows, ignored = read_input(input_path.read_bytes(), input_format(input_path, in_format), encoding)
            total = len(rows)
    except OSError as e:
        err.write(f"入力ファイルを読めません: {input_path}: {e.strerror or e}\n" if ja else
                  f"cannot read the input file {input_path}: {e.strerror or e}\n")
        return EXIT_FILE, Summary()
    except InputError as e:
        err.write(f"{input_path}: {e.message_ja if ja else e.message_en}\n")
        return EXIT_FILE, Summary()
    if ignored:
        err.write(("注意: 次の列は使いません: " if ja else "note: these columns are ignored: ") + "、".join(ignored) + "\n")

    default_as_of = (as_of or today_tokyo()).isoformat()  # one date for the whole run
    fmt: Format = CsvFormat(lang, top) if ofmt == "csv" else JsonlFormat(lang)
    summary = Summary()
    try:
        out = output_path.open("w", encoding="utf-8-sig" if ofmt == "csv" else "utf-8", newline="")
    except OSError as e:
        err.write(f"出力ファイルに書き込めません: {output_path}: {e.strerror or e}\n" if ja else
                  f"cannot write the output file {output_path}: {e.strerror or e}\n")
        return EXIT_FILE, summary
    progress = Progress(total, err, lang)
    filled: dict[int, Any] | None = None
    if prefill is not None:  # 法人番号 → blank cells filled from gBizINFO (app/companies/batch.py)
        filled = prefill(rows, progress, lang) or {}
    with out:
        csv_out = csv.writer(out, lineterminator="\r\n") if isinstance(fmt, CsvFormat) else None
        if csv_out is not None and isinstance(fmt, CsvFormat):
            csv_out.writerow(fmt.header() + ([FILLED_HEADING[lang == "ja"]] if filled is not None else []))
        try:
            if columnar and isinstance(fmt, CsvFormat):
                for block in _columnar_blocks(services, records, use, default_as_of, fmt, jobs):
                    summary.processed += block.processed
                    summary.errors += block.errors
                    summary.ok += block.processed - block.errors
                    for message in block.messages:
                        progress.message(message)
                    out.write(block.text)
                    progress.update(summary.processed)
            for outcome in ([] if columnar else row_outcomes(services, rows, default_as_of, fmt, jobs, store, lang)):
                summary.processed += 1
                if outcome.errors:
                    summary.errors += 1
                    for message in row_messages(outcome, lang):
                        progress.message(message)
                else:
                    summary.ok += 1
                record = outcome.record if filled is None else with_filled(outcome.record, filled.get(outcome.number), lang)
                if csv_out is not None:
                    csv_out.writerow(record)
                else:
                    out.write(record + "\n")
                progress.update(summary.processed)
        except InputError as e:  # a row the CSV reader cannot read, met while streaming: as if read up front
            progress.close(summary.processed)
            err.write(f"{input_path}: {e.message_ja if ja else e.message_en}\n")
            out.close()
            output_path.unlink(missing_ok=True)
            return EXIT_FILE, Summary()
    progress.close(summary.processed)
    summary.seconds = time.perf_counter() - started
    err.write(summary.line(lang) + "\n")
    err.flush()
    return EXIT_OK, summary

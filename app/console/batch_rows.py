"""The rows of a chamber's roster in the console batch: unnamed rows, duplicates of earlier cases, gBizINFO prefill, the result CSV.

Used by the batch worker (app/console/batch_worker.py) row by row, and by the upload (app/console/batch.py):
- a row without a name is still screened, named by its row number (「3行目の会社」);
- a re-upload is noticed by the file's SHA-256; with 「重複をとばす」 a row whose company already has a case
  made from an earlier list of the same desk is skipped (status `skipped`, linked to that case);
- a row with a 法人番号 gets its BLANK cells filled from gBizINFO (app/companies/batch.py `fill_row`: what the
  chamber typed wins; the source and its date are kept in the row's notes and on the case); when gBizINFO is
  down or the company unknown, the row is screened as typed with a note saying so;
- the result CSV speaks the chamber's language: 対象 / 要確認 / 対象外 and the programs' names.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.batch import STATUS_LABELS, CsvFormat, csv_cell, filled_text, ranked
from app.companies.batch import Filled, fetch_many, fill_row, is_blank
from app.companies.mapping import to_prefill
from app.companies.service import CompanyLookup
from app.intake.columns import Row, RowError, column_for, to_profile
from app.intake.normalize import NormalizeError, parse_corporate_number
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.console import Case
from eligibility.engine import Screening
from eligibility.profile import Profile

Msg = tuple[str, str]
ROW_NAME: Msg = ("{n}行目の会社", "Company in row {n}")
UNNAMED_NOTE: Msg = ("会社名がないため、行番号で呼んでいます", "No company name: called by its row number")
NAME_HEADING = "会社名"
RESULT_ERROR: Msg = ("エラー（読み取れない値）", "error (unreadable values)")
RESULT_SKIPPED: Msg = ("とばした（この窓口で案件済み）", "skipped (already a case of this desk)")
SKIPPED_NOTE: Msg = ("この窓口で前にアップロードした名簿から案件になっています", "Already a case from a list this desk uploaded before")
NOT_FOUND_NOTE: Msg = ("法人番号 {number} の会社はgBizINFOにありません（補完せずに判定しました）",
                       "gBizINFO has no company {number} (screened as typed)")
DOWN_NOTE: Msg = ("法人番号: {message}（補完せずに判定しました）", "Corporate number: {message} (screened as typed)")


def pick(msg: Msg, lang: str) -> str:
    return msg[0] if lang == "ja" else msg[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def field_of(heading: str) -> str | None:
    col_ = column_for(heading)
    return col_.field if col_ is not None else None


def has_column(rows: Iterable[Row], name: str) -> bool:
    """Whether any row has a cell that a column `name` reads (the CSV's headings are the rows' keys)."""
    return any(field_of(h) == name for row in rows for h in row.cells)


def cell(row: Row, name: str) -> str | None:
    """The text of the row's first non-blank cell that the column `name` reads."""
    for heading, value in row.cells.items():
        if field_of(heading) == name and isinstance(value, str) and not is_blank(value):
            return value.strip()
    return None


def name_unnamed(row: Row, lang: str) -> str | None:
    """Give a row without a company name its row number's name (in the cells, so the screening, the case and
    the printable summary carry it); the note to show, or None when the row has a name."""
    if cell(row, "company_name") is not None:
        return None
    heading = next((h for h in row.cells if field_of(h) == "company_name"), NAME_HEADING)
    row.cells = {**row.cells, heading: pick(ROW_NAME, lang).format(n=row.number)}
    return pick(UNNAMED_NOTE, lang)


def name_key(name: str) -> str:
    """The comparison key of a company name: NFKC, no spaces, case-folded (㈱ and (株) are one)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def earlier_cases(db: Session, desk_id: str, before: str) -> dict[str, str]:
    """Company name key → case id of the desk's cases made from earlier lists (the newest wins)."""
    rows = db.exec(select(col(BatchJobRow.company_name), col(BatchJobRow.case_id))  # type: ignore[call-overload]
                   .join(BatchJob, col(BatchJob.id) == col(BatchJobRow.job_id))
                   .join(Case, col(Case.id) == col(BatchJobRow.case_id))
                   .where(col(BatchJob.desk_id) == desk_id, col(BatchJob.id) != before,
                          col(BatchJobRow.case_id).is_not(None), col(Case.desk_id) == desk_id)
                   .order_by(col(BatchJob.created_at))).all()
    return {name_key(name): case_id for name, case_id in rows if name}


def earlier_upload(db: Session, desk_id: str, digest: str) -> BatchJob | None:
    """The desk's latest job of a file with the same content."""
    return db.scalars(select(BatchJob).where(col(BatchJob.desk_id) == desk_id, col(BatchJob.file_sha256) == digest)
                      .order_by(col(BatchJob.created_at).desc()).limit(1)).first()


# ------------------------------------------------------------------ gBizINFO prefill


@dataclass
class Prefilled:
    """What the prefill did to one row: the cells it filled (with their source) and the notes to show."""

    number: str | None = None
    filled: list[Filled] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


Fetch = Callable[[str], "dict[str, Any] | None"]


def prefill_fetch(lookup: CompanyLookup | None, known_programs: Iterable[str], gbiz_workers: int, rows: list[Row],
                  lang: str) -> tuple[Fetch | None, int]:
    """A 法人番号 → its gBizINFO prefill, for the rows that have one (None: no such row, or no token), and how
    many numbers to ask at once."""
    if lookup is None or not has_column(rows, "corporate_number") or not lookup.client.configured:
        return None, 1
    known = set(known_programs)

    def fetch(number: str) -> dict[str, Any] | None:
        record, _ = lookup.record(number)
        return None if record is None else to_prefill(number, record, known, lang)

    return fetch, gbiz_workers


def prefill_rows(rows: list[Row], fetch: Fetch, lang: str, workers: int = 2,
                 progress: Callable[[int, int], None] | None = None) -> dict[int, Prefilled]:
    """Fill the blank cells of every row with a valid 法人番号 (in place): row number → what was done.

    A value the row gives (its own column, or read from its address) is never replaced; each number is asked
    once, `workers` at a time (the client keeps to the rate limit; cache hits cost nothing)."""
    numbers: dict[int, str] = {}
    for row in rows:
        text = cell(row, "corporate_number")
        if text is None:
            continue
        try:
            numbers[row.number] = parse_corporate_number(text)
        except NormalizeError:
            continue  # the row's reader reports it
    if not numbers:
        return {}
    results = fetch_many(numbers.values(), fetch, workers=workers, progress=progress)
    out: dict[int, Prefilled] = {}
    for row in rows:
        number = numbers.get(row.number)
        if number is None:
            continue
        done = out[row.number] = Prefilled(number)
        result = results[number]
        if result.prefill is None:
            message = result.message_ja if lang == "ja" else result.message_en
            unknown = "gBizINFOにありません" in result.message_ja
            done.notes.append(pick(NOT_FOUND_NOTE, lang).format(number=number) if unknown
                              else pick(DOWN_NOTE, lang).format(message=message))
            continue
        stated, _, _ = to_profile(Row(row.number, dict(row.cells)))
        allowed = set(Profile.model_fields) - set(stated)
        row.cells, done.filled = fill_row(row.cells, result.prefill, field_of, allowed)
        done.source = dict(result.prefill.get("source") or {})
        if done.filled:
            done.notes.append(("gBizINFOで補完: " if lang == "ja" else "Filled from gBizINFO: ")
                              + filled_text(done.filled, lang))
    return out


# ------------------------------------------------------------------ the result CSV


class ChamberCsv(CsvFormat):
    """The console's result CSV: one line per row, 対象 / 要確認 / 対象外 and the programs' names, then the
    notes (inferred values, gBizINFO) and the cells gBizINFO filled."""

    def header(self) -> list[str]:
        ja = self.lang == "ja"
        head = ["行番号", "会社名", "判定結果", "エラー内容", "基準日"] if ja else \
            ["Row", "Company", "Result", "Errors", "Reference date"]
        for i in range(1, self.top + 1):
            head += [f"候補{i} 制度名", f"候補{i} 判定", f"候補{i} 見込み額（円）"] if ja else \
                [f"Program {i}", f"Program {i} result", f"Program {i} estimate (yen)"]
        head += ["対象の制度", "確認事項", "gBizINFOで補完した項目"] if ja else \
            ["Eligible programs", "Notes", "Filled from gBizINFO"]
        return head

    def overall(self, screening: Screening) -> str:
        statuses = {r.status for r in screening.results}
        best = next((s for s in ("eligible", "needs_info") if s in statuses), "ineligible")
        return STATUS_LABELS[self.lang][best]

    def ok(self, number: int, name: str, screening: Screening) -> list[Any]:
        ja = self.lang == "ja"
        cells: list[Any] = [number, csv_cell(name), self.overall(screening), "", screening.as_of.isoformat()]
        best = ranked(screening)[: self.top]
        for r in best:
            cells += [r.program.names.ja if ja else r.program.names.en, self.labels[r.status],
                      r.estimate.amount_yen if r.estimate else ""]
        cells += ["", "", ""] * (self.top - len(best))
        names = [r.program.names.ja if ja else r.program.names.en for r in ranked(screening) if r.status == "eligible"]
        cells.append(csv_cell(("、" if ja else "; ").join(names)))
        return cells

    def error(self, number: int, name: str, errors: list[RowError]) -> list[Any]:
        text = " / ".join(e.text(self.lang) for e in errors)
        return [number, csv_cell(name), pick(RESULT_ERROR, self.lang), csv_cell(text), "",
                *[""] * (3 * self.top), ""]

    def skipped(self, number: int, name: str) -> list[Any]:
        return [number, csv_cell(name), pick(RESULT_SKIPPED, self.lang), "", "", *[""] * (3 * self.top), ""]

    def finish(self, cells: list[Any], notes: list[str], filled: list[Filled]) -> list[Any]:
        """A line with its notes and the cells gBizINFO filled (the last two columns)."""
        return [*cells, csv_cell(" / ".join(notes)), csv_cell(filled_text(filled, self.lang))]


def notes_text(notes: Iterable[RowError], lang: str) -> list[str]:
    return [n.text(lang) for n in notes]


# ------------------------------------------------------------------ the ZIP


def zip_names(companies: Iterable[str]) -> list[str]:
    """One PDF name per company in the ZIP: the company's name made safe for every file system, unique.

    >>> zip_names(["株式会社A/B", "株式会社A/B", " .. ", "CON", "x" * 200])[:4]
    ['株式会社A_B.pdf', '株式会社A_B（2）.pdf', '会社.pdf', '_CON.pdf']
    >>> len(zip_names(["x" * 200])[0])
    84
    """
    out: list[str] = []
    seen: set[str] = set()
    for company in companies:
        safe = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", unicodedata.normalize("NFC", company)).strip(" .")[:80]
        if not safe:
            safe = "会社"
        if safe.split(".")[0].upper() in {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                                          *(f"LPT{i}" for i in range(10))}:
            safe = "_" + safe  # names Windows reserves
        name, n = f"{safe}.pdf", 1
        while name.casefold() in seen:
            n += 1
            name = f"{safe}（{n}）.pdf"
        seen.add(name.casefold())
        out.append(name)
    return out

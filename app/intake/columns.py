"""The columns of a member list (CSV or JSON Lines): headings in Japanese or English, one parser per cell, rows to profiles."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.intake.cells import (
    APPLICANT_ALIASES,
    DESIGN_ALIASES,
    EXAM_ALIASES,
    INDUSTRY_ALIASES,
    INTEREST_ALIASES,
    PHASE_ALIASES,
    RIGHT_ALIASES,
    UNKNOWN,
    Unplaced,
    bool_cell,
    cell_key,
    enum_list_parser,
    enum_parser,
    is_unknown,
    parse_disputes,
    parse_foreign_filings,
)
from app.intake.normalize import (
    NormalizeError,
    parse_corporate_number,
    parse_int,
    parse_yen,
)
from app.intake.parsers import (
    Parser,
    parse_iso_date,
    parse_prefecture,
    parse_share,
    parse_signed_yen,
    text_parser,
)
from app.intake.roster import (
    EXTRA_FIELDS,
    applicant_from_name,
    headings_of,
    industry_from_text,
    parse_address,
)
from eligibility.facts import ENUM_LABELS, FIELD_LABELS, field_label
from eligibility.profile import MAX_DESCRIPTION, Profile, ProfileError

JSONL_SUFFIXES = (".jsonl", ".ndjson")

# ======================================================================== columns


@dataclass(frozen=True)
class Column:
    field: str  # contract field; "a.b" for a nested one
    parse: Parser
    headings: tuple[str, ...] = ()


def _corporate_number(text: str) -> Any:
    """A checked 法人番号; a profile field once the Profile has one (contract v1.1), else read by the prefill only."""
    number = parse_corporate_number(text)
    return number if "corporate_number" in Profile.model_fields else UNKNOWN


def _industry(text: str) -> Any:
    """One of our industries: its name or an alias, else a free-text 業種 through the JSIC table
    (programs/jsic_industries.yaml); text that fits none is Unplaced (a note, never a rejected row)."""
    try:
        return _industry_enum(text)
    except NormalizeError:
        value = industry_from_text(text)
        if value is None:
            raise Unplaced(
                "industry", f"「{text.strip()}」をどの業種に当たるか判断できませんでした（業種は判定の後で確認してください）",
                f"Could not tell which industry {text.strip()!r} is (confirm the industry after the screening)") from None
        return value


_industry_enum = enum_parser("industry", INDUSTRY_ALIASES)

# The parser of each column; its headings are data (programs/roster_columns.yaml, app/intake/roster.py).
PARSERS: dict[str, Parser] = {
    "company_name": text_parser(200),
    "contact_name": text_parser(100),  # kept as the case's contact (EXTRA_FIELDS), never screened
    "address": parse_address,  # → prefecture and municipality (their own columns win)
    "as_of": parse_iso_date,
    "applicant_type": enum_parser("applicant_type", APPLICANT_ALIASES),
    "established_on": parse_iso_date,
    "employees": parse_int,
    "capital_yen": parse_yen,
    "industry": _industry,
    "prefecture": parse_prefecture,
    "municipality": text_parser(40),  # municipal programs (DOMAIN.md 7.4)
    "corporate_number": _corporate_number,  # gBizINFO prefill (issue 13)
    "large_company_shareholding.largest": parse_share,
    "large_company_shareholding.combined": parse_share,
    "large_company_officer_ratio": parse_share,
    "wholly_owned_by_large_parent": bool_cell,
    "avg_taxable_income_yen": parse_signed_yen,
    "phase": enum_parser("phase", PHASE_ALIASES),
    "domestic_applications": enum_list_parser("right", RIGHT_ALIASES, {"patent", "utility_model", "design", "trademark"}),
    "patent_exam_status": enum_parser("patent_exam_status", EXAM_ALIASES),
    "design_application": enum_parser("design_application", DESIGN_ALIASES),
    "working_related": bool_cell,
    "foreign_filings": parse_foreign_filings,
    "overseas_disputes": parse_disputes,
    "litigation_insurance.premium_yen": parse_yen,
    "litigation_insurance.renewal": bool_cell,
    "vc_backed": bool_cell,
    "interests": enum_list_parser("interests", INTEREST_ALIASES),
    "description": text_parser(MAX_DESCRIPTION),
    "chamber_member": bool_cell,
    "design_bulk_filing": bool_cell,
}
COLUMNS: tuple[Column, ...] = tuple(Column(f, parse, headings_of(f)) for f, parse in PARSERS.items())


def _heading_table() -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in COLUMNS:
        head = col.field.split(".")[0]
        names = [col.field, *col.headings]
        if "." not in col.field and head in FIELD_LABELS:
            names.append(FIELD_LABELS[head][0])
        for name in names:
            table.setdefault(cell_key(name), col)
    return table


HEADINGS = _heading_table()


@lru_cache(maxsize=4096)  # a roster repeats its few headings on every row; the lookup normalises the text
def column_for(heading: str) -> Column | None:
    """The column a heading names (Japanese heading or contract field name; 全角/半角 and spaces ignored).

    >>> column_for("従業員数").field, column_for("employees").field, column_for("大企業の出資比率(合計)").field
    ('employees', 'employees', 'large_company_shareholding.combined')
    >>> column_for("電話番号") is None
    True
    """
    return HEADINGS.get(cell_key(heading.lstrip("\ufeff")))


# ======================================================================== rows → profiles


@dataclass
class RowError:
    label: str  # the heading as written in the file (or the field's Japanese label)
    message_ja: str
    message_en: str

    def text(self, lang: str = "ja") -> str:
        msg = self.message_ja if lang == "ja" else self.message_en
        return f"{self.label}: {msg}" if self.label else msg


@dataclass
class Row:
    number: int  # CSV: the spreadsheet row (heading = 1); JSON Lines: the line
    cells: dict[str, Any]  # heading or key → raw value
    errors: list[RowError] = field(default_factory=list)  # problems found while reading the row
    notes: list[RowError] = field(default_factory=list)  # what the reader inferred or could not place (not errors)


def _put(profile: dict[str, Any], path: str, value: Any) -> None:
    head, _, sub = path.partition(".")
    if sub:
        inner = profile.setdefault(head, {})
        if isinstance(inner, dict):
            inner[sub] = value
    else:
        profile[head] = value


# A cell's reading: ("unknown", None) | ("ok", value) | ("note", Unplaced) | ("error", NormalizeError), by
# (field, text).
CellCache = dict[tuple[str, str], tuple[str, Any]]


def parse_cell(col: Column, raw: str, cache: CellCache | None) -> tuple[str, Any]:
    """One cell through its column's parser (empty or 「わからない」: unknown), each distinct text once per cache
    (the parsers are pure functions of the text)."""
    key = (col.field, raw)
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    try:
        got: tuple[str, Any] = ("unknown", None) if is_unknown(raw) else ("ok", col.parse(raw))
    except Unplaced as e:
        got = ("note", e)
    except NormalizeError as e:
        got = ("error", e)
    if cache is not None:
        if len(cache) > 200_000:  # a file of mostly distinct cells (names, texts): memory stays bounded
            cache.clear()
        cache[key] = got
    return got


def to_profile(row: Row, cache: CellCache | None = None) -> tuple[dict[str, Any], dict[str, str], list[RowError]]:
    """The profile of one row, which heading fed which field (for messages), and the cells' errors.

    An address fills 都道府県 and 市区町村 that have no column (or an empty one) of their own; the
    contact is not a profile field; without an 申請者の種類 the name's legal form (株式会社 …) gives it.
    What was inferred or could not be placed is put in `row.notes`. With a `cache` (a batch), each distinct
    cell text is parsed once.
    """
    profile: dict[str, Any] = {}
    heading_of: dict[str, str] = {}
    errors = list(row.errors)
    row.notes = []
    address: dict[str, str] = {}
    for heading, raw in row.cells.items():
        col = column_for(heading)
        if raw is None:
            continue
        if col is None:  # JSON Lines: pass unknown keys on, so that the profile's validation names them
            profile[heading] = raw
            continue
        if col.field in EXTRA_FIELDS:
            continue
        heading_of[col.field] = heading
        if not isinstance(raw, str):  # JSON Lines: a number, list or object goes to validation as it is
            _put(profile, col.field, raw)
            continue
        kind, value = parse_cell(col, raw, cache)
        if kind == "unknown":
            continue
        if kind == "note":
            row.notes.append(RowError(heading, value.message_ja, value.message_en))
            continue
        if kind == "error":
            errors.append(RowError(heading, value.message_ja, value.message_en))
            continue
        if col.field == "address":
            address = value
        elif value is not UNKNOWN:
            _put(profile, col.field, value)
    for part, value in address.items():
        if part not in profile:
            profile[part] = value
            heading_of.setdefault(part, heading_of["address"])
    company = profile.get("company_name")
    if "applicant_type" not in profile and isinstance(company, str) and (found := applicant_from_name(company)):
        profile["applicant_type"] = found[0]
        row.notes.append(RowError(field_label("applicant_type"), f"会社名の「{found[1]}」から{ENUM_LABELS['applicant_type'][found[0]][0]}と判断しました",
                                  f"taken as {ENUM_LABELS['applicant_type'][found[0]][1]} from {found[1]!r} in the name"))
    return profile, heading_of, errors


def profile_errors(e: ProfileError, heading_of: dict[str, str]) -> list[RowError]:
    """The profile's validation errors, named by the heading the user wrote (foreign_filings[1] → 2件目)."""
    out = []
    for fe in e.errors:
        path = re.sub(r"\[\d+\]", "", fe.field)
        head = path.split(".")[0]
        label = heading_of.get(path) or heading_of.get(head) or "・".join(
            h for f, h in heading_of.items() if f.startswith(head + ".")) or None
        if label is None:
            label = field_label(path.split(".")[0]) if fe.field else ""
        elif m := re.search(r"\[(\d+)\]", fe.field):
            label += f"（{int(m[1]) + 1}件目）"
        out.append(RowError(label, fe.message_ja, fe.message_en))
    return out


# ======================================================================== reading


class InputError(Exception):
    """The input file cannot be read at all (exit code 2)."""

    def __init__(self, message_ja: str, message_en: str):
        self.message_ja = message_ja
        self.message_en = message_en
        super().__init__(message_en)


UNDECODABLE = re.compile("[\ud800-\udfff]")  # bytes the encoding could not read (surrogateescape), or a lone surrogate
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
BAD_BYTES = ("読み取れない文字があります（ファイルの文字コードは UTF-8 か Shift_JIS（CP932）にしてください）",
             "Contains bytes that cannot be read (save the file as UTF-8 or Shift_JIS (CP932))")
_UNDECODABLE_FILE = ("文字コードを判別できません。UTF-8 か Shift_JIS（CP932）で保存してください",
                     "Cannot decode the file; save it as UTF-8 or Shift_JIS (CP932)")


def printable(text: str) -> str:
    """Text safe to store and write (PostgreSQL refuses NUL; UTF-8 cannot hold a lone surrogate): control
    characters and undecodable bytes become U+FFFD (tab, LF and CR stay).

    >>> printable("株式会社\\x00A\\udc80"), printable("a\\tb")
    ('株式会社\\ufffdA\\ufffd', 'a\\tb')
    """
    return _UNPRINTABLE.sub("\ufffd", text)


def decode(data: bytes, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM), else CP932 as Japanese Excel saves it.

    The heading line decides the encoding; a few undecodable bytes in the data rows are kept as lone
    surrogates (surrogateescape), so that only their rows fail (`read_csv`), not the whole file.

    >>> decode("会社名".encode("cp932")), decode("\\ufeff会社名".encode("utf-8"))
    ('会社名', '会社名')
    >>> decode("会社名\\n".encode() + b"A\\xff\\n")
    '会社名\\nA\\udcff\\n'
    """
    candidates = [encoding] if encoding else ["utf-8-sig", "cp932"]
    for enc in candidates:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    heading = data.split(b"\n", 1)[0]
    best: tuple[int, str] | None = None
    for enc in candidates:
        try:
            heading.decode(enc)
            text = data.decode(enc, "surrogateescape")
        except (UnicodeDecodeError, LookupError):
            continue
        bad = sum(1 for line in text.splitlines() if UNDECODABLE.search(line))
        if best is None or bad < best[0]:
            best = (bad, text)
    if best is None or (best[0] >= 5 and best[0] * 2 > len(best[1].splitlines()) - 1):  # mostly unreadable: a wrong file
        raise InputError(*_UNDECODABLE_FILE)
    return best[1]


def input_format(path: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "csv"


def csv_records(text: str) -> tuple[list[str], list[tuple[int, str]], Iterator[tuple[int, list[str]]]]:
    """The headings that are ignored, the columns used (position, heading) and the data records with their
    spreadsheet row numbers (heading = row 1), read as they are asked for; InputError for a file without a
    known heading, or at a broken record. `row_of` makes a record a Row."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("ファイルが空です", "The file is empty") from None
    except csv.Error as e:
        raise InputError(f"CSV として読めません: {e}", f"Not a readable CSV file: {e}") from None
    known = [h for h in header if column_for(h) is not None]
    if not known:
        raise InputError(
            "1行目に見出し（会社名、従業員数、資本金 など）が見つかりません",
            "No known column heading in the first row (e.g. company_name, employees, capital_yen)",
        )
    seen: set[str] = set()
    use: list[tuple[int, str]] = []
    for i, h in enumerate(header):
        col = column_for(h)
        if col is not None and col.field not in seen:
            seen.add(col.field)
            use.append((i, h.lstrip("\ufeff").strip()))
    ignored = [h.strip() for h in header if h.strip() and column_for(h) is None]

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for record in reader:
                number += 1
                if "".join(record).strip():  # an empty line (or one of blank cells) is skipped
                    yield number, record
        except csv.Error as e:
            raise InputError(f"{number + 1}行目付近を CSV として読めません: {e}",
                             f"CSV error near row {number + 1}: {e}") from None

    return ignored, use, records()


def row_of(number: int, record: list[str], use: list[tuple[int, str]]) -> Row:
    """A CSV record as a Row: the used columns' cells by heading (a short record's missing cells are empty)."""
    return _readable(Row(number, {h: (record[i] if i < len(record) else "") for i, h in use}))


def iter_csv(text: str) -> tuple[list[str], Iterator[Row]]:
    """The headings that are ignored and the data rows, read as they are asked for."""
    ignored, use, records = csv_records(text)
    return ignored, (row_of(n, r, use) for n, r in records)


def read_csv(text: str) -> tuple[list[Row], list[str]]:
    """The data rows (numbered as in a spreadsheet, heading = row 1) and the headings that are ignored."""
    ignored, rows = iter_csv(text)
    return list(rows), ignored


def read_input(data: bytes, in_format: str = "csv", encoding: str | None = None) -> tuple[list[Row], list[str]]:
    """The rows of a file's bytes (CSV or JSON Lines) and the CSV headings that are ignored.

    Used by the command line and by the console's upload (app/console/batch.py); InputError when the
    bytes cannot be read at all.

    >>> rows, ignored = read_input("会員番号,会社名,従業員数\\r\\nA-1,株式会社テスト,２０\\r\\n".encode("cp932"))
    >>> [(r.number, r.cells) for r in rows], ignored
    ([(2, {'会社名': '株式会社テスト', '従業員数': '２０'})], ['会員番号'])
    """
    text = decode(data, encoding)
    if in_format == "jsonl":
        return read_jsonl(text), []
    return read_csv(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def read_jsonl(text: str) -> list[Row]:
    rows = []
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            rows.append(Row(number, {}, [RowError("", "JSON として読めません", "Not valid JSON")]))
            continue
        if not isinstance(data, dict):
            rows.append(Row(number, {}, [RowError("", "1行に1つの JSON オブジェクト（{...}）を書いてください",
                                                  "Each line must be one JSON object")]))
            continue
        rows.append(_readable(Row(number, data)))
    return rows


def _has_bad_bytes(value: Any) -> bool:
    if isinstance(value, str):
        return UNDECODABLE.search(value) is not None
    if isinstance(value, list):
        return any(_has_bad_bytes(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bad_bytes(k) or _has_bad_bytes(v) for k, v in value.items())
    return False


def _readable(row: Row) -> Row:
    """A row whose cells hold undecodable bytes (or lone surrogates) fails with one error per such cell; the
    cell is dropped (the company name is kept with U+FFFD, so that the row can be recognised)."""
    values = list(row.cells.values())
    if all(isinstance(v, str) for v in values) and UNDECODABLE.search("".join([*row.cells, *values])) is None:
        return row  # the usual row: one search over all its text (the pattern is one character class)
    for heading in [h for h, v in row.cells.items() if _has_bad_bytes(h) or _has_bad_bytes(v)]:
        value = row.cells.pop(heading)
        row.errors.append(RowError(printable(heading), *BAD_BYTES))
        col = column_for(printable(heading))
        if col is not None and col.field == "company_name" and isinstance(value, str):
            row.cells[heading if not _has_bad_bytes(heading) else "company_name"] = printable(value)
    return row


# ======================================================================== writing

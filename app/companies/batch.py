"""Roster prefill: a `法人番号` column fills BLANK cells from gBizINFO (never what the roster says), within the rate limit.

`fill_row` is pure: a row's cells and a company's prefill → the new cells and which were filled. `fetch_many`
asks for many numbers (each once, a few at a time; the client spaces its requests to
`NAVI_GBIZINFO_REQUESTS_PER_SECOND`, cache hits cost nothing) and reports progress. `prefill_rows` does both
for the rows of app/batch.py. Cells are filled as text, the way a person would type them, so the roster's own
parsers read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from app.companies.client import GbizError
from app.intake.columns import Row, to_profile
from app.intake.normalize import NormalizeError, parse_corporate_number

# The fields a roster can hold that gBizINFO knows, and the heading of a column the roster does not have.
FILL_HEADINGS: dict[str, str] = {
    "applicant_type": "申請者の種類",
    "established_on": "設立日",
    "capital_yen": "資本金",
    "employees": "従業員数",
    "industry": "業種",
    "prefecture": "都道府県",
    "municipality": "市区町村",
    "domestic_applications": "国内出願",
}
FieldOf = Callable[[str], "str | None"]  # a heading → the profile field it feeds (app.batch.column_for)


@dataclass(frozen=True)
class Filled:
    heading: str
    field: str
    text: str
    provenance: str
    confirm: bool  # a suggestion (employees, rights): the output says to check it

    def describe(self, lang: str = "ja") -> str:
        mark = ("（要確認）" if lang == "ja" else " (to confirm)") if self.confirm else ""
        return f"{self.heading}={self.text}{mark}"


def is_blank(value: Any) -> bool:
    """An empty cell (absent, null, or only spaces). 「わからない」 is an answer, and is kept."""
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    return "、".join(str(v) for v in value) if isinstance(value, list) else str(value)


def fill_row(cells: dict[str, Any], prefill: dict[str, Any], field_of: FieldOf,
             fields: Iterable[str] | None = None) -> tuple[dict[str, Any], list[Filled]]:
    """The row's cells with its blank ones filled from the prefill, and what was filled.

    A column the roster lacks is added under FILL_HEADINGS' heading when `field_of` knows it (and `fields`,
    if given, allows it: e.g. only the fields a profile takes).

    >>> of = {"資本金": "capital_yen", "従業員数": "employees", "都道府県": "prefecture"}.get
    >>> p = {"facts": {"capital_yen": {"value": 3000, "provenance": "P"}, "prefecture": {"value": "東京都",
    ...      "provenance": "P"}, "employees": {"value": 18, "provenance": "P", "suggestion": True}}}
    >>> cells, filled = fill_row({"資本金": "1000万円", "従業員数": " "}, p, of)
    >>> cells, [f.describe() for f in filled]
    ({'資本金': '1000万円', '従業員数': '18', '都道府県': '東京都'}, ['都道府県=東京都', '従業員数=18（要確認）'])
    """
    out = dict(cells)
    heading_of: dict[str, str] = {}
    for heading in cells:
        field = field_of(heading)
        if field is not None:
            heading_of.setdefault(field, heading)
    allowed = set(fields) if fields is not None else None
    filled: list[Filled] = []
    for field, fact in (prefill.get("facts") or {}).items():
        if field not in FILL_HEADINGS or (allowed is not None and field not in allowed):
            continue
        heading = heading_of.get(field) or FILL_HEADINGS[field]
        if field not in heading_of and field_of(heading) != field:  # the roster's reader would not know the column
            continue
        if not is_blank(out.get(heading)):
            continue  # never overwrite what the roster says
        text = _cell_text(fact["value"])
        out[heading] = text
        filled.append(Filled(heading, field, text, fact.get("provenance") or "", bool(fact.get("suggestion"))))
    return out, filled


@dataclass(frozen=True)
class Fetched:
    """One number's outcome: its prefill, or None with the reason (unknown company, gBizINFO unavailable)."""

    prefill: dict[str, Any] | None
    message_ja: str = ""
    message_en: str = ""


def fetch_many(numbers: Iterable[str], fetch: Callable[[str], dict[str, Any] | None], *, workers: int = 2,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Fetched]:
    """Each distinct number fetched once, `workers` at a time; `progress(done, total)` after each."""
    todo = list(dict.fromkeys(numbers))
    out: dict[str, Fetched] = {}

    def one(number: str) -> tuple[str, Fetched]:
        try:
            prefill = fetch(number)
        except GbizError as e:
            return number, Fetched(None, e.message("ja"), e.message("en"))
        if prefill is None:
            return number, Fetched(None, f"法人番号 {number} の会社はgBizINFOにありません（補完しません）",
                                   f"gBizINFO has no company {number} (nothing filled)")
        return number, Fetched(prefill)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for done, (number, result) in enumerate(pool.map(one, todo), start=1):
            out[number] = result
            if progress is not None:
                progress(done, len(todo))
    return out


class RowLike(Protocol):
    number: int
    cells: dict[str, Any]


class ProgressLike(Protocol):
    def update(self, done: int, force: bool = False) -> None: ...
    def message(self, text: str) -> None: ...


def corporate_number(cells: dict[str, Any], field_of: FieldOf) -> str | None:
    """The row's 法人番号 when it is there and valid (a wrong one is the row's error, reported by its reader)."""
    for heading, value in cells.items():
        if field_of(heading) == "corporate_number" and isinstance(value, str | int) and not is_blank(value):
            try:
                return parse_corporate_number(str(value))
            except NormalizeError:
                return None
    return None


def prefill_rows(rows: list[Any], fetch: Callable[[str], dict[str, Any] | None], field_of: FieldOf,
                 progress: ProgressLike, lang: str = "ja", fields: Iterable[str] | None = None,
                 workers: int = 2) -> dict[int, list[Filled]]:
    """Fill the blank cells of every row that has a 法人番号 (in place); row number → what was filled.

    Each filled cell, and each number that could not be used, is reported through `progress.message`.
    """
    numbers = {row.number: n for row in rows if (n := corporate_number(row.cells, field_of)) is not None}
    if not numbers:
        return {}
    results = fetch_many(numbers.values(), fetch, workers=workers, progress=lambda done, _: progress.update(done))
    ja = lang == "ja"
    out: dict[int, list[Filled]] = {}
    for row in rows:
        number = numbers.get(row.number)
        if number is None:
            continue
        result = results[number]
        if result.prefill is None:
            progress.message(f"{row.number}行目: {result.message_ja}" if ja else f"row {row.number}: {result.message_en}")
            continue
        # A value the row gives indirectly (都道府県 read from its 所在地) is the roster's too: never replaced.
        stated = set(to_profile(Row(row.number, dict(row.cells)))[0])
        row.cells, filled = fill_row(row.cells, result.prefill, field_of,
                                     None if fields is None else set(fields) - stated)
        if filled:
            out[row.number] = filled
            source = result.prefill.get("source", {}).get("provenance", "gBizINFO")
            listed = "、".join(f.describe(lang) for f in filled) if ja else ", ".join(f.describe(lang) for f in filled)
            progress.message(f"{row.number}行目: 空欄を補完（{source}）: {listed}" if ja else
                             f"row {row.number}: blank cells filled ({source}): {listed}")
    return out

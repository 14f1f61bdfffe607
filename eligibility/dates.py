"""Date helpers: the 10-year convention (民法 第140条), fiscal years and elapsed time in words."""

from __future__ import annotations

import datetime as dt


def add_years(d: dt.date, years: int) -> dt.date:
    """Same month and day `years` later; 29 February becomes 28 February.

    >>> add_years(dt.date(2016, 4, 1), 10)
    datetime.date(2026, 4, 1)
    >>> add_years(dt.date(2016, 2, 29), 10)
    datetime.date(2026, 2, 28)
    >>> add_years(dt.date(2016, 2, 29), 4)
    datetime.date(2020, 2, 29)
    """
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def not_yet_passed(established_on: dt.date, as_of: dt.date, years: int) -> bool:
    """True while `years` years have not passed (the first day not counted).

    >>> not_yet_passed(dt.date(2016, 4, 1), dt.date(2026, 4, 1), 10)
    True
    >>> not_yet_passed(dt.date(2016, 4, 1), dt.date(2026, 4, 2), 10)
    False
    >>> not_yet_passed(dt.date(2016, 2, 29), dt.date(2026, 2, 28), 10)
    True
    >>> not_yet_passed(dt.date(2016, 2, 29), dt.date(2026, 3, 1), 10)
    False
    """
    return as_of <= add_years(established_on, years)


def fiscal_year(d: dt.date, start_month: int = 4) -> int:
    """The fiscal year a date falls in, named by the year it starts (令和7年度 = 2025).

    >>> fiscal_year(dt.date(2026, 3, 31))
    2025
    >>> fiscal_year(dt.date(2026, 4, 1))
    2026
    """
    return d.year if d.month >= start_month else d.year - 1


def elapsed(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Whole years and months from start to end.

    >>> elapsed(dt.date(2019, 4, 1), dt.date(2026, 11, 21))
    (7, 7)
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    months = max(months, 0)
    return months // 12, months % 12


def elapsed_text(start: dt.date, end: dt.date, lang: str = "ja") -> str:
    """Elapsed time as words.

    >>> elapsed_text(dt.date(2019, 4, 1), dt.date(2026, 11, 21))
    '設立 2019-04-01 → 2026-11-21 時点で 7年7か月'
    """
    y, m = elapsed(start, end)
    if lang == "ja":
        return f"設立 {start.isoformat()} → {end.isoformat()} 時点で {y}年{m}か月"
    return f"founded {start.isoformat()}; {y} years {m} months as of {end.isoformat()}"

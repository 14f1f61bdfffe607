"""Read gBizINFO's loose values: "Null" strings, numbers as strings, dates as 19370828 or ISO datetimes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

# Real v2 responses mark an empty value both as JSON null and as the string "Null" (fixtures README).
_NULL_WORDS = frozenset({"", "null", "none", "-", "―", "－"})


def clean(value: Any) -> Any:
    """None for gBizINFO's empty markers, stripped text otherwise; lists and dicts cleaned recursively.

    >>> clean("Null"), clean(" null "), clean(None), clean(" 株式会社A ")
    (None, None, None, '株式会社A')
    >>> clean({"a": "Null", "b": ["x", "NULL"]})
    {'a': None, 'b': ['x']}
    """
    if isinstance(value, str):
        text = value.strip()
        return None if text.casefold() in _NULL_WORDS else text
    if isinstance(value, list):
        return [v for v in (clean(x) for x in value) if v is not None]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def as_int(value: Any) -> int | None:
    """A non-negative integer from a number or a string such as "1781931", "30,000,000" or "１８"; else None.

    >>> as_int("1781931"), as_int(30000000), as_int("30,000,000"), as_int("１８")
    (1781931, 30000000, 30000000, 18)
    >>> as_int("Null"), as_int(-1), as_int("12.5"), as_int(True), as_int(3.0)
    (None, None, None, None, 3)
    """
    value = clean(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        return int(text) if text.isdigit() and len(text) <= 16 else None
    return None


_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")


def as_date(value: Any) -> dt.date | None:
    """A date from 19370828, 2010-01-15, 2010/1/15 or 2022-04-15T00:00:00+09:00 (the date as written, JST); else None.

    >>> as_date("19370828"), as_date("2010-01-15"), as_date("2022-04-15T00:00:00+09:00")
    (datetime.date(1937, 8, 28), datetime.date(2010, 1, 15), datetime.date(2022, 4, 15))
    >>> as_date("Null"), as_date("20231341"), as_date(20240401)
    (None, None, datetime.date(2024, 4, 1))
    """
    value = clean(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value)
    m = _COMPACT.fullmatch(text) or _ISO.match(text) or _SLASH.fullmatch(text)
    if m is None:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None

"""Dates and times as a page shows them, in Japanese (和暦 aside: 2026年4月1日) or English."""


from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")
# ------------------------------------------------------------------ formatting


def fmt_date(value: dt.date | str | None, lang: str) -> str:
    """A date for people.

    >>> fmt_date("2025-09-01", "ja"), fmt_date(dt.date(2025, 9, 1), "en")
    ('2025年9月1日', '1 September 2025')
    """
    if value is None:
        return ""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日" if lang == "ja" else f"{d.day} {d:%B} {d.year}"


def fmt_datetime(value: dt.datetime, lang: str) -> str:
    """A UTC time in Japan time.

    >>> fmt_datetime(dt.datetime(2025, 9, 1, 5, 3, tzinfo=dt.UTC), "ja")
    '2025年9月1日 14:03'
    """
    local = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(JST)
    return f"{fmt_date(local.date(), lang)} {local:%H:%M}" + ("" if lang == "ja" else " JST")

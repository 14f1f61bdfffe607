"""A program's application window in plain words (「受付中：12月14日（月）17時まで（あと12日）」), and when its
information was last checked: the one formatting used by the results page, print page, PDF, ICS and console.

Input is the stored `window` dict of a result (eligibility/windows.py `Window.as_dict`), so a stored screening
reads the same later. Readings: a date in the year of the screening's 基準日 is shown without its year; a
closing time of 23:59:59 (a date alone in the 公募要領) is shown as the day alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from eligibility.windows import wareki_fy

_WEEK_JA = "月火水木金土日"
_WEEK_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


@dataclass
class WindowText:
    """What a page shows about applying: a headline, a prediction line, and the details with their links."""

    status: str
    headline: str
    prediction: str | None = None
    round: str | None = None
    operator: str | None = None
    operator_url: str | None = None
    prerequisites: list[str] = field(default_factory=list)
    source_title: str | None = None
    source_url: str | None = None
    checked: str | None = None  # 「最終確認：11月30日」
    checked_at: dt.date | None = None


def _day(t: dt.datetime | dt.date, lang: str, year: int | None) -> str:
    d = t.date() if isinstance(t, dt.datetime) else t
    if lang == "ja":
        y = "" if d.year == year else f"{d.year}年"
        return f"{y}{d.month}月{d.day}日（{_WEEK_JA[d.weekday()]}）"
    y = "" if d.year == year else f" {d.year}"
    return f"{_WEEK_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]}{y}"


def _moment(iso: str, lang: str, year: int | None, closing: bool) -> str:
    t = dt.datetime.fromisoformat(iso)
    text = _day(t, lang, year)
    whole_day = (t.hour, t.minute) == ((23, 59) if closing else (0, 0))
    if whole_day:
        return text
    if lang == "ja":
        return text + (f"{t.hour}時" if t.minute == 0 else f"{t.hour}時{t.minute:02d}分")
    return f"{text}, {t:%H:%M}"


def _span(w: dict[str, Any], lang: str, year: int | None) -> str:
    ja = lang == "ja"
    opens = _moment(w["opens_at"], lang, year, False) if w.get("opens_at") else None
    closes = _moment(w["closes_at"], lang, year, True) if w.get("closes_at") else None
    if opens and closes:
        return f"{opens}〜{closes}" if ja else f"{opens} – {closes}"
    return opens or closes or ""


def checked_text(d: dt.date, lang: str, year: int | None) -> str:
    """「最終確認：11月30日」 / "Last checked: 30 November"."""
    day = _day(d, lang, year)
    if lang == "ja":
        return "最終確認：" + day.split("（")[0]
    return "Last checked: " + day.split(" ", 1)[1]


def window_text(w: dict[str, Any] | None, lang: str, as_of: dt.date) -> WindowText | None:
    """The window of one result in words; None when the program has no call for applications."""
    if not w:
        return None
    ja, year = lang == "ja", as_of.year
    status = w.get("status") or "unknown"
    last = w.get("last_round") or None
    fy_now = as_of.year if as_of.month >= 4 else as_of.year - 1
    prediction = None
    if status in ("open", "closing_soon"):
        label = ("受付中" if status == "open" else "締切間近") if ja else ("Open" if status == "open" else "Closing soon")
        left = w.get("days_left")
        if w.get("closes_at"):
            until = _moment(w["closes_at"], lang, year, True)
            head = f"{label}：{until}まで" if ja else f"{label}: until {until}"
        else:
            head = f"{label}：締切日の定めなし（予算に達し次第終了）" if ja else f"{label}: no closing date (until the budget runs out)"
        if left is not None:
            head += f"（あと{left}日）" if ja else f" ({left} day{'s' if left != 1 else ''} left)"
    elif status == "upcoming":
        start = _moment(w["opens_at"], lang, year, False) if w.get("opens_at") else ""
        head = f"次回の受付：{start}から" if ja else f"Next call: from {start}"
        if w.get("closes_at"):
            end = _moment(w["closes_at"], lang, year, True)
            head += f"{end}まで" if ja else f" until {end}"
    elif status == "closed":
        fy = (last or {}).get("fiscal_year") or w.get("fiscal_year") or fy_now
        head = f"受付終了（{wareki_fy(fy)}）" if ja else f"Closed (FY{fy})"
        if w.get("predicted") and w.get("opens_at"):
            m = dt.datetime.fromisoformat(w["opens_at"]).month
            prediction = (f"次回は例年{m}月頃（{wareki_fy(fy)}の実績から・予測）" if ja else
                          f"The next call usually opens around {_MONTHS_EN[m - 1]} (based on FY{fy}; a prediction)")
    else:  # unknown: never shown as open (DOMAIN.md 7.5)
        if last:
            prev = f"{last.get('name') or ''} {_span(last, lang, None)}".strip()
            head = (f"{wareki_fy(fy_now)}の実施は未確認（前回：{prev}）" if ja else
                    f"FY{fy_now} call not confirmed (last: {prev})")
        elif w.get("missing_facts"):
            head = "公募期間は地域によって異なります" if ja else "The call period depends on your area"
            prediction = w.get("basis")
        else:
            head = (f"{wareki_fy(fy_now)}の実施は未確認" if ja else f"FY{fy_now} call not confirmed")
            if w.get("basis"):
                prediction = w["basis"]
    checked_at = dt.date.fromisoformat(w["checked_at"]) if w.get("checked_at") else None
    return WindowText(
        status=status, headline=head, prediction=prediction, round=w.get("round"),
        operator=w.get("operator"), operator_url=w.get("operator_url"),
        prerequisites=[p for p in w.get("prerequisites") or () if p],
        source_title=w.get("source_title"), source_url=w.get("source_url"),
        checked=checked_text(checked_at, lang, year) if checked_at else None, checked_at=checked_at,
    )


def freshness(checked_at: dt.date | None, catalog_date: dt.date | None, today: dt.date, stale_after_days: int,
              lang: str) -> tuple[str | None, bool]:
    """(「最終確認：…」 of the round's check, else the catalog's date; whether it is older than the threshold)."""
    newest = checked_at or catalog_date
    if newest is None:
        return None, False
    return checked_text(newest, lang, today.year), (today - newest).days > stale_after_days


STALE_TEXT = {"ja": "情報が古い可能性があります", "en": "This information may be out of date"}

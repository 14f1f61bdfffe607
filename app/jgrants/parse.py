"""Values of jGrants API answers read carefully: UTC datetimes, "not set" limits, " / "-joined lists, rates.

Facts from DOMAIN.md 7.1 and ../shared/fixtures/jgrants/README.md: datetimes are UTC with milliseconds
(`2026-08-24T08:00:00.000Z` = 17:00 JST; the v2 workflow writes `2025-10-01T15:00Z`, the spec's example
`2020-02-28 16:41:41.090000+00:00`); `subsidy_max_limit` 0 or null means "not set", not ¥0; multi-value
fields are joined by " / " and values themselves contain 「、」 (never split on it).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

JST = dt.timezone(dt.timedelta(hours=9), "JST")  # Japan has no daylight saving time
PORTAL = "https://www.jgrants-portal.go.jp/subsidy/"

_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_datetime(value: Any) -> dt.datetime | None:
    """A jGrants datetime (UTC unless it says otherwise) in JST; None when absent or not a datetime.

    A bare date or an annotated text (the recorded samples' 「2026-07-01 (JST date only; time lost)」) is
    not a datetime: guessing 00:00 or 23:59 would move a deadline, so it is left unknown.

    >>> parse_datetime("2026-08-24T08:00:00.000Z").isoformat()
    '2026-08-24T17:00:00+09:00'
    >>> parse_datetime("2025-10-01T15:00Z").isoformat(), parse_datetime("2020-02-28 16:41:41.090000+00:00").hour
    ('2025-10-02T00:00:00+09:00', 1)
    >>> parse_datetime("2026-07-01 (JST date only; time lost)") is None, parse_datetime("2026-07-01") is None
    (True, True)
    """
    if not isinstance(value, str) or not _DATETIME_RE.match(value.strip()):
        return None
    text = value.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:  # the API's datetimes are UTC (DOMAIN.md 7.1)
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(JST)


def parse_limit(value: Any) -> int | None:
    """`subsidy_max_limit` in yen; None for "not set" (0, null, "Null", "", or anything not a whole number).

    >>> parse_limit(3000000), parse_limit(0), parse_limit(None), parse_limit("Null"), parse_limit("500000")
    (3000000, None, None, None, 500000)
    >>> parse_limit(3000000.0), parse_limit(-1), parse_limit(True), parse_limit("３，０００，０００")
    (3000000, None, None, 3000000)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        if not text.isdigit():
            return None
        value = int(text)
    if not isinstance(value, int) or value <= 0:
        return None
    return value


def split_values(value: Any) -> list[str]:
    """A " / "-joined multi-value field as a list (never split on 「、」: 「農業、林業」 is one value).

    >>> split_values("農業、林業 / 製造業"), split_values(None), split_values("全国")
    (['農業、林業', '製造業'], [], ['全国'])
    """
    if not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(" / ") if v.strip()]


def parse_rates(text: Any) -> tuple[frozenset[Fraction], bool]:
    """The rates a `subsidy_rate` text names, and whether it could be read at all.

    Empty or absent: (∅, True) — not set, so nothing to compare. 「定額」 or prose: (∅, False).

    >>> parse_rates("1/2"), parse_rates("２／３以内 / 1/2")[0] == {Fraction(2, 3), Fraction(1, 2)}
    ((frozenset({Fraction(1, 2)}), True), True)
    >>> parse_rates("20%"), parse_rates(None), parse_rates("定額")
    ((frozenset({Fraction(1, 5)}), True), (frozenset(), True), (frozenset(), False))
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return frozenset(), True
    if not isinstance(text, str):
        return frozenset(), False
    t = unicodedata.normalize("NFKC", text).replace("／", "/")
    found: set[Fraction] = set()
    for num, den in re.findall(r"(\d+)\s*/\s*(\d+)", t):
        if int(den) != 0:
            found.add(Fraction(int(num), int(den)))
    for pct in re.findall(r"(\d+(?:\.\d+)?)\s*%", t):
        found.add(Fraction(pct) / 100)
    m = re.search(r"(\d+)分の(\d+)", t)
    if m and int(m.group(1)) != 0:
        found.add(Fraction(int(m.group(2)), int(m.group(1))))
    return frozenset(found), bool(found)


def html_text(value: Any, limit: int = 20000) -> str:
    """The plain text of the `detail` HTML (paragraphs and <br> as new lines), at most `limit` characters.

    >>> html_text("<p><strong>■目的</strong></p><p>半額&amp;助成<br>以上</p>")
    '■目的\\n半額&助成\\n以上'
    """
    if not isinstance(value, str):
        return ""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h\d>|</tr>", "\n", value)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [re.sub(r"[ \t\u3000]+", " ", ln).strip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln)[:limit]


@dataclass(frozen=True)
class CallRound:
    """One round of a call: a v2 `workflow` entry, or the call itself when it has none."""

    key: str  # the workflow id, or "" for the call's own window
    name: str | None  # 募集名 (`fiscal_year_round`, e.g. 第3回)
    areas: tuple[str, ...]
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None


@dataclass
class Call:
    """A jGrants call (補助金) as read from the list and detail answers."""

    id: str
    title: str
    number: str | None = None  # 管理番号 S-000…
    areas: list[str] = field(default_factory=list)
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    max_limit: int | None = None
    rate_text: str | None = None
    catch_phrase: str | None = None
    institution: str | None = None
    text: str = ""  # the detail's plain text
    reception: str | None = None  # 申請受付有無 有 / 無
    url: str = ""
    detail_version: str | None = None  # "v2", "v1", or None (list record only)
    api_url: str = ""  # the address the facts were read from
    workflow: list[CallRound] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)  # the merged record, attachments left out

    @property
    def portal_url(self) -> str:
        return self.url if self.url.startswith("https://www.jgrants-portal.go.jp/") else PORTAL + self.id


ATTACHMENTS = ("application_guidelines", "outline_of_grant", "application_form")


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def merge_record(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Two answers about the same id: the newer non-empty values win, attachments (base64) are dropped."""
    out = dict(old or {})
    for k, v in new.items():
        if k in ATTACHMENTS or k.startswith("_"):
            continue
        if v not in (None, "", []) or k not in out:
            out[k] = v
    return out


def workflow_rounds(value: Any) -> list[CallRound]:
    """The v2 `workflow` list; entries that are not objects are skipped."""
    rounds: list[CallRound] = []
    if not isinstance(value, list):
        return rounds
    for i, w in enumerate(value):
        if not isinstance(w, dict):
            continue
        rounds.append(CallRound(
            key=_str(w.get("id")) or f"#{i + 1}",
            name=_str(w.get("fiscal_year_round")),
            areas=tuple(split_values(w.get("target_area_search"))),
            opens_at=parse_datetime(w.get("acceptance_start_datetime")),
            closes_at=parse_datetime(w.get("acceptance_end_datetime")),
        ))
    return rounds


def call_from(list_record: dict[str, Any], detail: dict[str, Any] | None = None, detail_version: str | None = None,
              api_url: str = "") -> Call:
    """A Call from its list record and (if read) its detail record; the detail's readable values win."""
    rec = merge_record(list_record, detail or {})

    def when(key: str) -> dt.datetime | None:  # a detail's unreadable datetime falls back to the list's
        return parse_datetime((detail or {}).get(key)) or parse_datetime(list_record.get(key))

    return Call(
        id=str(rec["id"]),
        title=_str(rec.get("title")) or "",
        number=_str(rec.get("name")),
        areas=split_values(rec.get("target_area_search")),
        opens_at=when("acceptance_start_datetime"),
        closes_at=when("acceptance_end_datetime"),
        max_limit=parse_limit((detail or {}).get("subsidy_max_limit", list_record.get("subsidy_max_limit"))),
        rate_text=_str(rec.get("subsidy_rate")),
        catch_phrase=_str(rec.get("subsidy_catch_phrase")),
        institution=_str(rec.get("institution_name")),
        text=html_text(rec.get("detail")),
        reception=_str(rec.get("request_reception_presence")),
        url=_str(rec.get("front_subsidy_detail_page_url")) or "",
        detail_version=detail_version,
        api_url=api_url,
        workflow=workflow_rounds((detail or {}).get("workflow")),
        record=rec,
    )

"""Application windows (DOMAIN.md 7.1): a program's rounds read for the applicant's area at a moment in JST.

Readings (documented in the report and here):
- A program whose `application.budget_status` is `not_applicable` (a desk, a portal, an examination request,
  model contracts) has no call for applications: its window is None ("no application needed"), unless its
  current edition is unconfirmed (`application.unconfirmed`), which is always said.
- The applicant's area picks the rounds: a municipality's round beats a prefecture's, which beats 全国.
  A program with regional rounds and an unknown prefecture (or municipality) has the window `unknown`
  with that fact missing; the fact is missing for the window only, not for eligibility.
- closing_soon: open with 7 calendar days or fewer left in JST (12-07 for a 12-14 17:00 close).
- A prediction is made only from the latest 公募年度 with rounds when it is this or the previous one; it keeps
  the status `closed`, sets `predicted` and gives the predicted dates (same month and day a year on).
- A program marked unconfirmed for this 公募年度 is `unknown` with its last known round, never open or
  predicted, until a round of that year is known.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from eligibility.dates import add_years, fiscal_year
from programs.rounds import JST, Operator, Round, split_area
from programs.schema import Program

CLOSING_SOON_DAYS = 7
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


def wareki_fy(fy: int) -> str:
    """令和 name of a fiscal year.

    >>> wareki_fy(2026)
    '令和8年度'
    """
    n = fy - 2018
    return f"令和{'元' if n == 1 else n}年度" if n >= 1 else f"{fy}年度"


@dataclass(frozen=True)
class Window:
    """What the applicant can do about applying, at one moment, in one area."""

    status: str  # open / closing_soon / upcoming / closed / unknown
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    area: str | None = None
    round: Round | None = None  # the round the dates are of (None when predicted or unknown)
    predicted: bool = False
    basis: tuple[str, str] | None = None  # (ja, en): why a prediction, or why unknown
    last_round: Round | None = None
    operator: Operator | None = None  # the local operator of a per-prefecture program
    missing: tuple[str, ...] = ()
    days_left: int | None = None
    fiscal_year: int | None = None  # 公募年度 of the round open or next (the cap year, DOMAIN.md 7.2)

    @property
    def source_url(self) -> str | None:
        r = self.round or self.last_round
        return r.source.href if r else (self.operator.url if self.operator else None)

    def as_dict(self, lang: str = "ja") -> dict[str, Any]:
        ja = lang == "ja"
        r = self.round or self.last_round

        def pick(t: Any) -> str | None:
            return None if t is None else (t.ja if ja else t.en)

        return {
            "status": self.status,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "area": self.area,
            "round": pick(self.round.name) if self.round else None,
            "fiscal_year": self.fiscal_year,
            "source_url": self.source_url,
            # Without a round, the address is the local operator's page: its name is the title.
            "source_title": r.source.title if r else pick(self.operator.name) if self.operator else None,
            "checked_at": r.checked_at.isoformat() if r else None,
            "predicted": self.predicted,
            "basis": None if self.basis is None else self.basis[0 if ja else 1],
            "days_left": self.days_left,
            "operator": pick(self.round.operator) if self.round else pick(self.operator.name) if self.operator else None,
            "operator_url": (self.round.operator_url if self.round else None) or (self.operator.url if self.operator else None),
            "prerequisites": [pick(p) for p in self.round.prerequisites] if self.round else [],
            "last_round": None if self.last_round is None else _round_dict(self.last_round, lang),
            "missing_facts": list(self.missing),
        }


def _round_dict(r: Round, lang: str) -> dict[str, Any]:
    return {
        "name": r.name.ja if lang == "ja" else r.name.en,
        "fiscal_year": r.fiscal_year,
        "area": r.area,
        "opens_at": r.opens_at.isoformat(),
        "closes_at": r.closes_at.isoformat() if r.closes_at else None,
        "source_url": r.source.href,
        "source_title": r.source.title,
    }


def moment(as_of: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The moment a screening's windows are read at: `now` when given (aware), else as_of 00:00 JST.

    >>> moment(dt.date(2026, 8, 7)).isoformat()
    '2026-08-07T00:00:00+09:00'
    """
    if now is not None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.astimezone(JST)
    return dt.datetime.combine(as_of, dt.time(0, 0), JST)


def _applies(r: Round, prefecture: str | None, municipality: str | None) -> bool | None:
    """Whether a round is for the applicant's area; None when the area is not known well enough."""
    pref, muni = split_area(r.area)
    if pref is None:
        return True
    if prefecture is None:
        return None if muni is None or municipality in (None, muni) else False
    if pref != prefecture:
        return False
    if muni is None:
        return True
    return None if municipality is None else municipality == muni


def _shift(r: Round, years: int) -> tuple[dt.datetime, dt.datetime]:
    def move(d: dt.datetime) -> dt.datetime:
        return dt.datetime.combine(add_years(d.date(), years), d.timetz())
    return move(r.opens_at), move(r.ends_at)


def _prediction(rounds: list[Round], at: dt.datetime) -> tuple[dt.datetime, dt.datetime, int] | None:
    """The next window a year on from the latest 公募年度's rounds (this or the previous year only)."""
    last_fy = max(r.fiscal_year for r in rounds)
    if last_fy < fiscal_year(at.date()) - 1:
        return None
    for years in (1, 2):
        future = sorted(_shift(r, years) for r in rounds if r.fiscal_year == last_fy)
        future = [w for w in future if w[0] > at]
        if future:
            return future[0][0], future[0][1], last_fy
    return None


def window_for(program: Program, rounds: tuple[Round, ...], at: dt.datetime, prefecture: str | None,
               municipality: str | None, operator: Operator | None = None) -> Window | None:
    """The window of one program for one applicant area at `at` (aware)."""
    app = program.application
    if app.budget_status == "not_applicable" and app.unconfirmed is None:
        return None
    verdicts = [(r, _applies(r, prefecture, municipality)) for r in rounds]
    mine = [r for r, ok in verdicts if ok]
    if mine:
        top = max(r.level() for r in mine)
        mine = [r for r in mine if r.level() == top]
    area = (mine[0].area if mine else
            (prefecture or "") + (municipality or "") if prefecture or municipality else None)
    fy_now = fiscal_year(at.date())

    current = [r for r in mine if r.opens_at <= at <= r.ends_at]
    if current:
        r = min(current, key=lambda x: x.ends_at)
        left = (r.ends_at.date() - at.date()).days
        status = "closing_soon" if left <= CLOSING_SOON_DAYS else "open"
        return Window(status, r.opens_at, r.closes_at, r.area, r, days_left=left, fiscal_year=r.fiscal_year,
                      operator=operator)
    future = [r for r in mine if r.opens_at > at]
    if future:
        r = min(future, key=lambda x: x.opens_at)
        return Window("upcoming", r.opens_at, r.closes_at, r.area, r, fiscal_year=r.fiscal_year, operator=operator)

    past = [r for r in mine if r.ends_at < at]
    last = max(past, key=lambda x: x.ends_at) if past else None
    undecided = [r for r, ok in verdicts if ok is None]
    if not mine and undecided:
        fact = "prefecture" if prefecture is None else "municipality"
        return Window("unknown", area=area, missing=(fact,), operator=operator, basis=(
            "地域（都道府県・市区町村）が分かると、その地域の公募期間を表示できます",
            "The call period depends on your area: give your prefecture (and municipality)"))
    unc = app.unconfirmed
    if unc is not None and fy_now >= unc.fiscal_year and not any(r.fiscal_year >= unc.fiscal_year for r in mine):
        return Window("unknown", area=area, last_round=last, operator=operator, basis=(unc.note.ja, unc.note.en))
    if last is None and not rounds:
        return Window("unknown", area=area, operator=operator, basis=(
            "公募時期は未発表です（公募回の情報がありません）", "The call period has not been announced"))
    if last is None:
        return Window("unknown", area=area, operator=operator, basis=(
            "この地域の公募回は登録されていません（公募時期は未確認）",
            "No call for this area is on record (the call period is not confirmed)"))
    pred = _prediction(past, at)
    if pred is None:
        return Window("closed", last.opens_at, last.closes_at, last.area, None, last_round=last, operator=operator)
    opens, closes, src_fy = pred
    return Window("closed", opens, closes, last.area, None, predicted=True, last_round=last, operator=operator,
                  basis=(f"次回は例年{opens.month}月頃（{wareki_fy(src_fy)}の実績から）",
                         f"The next call usually opens around {_MONTHS_EN[opens.month - 1]} (based on FY{src_fy})"))


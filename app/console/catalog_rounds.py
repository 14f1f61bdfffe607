"""What catalog editors read about the published catalog: programs with their freshness, a program's rounds and values.

The rounds and values are the live catalog's (YAML + synced jGrants rounds + approved changes, app/live_catalog.py);
each round says where it came from. Freshness is the applicant pages' rule (app/web/windows_view.py `freshness`):
a program's newest round check, else the catalog's date, older than NAVI_STALE_AFTER_DAYS.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from app.web.windows_view import freshness
from eligibility.windows import CLOSING_SOON_DAYS
from programs.changes import RoundChange, parse_change
from programs.loader import Catalog
from programs.rounds import JST, Round
from programs.schema import Program

ORIGINS = {"yaml": ("YAML（制度カタログ）", "YAML (catalog files)"),
           "jgrants": ("Jグランツ同期", "jGrants sync"),
           "change": ("承認した変更", "Approved change")}
STATUSES = {"open": ("受付中", "Open"), "closing_soon": ("締切間近", "Closing soon"),
            "upcoming": ("受付前", "Upcoming"), "closed": ("受付終了", "Closed")}


@dataclass(frozen=True)
class ProgramRow:
    """One line of the list of programs: name, number of rounds, newest check, and whether it is stale."""

    program_id: str
    name: str
    rounds: int
    checked: str | None
    stale: bool


@dataclass(frozen=True)
class RoundRow:
    area: str
    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime | None
    status: str  # a key of STATUSES
    source_title: str
    source_url: str
    checked_at: dt.date
    origin: str  # a key of ORIGINS


@dataclass(frozen=True)
class ValueRow:
    parameter: str
    since: dt.date
    value: str
    reference: str
    href: str


def round_status(r: Round, now: dt.datetime) -> str:
    """open / closing_soon (≤ CLOSING_SOON_DAYS days left, as the applicant's window) / upcoming / closed."""
    if r.opens_at > now:
        return "upcoming"
    if now > r.ends_at:
        return "closed"
    return "closing_soon" if (r.ends_at.date() - now.astimezone(JST).date()).days <= CLOSING_SOON_DAYS else "open"


def origins(catalog: Catalog, program_id: str) -> dict[tuple[int, str, str], str]:
    """Round key -> "jgrants" or "change" for the rounds not from the YAML (an approved change wins, applied last)."""
    out: dict[tuple[int, str, str], str] = {}
    for batch in catalog.extra_rounds:
        for pid, raw in batch:
            if pid == program_id:
                out[Round.model_validate_json(raw).key] = "jgrants"
    for texts in catalog.changes:
        for text in texts:
            ch = parse_change(text)
            if isinstance(ch, RoundChange) and ch.program_id == program_id:
                out[ch.round.key] = "change"
    return out


def round_rows(catalog: Catalog, program_id: str, now: dt.datetime, lang: str) -> list[RoundRow]:
    """The program's published rounds, newest opening first."""
    where = origins(catalog, program_id)
    rows = [RoundRow(area=r.area, name=r.name.ja if lang == "ja" else r.name.en, opens_at=r.opens_at,
                     closes_at=r.closes_at, status=round_status(r, now), source_title=r.source.title,
                     source_url=r.source.href, checked_at=r.checked_at, origin=where.get(r.key, "yaml"))
            for r in catalog.rounds_for(program_id)]
    return sorted(rows, key=lambda x: (x.opens_at, x.area), reverse=True)


def _show(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def value_rows(program: Program, lang: str) -> list[ValueRow]:
    """Every dated value of the program's benefit parameters with its reference, by parameter then date."""
    out = []
    for name in sorted(program.benefit.parameters):
        param = program.benefit.parameters[name]
        for since in sorted(param.values):
            dv = param.values[since]
            cite = dv.reference.cite()
            out.append(ValueRow(parameter=name, since=since, value=_show(dv.value), reference=cite.text(lang),
                                href=cite.href))
    return out


def newest_check(catalog: Catalog, program_id: str) -> dt.date | None:
    return max((r.checked_at for r in catalog.rounds_for(program_id)), default=None)


def program_rows(catalog: Catalog, catalog_date: dt.date | None, today: dt.date, stale_after_days: int,
                 lang: str) -> list[ProgramRow]:
    """Every program of the catalog by name, with its newest check and the stale flag of the applicant pages."""
    rows = []
    for pid, p in catalog.programs.items():
        checked, stale = freshness(newest_check(catalog, pid), catalog_date, today, stale_after_days, lang)
        rows.append(ProgramRow(program_id=pid, name=p.names.ja if lang == "ja" else p.names.en,
                               rounds=len(catalog.rounds_for(pid)), checked=checked, stale=stale))
    return sorted(rows, key=lambda r: (not r.stale, r.name))

"""Many screenings of one reference date as columns: what a member-list batch writes and ranks (issue 15, item 4).

One row per profile, one column per program in force on the date (in the engine's catalog order, the order of
`Screening.results` before ranking). Outcomes are ints as in eligibility/plan.py: 0 unmet, 1 unknown, 2 met.
`ScreenTable.from_screenings` builds the table from screenings made one by one (the reference the columnar
evaluation is held equal to); `eligibility/columnar.py` builds it over whole columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eligibility.compiled import CompiledResult
from eligibility.engine import Screening
from eligibility.profile import Profile
from eligibility.windows import Window

_CODE = {"eligible": 2, "needs_info": 1, "ineligible": 0}


@dataclass
class ScreenTable:
    """Statuses, every criterion's outcome, missing facts, amounts, windows and phases of N profiles."""

    as_of: dt.date
    program_ids: tuple[str, ...]  # P programs in force on `as_of`, catalog order
    profiles: Sequence[Profile]  # N validated profiles, all with this reference date
    status: np.ndarray  # (N, P) int8: 0 ineligible, 1 needs_info, 2 eligible
    outcomes: tuple[np.ndarray, ...]  # per program: (N, criteria) int8, the plan's criterion order
    missing: tuple[list[tuple[str, ...]], ...]  # per program, per row: the result's missing facts (before ranking)
    amount: np.ndarray  # (N, P) float64: the estimate's amount in yen; NaN when there is no estimate or no amount
    has_estimate: np.ndarray  # (N, P) bool: the result has an estimate (its amount may still be unknown)
    windows: tuple[list[Window | None], ...]  # per program, per row (shared objects)
    phase: list[str | None]  # per row: the inferred (or stated) phase's value

    def __len__(self) -> int:
        return len(self.profiles)

    @classmethod
    def from_screenings(cls, screenings: Sequence[Screening]) -> ScreenTable:
        """The table of screenings made one by one by the compiled engine, before ranking (all of one date)."""
        if not screenings:
            raise ValueError("no screening")
        as_of = screenings[0].as_of
        ids = tuple(r.program_id for r in screenings[0].results)
        n, p = len(screenings), len(ids)
        status = np.zeros((n, p), dtype=np.int8)
        amount = np.full((n, p), np.nan)
        has_estimate = np.zeros((n, p), dtype=bool)
        outcomes: list[list[list[int]]] = [[] for _ in ids]
        missing: list[list[tuple[str, ...]]] = [[] for _ in ids]
        windows: list[list[Window | None]] = [[] for _ in ids]
        phase: list[str | None] = []
        for i, s in enumerate(screenings):
            if s.as_of != as_of:
                raise ValueError(f"row {i}: reference date {s.as_of} is not {as_of}")
            by_id = {r.program_id: r for r in s.results}
            for j, pid in enumerate(ids):
                r = by_id[pid]
                if not isinstance(r, CompiledResult):
                    raise TypeError("a ScreenTable needs the compiled engine's results")
                status[i, j] = _CODE[r.status]
                outcomes[j].append(list(r.outcomes))
                missing[j].append(tuple(r.missing_facts))
                windows[j].append(r.window)
                if r.estimate is not None:
                    has_estimate[i, j] = True
                    if r.estimate.amount_yen is not None:
                        amount[i, j] = r.estimate.amount_yen
            phase.append(s.phase.value)
        return cls(as_of, ids, [s.profile for s in screenings], status,
                   tuple(np.asarray(o, dtype=np.int8).reshape(n, -1) for o in outcomes),
                   tuple(missing), amount, has_estimate, tuple(windows), phase)

    def equal(self, other: ScreenTable) -> list[str]:
        """What differs between two tables of the same profiles (empty when equal): for the equality tests."""
        out: list[str] = []
        if (self.as_of, self.program_ids) != (other.as_of, other.program_ids):
            return [f"date or programs: {self.as_of} {self.program_ids} vs {other.as_of} {other.program_ids}"]
        if self.status.shape != other.status.shape:
            return [f"shape {self.status.shape} vs {other.status.shape}"]
        for j, pid in enumerate(self.program_ids):
            for i in np.flatnonzero(self.status[:, j] != other.status[:, j])[:3]:
                out.append(f"row {i} {pid}: status {self.status[i, j]} vs {other.status[i, j]}")
            rows = np.flatnonzero((self.outcomes[j] != other.outcomes[j]).any(axis=1))[:3]
            out += [f"row {i} {pid}: criteria {self.outcomes[j][i].tolist()} vs {other.outcomes[j][i].tolist()}"
                    for i in rows]
            for i, (a, b) in enumerate(zip(self.missing[j], other.missing[j], strict=True)):
                if a != b:
                    out.append(f"row {i} {pid}: missing {a} vs {b}")
                    break
            same_amount = (self.amount[:, j] == other.amount[:, j]) | (
                np.isnan(self.amount[:, j]) & np.isnan(other.amount[:, j]))
            for i in np.flatnonzero(~same_amount | (self.has_estimate[:, j] != other.has_estimate[:, j]))[:3]:
                out.append(f"row {i} {pid}: amount {self.amount[i, j]} vs {other.amount[i, j]}")
            for i, (wa, wb) in enumerate(zip(self.windows[j], other.windows[j], strict=True)):
                if wa != wb:
                    out.append(f"row {i} {pid}: window {wa} vs {wb}")
                    break
        out += [f"row {i}: phase {a} vs {b}" for i, (a, b) in enumerate(zip(self.phase, other.phase, strict=True))
                if a != b][:3]
        return out


"""Record shapes of what the service shows and what advisors decide (the logs a learner needs), and the reader
that turns an export of them into training sessions. Pure: the app writes these shapes, matching reads them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from eligibility.engine import Engine
from eligibility.profile import ProfileError
from matching.learner import GAIN, Session
from matching.scorer import Scorer

# Fields of a profile snapshot never exported (no company names in training data).
PRIVATE_FIELDS = ("company_name",)
READ = 8  # positions an advisor reads on the console's list
STAGES = ("referred", "applied", "adopted", "not_adopted")


@dataclass(frozen=True)
class ShownItem:
    program_id: str
    position: int          # 1 = shown first
    score: float
    status: str


@dataclass(frozen=True)
class ShownList:
    """One screening as shown: the list with positions and scores, the versions, a snapshot of the profile."""

    screening_id: str
    shown_at: str          # ISO datetime (UTC)
    catalog_version: str
    model_version: str
    ranker: str            # "prior" or "learned"
    profile: dict[str, Any]
    items: tuple[ShownItem, ...]
    type: Literal["shown"] = "shown"

    def __post_init__(self) -> None:
        # No company names in what is logged or exported, whoever builds the record.
        object.__setattr__(self, "profile", snapshot(self.profile))


@dataclass(frozen=True)
class Decision:
    """An advisor's pick (refer the client to it) or skip (not suitable), with an optional reason."""

    screening_id: str
    program_id: str
    action: Literal["pick", "skip"]
    at: str
    reason: str | None = None
    type: Literal["decision"] = "decision"


@dataclass(frozen=True)
class Stage:
    """A program's stage for the case with its date: referred → applied → adopted / not_adopted."""

    screening_id: str
    program_id: str
    stage: Literal["referred", "applied", "adopted", "not_adopted"]
    on: str                # ISO date
    type: Literal["stage"] = "stage"


Record = ShownList | Decision | Stage


def snapshot(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile as stored with a shown list: without the private fields."""
    return {k: v for k, v in profile.items() if k not in PRIVATE_FIELDS}


def to_json(rec: Record) -> str:
    return json.dumps(asdict(rec), ensure_ascii=False, sort_keys=True)


def from_dict(d: dict[str, Any]) -> Record:
    """One exported row; raises ValueError naming what is wrong."""
    kind = d.get("type")
    try:
        if kind == "shown":
            items = tuple(ShownItem(**i) for i in d["items"])
            return ShownList(**{**d, "items": items})
        if kind == "decision":
            if d["action"] not in ("pick", "skip"):
                raise ValueError(f"action {d['action']!r}")
            return Decision(**d)
        if kind == "stage":
            if d["stage"] not in STAGES:
                raise ValueError(f"stage {d['stage']!r}")
            return Stage(**d)
    except (KeyError, TypeError) as e:
        raise ValueError(f"{kind} record: missing or unknown field {e}") from e
    raise ValueError(f"unknown record type {kind!r}")


# The console's first export (python -m app export-labels, before issue 17): one row per program outcome.
LEGACY = {"referred": ("pick", None), "not_suitable": ("skip", None), "applied": ("pick", "applied"),
          "adopted": ("pick", "adopted"), "not_adopted": ("pick", "not_adopted")}


def read_records(lines: Iterable[str], where: str = "<input>") -> Iterator[Record]:
    """Records from JSON Lines; a legacy row {profile, program_id, outcome} becomes a shown list (unknown
    positions), a decision and a stage."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if "type" in d:
                yield from_dict(d)
                continue
            action, stage = LEGACY[d["outcome"]]
        except (ValueError, KeyError) as e:
            raise ValueError(f"{where}:{n}: {e}") from e
        sid = "legacy-" + json.dumps(snapshot(d["profile"]), sort_keys=True, ensure_ascii=False)
        when = f"{n:09d}"  # file order stands for time
        yield ShownList(sid, when, "", "", "prior", snapshot(d["profile"]), ())
        yield Decision(sid, d["program_id"], action, when)  # type: ignore[arg-type]
        if stage:
            yield Stage(sid, d["program_id"], stage, when)  # type: ignore[arg-type]


def sessions_from_records(records: Iterable[Record], engine: Engine, prior: Scorer) -> list[Session]:
    """Training sessions: each shown profile re-screened with the current catalog and prior (the correction is
    to this prior), labelled by the advisor's decisions and stages."""
    shown: dict[str, ShownList] = {}
    decisions: dict[str, list[Decision]] = {}
    stages: dict[str, list[Stage]] = {}
    for r in records:
        if isinstance(r, ShownList):
            shown.setdefault(r.screening_id, r)
        elif isinstance(r, Decision):
            decisions.setdefault(r.screening_id, []).append(r)
        else:
            stages.setdefault(r.screening_id, []).append(r)
    out = []
    for sid, sl in shown.items():
        try:
            screening = engine.screen(sl.profile)
        except ProfileError:
            continue  # a snapshot the current rules refuse teaches nothing about ranking
        examples = [ex for _, ex in prior.examples(screening)]
        live = {ex.program_id for ex in examples}
        sess = Session(sid, sl.shown_at, examples)
        positions = {i.program_id: i.position for i in sl.items}
        for d in decisions.get(sid, []):
            if d.program_id not in live:
                continue
            sess.n_outcomes += 1
            if d.action == "pick":
                sess.gains[d.program_id] = max(sess.gains.get(d.program_id, 0.0), GAIN["pick"])
            else:
                sess.negatives.add(d.program_id)
        for st in stages.get(sid, []):
            if st.program_id in live and st.stage in GAIN:
                sess.n_outcomes += 1
                sess.gains[st.program_id] = max(sess.gains.get(st.program_id, 0.0), GAIN[st.stage])
        # Shown where the advisor reads (the first READ positions, or down to the lowest pick) and not taken:
        # passed over. Pairs only against programs above a pick would all say "the prior was wrong" (selection
        # bias); the ones below the pick are the evidence that it was right.
        if sess.gains:
            lowest_pick = max((positions[p] for p in sess.gains if p in positions), default=0)
            read = max(READ, lowest_pick)
            sess.negatives |= {p for p, pos in positions.items() if pos <= read and p not in sess.gains and p in live}
        if not positions and sess.gains:  # legacy: no list as shown; every live program not taken
            sess.negatives |= live - set(sess.gains)
        out.append(sess)
    return out


def read_sessions(path: Path, engine: Engine, prior: Scorer) -> list[Session]:
    with path.open(encoding="utf-8") as f:
        return sessions_from_records(read_records(f, str(path)), engine, prior)


@dataclass
class Export:
    """What `python -m app export-labels` writes: records in order (the app's later session builds them)."""

    records: list[Record] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        return (to_json(r) for r in self.records)


def ranker_of(model_version: str | None) -> str:
    """Which ranker a model version names: "learned" (the prior with a gated correction) or "prior".

    >>> ranker_of("prior-2"), ranker_of("prior-2+m20261201"), ranker_of(None)
    ('prior', 'learned', 'prior')
    """
    return "learned" if model_version and "+" in model_version else "prior"


def shown_items(results: Iterable[Any]) -> list[list[Any]]:
    """The ranked programs of a screening as shown, compactly: [[program_id, score, status], …] in order
    (position = index + 1); ineligible programs are not in the list."""
    ranked = sorted((r for r in results if r.rank is not None and r.status != "ineligible"), key=lambda r: r.rank)
    return [[r.program_id, round(float(r.score), 4), r.status] for r in ranked]

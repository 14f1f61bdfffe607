"""Ranking quality on a labelled set: NDCG@3 on graded labels, hit@1, top-3 recall of the prior (or a model)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eligibility.engine import Engine
from matching.scorer import Scorer


@dataclass(frozen=True)
class Case:
    """A labelled profile: graded relevance per program (3 best … 0), the advisor's first program."""

    id: str
    profile: dict[str, Any]
    ideal: list[str]
    rationale: str
    grades: dict[str, int] = field(default_factory=dict)
    first: str | None = None

    def relevance(self) -> dict[str, int]:
        """Graded relevance; a case with only `ideal_top3` grades its programs 3, 2, 1."""
        if self.grades:
            return dict(self.grades)
        return {p: 3 - i for i, p in enumerate(self.ideal[:3])}


def json_ready(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: json_ready(x) for k, x in v.items()}
    if isinstance(v, list):
        return [json_ready(x) for x in v]
    return v


def load_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        grades = {str(k): int(v) for k, v in (d.get("grades") or {}).items()}
        ideal = list(d.get("ideal_top3") or sorted(grades, key=lambda p: -grades[p])[:3])
        first = d.get("advisor_first") or (ideal[0] if ideal else None)
        cases.append(Case(d.get("id", path.stem), json_ready(d["profile"]), ideal, d.get("rationale", ""),
                          grades, first))
    return cases


def ndcg_at_3(ranked: Sequence[str], ideal: Sequence[str] | Mapping[str, int]) -> float:
    """NDCG@3 with gain 2^grade − 1; a list of ideal programs grades them 3, 2, 1.

    >>> ndcg_at_3(["a", "b", "c"], ["a", "b", "c"])
    1.0
    >>> round(ndcg_at_3(["b", "a", "x"], ["a", "b", "c"]), 2)
    0.79
    >>> ndcg_at_3(["x", "y", "z"], ["a"])
    0.0
    >>> ndcg_at_3(["b", "a"], {"a": 3, "b": 3})
    1.0
    """
    rel = dict(ideal) if isinstance(ideal, Mapping) else {p: 3 - i for i, p in enumerate(ideal[:3])}

    def dcg(grades: Sequence[int]) -> float:
        return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:3]))

    best = dcg(sorted(rel.values(), reverse=True))
    return dcg([rel.get(p, 0) for p in ranked]) / best if best else 0.0


def hit_at_1(ranked: Sequence[str], first: str | None, grades: Mapping[str, int] | None = None) -> float:
    """The first recommendation is the advisor's first program, or a program graded 3."""
    if not ranked:
        return 0.0
    return 1.0 if ranked[0] == first or (grades or {}).get(ranked[0], 0) >= 3 else 0.0


def recall_at_3(ranked: Sequence[str], ideal: Sequence[str]) -> float:
    return len(set(ranked[:3]) & set(ideal)) / len(ideal) if ideal else 0.0


def ranking(engine: Engine, scorer: Scorer, profile: dict[str, Any]) -> list[str]:
    s = scorer.rank(engine.screen(profile))
    return [r.program_id for r in s.results if r.rank is not None]


def per_case(engine: Engine, scorer: Scorer, cases: Sequence[Case]) -> list[dict[str, Any]]:
    out = []
    for c in cases:
        r = ranking(engine, scorer, c.profile)
        g = c.relevance()
        out.append({"id": c.id, "top3": r[:3], "ndcg@3": ndcg_at_3(r, g), "hit@1": hit_at_1(r, c.first, g),
                    "recall@3": recall_at_3(r, c.ideal)})
    return out


def metrics(engine: Engine, scorer: Scorer, cases: Sequence[Case]) -> dict[str, float]:
    rows = per_case(engine, scorer, cases)
    n = len(rows) or 1
    return {**{k: sum(r[k] for r in rows) / n for k in ("ndcg@3", "hit@1", "recall@3")}, "n": float(len(rows))}

"""Ranking quality on a labelled set: NDCG@3, hit@1, top-3 recall; prior vs cross-validated model."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eligibility.engine import Engine
from matching.model import Example, LearnedModel, train
from matching.scorer import Scorer


@dataclass(frozen=True)
class Case:
    id: str
    profile: dict[str, Any]
    ideal: list[str]
    rationale: str


def _json_ready(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _json_ready(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_ready(x) for x in v]
    return v


def load_cases(folder: Path) -> list[Case]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.append(Case(d.get("id", path.stem), _json_ready(d["profile"]), list(d["ideal_top3"]),
                          d.get("rationale", "")))
    return cases


def ndcg_at_3(ranked: Sequence[str], ideal: Sequence[str]) -> float:
    """Graded relevance 3, 2, 1 for the ideal first, second, third.

    >>> ndcg_at_3(["a", "b", "c"], ["a", "b", "c"])
    1.0
    >>> round(ndcg_at_3(["b", "a", "x"], ["a", "b", "c"]), 2)
    0.79
    >>> ndcg_at_3(["x", "y", "z"], ["a"])
    0.0
    """
    rel = {p: 3 - i for i, p in enumerate(ideal[:3])}

    def dcg(items: Sequence[str]) -> float:
        return sum((2 ** rel.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(items[:3]))

    best = dcg(list(ideal[:3]))
    return dcg(ranked) / best if best else 0.0


def hit_at_1(ranked: Sequence[str], ideal: Sequence[str]) -> float:
    """The first recommendation is one of the ideal programs."""
    return 1.0 if ranked and ranked[0] in ideal else 0.0


def recall_at_3(ranked: Sequence[str], ideal: Sequence[str]) -> float:
    return len(set(ranked[:3]) & set(ideal)) / len(ideal) if ideal else 0.0


def ranking(engine: Engine, scorer: Scorer, profile: dict[str, Any]) -> list[str]:
    s = scorer.rank(engine.screen(profile))
    return [r.program_id for r in s.results if r.rank is not None]


def metrics(engine: Engine, scorer: Scorer, cases: Sequence[Case]) -> dict[str, float]:
    rows = [(ranking(engine, scorer, c.profile), c.ideal) for c in cases]
    n = len(rows) or 1
    return {
        "ndcg@3": sum(ndcg_at_3(r, i) for r, i in rows) / n,
        "hit@1": sum(hit_at_1(r, i) for r, i in rows) / n,
        "recall@3": sum(recall_at_3(r, i) for r, i in rows) / n,
        "n": float(len(rows)),
    }


def examples_from_cases(engine: Engine, prior: Scorer, cases: Sequence[Case]) -> list[Example]:
    """Labels an advisor would have recorded: the ideal programs referred, the other live ones not suitable."""
    out: list[Example] = []
    for c in cases:
        for _, ex in prior.examples(engine.screen(c.profile)):
            ex.label = 1 if ex.program_id in c.ideal else 0
            out.append(ex)
    return out


def cross_validate(engine: Engine, prior: Scorer, cases: Sequence[Case], folds: int = 5,
                   seed: int = 7) -> dict[str, float]:
    """Model metrics, each case scored by a model that never saw it."""
    order = list(cases)
    random.Random(seed).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    totals = {"ndcg@3": 0.0, "hit@1": 0.0, "recall@3": 0.0}
    n = 0
    program_ids = list(prior.index)
    for k in range(folds):
        test = parts[k]
        train_cases = [c for j, p in enumerate(parts) if j != k for c in p]
        model: LearnedModel = train(examples_from_cases(engine, prior, train_cases), program_ids)
        scorer = Scorer(prior.programs, prior.weights, model)
        m = metrics(engine, scorer, test)
        for key in totals:
            totals[key] += m[key] * len(test)
        n += len(test)
    return {**{k: v / n for k, v in totals.items()}, "n": float(n), "folds": float(folds)}

"""The learned adjustment: a logistic regression on advisors' outcomes, blended with the prior."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from programs.schema import Kind

# Outcomes recorded by the advisor console (issue 6) and what they teach the model.
POSITIVE = {"referred": 1.0, "applied": 1.0, "adopted": 1.5}
NEGATIVE = {"not_suitable": 1.0, "not_adopted": 0.5}
MIN_LABELS = 30
MIN_PER_CLASS = 5
BASE_FEATURES = ("eligible", "phase", "interest", "need", "money", "text", "prior")
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


class TooFewLabels(ValueError):
    """Training refused: the model would learn noise."""

    def __init__(self, n: int, pos: int, neg: int):
        self.n, self.pos, self.neg = n, pos, neg
        super().__init__(
            f"ラベルが少なすぎるため学習しません: {n}件（推奨・申請・採択 {pos}件、不適 {neg}件）。"
            f"合計{MIN_LABELS}件以上、それぞれ{MIN_PER_CLASS}件以上が必要です。 / "
            f"Refusing to train on too few labels: {n} ({pos} positive, {neg} negative); "
            f"need ≥ {MIN_LABELS} with ≥ {MIN_PER_CLASS} of each."
        )


@dataclass
class Example:
    """One (applicant, program) pair with its features and, for training, a label and weight."""

    program_id: str
    kind: str
    features: dict[str, float]
    label: int | None = None
    weight: float = 1.0


def vectorize(examples: Sequence[Example], program_ids: Sequence[str]) -> np.ndarray:
    index = {p: i for i, p in enumerate(program_ids)}
    kinds = {k: i for i, k in enumerate(KINDS)}
    width = len(BASE_FEATURES) + len(KINDS) + len(program_ids)
    x = np.zeros((len(examples), width), dtype=float)
    for row, ex in enumerate(examples):
        for j, name in enumerate(BASE_FEATURES):
            x[row, j] = ex.features.get(name, 0.0)
        if ex.kind in kinds:
            x[row, len(BASE_FEATURES) + kinds[ex.kind]] = 1.0
        if ex.program_id in index:
            x[row, len(BASE_FEATURES) + len(KINDS) + index[ex.program_id]] = 1.0
    return x


@dataclass
class LearnedModel:
    clf: LogisticRegression
    program_ids: list[str]
    alpha: float
    version: str
    n_labels: int
    meta: dict[str, Any] = field(default_factory=dict)

    def predict(self, examples: Sequence[Example]) -> np.ndarray:
        if not examples:
            return np.zeros(0)
        return np.asarray(self.clf.predict_proba(vectorize(examples, self.program_ids))[:, 1])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)

    @staticmethod
    def load(path: Path) -> LearnedModel:
        obj = joblib.load(path)
        if not isinstance(obj, LearnedModel):
            raise ValueError(f"{path}: not a model file of this service")
        return obj


def label_of(outcome: str) -> tuple[int, float] | None:
    if outcome in POSITIVE:
        return 1, POSITIVE[outcome]
    if outcome in NEGATIVE:
        return 0, NEGATIVE[outcome]
    return None


def train(examples: Iterable[Example], program_ids: Sequence[str], alpha: float = 0.5) -> LearnedModel:
    """Fit on labelled examples; refuse when there are too few."""
    data = [e for e in examples if e.label is not None]
    pos = sum(1 for e in data if e.label == 1)
    neg = len(data) - pos
    if len(data) < MIN_LABELS or pos < MIN_PER_CLASS or neg < MIN_PER_CLASS:
        raise TooFewLabels(len(data), pos, neg)
    x = vectorize(data, program_ids)
    y = np.array([e.label for e in data])
    w = np.array([e.weight for e in data])
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    clf.fit(x, y, sample_weight=w)
    digest = hashlib.sha256(json.dumps(
        [[e.program_id, e.label, round(e.weight, 3), sorted((k, round(v, 4)) for k, v in e.features.items())]
         for e in data], sort_keys=True).encode()).hexdigest()[:10]
    return LearnedModel(clf, list(program_ids), alpha, f"lr-{digest}", len(data), {"positive": pos, "negative": neg})

"""The learned part: corrections to the prior, shrunk toward it, with profile × program interactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eligibility.engine import Screening


@dataclass
class Example:
    """One (applicant, program) pair: the prior's features, the applicant's context tokens, and for training a
    label and weight."""

    program_id: str
    kind: str
    features: dict[str, float]
    context: tuple[str, ...] = ()
    label: int | None = None
    weight: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def size_band(employees: int | None) -> str:
    """micro (≤ 5), small (≤ 20), medium (≤ 300), large, or unknown."""
    if employees is None:
        return "unknown"
    return "micro" if employees <= 5 else "small" if employees <= 20 else "medium" if employees <= 300 else "large"


def profile_context(screening: Screening) -> tuple[str, ...]:
    """The tokens a correction may interact with a program: phase, industry, size, applicant type, needs."""
    p = screening.profile
    toks = [f"phase:{screening.phase.value or 'unknown'}", f"industry:{p.industry or 'unknown'}",
            f"size:{size_band(p.employees)}", f"type:{p.applicant_type or 'unknown'}"]
    toks += [f"interest:{i}" for i in sorted(set(p.interests or ()))]
    if p.foreign_filings and any(not f.already_filed for f in p.foreign_filings):
        toks.append("need:foreign_filing")
    for d in p.overseas_disputes or ():
        toks.append(f"need:dispute_{d.kind}")
    if p.litigation_insurance:  # false: none planned
        toks.append("need:insurance")
    if p.patent_exam_status in ("filed", "requested"):
        toks.append("need:exam")
    if p.domestic_applications == []:
        toks.append("need:no_ip")
    if p.vc_backed:
        toks.append("vc_backed")
    return tuple(dict.fromkeys(toks))


# Features the correction reads from the prior (matching/scorer.py FIT_SIGNALS, plus the status and the score).
BASE = ("eligible", "need", "description_need", "audience", "no_ip", "general", "interest", "money", "phase", "text")
# Penalty per feature group: program-level terms shrink harder than kind-level ones, so a program's correction
# is pooled toward its kind's, and everything toward 0 (the prior itself).
PENALTY = {"prior": 8.0, "f": 8.0, "k": 8.0, "p": 32.0, "tk": 16.0, "tp": 64.0}
BETA = 8.0  # logit units per unit of prior score: σ(8 × 0.1) ≈ 0.69 for a 0.1 lead


def feature_names(ex: Example) -> dict[str, float]:
    """The named features of one example: the prior's signals, kind and program offsets, and the profile ×
    program interactions (phase, industry, size, type, interests, needs × kind and × program)."""
    out: dict[str, float] = {"prior": ex.features.get("prior", 0.0)}
    for name in BASE:
        v = ex.features.get(name, 0.0)
        if v:
            out[f"f|{name}"] = v
    out[f"k|{ex.kind}"] = 1.0
    out[f"p|{ex.program_id}"] = 1.0
    for t in ex.context:
        out[f"tk|{t}|{ex.kind}"] = 1.0
        out[f"tp|{t}|{ex.program_id}"] = 1.0
    return out


@dataclass
class CorrectionModel:
    """score = prior + θ·φ / BETA: a correction to the prior, fitted with L2 shrinkage toward it."""

    vocabulary: dict[str, int]
    theta: Any  # numpy array, one weight per vocabulary entry
    version: str
    prior_version: str
    n_outcomes: int
    report: dict[str, Any] = field(default_factory=dict)

    def adjust(self, examples: list[Example]) -> list[float]:
        """The correction to each example's prior score, in score units: the logit is (BETA + θ_prior) × prior
        + θ·φ, so the same order is prior + θ·φ / (BETA + θ_prior)."""
        j_prior = self.vocabulary.get("prior")
        scale = BETA + (float(self.theta[j_prior]) if j_prior is not None else 0.0)
        scale = max(scale, 1.0)  # a learned prior weight cannot turn the prior upside down
        out = []
        for ex in examples:
            s = 0.0
            for name, v in feature_names(ex).items():
                j = self.vocabulary.get(name)
                if j is not None and name != "prior":
                    s += float(self.theta[j]) * v
            out.append(s / scale)
        return out

    def save(self, path: Any) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)

"""Fits the correction model on advisors' outcomes (pairwise), evaluates it against the prior on a time-split
holdout, and gates loading: a model is used only when its own report shows it beats the prior."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from matching.model import BETA, PENALTY, CorrectionModel, Example, feature_names

MIN_OUTCOMES = 1000  # the gate's default (setting NAVI_MODEL_MIN_OUTCOMES in the app)
HOLDOUT_SHARE = 0.2
# What each recorded outcome teaches, as a gain over the programs the advisor did not take: a pick (referred)
# is a preference, an application a stronger one, an adoption the strongest (a referral alone is no success).
GAIN = {"pick": 1.0, "applied": 2.0, "adopted": 3.0}


@dataclass
class Session:
    """One screening as shown: its examples (prior features), what the advisor took and what it passed over."""

    key: str
    when: str
    examples: list[Example]
    gains: dict[str, float] = field(default_factory=dict)    # program id → gain (pick 1, applied 2, adopted 3)
    negatives: set[str] = field(default_factory=set)          # skipped, or shown above a pick and not taken
    n_outcomes: int = 0                                       # recorded decisions and stages

    def pairs(self) -> list[tuple[str, str, float]]:
        """(better, worse, weight): taken over passed over, and a larger gain over a smaller one (an adoption
        over a pick that was not adopted)."""
        out = [(a, b, g) for a, g in self.gains.items() for b in self.negatives if b not in self.gains]
        out += [(a, b, ga - gb) for a, ga in self.gains.items() for b, gb in self.gains.items() if ga > gb]
        return out


def _matrix(sessions: Sequence[Session], vocab: dict[str, int], grow: bool) -> tuple[Any, list[tuple[int, int, float]], np.ndarray]:
    rows: list[dict[int, float]] = []
    index: dict[tuple[int, str], int] = {}
    prior: list[float] = []
    for si, s in enumerate(sessions):
        for ex in s.examples:
            feats = {}
            for name, v in feature_names(ex).items():
                if name not in vocab and grow:
                    vocab[name] = len(vocab)
                if name in vocab:
                    feats[vocab[name]] = v
            index[(si, ex.program_id)] = len(rows)
            rows.append(feats)
            prior.append(ex.features.get("prior", 0.0))
    from scipy import sparse  # here: only training needs it (scipy.optimize is ~0.5 s of every start-up)

    x = sparse.lil_matrix((len(rows), len(vocab)))
    for i, feats in enumerate(rows):
        for j, v in feats.items():
            x[i, j] = v
    pairs = [(index[(si, a)], index[(si, b)], g) for si, s in enumerate(sessions) for a, b, g in s.pairs()
             if (si, a) in index and (si, b) in index]
    return x.tocsr(), pairs, np.asarray(prior)


# How hard the correction is pulled toward the prior: multiples of PENALTY tried by cross-validation over the
# training sessions, against the prior itself (no correction). With few outcomes the validation rarely shows a
# correction that generalises, and the prior is kept: the learner is not worse than the prior at any size.
STRENGTHS = (64.0, 16.0, 4.0, 1.0)  # strongest first: a tie keeps the stronger shrinkage
FOLDS = 4
# Fewer sessions than this cannot tell a correction from noise (12 sessions of 50 outcomes chose corrections
# that lost up to 0.02 NDCG@3 on held-out simulated profiles, bench/learning_curve.py): the prior stays.
MIN_CV_SESSIONS = 30


def fit(sessions: Sequence[Session], prior_version: str, strength: float | None = 1.0) -> CorrectionModel:
    """Pairwise logistic loss on (taken ≻ passed over) with the prior as offset; L2 per feature group, times
    `strength` (None: no correction at all)."""
    vocab: dict[str, int] = {}
    x, pairs, prior = _matrix(sessions, vocab, grow=True)
    names = sorted(vocab, key=vocab.__getitem__)
    lam = np.array([PENALTY[n.split("|", 1)[0]] for n in names]) * (strength or 1.0)
    if strength is None:
        pairs = []
    n_out = sum(s.n_outcomes for s in sessions)
    if pairs:
        a = np.array([p[0] for p in pairs])
        b = np.array([p[1] for p in pairs])
        w = np.array([p[2] for p in pairs])
        d = (x[a] - x[b]).tocsr()
        off = BETA * (prior[a] - prior[b])

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            z = off + d @ theta
            # −log σ(z) = log(1 + e^−z), stable
            val = float(np.sum(w * np.logaddexp(0.0, -z))) + 0.5 * float(np.sum(lam * theta * theta))
            grad = -(d.T @ (w * (1.0 / (1.0 + np.exp(z))))) + lam * theta
            return val, np.asarray(grad).ravel()

        from scipy.optimize import minimize

        theta = minimize(loss, np.zeros(len(vocab)), jac=True, method="L-BFGS-B",
                         options={"maxiter": 300}).x
    else:
        theta = np.zeros(len(vocab))
    digest = hashlib.sha256(np.round(theta, 6).tobytes() + prior_version.encode()).hexdigest()[:10]
    return CorrectionModel(vocab, theta, f"corr-{digest}", prior_version, n_out)


def session_losses(sessions: Sequence[Session], model: CorrectionModel | None) -> list[float]:
    """Per session with pairs: the mean weighted pairwise logistic loss of prior + correction (lower is better)."""
    out = []
    for s in sessions:
        deltas = model.adjust(s.examples) if model is not None else [0.0] * len(s.examples)
        score = {ex.program_id: ex.features.get("prior", 0.0) + d for ex, d in zip(s.examples, deltas, strict=True)}
        total = weight = 0.0
        for a, b, w in s.pairs():
            if a in score and b in score:
                total += w * float(np.logaddexp(0.0, -BETA * (score[a] - score[b])))
                weight += w
        if weight:
            out.append(total / weight)
    return out


def fit_shrunk(sessions: Sequence[Session], prior_version: str) -> tuple[CorrectionModel, dict[str, Any]]:
    """The shrinkage chosen by cross-validation over FOLDS blocks of the training sessions in time order (each
    block predicted by a model fitted on the others), then refitted on all of them. A correction is taken only
    when it lowers the per-session loss by more than one standard error of the differences (the
    one-standard-error rule) — otherwise the prior stays, which is what keeps small samples from hurting."""
    ordered = sorted(sessions, key=lambda s: (s.when, s.key))
    # Contiguous blocks in time order (not interleaved): a block's sessions are not neighbours of the training ones.
    size = -(-len(ordered) // FOLDS)
    blocks = [ordered[i:i + size] for i in range(0, len(ordered), size)] if len(ordered) >= 2 * FOLDS else []
    base = np.asarray([x for b in blocks for x in session_losses(b, None)])
    tried: dict[str, Any] = {}
    best: float | None = None
    best_gain = 0.0
    if len(base) >= MIN_CV_SESSIONS:
        for strength in STRENGTHS:
            losses = []
            for k, block in enumerate(blocks):
                rest = [x for j, b in enumerate(blocks) if j != k for x in b]
                losses += session_losses(block, fit(rest, prior_version, strength))
            diff = np.asarray(losses) - base
            gain, se = -float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))
            tried[f"x{strength:g}"] = {"gain": round(gain, 6), "se": round(se, 6)}
            if gain > se and gain > best_gain + 1e-12:  # strongest first: a tie keeps the stronger shrinkage
                best, best_gain = strength, gain
    model = fit(ordered, prior_version, best)
    return model, {"strength": best, "validation_sessions": len(base), "folds": len(blocks), "tried": tried}


def _dcg(gains: Sequence[float]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:3]))


def session_metrics(sessions: Sequence[Session], model: CorrectionModel | None) -> dict[str, float]:
    """NDCG@3 (gains as relevance), hit@1 (the first is a program the advisor took), pairwise AUC."""
    nd = hit = 0.0
    good = total = 0.0
    n = 0
    for s in sessions:
        if not s.gains:
            continue
        deltas = model.adjust(s.examples) if model is not None else [0.0] * len(s.examples)
        score = {ex.program_id: ex.features.get("prior", 0.0) + d for ex, d in zip(s.examples, deltas, strict=True)}
        order = sorted(score, key=lambda p: -score[p])
        best = _dcg(sorted(s.gains.values(), reverse=True))
        nd += _dcg([s.gains.get(p, 0.0) for p in order]) / best if best else 0.0
        hit += 1.0 if order and order[0] in s.gains else 0.0
        for a, b, _ in s.pairs():
            if a in score and b in score:
                total += 1
                good += 1.0 if score[a] > score[b] else 0.5 if score[a] == score[b] else 0.0
        n += 1
    n = n or 1
    return {"ndcg@3": nd / n, "hit@1": hit / n, "auc": good / total if total else 0.5, "sessions": float(n)}


def train_with_report(sessions: Sequence[Session], prior_version: str,
                      holdout_share: float = HOLDOUT_SHARE) -> CorrectionModel:
    """Time-split: fit on the earlier sessions, evaluate model and prior on the later ones; the model keeps
    that report (the gate reads it)."""
    ordered = sorted(sessions, key=lambda s: (s.when, s.key))
    cut = int(round(len(ordered) * (1 - holdout_share)))
    train, hold = ordered[:cut], ordered[cut:]
    model, shrinkage = fit_shrunk(train, prior_version)
    model.report = {
        "prior_version": prior_version, "n_outcomes": model.n_outcomes, "train_sessions": len(train),
        "shrinkage": shrinkage,
        "holdout_sessions": len(hold), "holdout_from": hold[0].when if hold else None,
        "holdout": {"prior": session_metrics(hold, None), "model": session_metrics(hold, model)},
    }
    return model


def beats_prior(report: dict[str, Any]) -> bool:
    """Better NDCG@3 on the holdout, and not worse in AUC or hit@1."""
    h = report.get("holdout") or {}
    m, p = h.get("model") or {}, h.get("prior") or {}
    if not m or not p or not (report.get("holdout_sessions") or 0):
        return False
    return m["ndcg@3"] > p["ndcg@3"] and m["auc"] >= p["auc"] and m["hit@1"] >= p["hit@1"]


def gate(model: Any, min_outcomes: int = MIN_OUTCOMES, prior_version: str | None = None) -> tuple[bool, str]:
    """Whether a trained model may rank, and why (pure: reads only the model's own report)."""
    if not isinstance(model, CorrectionModel):
        return False, "not a correction model of this service (retrain with python -m matching train)"
    if prior_version is not None and model.prior_version != prior_version:
        return False, f"trained on prior {model.prior_version}, the service runs {prior_version}"
    if model.n_outcomes < min_outcomes:
        return False, f"trained on {model.n_outcomes} outcomes, fewer than {min_outcomes}"
    if not beats_prior(model.report):
        h = model.report.get("holdout") or {}
        return False, f"does not beat the prior on its holdout ({h})"
    return True, f"beats the prior on its holdout; {model.n_outcomes} outcomes"


def load_gated(path: Path, min_outcomes: int = MIN_OUTCOMES,
               prior_version: str | None = None) -> tuple[CorrectionModel | None, str]:
    """The model at `path` if its gate passes, else None; with the reason either way."""
    if not path.is_file():
        return None, f"no model file at {path}"
    import joblib

    try:
        model = joblib.load(path)
    except Exception as e:  # a corrupt or foreign file must not stop the service: the prior ranks
        return None, f"unreadable model file {path}: {e}"
    ok, why = gate(model, min_outcomes, prior_version)
    return (model if ok else None), why

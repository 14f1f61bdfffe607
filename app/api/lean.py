"""The API's default answer built straight from a compiled screening: `slim(screening.as_dict(lang))` without
rendering what slim drops (a program's texts, the definitions' details, the traces of rules that did not decide).

Only the lines of the top-level rules the answer lists are built, from the recorded outcomes
(`CompiledResult.top_line`, its fields REASON_FIELDS); tests/api/test_lean.py holds the answer equal to
`slim(as_dict)`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from app.api.slim import DECIDING, ESTIMATE_TEXTS, WINDOW_FIELDS, slim
from eligibility.compiled import CompiledResult, CompiledScreening
from eligibility.definitions import CONTRACT_DEFINITIONS
from eligibility.engine import Screening, _program_parts
from eligibility.estimates import Estimate
from eligibility.plan import OUTCOMES
from eligibility.windows import Window

# The fields `Estimate.as_dict` and `Window.as_dict` had when `_estimate` and `_window` were written: a field
# added there sends them back to `as_dict` (slower, always right).
_ESTIMATE_KNOWN = [f.name for f in dataclasses.fields(Estimate)] == [
    "amount_yen", "rate", "cap_yen", "prior_awards_yen", "remaining_cap_yen", "breakdown", "texts"]
_WINDOW_KNOWN = [f.name for f in dataclasses.fields(Window)] == [
    "status", "opens_at", "closes_at", "area", "round", "predicted", "basis", "last_round", "operator", "missing",
    "days_left", "fiscal_year"]


def _estimate(e: Estimate) -> dict[str, Any]:
    """`e.as_dict()` without its texts (ESTIMATE_TEXTS), which are not written (they are made when first read)."""
    if not _ESTIMATE_KNOWN:
        return {k: v for k, v in e.as_dict().items() if k not in ESTIMATE_TEXTS}
    return {"amount_yen": e.amount_yen, "rate": e.rate, "cap_yen": e.cap_yen, "prior_awards_yen": e.prior_awards_yen,
            "remaining_cap_yen": e.remaining_cap_yen, "breakdown": e.breakdown}


def _window(w: Window, lang: str) -> dict[str, Any]:
    """`w.as_dict(lang)`'s WINDOW_FIELDS, without the rest (operator, prerequisites, the last round …)."""
    if not _WINDOW_KNOWN:
        d = w.as_dict(lang)
        return {k: d.get(k) for k in WINDOW_FIELDS}
    r = w.round or w.last_round
    return {
        "status": w.status,
        "opens_at": w.opens_at.isoformat() if w.opens_at else None,
        "closes_at": w.closes_at.isoformat() if w.closes_at else None,
        "area": w.area,
        "round": (w.round.name.ja if lang == "ja" else w.round.name.en) if w.round else None,
        "source_title": r.source.title if r else
        (w.operator.name.ja if lang == "ja" else w.operator.name.en) if w.operator else None,
        "source_url": w.source_url,
        "checked_at": r.checked_at.isoformat() if r else None,
        "predicted": w.predicted,
    }


def _program(r: CompiledResult, lang: str) -> dict[str, Any]:
    head, _ = _program_parts(r.program, lang)
    deciding = DECIDING.get(r.status)
    reasons = []
    for k, o in enumerate(r.top_outcomes()):
        if deciding is None or OUTCOMES[o].value == deciding:
            reasons.append(r.top_line(k, lang))
    est, win = r.estimate, r.window
    return {
        "program_id": head["program_id"], "name": head["name"], "kind": head["kind"],
        "status": r.status, "rank": r.rank, "score": round(r.score, 4),
        "estimate": _estimate(est) if est is not None else None,
        "reasons": reasons,
        "missing_facts": r.missing_facts,
        "provisional": r.program.provisional or r.provisional_rule,
        "window": _window(win, lang) if win is not None else None,
        "alternatives": list(r.alternatives),
    }


def slim_answer(screening: Screening, lang: str = "ja") -> dict[str, Any]:
    """`slim(screening.as_dict(lang))`, rendering only what it keeps."""
    if not isinstance(screening, CompiledScreening) or screening._definitions is not None or any(
            not isinstance(r, CompiledResult) or r._reasons is not None for r in screening.results):
        return slim(screening.as_dict(lang))
    outcomes = screening.definition_outcomes()
    phase = screening.phase.as_dict()
    return {
        "as_of": screening.as_of.isoformat(),
        "catalog_version": screening.catalog_version,
        "model_version": screening.model_version,
        "phase": phase if lang == "ja" else {**phase, "basis": screening.phase.basis_en},
        "definitions": {k: outcomes[k] for k in CONTRACT_DEFINITIONS},
        "results": [_program(r, lang) for r in screening.results if isinstance(r, CompiledResult)],
    }

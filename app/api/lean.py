"""The API's default answer built straight from a compiled screening: `slim(screening.as_dict(lang))` without
rendering what slim drops (a program's texts, the definitions' details, the traces of rules that did not decide).

Only the top-level rules the answer lists are rendered (by the reference code); tests/api/test_lean.py holds it
equal to `slim(as_dict)`.
"""

from __future__ import annotations

from typing import Any

from app.api.slim import DECIDING, ESTIMATE_TEXTS, REASON_FIELDS, WINDOW_FIELDS, slim
from eligibility.compiled import CompiledResult, CompiledScreening
from eligibility.definitions import CONTRACT_DEFINITIONS
from eligibility.engine import Screening, _program_parts
from eligibility.plan import OUTCOMES


def _program(r: CompiledResult, lang: str) -> dict[str, Any]:
    head, _ = _program_parts(r.program, lang)
    deciding = DECIDING.get(r.status)
    reasons = []
    for k, o in enumerate(r.top_outcomes()):
        if deciding is None or OUTCOMES[o].value == deciding:
            t = r.top_trace(k).as_dict(lang)
            reasons.append({f: t.get(f) for f in REASON_FIELDS})
    est = r.estimate.as_dict() if r.estimate else None
    win = r.window.as_dict(lang) if r.window else None
    return {
        "program_id": head["program_id"], "name": head["name"], "kind": head["kind"],
        "status": r.status, "rank": r.rank, "score": round(r.score, 4),
        "estimate": {k: v for k, v in est.items() if k not in ESTIMATE_TEXTS} if est is not None else None,
        "reasons": reasons,
        "missing_facts": r.missing_facts,
        "provisional": r.program.provisional or r.provisional_rule,
        "window": {k: win.get(k) for k in WINDOW_FIELDS} if win is not None else None,
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

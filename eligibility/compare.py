"""How a compiled screening is held against the reference engine's (tests/test_compiled.py, bench/compare.py)."""

from __future__ import annotations

from typing import Any

from eligibility.compiled import CompiledResult, CompiledScreening
from eligibility.engine import Screening, Trace
from eligibility.outcome import _criteria


def _trace_missing(traces: list[Trace], prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in traces:
        key = prefix + t.criterion
        out[key] = list(t.missing)
        out.update(_trace_missing(t.children, key + "/"))
    return out


def mismatches(ref: Screening, fast: Screening, render: bool = True) -> list[str]:
    """Every way `fast` (compiled, not yet rendered) differs from `ref`: statuses, each criterion's outcome and
    missing facts, the programs' missing facts, estimates, windows, phase, definitions; with `render`, also the
    rendered answer (`as_dict` in both languages)."""
    out: list[str] = []
    if not isinstance(fast, CompiledScreening):
        return ["not a compiled screening"]
    ref_defs = {k: (c.outcome.value, list(c.missing) if c.outcome.value == "unknown" else [])
                for k, c in ref.definitions.items()}
    fast_defs = {k: (v, list(fast.terms[k][1])) for k, v in fast.definition_outcomes().items()}
    if ref_defs != fast_defs:
        out.append(f"definitions: {ref_defs} != {fast_defs}")
    if ref.phase != fast.phase:
        out.append(f"phase: {ref.phase} != {fast.phase}")
    if [r.program_id for r in ref.results] != [r.program_id for r in fast.results]:
        return [*out, "programs differ"]
    for a, b in zip(ref.results, fast.results, strict=True):
        assert isinstance(b, CompiledResult)
        pid = a.program_id
        crit = b.criteria()
        if _criteria(a.reasons) != crit:
            out.append(f"{pid}: criteria {_criteria(a.reasons)} != {crit}")
        want_missing = _trace_missing(a.reasons)
        got_missing = {path: (b.plan.missing(b.outcomes, b.missing_by, i) if b.outcomes[i] == 1 else [])
                       for i, path in enumerate(b.plan.paths)}
        if want_missing != got_missing:
            out.append(f"{pid}: criteria's missing facts {want_missing} != {got_missing}")
        for what in ("status", "missing_facts", "alternatives"):
            if getattr(a, what) != getattr(b, what):
                out.append(f"{pid}: {what} {getattr(a, what)!r} != {getattr(b, what)!r}")
        ea: Any = a.estimate.as_dict() if a.estimate else None
        eb: Any = b.estimate.as_dict() if b.estimate else None
        if ea != eb:
            out.append(f"{pid}: estimate {ea} != {eb}")
        if a.window != b.window:
            out.append(f"{pid}: window {a.window} != {b.window}")
    if render and not out:
        for lang in ("ja", "en"):
            if ref.as_dict(lang) != fast.as_dict(lang):
                out.append(f"rendered answer ({lang}) differs")
    return out
